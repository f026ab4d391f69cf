import threading

import numpy as np
import pytest

from search.ranking import Filters, Ranking, to_where
from search.service import Query, SearchService
from search.store.collection import Encoded, ProductStore
from search.store.columns import FILTER_FIELDS, Column, where_mask, where_rows
from search.store.exact import ExactIndex

ROWS = {"brand": ["A", "B", "A", "C"], "price": [5.0, 20.0, 50.0, 80.0], "in_stock": [True, False, True, True],
        "category": ["x"] * 4, "colour": ["Red", "Red", "", "Navy"]}
COLUMNS = {name: Column(values, FILTER_FIELDS[name]) for name, values in ROWS.items()}


def test_where_mask_reads_what_to_where_writes():
    where = to_where(Filters(brands=("A", "C"), min_price=10, max_price=80, in_stock_only=True))
    assert where_mask(where, COLUMNS).tolist() == [False, False, True, True]
    assert where_rows(where, COLUMNS).tolist() == [2, 3]  # each clause read on the rows the ones before kept
    assert where_rows({"price": {"$lte": 50.0}}, COLUMNS, rows=np.array([1, 3])).tolist() == [1]
    assert where_mask(to_where(Filters(colours=("Red",))), COLUMNS).tolist() == [True, True, False, False]
    assert not where_mask(to_where(Filters(brands=("Z",))), COLUMNS).any()  # a value no row has
    many = tuple("ACDEFGHIJKZ")  # past the few compared one by one
    assert where_mask(to_where(Filters(brands=many)), COLUMNS).tolist() == [True, False, True, True]
    with pytest.raises(ValueError, match=r"\$ne is not supported"):
        where_mask({"brand": {"$ne": "A"}}, COLUMNS)


def test_search_is_exact_cosine_and_follows_upserts_and_deletes():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(500, 16)).astype(np.float32)
    index = ExactIndex(16)
    index.upsert([f"p{i}" for i in range(500)], vectors, [{"brand": "A" if i % 2 else "B", "price": float(i)}
                                                           for i in range(500)])
    query = rng.normal(size=16).astype(np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    truth = np.argsort(-(unit @ (query / np.linalg.norm(query))))
    assert [i for i, _, _ in index.search(query, 10)] == [f"p{row}" for row in truth[:10]]
    odd = [f"p{row}" for row in truth if row % 2][:5]
    assert [i for i, _, _ in index.search(query, 5, {"brand": {"$eq": "A"}})] == odd
    index.delete([f"p{truth[0]}"])
    assert f"p{truth[0]}" not in [i for i, _, _ in index.search(query, 10)]
    index.upsert(["new"], query[None, :] * 3, [{"brand": "C"}])
    best, metadata, best_score = index.search(query, 1)[0]
    assert (best, metadata) == ("new", {"brand": "C"}) and best_score == pytest.approx(1.0)
    assert len(index) == 500 and index.vectors.shape == (500, 16)  # 500 - 1 + 1, room kept beyond


def test_the_store_answers_the_same_exactly_from_memory_as_from_chroma(tiny_service, demo_feed):
    from_chroma = SearchService(tiny_service.encoder, ProductStore(  # beyond the limit: Chroma's index answers
        tiny_service.store.location, tiny_service.encoder.info, exact_limit=0))
    photo = demo_feed.parent / "images" / "demo-0105.png"
    for filters in (Filters(), Filters(brands=("Lumen", "Sora"), max_price=90), Filters(colours=("Red",))):
        exact = tiny_service.search(Query(image=photo), filters, Ranking(top_k=8, min_score=-1.0)).hits
        approximate = from_chroma.search(Query(image=photo), filters, Ranking(top_k=8, min_score=-1.0)).hits
        assert from_chroma.store.replica.held is None and tiny_service.store.replica.held is not None
        assert [h.product.id for h in exact] == [h.product.id for h in approximate]
        assert [h.score for h in exact] == pytest.approx([h.score for h in approximate], abs=1e-4)
        assert [h.product for h in exact] == [h.product for h in approximate]


def test_a_warm_store_lists_its_products_from_memory_as_they_are_in_chroma(tiny_service):
    cold = ProductStore(tiny_service.store.location, tiny_service.encoder.info)
    from_chroma = sorted(cold.products(), key=lambda p: p.id)
    cold.warm()
    assert cold.replica.held is not None and sorted(cold.products(), key=lambda p: p.id) == from_chroma


def test_rows_added_batch_by_batch_keep_their_vectors_past_the_first_allocation():
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(3000, 8)).astype(np.float32)
    index = ExactIndex(8)
    for start in range(0, 3000, 32):
        index.upsert([str(i) for i in range(start, min(start + 32, 3000))], vectors[start:start + 32],
                     [{}] * len(vectors[start:start + 32]))
    np.testing.assert_allclose(index.vectors, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), rtol=1e-6)
    assert index.search(vectors[2999], 1)[0][0] == "2999"


