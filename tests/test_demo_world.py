"""The CLIP path with a model that means something: `demo-world`, trained here on the demo catalog's drawings
(tools/train_demo_clip.py) and loaded from its committed weights file like any pretrained open_clip model. Where
the tiny random model checks arithmetic and persistence, these check meaning: colours, categories, the blend, the
chips, "why it matched" and the threshold curve."""
import io

import pytest

from catalog.demo import Style, draw_product
from conftest import data_url, shopper_call, started_storefront
from page import handlers
from page.opening import Opening
from search.config import MODEL_PRESETS
from search.images import Photo
from search.indexer import DemoModelOnly, Indexer
from search.ranking import Filters, Ranking
from search.service import Query
from storefront.front import Storefront
from storefront.tuning import ThresholdCurve

COLOURS_OF_BLUE = {"Navy", "Sky Blue"}


@pytest.fixture(scope="module")
def demo_world_shop(tmp_path_factory) -> Storefront:
    """`python app.py --model demo-world` on an empty store: the demo catalog, drawn and indexed."""
    return started_storefront(tmp_path_factory.mktemp("demo-world"), "demo-world")


def _search(shop: Storefront, text: str = "", image=None, weight: float = 0.5, top_k: int = 5,
            keyword_weight: float = Ranking().keyword_weight):
    ranking = Ranking(top_k=top_k, text_weight=weight, keyword_weight=keyword_weight)
    return shop.service().search(Query(image=image, text=text or None), Filters(), ranking).hits


def _colour(hit) -> str:
    return hit.product.colour


def test_it_loads_from_its_weights_file_and_says_what_it_is(demo_world_shop):
    info = demo_world_shop.service().encoder.info
    assert info.kind == "clip" and info.pretrained_weights and info.pretrained == "demo-world.safetensors"
    assert MODEL_PRESETS["demo-world"][1].endswith("demo-world.safetensors")
    assert f"Model: {info.label} · " in demo_world_shop.model_line()  # the page's English words are the encoder's
    assert demo_world_shop.banner() == f"⚠️ **{info.notice}**"  # the page's English words are the encoder's own
    assert "仅供演示和测试" in demo_world_shop.banner("zh-CN")
    assert demo_world_shop.model_line("zh-CN").startswith("模型：demo-world（只用演示目录的图画训练）")


def test_a_staff_pages_banner_follows_its_language_switch_and_stays_in_it_after_an_admins_action(demo_world_shop):
    assert handlers.banner_in(demo_world_shop)("中文") == demo_world_shop.banner("zh-CN")  # the switch's value
    assert handlers.banner_in(demo_world_shop)(["not", "a", "language"]) == demo_world_shop.banner()
    drawn = Opening.of(demo_world_shop)  # as the page was built: in English
    after_an_action = handlers.header(demo_world_shop, ("banner",), drawn=drawn)
    assert after_an_action({"lang": "English"}) == {}  # nothing changed: nothing sent
    assert "仅供演示和测试" in after_an_action({"lang": "中文"})["banner"]["value"]


@pytest.mark.parametrize("text, category, colours", [
    ("red mug", "Mugs", {"Red"}), ("navy backpack", "Backpacks", {"Navy"}), ("红色 马克杯", "Mugs", {"Red"}),
    ("藏青色 背包", "Backpacks", {"Navy"})])
@pytest.mark.parametrize("keyword_weight", [0.0, Ranking().keyword_weight], ids=["model alone", "default fusion"])
def test_a_colour_and_a_category_put_those_products_first(demo_world_shop, text, category, colours, keyword_weight):
    """The model's own reading of the words, and the app's default ranking, where the words' side must not list a
    red lamp (holding "red") among the mugs."""
    hits = _search(demo_world_shop, text, weight=1.0, keyword_weight=keyword_weight)
    assert hits[0].product.category == category and _colour(hits[0]) in colours, [h.product.title for h in hits]
    assert sum(h.product.category == category for h in hits) >= 4


def test_the_blend_moves_the_results_from_the_photos_colour_to_the_texts(demo_world_shop):
    mug = Photo.of(draw_product("Mugs", Style("Red", "Mustard", "Striped", (240, 240, 236), 0.0)))
    photo_only = _search(demo_world_shop, "blue", mug, weight=0.0)
    assert photo_only[0].product.id == "demo-0105"  # the red striped mug itself
    halfway = _search(demo_world_shop, "blue", mug, weight=0.5)
    assert halfway[0].product.category == "Mugs" and _colour(halfway[0]) in COLOURS_OF_BLUE
    blue_share = []
    for weight in (0.0, 0.25, 0.5, 0.75, 1.0):
        hits = _search(demo_world_shop, "blue", mug, weight=weight, top_k=10)
        blue_share.append(sum(_colour(h) in COLOURS_OF_BLUE for h in hits) - sum(_colour(h) == "Red" for h in hits))
    assert blue_share == sorted(blue_share) and blue_share[-1] >= blue_share[0] + 8, blue_share


def test_the_chips_of_a_navy_backpack_read_it_and_filter_by_it(demo_world_shop):
    backpack = draw_product("Backpacks", Style("Navy", "Orange", "Solid", (236, 238, 240), 0.3))
    result = demo_world_shop.search(Photo.of(backpack), lang="en")
    first = {guess.kind: guess.label for guess in reversed(result.guesses)}  # the first guess of each kind
    assert first == {"category": "Backpacks", "colour": "Navy"}
    picture = io.BytesIO()
    backpack.save(picture, "PNG")
    chips = shopper_call(demo_world_shop, "search", photo=data_url(picture.getvalue()))["chips"]
    assert chips[0]["kind"] == "category" and chips[0]["value"] == "Backpacks"  # a tap filters by it (test_page)
    assert "same category (Backpacks) · same colour (Navy)" in result.gallery[0][1]


def test_why_it_matched_names_only_what_the_card_shares(demo_world_shop):
    mug = draw_product("Mugs", Style("Red", "Navy", "Dotted", (240, 236, 236), -0.2))
    result = demo_world_shop.search(Photo.of(mug), lang="en")
    for (_, caption), product_id in zip(result.gallery, result.ids):
        product = demo_world_shop.service().store.stored([product_id])[product_id].product
        assert ("same category (Mugs)" in caption) == (product.category == "Mugs")
        assert ("same colour (Red)" in caption) == (product.colour == "Red")


def test_the_threshold_curve_rises_precision_with_the_threshold(demo_world_shop):
    # (threshold, precision, recall) on the catalog's sample queries
    curve = ThresholdCurve(demo_world_shop).report().curve
    with_results = [(threshold, precision) for threshold, precision, recall in curve if recall > 0.05]
    lowest, highest = with_results[0][1], max(precision for _, precision in with_results)
    assert highest >= lowest + 0.3, with_results


def test_it_refuses_any_catalog_but_the_demo_catalogs(demo_world_shop, tmp_path):
    feed = tmp_path / "merchant.csv"
    feed.write_text("id,title,image\nsku-1,A merchant's mug,mug.png\n")
    draw_product("Mugs", Style("Red", "Navy", "Solid", (240, 240, 240), 0.0)).save(tmp_path / "mug.png")
    service = demo_world_shop.service()
    with pytest.raises(DemoModelOnly, match="line 2: product 'sku-1' is not in the demo catalog"):
        Indexer(service.encoder, service.store).index_feed(feed)
    assert service.store.vector("sku-1") is None
