"""Keyword search beside the vectors: words and Chinese, BM25 on the demo catalog with the offline encoder (text is
searched by its words alone), hybrid fusion with the tiny CLIP (random vectors: only the words can put a brand's
products first), and filters on both sides."""
from collections import defaultdict

import numpy as np
import pytest

from catalog.demo import CHINESE, demo_products
from search.hybrid import reciprocal_rank, weighted
from search.indexer import Indexer
from search.ranking import Filters, Hit, Ranking
from search.service import Query, SearchService
from search.store.collection import Encoded, ProductStore
from search.store.keyword_index import KeywordIndex, product_values
from search.words import terms

PAIRS = defaultdict(list)  # (colour, category) -> ids of the demo products of that colour and category
for _product, _style in demo_products():
    PAIRS[(_product.colour, _product.category)].append(_product.id)


@pytest.fixture(scope="module")
def offline_service(tmp_path_factory, demo_feed, offline_encoder) -> SearchService:
    store = ProductStore(tmp_path_factory.mktemp("offline-store"), offline_encoder.info, for_indexing=True)
    Indexer(offline_encoder, store).index_feed(demo_feed)
    return SearchService(offline_encoder, store)


def test_words_fold_case_and_width_stem_english_and_cut_chinese_into_words():
    assert terms("Red MUGS") == terms("ｒｅｄ mug") == ["red", "mug"]
    assert set(terms("红色马克杯")) == {"红色", "马克", "马克杯"}
    assert set(terms("墨绿色运动鞋")) >= {"墨绿色", "运动鞋"} and "色运" not in terms("墨绿色运动鞋")
    assert set(terms("红色 陶瓷 马克杯")) >= {"红色", "陶瓷", "马克杯"}
    assert {"rx100"} <= set(terms("RX-100")) and terms("rx100") == ["rx100"]  # model numbers with or without a dash


def test_spaced_and_unspaced_chinese_find_each_other():
    index = KeywordIndex([("a", {"title": "红色陶瓷马克杯"}), ("b", {"title": "红色 运动鞋"}),
                          ("c", {"title": "蓝色 陶瓷 马克杯"})])
    assert [hit.product_id for hit in index.search("红色 陶瓷 马克杯", 3)][0] == "a"
    assert [hit.product_id for hit in index.search("红色马克杯", 3)][0] == "a"
    index.upsert(["d"], [{"title": "红色 陶瓷 马克杯"}])
    assert {hit.product_id for hit in index.search("红色马克杯", 2)} == {"a", "d"}


def _ranked(service: SearchService, text: str, top_k: int = 5, **filters) -> list:
    ranking = Ranking(top_k=top_k, keyword_weight=0.5, text_weight=1.0)
    return service.search(Query(text=text), Filters(**filters), ranking).hits


def _check_colour_and_category(hits: list, colour: str, category: str) -> None:
    wanted = PAIRS[(colour, category)]
    ids = [hit.product.id for hit in hits]
    assert set(ids[:len(wanted)]) == set(wanted[:5]), (colour, category, ids)  # all of them, first
    for hit in hits:  # the rest share the colour or the category
        assert hit.product.colour == colour or hit.product.category == category, (colour, category, ids)


def test_offline_text_search_puts_every_product_of_the_colour_and_category_first(offline_service):
    for colour, category in PAIRS:
        response = offline_service.search(Query(text=f"{colour} {category}".lower()), ranking=Ranking(top_k=5))
        assert response.keywords_only == "offline"
        _check_colour_and_category(response.hits, colour, category)


@pytest.mark.parametrize("separator", [" ", ""])
def test_offline_chinese_text_search_does_the_same(offline_service, separator):
    for colour, category in PAIRS:
        _check_colour_and_category(_ranked(offline_service, f"{CHINESE[colour]}{separator}{CHINESE[category]}"),
                                   colour, category)