def test_a_large_scan_through_the_4_bit_copy_gives_the_float32_results(monkeypatch):
    import search.store.exact

    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(3000, 64)).astype(np.float32)
    queries = rng.normal(size=(20, 64)).astype(np.float32)
    index = ExactIndex(64)
    index.upsert([f"p{i}" for i in range(3000)], vectors, [{"brand": "AB"[i % 2], "price": float(i)}
                                                           for i in range(3000)])
    where = {"$and": [{"brand": {"$eq": "A"}}, {"price": {"$gte": 100.0}}]}
    exact = [index.search_many(queries, 10), index.search_many(queries, 10, where)]
    monkeypatch.setattr(search.store.exact, "COARSE_FROM", 100)
    monkeypatch.setattr(search.store.exact, "COARSE_POOL", 200)
    coarse_calls = []
    monkeypatch.setattr(ExactIndex, "_coarse_top", lambda self, *a, original=ExactIndex._coarse_top:
                        coarse_calls.append(1) or original(self, *a))
    coarse = [[index.search(query, 10, chosen) for query in queries] for chosen in (None, where)]
    assert len(coarse_calls) == 40 and index.search_many(queries, 10) == exact[0]  # a batch goes exact
    assert len(coarse_calls) == 40
    for plain, through_copy in zip(exact, coarse):
        for row_plain, row_copy in zip(plain, through_copy):
            assert [i for i, _, _ in row_copy] == [i for i, _, _ in row_plain]
            assert [s for _, _, s in row_copy] == pytest.approx([s for _, _, s in row_plain], abs=1e-6)
    assert all(int(i[1:]) % 2 == 0 and int(i[1:]) >= 100 for i, _, _ in coarse[1][0])


def test_the_4_bit_copy_follows_appended_changed_and_deleted_rows_without_packing_the_rest_again(monkeypatch):
    import search.store.exact
    from search.store.coarse import Int4Copy

    monkeypatch.setattr(search.store.exact, "COARSE_FROM", 100)
    monkeypatch.setattr(search.store.exact, "COARSE_POOL", 50)
    rng = np.random.default_rng(13)
    vectors = rng.normal(size=(1000, 32)).astype(np.float32)
    index = ExactIndex(32)
    index.upsert([str(i) for i in range(990)], vectors[:990], [{}] * 990)
    query = rng.normal(size=32).astype(np.float32)
    index.search(query, 5)
    copy, repacked = index._coarse, []
    monkeypatch.setattr(Int4Copy, "update", lambda self, vectors, changed, original=Int4Copy.update:
                        repacked.append({r for r in changed if r < self.rows}) or original(self, vectors, changed))
    index.upsert([str(i) for i in range(990, 1000)], vectors[990:], [{}] * 10)  # an ingest's next batch
    index.upsert(["500"], query[None, :], [{}])  # a product whose photo changed now matches best
    index.upsert(["7"], vectors[7:8], [{"price": 3.0}])  # a new price, the same photo
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    unit[500] = query / np.linalg.norm(query)
    truth = [str(row) for row in np.argsort(-(unit @ unit[500]))[:5]]
    assert [i for i, _, _ in index.search(query, 5)] == truth and truth[0] == "500"
    assert index._coarse is copy and repacked == [{500}]  # of the rows it held; row 7's photo is the same
    gone = {truth[1], "12", "999"}
    index.delete(sorted(gone))  # the last rows move into their places
    kept = [row for row in range(1000) if str(row) not in gone]
    assert sorted(index.ids, key=int) == [str(row) for row in kept]
    for probe in (query, unit[12], unit[300]):
        expected = [str(kept[i]) for i in np.argsort(-(unit[kept] @ probe))[:5]]
        assert [i for i, _, _ in index.search(probe, 5)] == expected
    assert index._coarse is copy and len(repacked) == 2 and len(repacked[1]) <= 3


