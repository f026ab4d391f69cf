import base64
import dataclasses
import functools
import io
import re
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from catalog.demo import BRANDS
from conftest import ADMIN_PASSWORD, data_url, page_values, shopper_call
from page import handlers
from page.latest import LatestSearch
from page.opening import Opening
from search.config import Settings
from search.images import ImageError, PhotoBytes, data_url_bytes
from search.ranking import Filters, Ranking
from search.service import QueryError
from storefront.doorway import Doorway
from storefront.front import Storefront
from storefront.results import details as markdown_details


@pytest.fixture(scope="module")
def storefront(tmp_path_factory):
    home = tmp_path_factory.mktemp("storefront")
    storefront = Storefront(Settings.of(store=home / "store", model="test-tiny", demo_dir=home / "demo",
                                     precision="fp32"))
    storefront.start()
    return storefront


def test_starting_fills_an_empty_store_with_the_demo_catalog_and_nothing_else_does(storefront, tmp_path):
    fresh = Storefront(Settings.of(store=tmp_path / "store", model="test-tiny",
                                   demo_dir=storefront.settings.store.demo_dir, precision="fp32"))
    assert fresh.service().store.count() == 0  # loading the model and store indexes nothing
    assert fresh.model_line().endswith("0 products")  # nor does a getter
    assert fresh.start().store.count() == 240 and fresh.start().store.count() == 240  # once
    assert storefront.service().store.count() == 240
    assert "test model with random weights" in storefront.banner()
    assert storefront.model_line().endswith("no pretrained weights · fp32 · cpu · 240 products")


def test_the_banner_says_why_the_model_could_not_be_had_in_the_shoppers_language(tmp_path):
    fallen = Storefront(Settings.of(store=tmp_path / "store", model="ViT-B-32", pretrained=str(tmp_path / "nope.bin"),
                                 demo_dir=tmp_path / "demo"))
    notice = fallen.service().encoder.info.notice
    assert fallen.banner() == f"⚠️ **{notice}**" and "nope.bin not found" in notice
    chinese = fallen.banner("zh-CN")  # the reason too is in the shopper's language
    assert "找不到权重文件" in chinese and "nope.bin" in chinese and "已改用离线的颜色与形状编码器" in chinese
    assert "Using" not in chinese and "not found" not in chinese


def _photo(storefront, number="0105"):
    return str(storefront.settings.store.demo_dir / "images" / f"demo-{number}.png")


def test_search_gives_cards_with_brand_price_and_match(storefront):
    result = storefront.search(_photo(storefront), "", ranking=Ranking(top_k=6))
    assert len(result.gallery) == 6 and result.status == "6 products" and result.ids[0] == "demo-0105"
    picture, caption = result.gallery[0]
    assert picture.endswith("demo-0105.png")
    assert re.fullmatch(r"Kestrel Red Striped Coffee Mug\nKestrel · 25\.00 USD\n100% match( · same .*)?", caption)
    assert set(result.timings_ms) == {"decode", "encode", "search", "page"}
    assert result.scores == sorted(result.scores, reverse=True)


def test_bad_input_becomes_a_message_not_a_traceback(storefront, tmp_path):
    bad = tmp_path / "cat.jpg"
    bad.write_bytes(b"<html>not an image</html>")
    with pytest.raises(ImageError, match="is a web page"):
        storefront.search(str(bad), "")
    with pytest.raises(QueryError, match="give a photo, a text, or both"):
        storefront.search(None, "")
    answer = shopper_call(storefront, "search", photo=data_url(bad.read_bytes()), name="cat.jpg")
    assert answer == {"problem": "⚠️ cat.jpg: is a web page (HTML), not a picture"}  # said once, no results
    search = handlers.page_search(Doorway(storefront), LatestSearch())  # the Tuning page's
    updates = search(page_values(query_photo=PhotoBytes(bad.read_bytes(), str(bad))), gr.Request(session_hash="s"))
    assert updates["preview"] == [] and updates["status"] == f"⚠️ {bad}: is a web page (HTML), not a picture"