def test_a_brand_query_puts_that_brands_products_of_the_category_first_even_with_random_vectors(tiny_service):
    by_brand = defaultdict(list)
    for product, _ in demo_products():
        if product.category == "Backpacks":
            by_brand[product.brand].append(product.id)
    for brand, ids in by_brand.items():
        response = tiny_service.search(Query(text=f"{brand} backpack"), ranking=Ranking(top_k=len(ids) + 2))
        assert response.keywords_only is None  # the tiny CLIP read the text too
        assert {hit.product.id for hit in response.hits[:len(ids)]} == set(ids), brand
        assert set(response.hits[0].matched) == {*brand.split(), "backpack"} - {"&"}


def test_chinese_on_an_english_clip_is_answered_by_its_words_and_says_so(tiny_service):
    response = tiny_service.search(Query(text="红色马克杯"), ranking=Ranking(top_k=3, keyword_weight=0.5))
    assert response.keywords_only == "script"
    assert set(response.hits[0].matched) == {"红色", "马克杯"}
    assert (response.hits[0].product.colour, response.hits[0].product.category) == ("Red", "Mugs")


def test_filters_apply_to_both_sides(tiny_service):
    hits = _ranked(tiny_service, "red lamp", top_k=12, categories=("Lamps",), max_price=60.0)
    assert hits and all(h.product.category == "Lamps" and h.product.price <= 60 for h in hits)
    assert hits[0].product.title == "Sora Red Table Lamp"  # the words lift the one red lamp under 60
    assert "Northwind Red Checked Table Lamp" not in {h.product.title for h in hits}  # 63.00


def test_keyword_weight_moves_from_vectors_to_words(tiny_service):
    vectors_only = tiny_service.search(Query(text="Kestrel backpack"), ranking=Ranking(top_k=5, keyword_weight=0.0))
    words_only = tiny_service.search(Query(text="Kestrel backpack"), ranking=Ranking(top_k=5, keyword_weight=1.0))
    hybrid = tiny_service.search(Query(text="Kestrel backpack"), ranking=Ranking(top_k=5))  # the default: 0.5
    assert all(h.matched == () for h in vectors_only.hits)  # the words took no part
    assert all(h.product.brand == "Kestrel" and h.product.category == "Backpacks" for h in words_only.hits[:3])
    assert all(h.product.brand == "Kestrel" and h.product.category == "Backpacks" for h in hybrid.hits[:3])
    assert [h.product.id for h in vectors_only.hits] != [h.product.id for h in words_only.hits]


def test_a_photo_with_words_the_model_cannot_read_still_uses_them(tiny_service, demo_feed):
    picture = demo_feed.parent / "images" / "demo-0000.png"
    photo_only = tiny_service.search(Query(image=picture), ranking=Ranking(top_k=3)).hits
    with_words = tiny_service.search(Query(image=picture, text="背包"), ranking=Ranking(top_k=3, text_weight=0.5)).hits
    assert photo_only[0].product.id == "demo-0000"
    assert all(h.product.category == "Backpacks" for h in with_words)


def _hit(product_id: str, score: float, matched=()) -> Hit:
    from catalog.product import Product
    return Hit(Product(product_id, image="x.png"), score, tuple(matched))


def test_weighted_fusion_keeps_cosines_and_lifts_products_holding_every_word():
    vector_side = [_hit("a", 0.31), _hit("b", 0.30), _hit("c", 0.29)]
    keyword_side = [_hit("c", 1.0, ["kestrel", "backpack"]), _hit("a", 0.004, ["backpack"])]
    fused = weighted(vector_side, keyword_side, 0.5)
    assert [h.product.id for h in fused] == ["c", "a", "b"]
    assert fused[0].score == pytest.approx(0.5 * 0.29 + 0.5 * 1.0) and fused[0].matched == ("kestrel", "backpack")
    assert [h.product.id for h in weighted(vector_side, keyword_side, 0.0)] == ["a", "b", "c"]
    assert [h.product.id for h in weighted(vector_side, [], 0.5)] == ["a", "b", "c"]  # no word matched: vectors