@pytest.mark.parametrize("rows, dim", [(1000, 512), (37, 320), (20, 100)])
def test_the_4_bit_copy_scores_every_row_within_its_error_whatever_the_shape(rows, dim):
    """Rows are packed 64 at a time and values in groups of 32: other shapes are padded, and the padding never
    shows. Scores come shifted by the query's product with the mean row, the same for every row."""
    from search.store.coarse import Int4Copy

    rng = np.random.default_rng(rows)
    vectors = rng.normal(size=(rows, dim)).astype(np.float32) + 2 * rng.normal(size=dim).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = vectors[3] + 0.3 / np.sqrt(dim) * rng.normal(size=dim).astype(np.float32)
    query /= np.linalg.norm(query)
    scores = Int4Copy(vectors).scores(query).numpy()
    truth = (vectors - vectors.mean(axis=0)) @ query
    assert scores.shape == (rows,)
    assert np.abs(scores - truth).max() < 0.03
    assert np.abs(scores - truth).mean() < 0.005
    assert np.argmax(scores) == 3


def test_without_the_int4_kernel_a_large_scan_is_exact_in_float32(monkeypatch):
    import search.store.coarse
    import search.store.exact

    rng = np.random.default_rng(12)
    vectors = rng.normal(size=(400, 32)).astype(np.float32)
    index = ExactIndex(32)
    index.upsert([str(i) for i in range(400)], vectors, [{}] * 400)
    monkeypatch.setattr(search.store.exact, "COARSE_FROM", 100)
    monkeypatch.setattr(search.store.coarse, "AVAILABLE", False)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert [i for i, _, _ in index.search(vectors[7], 5)] == [str(r) for r in np.argsort(-(unit @ unit[7]))[:5]]
    assert index._coarse is None


def _three_of_four_held(folder, info) -> tuple[ProductStore, list, np.ndarray]:
    """A store of three of four products (one unit vector each), its in-memory copies loaded; the fourth is for
    another writer to add."""
    from catalog.product import Product

    vectors = np.eye(4, info.dim, dtype=np.float32)
    products = [Product(f"p{i}", f"Item {i}", "Sora", "Mugs", 1.0 + i, "USD", "/x.png") for i in range(4)]
    shop = ProductStore(folder, info)
    shop.upsert(Encoded.each(products[:3], vectors[:3], ["f"] * 3))
    shop.warm()
    return shop, products, vectors


def test_chromas_count_is_asked_only_after_the_database_changed(tmp_path, tiny_encoder, monkeypatch):
    """The count took 56 ms at 100,000 products: a store nobody writes to never asks it again; a write by
    another writer (another process, or as here another store object) is seen at the next query."""
    import search.store.replica

    monkeypatch.setattr(search.store.replica, "SYNC_S", 0.0)
    shop, products, vectors = _three_of_four_held(tmp_path, tiny_encoder.info)
    counts, count = [], shop.chroma.count
    monkeypatch.setattr(shop.chroma, "count", lambda: counts.append(1) or count())
    for _ in range(3):
        shop.query(vectors[0], 1)
    assert counts == []

    ProductStore(tmp_path, tiny_encoder.info).upsert(Encoded.each(products[3:], vectors[3:], ["f"]))
    assert shop.query(vectors[3], 1)[0].product.id == "p3" and counts == [1]


def test_a_product_another_writer_deleted_is_gone_at_the_first_ask_for_its_pictures(tmp_path, tiny_encoder,
                                                                                    monkeypatch):
    """"More like this" starts from the product's stored pictures: read from the copy as it was, a product another
    process had deleted was still searched from, and said gone only at the next ask (bench/idle.py: 2.4 s)."""
    import search.store.replica

    monkeypatch.setattr(search.store.replica, "SYNC_S", 0.0)
    shop, products, vectors = _three_of_four_held(tmp_path, tiny_encoder.info)
    assert set(shop.picture_vectors(["p0", "p1"])) == {"p0", "p1"}
    ProductStore(tmp_path, tiny_encoder.info).delete(["p1"])
    assert set(shop.picture_vectors(["p0", "p1"])) == {"p0"}