def test_a_threshold_above_every_score_explains_the_empty_result(storefront):
    result = storefront.search(_photo(storefront), "", ranking=Ranking(top_k=6, min_score=1.01))
    assert result.gallery == [] and "No product scores above the 101% match threshold" in result.status
    chinese = storefront.search(_photo(storefront), "", ranking=Ranking(top_k=6, min_score=1.01), lang="zh-CN")
    assert chinese.status == "没有商品的匹配度高于 101% 的阈值：请调低阈值以查看更多结果。"


def test_the_photo_is_read_into_category_and_colour_chips(storefront):
    result = storefront.search(_photo(storefront), "", ranking=Ranking(top_k=6))
    kinds = [g.kind for g in result.guesses]
    assert kinds == ["category"] * 3 + ["colour"] * 2
    facets = storefront.facet_choices()
    assert {g.label for g in result.guesses if g.kind == "category"} <= {name for _, name in facets["category"]}
    assert {g.label for g in result.guesses if g.kind == "colour"} <= {name for _, name in facets["colour"]}
    assert all(0 <= g.probability <= 1 for g in result.guesses)
    text_only = Ranking(top_k=3, min_score=-1.0, text_weight=1.0)
    assert storefront.search(None, "striped mug", ranking=text_only).guesses == []  # nothing to read without a photo


def test_why_it_matched_names_what_a_product_shares_with_the_photo(storefront):
    result = storefront.search(_photo(storefront), "", ranking=Ranking(top_k=48, min_score=-1.0))
    top_category = next(g.label for g in result.guesses if g.kind == "category")
    stored = storefront.service().store.stored(result.ids)
    for product_id, (_, caption) in zip(result.ids, result.gallery):
        shares = stored[product_id].product.category == top_category
        assert (f"same category ({top_category})" in caption) == shares


def test_an_image_address_is_loaded_over_http_and_other_schemes_are_refused(storefront, image_server):
    picture = storefront.load_url(f"{image_server}/images/demo-0105.png")
    assert picture.size == Image.open(_photo(storefront)).size
    with pytest.raises(ImageError, match="only http:// and https:// image addresses"):
        storefront.load_url(f"file://{_photo(storefront)}")
    with pytest.raises(ImageError, match="HTTP 404"):
        storefront.load_url(f"{image_server}/images/nothing.png")
    loaded = shopper_call(storefront, "load_url", url=f"{image_server}/images/demo-0105.png")
    assert Image.open(io.BytesIO(data_url_bytes(loaded["photo"]))).size == picture.size  # for the page to hold
    refused = shopper_call(storefront, "load_url", url="ftp://example.com/a.png")
    assert set(refused) == {"problem"} and refused["problem"].startswith("⚠️ ftp://example.com/a.png: only")


def test_a_tuning_search_refused_says_so_on_the_tuning_page(storefront, monkeypatch):
    """Its problem updates only what the Tuning page has (it named the shoppers' gallery, chips and items, which
    the Tuning page does not hold: a KeyError in the page's wiring instead of the message)."""
    from storefront.limits import SearchLimits

    monkeypatch.setattr(storefront, "limits", SearchLimits(per_session="1/minute"))
    search = handlers.page_search(Doorway(storefront), LatestSearch())
    tuner = gr.Request(headers={}, session_hash="tuner")
    shown = search(page_values(text="mug"), tuner)
    refused = search(page_values(text="mug"), tuner)
    assert refused["status"].startswith("⚠️ too many searches") and refused["preview"] == []
    assert set(refused) <= set(shown) == {"preview", "status", "histogram", "timings"}