def test_a_product_holding_every_word_counts_and_one_holding_some_counts_little():
    products = {"p1": {"title": "Red Mug", "colour": "Red"}, "p2": {"title": "Red Red Lamp", "colour": "Red"},
                "p3": {"title": "Blue Mug", "colour": "Blue"}, "p4": {"title": "蓝绿色 衬衫"},
                "p5": {"title": "墨绿色 衬衫"}}
    index = KeywordIndex(products.items())
    relevance = {hit.product_id: hit.score for hit in index.search("red mug", 5)}
    assert relevance["p1"] == 1.0 and 0 < relevance["p2"] < 0.01 and 0 < relevance["p3"] < 0.01
    assert max(hit.score for hit in index.search("red mug", 5, where={"colour": "Blue"})) < 0.01  # nor when filtered
    assert max(hit.score for hit in index.search("red lamp mug", 5)) < 0.05  # none holds all: none lifted
    chinese = {hit.product_id: hit.score for hit in index.search("墨绿色衬衫", 5)}
    assert chinese["p5"] == 1.0 and chinese["p4"] < 0.1  # the teal shirt holds 绿色, a third of 墨绿色


def test_a_value_given_in_two_fields_counts_once():
    assert product_values("p1", {"colour": "Red", "attributes": '{"colour": "Red", "size": "M"}'}) == ["p1", "Red", "M"]


def test_rank_fusion_ignores_how_far_apart_scores_are():
    vector_side = [_hit("a", 0.31), _hit("b", 0.30), _hit("c", 0.29)]
    keyword_side = [_hit("c", 8.0), _hit("a", 4.0)]
    fused = reciprocal_rank(vector_side, keyword_side, 0.5)
    assert [h.product.id for h in fused] == ["a", "c", "b"]  # rank 1 + 2 beats rank 3 + 1
    assert fused[0].score == pytest.approx(0.5 / 61 + 0.5 / 62)


def test_the_keyword_index_follows_every_write(tmp_path, tiny_encoder, demo_feed):
    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    products = [p for p, _ in demo_products()][:6]
    vectors = np.eye(len(products), tiny_encoder.info.dim, dtype=np.float32)
    assert store.replica.keywords().ids() == set()
    store.upsert(Encoded.each(products, vectors, ["f"] * len(products)))
    assert store.replica.keywords().ids() == {p.id for p in products}
    renamed = products[0].__class__(**{**products[0].__dict__, "title": "Zeppelin lamp"})
    store.update_metadata([renamed], [("f",)])
    assert [h.product.id for h in store.keyword_search("zeppelin", 3)] == [renamed.id]
    store.delete([renamed.id])
    assert store.keyword_search("zeppelin", 3) == [] and store.replica.keywords().ids() == {p.id for p in products[1:]}
    reopened = ProductStore(tmp_path / "store", tiny_encoder.info)  # another process's view: built from the store
    assert reopened.replica.keywords().ids() == store.replica.keywords().ids()


def test_a_typed_query_on_an_empty_store_finds_nothing_rather_than_failing(tmp_path, offline_encoder):
    store = ProductStore(tmp_path / "store", offline_encoder.info)
    response = SearchService(offline_encoder, store).search(Query(None, "red mug"), Filters(), Ranking())
    assert response.hits == [] and store.keyword_search("red mug", 3) == []
    assert not KeywordIndex([]).knows("red")


def test_a_large_index_answers_from_its_last_matrix_while_the_next_is_built(monkeypatch):
    import time

    from search.store import keyword_index
    monkeypatch.setattr(keyword_index, "SYNC_LIMIT", 2)
    index = KeywordIndex([(f"p{i}", {"title": f"lamp {i}"}) for i in range(5)])
    assert len(index.search("lamp", 10)) == 5
    index.delete(["p0"])
    index.upsert(["p9"], [{"title": "lamp nine"}])
    assert "p0" not in {hit.product_id for hit in index.search("lamp", 10)}  # deleted: gone at once
    deadline = time.monotonic() + 10
    while "p9" not in {hit.product_id for hit in index.search("lamp", 10)}:  # added: once the matrix is rebuilt
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert {hit.product_id for hit in index.search("lamp", 10)} == {"p1", "p2", "p3", "p4", "p9"}