def test_while_another_process_writes_the_store_searches_use_the_copy_and_catch_up_once_it_is_done(
        tmp_path, tiny_encoder, monkeypatch):
    """Chroma's embedded reader is not safe while another process writes (an app died reading a store that a 10,000
    product index run was writing): the copy is searched as it is meanwhile, without a read of Chroma."""
    import search.store.replica
    from search.store.writer_lock import WriterLock

    monkeypatch.setattr(search.store.replica, "SYNC_S", 0.0)
    shop, products, vectors = _three_of_four_held(tmp_path, tiny_encoder.info)
    ProductStore(tmp_path, tiny_encoder.info).upsert(Encoded.each(products[3:], vectors[3:], ["f"]))
    asked, news = [], shop.chroma.news
    monkeypatch.setattr(shop.chroma, "news", lambda seen: asked.append(seen) or news(seen))
    with WriterLock(tmp_path).held():  # a lock of its own, as another process's index run holds it
        assert shop.query(vectors[3], 1)[0].product.id != "p3" and asked == []
    assert shop.query(vectors[3], 1)[0].product.id == "p3" and len(asked) == 1


def test_an_in_place_update_by_another_process_is_seen_without_loading_everything_again(tmp_path, tiny_encoder,
                                                                                         monkeypatch):
    """Another process renames and re-prices one product and gives another a new picture (the count stays): an
    embedded reader takes the rows of a later revision only, into its exact and keyword indexes; then another
    deletes one, and the reader forgets it without loading the rest again."""
    import dataclasses
    import json

    import forked
    import search.store.replica
    from conftest import ROOT

    monkeypatch.setattr(search.store.replica, "SYNC_S", 0.0)
    shop, _, vectors = _three_of_four_held(tmp_path / "store", tiny_encoder.info)
    assert shop.query(vectors[1], 1)[0].product.title == "Item 1" and not shop.keyword_search("lantern", 3)
    loaded = shop.replica.generation
    writer = tmp_path / "writer.py"
    writer.write_text(
        "import json, sys\nimport numpy as np\nfrom catalog.product import Product\n"
        "from search.encoders.base import EncoderInfo\nfrom search.store.collection import Encoded, ProductStore\n"
        f"store = ProductStore({str(tmp_path / 'store')!r}, EncoderInfo(**json.loads(sys.argv[1])))\n"
        "store.update_metadata([Product('p1', 'Brass Lantern', 'Sora', 'Lamps', 9.5, 'USD', '/x.png')], [('f',)])\n"
        f"moved = np.eye(4, {tiny_encoder.info.dim}, dtype=np.float32)[3:]\n"
        "store.upsert(Encoded.each([Product('p2', 'Item 2', 'Sora', 'Mugs', 3.0, 'USD', '/x.png')], moved, ['g']))\n")
    wrote = forked.run([str(writer), json.dumps(dataclasses.asdict(tiny_encoder.info))], cwd=ROOT)
    assert wrote.returncode == 0, wrote.stderr
    renamed = shop.query(vectors[1], 1)[0].product
    assert (renamed.title, renamed.category, renamed.price) == ("Brass Lantern", "Lamps", 9.5)
    [moved] = shop.query(vectors[3], 1)
    assert moved.product.id == "p2" and moved.score == pytest.approx(1.0, abs=1e-5)
    assert [hit.product.id for hit in shop.keyword_search("lantern", 3)] == ["p1"]
    assert shop.replica.generation == loaded  # three rows fetched, not the whole store again
    ProductStore(tmp_path / "store", tiny_encoder.info).delete(["p0"])  # the count tells, the ids say which
    assert "p0" not in {hit.product.id for hit in shop.query(vectors[0], 3)} and not shop.keyword_search("p0", 3)
    assert shop.replica.generation == loaded and len(shop.replica.exact()) == 2