def test_an_older_search_finishing_last_does_not_overwrite_a_newer_ones_results(storefront, monkeypatch):
    """On the Tuning page a search at threshold 0 and a threshold typed at once (0.999, which only the photo's own
    two products pass) run side by side: the older one finishing last must leave the page as the newer one set it.
    Another session's search, and a new photo's, are shown whatever started after."""
    storefront.start()  # the demo catalog is written at start
    latest, photo = LatestSearch(), _photo(storefront)
    upload = PhotoBytes(open(photo, "rb").read(), "p.png")
    doorway = Doorway(storefront, workers=4)  # the four searches below at once: this test is of their order alone
    search, new_photo = handlers.page_search(doorway, latest), handlers.tuning_photo(doorway, latest)
    started, newer_done, searched = threading.Semaphore(0), threading.Event(), storefront.search

    def held_back(image, text, filters, ranking, lang):  # the searches at threshold 0 finish after the newer one
        if ranking.min_score == 0.0:
            started.release()
            newer_done.wait(60)
        return searched(image, text, filters, ranking, lang)
    monkeypatch.setattr(storefront, "search", held_back)
    values = page_values(query_photo=storefront.photo(photo))  # the page holds the photo it read
    older, other_shopper, new_photo_updates = {}, {}, {}
    shopper, someone_else = gr.Request(session_hash="shopper"), gr.Request(session_hash="someone-else")
    threads = [threading.Thread(target=lambda: older.update(search(values, shopper))),
               threading.Thread(target=lambda: other_shopper.update(search(values, someone_else))),
               threading.Thread(target=lambda: new_photo_updates.update(
                   new_photo({**values, "photo": upload, "shown_digest": None, "query_photo": None}, shopper)))]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert started.acquire(timeout=60)  # all three have started their search
    newer = search({**values, "min_score": 0.999}, shopper)
    newer_done.set()
    for thread in threads:
        thread.join(60)
    assert newer["status"].startswith("2 products") and len(newer["preview"]) == 2
    assert older == {}  # nothing changed
    assert other_shopper["status"].startswith("12 products") and len(other_shopper["preview"]) == 12
    assert new_photo_updates["status"].startswith("12 products")  # a new photo's own results are always shown


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def image_server(storefront):
    storefront.start()  # the demo catalog is written at start
    serve = functools.partial(QuietFiles, directory=str(storefront.settings.store.demo_dir))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), serve)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_two_clicked_corners_crop_the_photo_as_the_page_shows_it(storefront, tmp_path):
    photo = tmp_path / "two-halves.png"
    picture = Image.new("RGB", (2400, 600), "red")
    picture.paste((0, 0, 255), (1200, 0, 2400, 600))
    picture.save(photo)
    shown = storefront.photo(str(photo))  # shrunk to 1024 wide: the page shows (and clicks land on) this
    assert shown.size == (1024, 256)
    part = storefront.crop(shown, (1000, 200), (600, 40))  # any two opposite corners
    assert part.size == (400, 160) and part.image.getcolors() == [(400 * 160, (0, 0, 255))]
    with pytest.raises(ImageError, match="the crop is too small"):
        storefront.crop(shown, (10, 10), (12, 300))


def test_the_part_of_the_photo_between_two_corners_is_searched(storefront):
    """The page sends the whole photo with the part's corners as fractions of its sides (any two opposite ones)."""
    whole = data_url(open(_photo(storefront), "rb").read())
    searched = shopper_call(storefront, "search", photo=whole, name="mug.png")
    part = shopper_call(storefront, "search", photo=whole, name="mug.png", part=[0.6, 0.7, 0.2, 0.1])
    assert searched["cards"][0]["why"].startswith("100% match")
    assert part["cards"] and not part["cards"][0]["why"].startswith("100% match")
    too_small = shopper_call(storefront, "search", photo=whole, name="mug.png", part=[0.2, 0.2, 0.21, 0.9])
    assert too_small == {"problem": "⚠️ the crop is too small: click two opposite corners of the item"}


