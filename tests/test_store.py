import chromadb
import numpy as np
import pytest

from catalog.product import Product
from search.encoders.base import EncoderInfo
from search.store.collection import EF_SEARCH, Encoded, ProductStore, StoreMismatchError

SPACE_A = EncoderInfo("model-a", "tag-1", 3, "clip", True, True)
SPACE_B = EncoderInfo("model-b", None, 4, "offline", False, False)


def _product(pid, **changes):
    fields = dict(id=pid, title=f"Item {pid}", brand="Lumen", category="Mugs", price=10.0, currency="USD",
                  image=f"/pics/{pid}.png", attributes={"colour": "red"})
    return Product(**{**fields, **changes})


def test_products_round_trip_with_their_vectors(tmp_path):
    store = ProductStore(tmp_path, SPACE_A)
    store.upsert(Encoded.each([_product("a"), _product("b", in_stock=False)], np.eye(3, dtype=np.float32)[:2],
                              ["f1", "f2"]))
    hits = store.query(np.array([1, 0.1, 0], np.float32), top_k=5)
    assert [h.product.id for h in hits] == ["a", "b"]
    assert hits[0].product == _product("a") and hits[0].score == pytest.approx(0.995, abs=1e-3)
    assert store.stored(["b", "zz"])["b"].fingerprints == ("f2",)
    np.testing.assert_allclose(store.vector("b"), [0, 1, 0])


def test_upsert_replaces_by_id_and_delete_counts_what_existed(tmp_path):
    store = ProductStore(tmp_path, SPACE_A)
    store.upsert(Encoded.each([_product("a")], np.eye(3, dtype=np.float32)[:1], ["f1"]))
    store.upsert(Encoded.each([_product("a", price=12.0)], np.eye(3, dtype=np.float32)[1:2], ["f2"]))
    assert store.count() == 1 and next(store.products()).price == 12.0
    assert store.delete(["a", "ghost"]) == 1 and store.count() == 0


def test_the_store_persists_across_clients(tmp_path):
    ProductStore(tmp_path, SPACE_A).upsert(Encoded.each([_product("a")], np.eye(3, dtype=np.float32)[:1], ["f1"]))
    assert ProductStore(tmp_path, SPACE_A).count() == 1


def test_opening_with_another_model_is_refused_naming_both(tmp_path):
    ProductStore(tmp_path, SPACE_A).upsert(Encoded.each([_product("a")], np.eye(3, dtype=np.float32)[:1], ["f1"]))
    with pytest.raises(StoreMismatchError) as refused:
        ProductStore(tmp_path, SPACE_B)
    assert "model-a (tag-1), 3-d" in str(refused.value) and "model-b, 4-d" in str(refused.value)
    with pytest.raises(StoreMismatchError, match="was built with model-a .* not with model-b"):
        ProductStore(tmp_path, SPACE_B, collection="products-model-a-tag-1")


def test_indexing_may_start_a_second_space_beside_the_first(tmp_path):
    ProductStore(tmp_path, SPACE_A).upsert(Encoded.each([_product("a")], np.eye(3, dtype=np.float32)[:1], ["f1"]))
    second = ProductStore(tmp_path, SPACE_B, for_indexing=True)
    assert second.count() == 0 and "model-a" in second.other_spaces()[0]


def test_new_collections_search_wide_for_recall(tmp_path):
    store = ProductStore(tmp_path, SPACE_A)
    client = chromadb.PersistentClient(path=str(tmp_path), settings=chromadb.Settings(anonymized_telemetry=False))
    assert client.get_collection(store.name).configuration["hnsw"]["ef_search"] == EF_SEARCH == 400


def test_colour_is_a_filterable_field(tmp_path):
    store = ProductStore(tmp_path, SPACE_A)
    store.upsert(Encoded.each([_product("a"), _product("b", attributes={"baseColour": "navy blue"})],
                 np.eye(3, dtype=np.float32)[:2], ["f1", "f2"]))
    assert [h.product.id for h in store.query(np.ones(3, np.float32), 5, {"colour": {"$eq": "Navy Blue"}})] == ["b"]
    assert store.facets()["colour"] == {"Red": 1, "Navy Blue": 1}