def test_the_filter_columns_follow_changes_in_place_and_deletions_as_if_built_again():
    """Re-priced, re-branded (to a brand never seen) and deleted rows change the columns where they are; a filtered
    search then keeps exactly the rows a fresh build would."""
    from search.store.columns import FILTER_FIELDS

    rng = np.random.default_rng(21)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    brands = ["Sora", "Kestrel", "Lumen"]
    metadata = [{"brand": brands[i % 3], "price": float(i), "colour": "Red"} for i in range(60)]
    index = ExactIndex(8)
    index.upsert([str(i) for i in range(60)], vectors, metadata)
    where = {"$and": [{"brand": {"$in": ["Sora", "Fjell"]}}, {"price": {"$lte": 40.0}}]}
    for step in range(30):
        index.search(vectors[0], 5, where)  # the columns exist, so the changes below must keep them right
        victim = str(rng.choice(index.ids))
        if step % 3 == 0:
            index.delete([victim])
        elif step % 3 == 1:
            index.update_metadata([victim], [{"brand": "Fjell", "price": float(rng.integers(0, 80))}])
        else:
            row = index.ids.index(victim)
            index.upsert([victim], index.vectors[row:row + 1], [{"brand": "Sora", "price": 5.0, "in_stock": False}])
        assert index._columns is not None  # followed, not dropped to be built again
        for name, default in FILTER_FIELDS.items():
            kept = index._columns[name]
            decoded = [value if kept.codes is None else {c: v for v, c in kept.codes.items()}[value]
                       for value in kept.values.tolist()]
            assert list(map(repr, decoded)) == [repr(m.get(name, default)) for m in index.metadatas], (step, name)
        passing = [i for i, m in zip(index.ids, index.metadatas)
                   if m.get("brand") in ("Sora", "Fjell") and m.get("price", np.nan) <= 40]
        assert {i for i, _, _ in index.search(vectors[0], 60, where)} == set(passing), step