def test_the_shoppers_page_gets_cards_chips_details_and_history_as_data(storefront):
    answer = shopper_call(storefront, "search", photo=data_url(open(_photo(storefront), "rb").read()),
                          filters={"brands": ["Kestrel", "Sora"]})
    assert re.match(r"\d+ products? · decode", answer["status"])
    first = answer["cards"][0]
    assert first["id"] == "demo-0105"
    assert (first["title"], first["facts"]) == ("Kestrel Red Striped Coffee Mug", "Kestrel · 25.00 USD")
    assert all(card["facts"].split(" · ")[0] in {"Kestrel", "Sora"} for card in answer["cards"])
    folder = storefront.settings.store.demo_dir.resolve() / "images"
    assert first["picture"] == f"gradio_api/file={folder}/demo-0105.png"  # the catalog's own file, served in place
    assert [chip["kind"] for chip in answer["chips"]] == ["category"] * 3 + ["colour"] * 2
    details = shopper_call(storefront, "details", id="demo-0105", lang="中文")["html"]
    assert "<h3>Kestrel 红色条纹咖啡马克杯</h3>" in details
    assert 'href="https://shop.example.com/products/demo-0105"' in details
    history = shopper_call(storefront, "history", viewed=["demo-0105", "gone-0001", "demo-0203"])
    assert [card["id"] for card in history["recent"]] == ["demo-0105", "demo-0203"]  # a deleted one left out
    assert history["inspired"] and not {card["id"] for card in history["inspired"]} & {"demo-0105", "demo-0203"}
    assert shopper_call(storefront, "history", viewed=[]) == {"recent": [], "inspired": []}
    more = shopper_call(storefront, "search", more_like="demo-0105")
    assert more["status"].startswith("More like demo-0105") and "demo-0105" not in [c["id"] for c in more["cards"]]


def test_full_rerank_weight_puts_every_in_stock_product_first(storefront):
    plain = storefront.search(_photo(storefront), "", ranking=Ranking(top_k=12))
    reranked = storefront.search(_photo(storefront), "", ranking=Ranking(top_k=12, rerank_weight=1.0))
    stored = storefront.service().store.stored(plain.ids + reranked.ids)
    stock = [stored[i].product.in_stock for i in reranked.ids]
    assert False in [stored[i].product.in_stock for i in plain.ids]  # the plain order mixes them
    assert len(reranked.ids) == 12 and stock == sorted(stock, reverse=True)


def test_gradio_client_named_endpoints(launched_app):
    url, demo_dir = launched_app
    client = Client(url, verbose=False)
    photo = handle_file(str(demo_dir / "images" / "demo-0105.png"))
    by_photo, status = client.predict(photo, 3, 0.0, ["Kestrel", "Sora"], [], None, None, False,
                                      api_name="/search_image")
    assert status.startswith("3 products") and by_photo[0]["caption"].startswith("Kestrel Red Striped Coffee Mug")
    assert all(item["caption"].splitlines()[1].split(" · ")[0] in {"Kestrel", "Sora"} for item in by_photo)
    by_text, status = client.predict("striped mug", 2, 0.0, [], [], None, None, False, api_name="/search_text")
    assert len(by_text) <= 2 and not status.startswith("⚠️")  # random test weights: text scores may be below 0
    both, status = client.predict(photo, "in blue", 0.3, 2, 0.0, [], [], None, None, False,
                                  api_name="/search_both")
    assert len(both) <= 2 and not status.startswith("⚠️")
    similar, status = client.predict("demo-0105", 3, 0.0, [], [], None, None, False, api_name="/more_like_this")
    assert len(similar) == 3 and status.startswith("More like demo-0105")
    brand, _ = client.predict("Kestrel backpack", 3, 0.0, [], [], None, None, False, [], 0.0, 1.0,
                              api_name="/search_text")  # keyword weight 1: the words alone
    assert all(item["caption"].startswith("Kestrel ") and "Backpack" in item["caption"].splitlines()[0]
               for item in brand)
    red, status = client.predict(photo, 48, 0.0, [], ["Mugs"], None, None, False, ["Red"], 0.5,
                                 api_name="/search_image")
    assert red and all(item["caption"].splitlines()[0].startswith(tuple(f"{b} Red " for b in BRANDS)) for item in red)


def test_a_photo_can_be_sent_inline_as_a_data_url(launched_app):
    """One request fewer than handle_file's upload (bench/roundtrip.py: about 50 ms less per search)."""
    url, demo_dir = launched_app
    client = Client(url, verbose=False)
    picture = (demo_dir / "images" / "demo-0105.png").read_bytes()
    inline = {"url": "data:image/png;base64," + base64.b64encode(picture).decode(),
              "meta": {"_type": "gradio.FileData"}}
    gallery, status = client.predict(inline, 1, 0.0, [], [], None, None, False, api_name="/search_image")
    assert status.startswith("1 product ·") and gallery[0]["caption"].startswith("Kestrel Red Striped Coffee Mug")
    not_a_photo = {**inline, "url": "data:image/png;base64," + base64.b64encode(b"%PDF-1.7 ...").decode()}
    gallery, status = client.predict(not_a_photo, 1, 0.0, [], [], None, None, False, api_name="/search_image")
    assert gallery == [] and status == "⚠️ photo: is a PDF document, not a picture"


def test_gradio_client_image_search_returns_brand_and_price(launched_app):
    url, demo_dir = launched_app
    client = Client(url, verbose=False)
    gallery, status = client.predict(handle_file(str(demo_dir / "images" / "demo-0203.png")), "", 0.5, 4, 0.0,
                                     [], [], None, None, False, api_name="/search")
    assert status.startswith("4 products")
    assert gallery[0]["caption"].startswith("Alder & Co Red Sneakers\nAlder & Co · 113.49 USD")
    assert all(re.search(r" · \d+\.\d\d USD", item["caption"]) for item in gallery)


def test_admin_endpoints_refuse_a_caller_without_the_password(launched_app):
    client = Client(launched_app[0], verbose=False)
    assert client.predict("guess", 5, 0.9, 0.5, 0.0, api_name="/save_defaults") == "⚠️ wrong admin password"
    assert client.predict("", "demo-0001", api_name="/admin_delete") == "⚠️ wrong admin password"
    assert client.predict("guess", api_name="/admin_stats") == "⚠️ wrong admin password"
    stats = client.predict(ADMIN_PASSWORD, api_name="/admin_stats")
    assert "- **products**: 240" in stats  # nothing was deleted by the refused call


def test_admin_endpoints_name_what_is_wrong_with_a_value_of_the_wrong_type(launched_app, tmp_path):
    """Each value as the caller sent it, read by the endpoint (Gradio's own reading answered a wrong type with "the
    upstream app has raised an exception"); a value needing the password is read only once it is right."""
    url, demo_dir = launched_app
    client = Client(url, verbose=False)
    header, *rows = (demo_dir / "products.csv").read_text().splitlines()
    feed = tmp_path / "one.csv"  # a product as the catalog has it: indexed, and the catalog left as it was
    feed.write_text("\n".join([header, next(row for row in rows if row.startswith("demo-0105,"))]) + "\n")
    ingested = client.predict(ADMIN_PASSWORD, handle_file(str(feed)), str(demo_dir), api_name="/admin_ingest")
    assert ingested.startswith("**one.csv**: added 0, updated 0, unchanged 1"), ingested  # a file sent with the call
    not_uploaded = "⚠️ feed: a file must be uploaded with the request, not named by a path on the server"
    for name, values, expected in (
            ("/save_defaults", [ADMIN_PASSWORD, "abc", 0, 0, 0, 0], "⚠️ top_k: must be a whole number"),
            ("/admin_delete", [ADMIN_PASSWORD, {"id": 1}], "⚠️ ids: must be text"),
            ("/admin_delete", [ADMIN_PASSWORD, {"id": 1}, "中文"], "⚠️ ids：必须是文字"),
            ("/admin_delete", ["guess", {"id": 1}], "⚠️ wrong admin password"),
            ("/admin_switch_preset", [ADMIN_PASSWORD, 7], "⚠️ preset: must be text"),
            ("/admin_ingest", [ADMIN_PASSWORD, {"path": "/etc/passwd"}, ""], not_uploaded),
            ("/admin_ingest", [ADMIN_PASSWORD, 5, ""], not_uploaded),
            ("/admin_ingest", [ADMIN_PASSWORD, None, ["a list"]], "⚠️ images_root: must be text")):
        assert client.predict(*values, api_name=name) == expected, (name, values)
    assert client.predict(ADMIN_PASSWORD, {"lang": 5}, api_name="/admin_stats").startswith("- **store**: ")  # English