def _clustered(rng, clusters: int, per_cluster: int, dim: int) -> np.ndarray:
    centres = rng.normal(size=(clusters, dim))
    vectors = np.repeat(centres, per_cluster, axis=0) + 0.6 * rng.normal(size=(clusters * per_cluster, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _true_top(index: ExactIndex, query: np.ndarray, k: int, keep=lambda metadata: True) -> list[str]:
    """Brute force in float32 over the rows the index holds now."""
    rows = [row for row, metadata in enumerate(index.metadatas) if keep(metadata)]
    scores = index.vectors[rows].astype(np.float32) @ query
    return [index.ids[rows[i]] for i in np.argsort(-scores)[:k]]


def _recall(found: list[tuple], truth: list[str]) -> float:
    return len({i for i, _, _ in found} & set(truth)) / len(truth)


@pytest.fixture
def large_index(monkeypatch):
    """An index past LARGE_FROM (made small here): float16 vectors searched through 40 cells of about 100 rows."""
    from search.store import cells, exact

    monkeypatch.setattr(exact, "LARGE_FROM", 1_000)
    monkeypatch.setattr(exact, "FILTERED_SCAN", 300)
    monkeypatch.setattr(cells, "CELL_ROWS", 100)
    rng = np.random.default_rng(5)
    vectors = _clustered(rng, clusters=40, per_cluster=100, dim=32)
    index = ExactIndex(32)
    index.upsert([f"p{i}" for i in range(len(vectors))], vectors,
                 [{"brand": f"b{i % 20}", "price": float(i % 100)} for i in range(len(vectors))])
    index.prepare()  # as a store's `warm` does: the first cells learnt now
    return index, vectors, rng


def test_a_large_index_not_prepared_answers_from_every_row_while_its_first_cells_are_learnt(monkeypatch):
    from search.store import cells, exact

    monkeypatch.setattr(exact, "LARGE_FROM", 1_000)
    monkeypatch.setattr(cells, "CELL_ROWS", 100)
    rng = np.random.default_rng(8)
    vectors = _clustered(rng, clusters=20, per_cluster=100, dim=32)
    index = ExactIndex(32)
    index.upsert([f"p{i}" for i in range(len(vectors))], vectors, [{}] * len(vectors))
    learning = threading.Event()
    monkeypatch.setattr(cells.Cells, "of", None)  # never learnt in the query's own thread
    original = cells.Cells.update

    def held(self, *args, **kwargs):  # the learning thread waits until the query below has been answered
        learning.wait(timeout=60)
        original(self, *args, **kwargs)
    monkeypatch.setattr(cells.Cells, "update", held)
    query = _photos_of(vectors, np.array([3]), rng)[0]
    assert [i for i, _, _ in index.search(query, 10)] == _true_top(index, query, 10)  # every row scored
    assert index._cells is None and index._retraining is not None
    learning.set()
    index._retraining.join(timeout=60)
    assert index._cells is not None and index._cells.rows == len(index)


def _photos_of(vectors: np.ndarray, rows: np.ndarray, rng) -> np.ndarray:
    """Queries as a shopper's photos of these products: cosine about 0.95 to each."""
    near = vectors[rows] + 0.3 / np.sqrt(vectors.shape[1]) * rng.normal(size=(len(rows), vectors.shape[1]))
    return (near / np.linalg.norm(near, axis=1, keepdims=True)).astype(np.float32)


def test_a_large_index_holds_float16_and_reads_only_the_nearest_cells_for_the_true_top_10(large_index):
    index, vectors, rng = large_index
    assert index.large and index.vectors.dtype == np.float16
    assert index.nbytes < vectors.nbytes * 0.6  # half the float32 size, and the cells' few bytes a row
    rows = rng.integers(0, len(vectors), 60)
    recalls = []
    for row, query in zip(rows, _photos_of(vectors, rows, rng)):
        found = index.search(query, 10)
        assert found[0][0] == f"p{row}" and found[0][2] == pytest.approx(float(vectors[row] @ query), abs=1e-3)
        recalls.append(_recall(found, _true_top(index, query, 10)))
        assert len(index._cells.candidates(query)) < len(index) / 3  # sub-linear: a few cells, not every row
    assert np.mean(recalls) >= 0.99


def test_a_large_index_filters_exactly_whether_the_filter_is_narrow_or_wide(large_index):
    index, vectors, rng = large_index
    rows = rng.integers(0, len(vectors), 40)
    narrow = {"$and": [{"brand": {"$eq": "b3"}}, {"price": {"$lte": 50.0}}]}  # 100 of 4,000 rows: all scored
    wide = {"price": {"$gte": 30.0}}  # 70%: through the cells
    recalls = {"narrow": [], "wide": []}
    for query in _photos_of(vectors, rows, rng):
        found = index.search(query, 10, narrow)
        assert found == [hit for hit in found if hit[1]["brand"] == "b3" and hit[1]["price"] <= 50]
        recalls["narrow"].append(_recall(found, _true_top(
            index, query, 10, lambda m: m["brand"] == "b3" and m["price"] <= 50)))
        found = index.search(query, 10, wide)
        assert all(metadata["price"] >= 30 for _, metadata, _ in found) and len(found) == 10
        recalls["wide"].append(_recall(found, _true_top(index, query, 10, lambda m: m["price"] >= 30)))
    assert np.mean(recalls["narrow"]) == 1.0 and np.mean(recalls["wide"]) >= 0.99


def test_a_large_index_follows_moved_deleted_and_added_products_and_trains_again_when_doubled(large_index):
    index, vectors, rng = large_index
    index.search(vectors[0], 10)  # the cells exist before the changes
    first_cells = index._cells
    moved = [f"p{i}" for i in range(0, 4000, 97)]
    elsewhere = _clustered(rng, clusters=1, per_cluster=len(moved), dim=32)  # a kind of product never seen
    index.upsert(moved, elsewhere, [{"brand": "moved", "price": 1.0}] * len(moved))
    gone = [f"p{i}" for i in range(5, 4000, 89) if f"p{i}" not in moved]
    index.delete(gone)
    for product_id, vector in zip(moved, elsewhere):
        found = index.search(vector, 10)
        assert found[0][0] == product_id and found[0][2] == pytest.approx(1.0, abs=1e-3)
        assert _recall(found, _true_top(index, vector, 10)) >= 0.9
    rows = rng.integers(0, len(index), 30)
    for query in _photos_of(index.vectors.astype(np.float32), rows, rng):
        assert not {i for i, _, _ in index.search(query, 10)} & set(gone)
    assert index._cells is first_cells  # placed in the cells they had, not trained again
    added = _clustered(rng, clusters=40, per_cluster=110, dim=32)
    index.upsert([f"n{i}" for i in range(len(added))], added, [{"brand": "new", "price": 2.0}] * len(added))
    assert index.search(added[7], 3)[0][0] == "n7"  # placed in the old cells while new ones are learnt
    index._retraining.join(timeout=60)
    assert index._cells is not first_cells and index._cells.trained_rows == len(index)
    assert index.search(added[8], 3)[0][0] == "n8"


def test_cells_learnt_again_in_the_background_take_the_changes_made_meanwhile(large_index, monkeypatch):
    from search.store import cells

    index, vectors, rng = large_index
    index.search(vectors[0], 10)
    learning, go_on = threading.Event(), threading.Event()

    class Slow(cells.Cells):
        """Holds on once it has placed the rows outside the index's lock, so the changes below come after that."""
        def update(self, *args, **kwargs):
            super().update(*args, **kwargs)
            if not learning.is_set():
                learning.set()
                go_on.wait(timeout=60)

    monkeypatch.setattr(cells, "Cells", Slow)
    more = _clustered(rng, clusters=40, per_cluster=110, dim=32)
    index.upsert([f"n{i}" for i in range(len(more))], more, [{"brand": "new", "price": 2.0}] * len(more))
    index.search(more[0], 3)  # starts learning the cells again
    assert learning.wait(timeout=60)
    moved = [f"n{i}" for i in range(0, len(more), 50)]
    elsewhere = _clustered(rng, clusters=1, per_cluster=len(moved), dim=32)
    index.upsert(moved, elsewhere, [{"brand": "moved", "price": 1.0}] * len(moved))  # while it learns
    gone = [f"p{i}" for i in range(0, 4000, 7)]
    index.delete(gone)
    index.upsert(["late"], more[:1] * -1, [{"brand": "late", "price": 3.0}])
    go_on.set()
    index._retraining.join(timeout=60)
    assert isinstance(index._cells, Slow) and index._cells.rows == len(index)
    # every row, those changed while the cells were learnt included, sits in the cell nearest to it now
    np.testing.assert_array_equal(index._cells._cell, index._cells._nearest(index.vectors))
    for product_id, vector in [*zip(moved, elsewhere), ("late", -more[0])]:
        assert index.search(vector, 10)[0][0] == product_id
    kept = np.array([row for row, i in enumerate(index.ids) if i.startswith("p")])  # in kinds the cells learnt
    for query in _photos_of(index.vectors.astype(np.float32), rng.choice(kept, 30), rng):
        found = index.search(query, 10)
        assert not {i for i, _, _ in found} & set(gone) and _recall(found, _true_top(index, query, 10)) >= 0.9


def test_a_large_index_emptied_to_a_few_rows_still_answers_from_all_of_them(large_index):
    index, vectors, rng = large_index
    index.search(vectors[0], 10)
    kept = [f"p{i}" for i in range(0, 4000, 300)]  # 14 rows, scattered over cells that are now nearly empty
    index.delete([i for i in list(index.ids) if i not in kept])
    query = _photos_of(vectors, np.array([0]), rng)[0]
    assert [i for i, _, _ in index.search(query, 10)] == _true_top(index, query, 10)


def test_cells_whose_learning_failed_are_learnt_again_by_a_later_query(large_index, monkeypatch):
    from search.store import cells

    index, vectors, rng = large_index
    first_cells = index._cells
    reported = []
    monkeypatch.setattr(threading, "excepthook", reported.append)  # where the thread's error is told
    learn = cells.Cells.__init__

    def fails(self, *args, **kwargs):
        raise MemoryError("no room for the centres")
    monkeypatch.setattr(cells.Cells, "__init__", fails)
    more = _clustered(rng, clusters=40, per_cluster=110, dim=32)
    index.upsert([f"n{i}" for i in range(len(more))], more, [{}] * len(more))
    index.search(more[0], 3)
    index._retraining.join(timeout=60)
    assert index._retraining is None and index._cells is first_cells  # the old cells go on answering
    assert [type(error.exc_value) for error in reported] == [MemoryError]
    monkeypatch.setattr(cells.Cells, "__init__", learn)
    assert index.search(more[1], 3)[0][0] == "n1"
    index._retraining.join(timeout=60)
    assert index._cells is not first_cells and index._cells.trained_rows == len(index)