def test_an_encoder_that_reads_no_text_still_searches_the_texts_words(storefront, tmp_path):
    offline = Storefront(Settings.of(store=tmp_path / "store", model="offline",
                                     demo_dir=storefront.settings.store.demo_dir))
    offline.start()
    assert shopper_call(offline, "opening")["banner"] == ""  # chosen, not fallen back to: nothing to warn of
    result = offline.search(None, "navy backpack", ranking=Ranking(top_k=3))
    assert result.gallery[0][1].startswith(tuple(f"{brand} Navy " for brand in BRANDS))
    assert "Backpack" in result.gallery[0][1].splitlines()[0] and "words: navy, backpack" in result.gallery[0][1]
    assert "this model reads no text" in result.status
    assert not any("% match" in caption for _, caption in result.gallery)  # words alone: no similarity to show
    chinese = offline.search(None, "藏青色背包", ranking=Ranking(top_k=3), lang="zh-CN")
    caption = chinese.gallery[0][1]
    title = caption.splitlines()[0]  # a navy backpack, by its Chinese title (solid or patterned: both hold both words)
    assert "藏青色" in title and title.endswith("背包") and "关键词：藏青色, 背包" in caption
    assert "当前模型不能理解文字" in chinese.status
    assert chinese.timings_ms and "当前模型不能理解文字 · " in chinese.status_line("zh-CN")  # no "。 · "
    assert "this model reads no text · " in result.status_line("en")
    assert offline.search(None, "zeppelin").status.startswith("No product's title, brand")


def test_a_page_opens_with_only_what_changed_since_it_was_drawn(storefront):
    storefront.start()
    drawn = Opening.of(storefront)
    header = functools.partial(handlers.header, storefront, handlers.TUNING_HEADER)  # the Tuning page's
    assert header(drawn=drawn)({}) == {}  # nothing to redraw
    older = dataclasses.replace(drawn, banner="⚠️ an older notice", ranking=Ranking(text_weight=0.9),
                                facets={**drawn.facets, "brand": [("Gone", "Gone")]})
    updates = header(drawn=older)({})
    assert set(updates) == {"banner", "text_weight"}
    assert updates["banner"]["value"] == storefront.banner()
    assert updates["text_weight"] == storefront.settings.ranking.text_weight != 0.9


def test_the_shoppers_page_opens_with_the_banner_model_and_choices_in_its_language(storefront):
    chinese = shopper_call(storefront, "opening", lang="中文")
    assert chinese["model_line"].endswith("件商品") and "Model" not in chinese["model_line"]
    assert chinese["facets"] == storefront.facet_choices("zh-CN")
    assert ("马克杯 (24)", "Mugs") in chinese["facets"]["category"]  # the catalog's own name is what filters
    assert ("Kestrel (35)", "Kestrel") in chinese["facets"]["brand"]
    assert ("Mugs (24)", "Mugs") in shopper_call(storefront, "opening")["facets"]["category"]
    chips = shopper_call(storefront, "search", photo=data_url(open(_photo(storefront), "rb").read()),
                         lang="中文")["chips"]
    names = storefront.facet_names("zh-CN")
    assert chips and names["category"]["Mugs"] == "马克杯"
    for chip in chips:  # read in Chinese, filtering by the catalog's own value
        assert chip["label"].split(" · ")[0] == names[chip["kind"]][chip["value"]]
    assert chinese["text_weight"] == storefront.settings.ranking.text_weight


def test_a_store_of_another_model_is_refused_not_filled_with_the_demo(storefront, tmp_path):
    import app

    storefront.start()  # the test-tiny store, filled with the demo catalog
    with pytest.raises(SystemExit) as refused:  # exit code 1 with this line, never a traceback
        app.main(["--store", str(storefront.settings.store.location), "--model", "offline", "--port", "1"])
    location = storefront.settings.store.location
    assert str(refused.value).startswith(f"error: the store {location} was built with test-tiny")


def test_filters_apply_in_the_store_and_the_empty_state_says_what_to_change(storefront):
    chosen = Filters(brands=("Sora",), min_price=20, max_price=60, in_stock_only=True)
    result = storefront.search(_photo(storefront), "", chosen, ranking=Ranking(top_k=48, min_score=-1.0))
    assert result.ids and all(caption.splitlines()[1].startswith("Sora · ") for _, caption in result.gallery)
    stored = storefront.service().store.stored(result.ids)
    assert all(p.product.brand == "Sora" and 20 <= p.product.price <= 60 and p.product.in_stock
               for p in stored.values())
    assert storefront.search(_photo(storefront), "", Filters(brands=("Sora",)),
                             Ranking(top_k=6, min_score=0.999)).status.startswith(
        "No product scores above the 99.9% match threshold: lower it or remove a filter")


def test_facet_choices_carry_honest_counts(storefront):
    facets = storefront.facet_choices()
    assert sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label, _ in facets["brand"]) == 240
    assert ("Mugs (24)", "Mugs") in facets["category"]
    assert sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label, _ in facets["colour"]) == 240


def test_details_and_more_like_this(storefront):
    details = markdown_details(storefront.product("demo-0105"), "en")
    assert "### Kestrel Red Striped Coffee Mug" in details and "- **Price**: 25.00 USD" in details
    assert "[View the product page ↗](https://shop.example.com/products/demo-0105)" in details
    assert "- **Colour**: Red" in details
    chinese = markdown_details(storefront.product("demo-0105"), "zh-CN")
    assert "### Kestrel 红色条纹咖啡马克杯" in chinese and "- **价格**: 25.00 USD" in chinese
    assert "- **颜色**: 红色" in chinese and "- **类别**: 马克杯" in chinese and "_zh" not in chinese.lower()
    similar = storefront.more_like_this("demo-0105", ranking=Ranking(top_k=5, min_score=-1.0))
    assert len(similar.ids) == 5 and "demo-0105" not in similar.ids
    assert similar.status.startswith("More like demo-0105: 5 products")
    reranked = storefront.more_like_this("demo-0105", ranking=Ranking(top_k=5, min_score=-1.0, rerank_weight=0.5))
    assert len(reranked.ids) == 5 and "demo-0105" not in reranked.ids
    with pytest.raises(QueryError, match="click a product first"):
        storefront.more_like_this(None)


def test_examples_are_one_picture_per_category(storefront):
    pictures = storefront.example_photos()
    stored = {p.picture: p.category for p in storefront.service().store.products()}
    assert len(pictures) == 5 and len({stored[p] for p in pictures}) == 5


def test_a_search_that_finds_every_worker_busy_is_asked_to_retry(storefront, monkeypatch):
    """The shoppers' page's calls do not queue in Gradio's bounded queue: past a wait for a free worker, the shopper
    is told to retry, in their language, and the searches that had a worker still answer."""
    from page.shopper_calls import ShopperCalls
    from storefront.doorway import SEARCH_WORKERS
    call = {function.__name__: function for function in ShopperCalls(Doorway(storefront, wait_s=0.2)).functions()}
    release, started, searched = threading.Event(), threading.Semaphore(0), storefront.search

    def held(*args, **kwargs):
        started.release()
        release.wait(30)
        return searched(*args, **kwargs)
    monkeypatch.setattr(storefront, "search", held)
    shopper, answers = gr.Request(headers={}, session_hash="s"), []
    workers = [threading.Thread(target=lambda: answers.append(call["search"]({"text": "mug"}, shopper)))
               for _ in range(SEARCH_WORKERS)]
    for worker in workers:
        worker.start()
    for _ in workers:
        assert started.acquire(timeout=30)
    assert call["search"]({"text": "mug", "lang": "中文"}, shopper) == {"problem": "⚠️ 此刻搜索的人很多：请几秒后再试"}
    release.set()
    for worker in workers:
        worker.join(30)
    assert len(answers) == SEARCH_WORKERS and all(answer["cards"] for answer in answers)
    assert call["search"]({"text": "mug"}, shopper)["cards"]  # a worker is free again


def test_the_product_teams_endpoints_answer_json_and_refuse_without_the_password(launched_app, tmp_path):
    client = Client(launched_app[0], verbose=False)
    refused = {"problem": "⚠️ wrong admin password"}
    for endpoint in ("/insights", "/replay_events"):
        assert client.predict("guess", "", "", api_name=endpoint) == refused
    figures = client.predict(ADMIN_PASSWORD, "", "", api_name="/insights")
    assert {"searches", "per_day", "opens_by_rank", "most_opened", "never_shown", "stages", "filters",
            "nothing_share"} <= set(figures)
    for first, last, field in (("2026-13-40", "", "first_day"), (12345, "", "first_day"), ("", ["a"], "last_day")):
        said = client.predict(ADMIN_PASSWORD, first, last, api_name="/insights")["problem"]
        assert said.startswith(f"⚠️ {field} must be a day written as YYYY-MM-DD")
    assert "is after the last" in client.predict(ADMIN_PASSWORD, "2026-02-01", "2026-01-01",
                                                 api_name="/insights")["problem"]
    exported = Path(client.predict(ADMIN_PASSWORD, "", "", api_name="/export_events"))
    assert exported.read_text().startswith("event,time_utc,doorway,lang,kind,words,")
    with pytest.raises(AppError, match="wrong admin password"):
        client.predict("guess", "", "", api_name="/export_events")
    assert {"replayed", "not_replayable", "proposed", "candidates"} <= set(
        client.predict(ADMIN_PASSWORD, "", "", api_name="/replay_events"))
    labels = tmp_path / "labels.csv"
    labels.write_text("image,text,relevant_ids,relevant_category\n,coffee mug,,Mugs\n")
    answer = client.predict(ADMIN_PASSWORD, handle_file(labels), None, api_name="/evaluate")
    assert answer["saved"]["queries"] == 1 and set(answer["saved"]["recall"]) == {"@1", "@5", "@10"}
    assert client.predict(ADMIN_PASSWORD, None, None, api_name="/evaluate") == {
        "problem": "⚠️ choose a labels CSV first (image, text, relevant_ids, relevant_category)"}


def test_the_queue_looks_for_work_every_millisecond_only_while_there_is_some(storefront):
    from app import build_demo
    from page.calm import ASLEEP_AFTER_S, ASLEEP_PAUSE_S, BUSY_FOR_S, QUIET_PAUSE_S, CalmQueue
    queue = build_demo(storefront)._queue
    assert isinstance(queue, CalmQueue)
    queue._last_work = time.monotonic()
    assert (queue.sleep_when_free, queue.progress_update_sleep_when_free) == (0.001, 0.01)  # Gradio's own
    queue._last_work = time.monotonic() - BUSY_FOR_S - 1
    assert queue.sleep_when_free == QUIET_PAUSE_S and queue.progress_update_sleep_when_free > 0.01
    queue._last_work = time.monotonic() - ASLEEP_AFTER_S - 1
    assert queue.sleep_when_free == ASLEEP_PAUSE_S


def test_gradios_monitoring_is_off_and_its_queue_keeps_no_records_and_builds_no_summary(storefront, launched_app):
    from app import build_demo
    url, _ = launched_app
    assert httpx.get(url + "monitoring/summary", timeout=30).status_code == 403  # "Monitoring is not enabled."
    queue = build_demo(storefront)._queue
    records = [{"time": 1.0, "status": "success", "process_time": 0.02, "function": "search_text", "session_hash": "a"}]
    # Gradio kept 10,000 events' records and summarised them with pandas after every event
    assert queue.ANALYTICS_MAX_EVENTS == 1 and queue.compute_analytics_summary(records * 50) == {"functions": {}}


def test_uvicorn_ticks_slowly_only_while_nobody_is_connected(monkeypatch):
    import asyncio

    import uvicorn
    from gradio import http_server

    from page import calm
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
    monkeypatch.setattr(calm.asyncio, "sleep", sleep)
    server = http_server.Server(uvicorn.Config(app=lambda scope, receive, send: None))
    server.server_state.default_headers = []
    calm.calm_server(server)
    assert asyncio.run(server.on_tick(3)) is False and slept == [calm.IDLE_TICK_S - 0.1]
    assert server.server_state.default_headers[0][0] == b"date"  # refreshed at each slow tick
    server.server_state.connections.add(object())  # someone connected: uvicorn's own ticks
    assert asyncio.run(server.on_tick(3)) is False and len(slept) == 1
    server.server_state.connections.clear()
    server.should_exit = True  # a stop asked for is not kept waiting
    assert asyncio.run(server.on_tick(3)) is True and len(slept) == 1
