"""How many products the exact copy may hold follows this machine's memory and each product's measured size."""
import pytest

from catalog.formats import read_feed
from search.store import memory
from search.store.collection import ProductStore, picture_rows

GIB = 2**30


def test_a_demo_products_details_take_about_what_the_limit_counts_for_them(demo_feed):
    products = [item.product for item in read_feed(demo_feed) if hasattr(item, "product")]
    revision = {"revision": 1_764_512_345_678_901_234}
    rows = [{**picture_rows(p, ["f" * 64])[0], **revision} for p in products]
    held = [memory.held_bytes(p.id) + memory.held_bytes(row) for p, row in zip(products, rows)]
    assert len(held) > 100
    assert sum(held) / len(held) == pytest.approx(memory.DETAILS_BYTES, rel=0.15)


def test_the_limit_is_what_half_the_memory_holds_at_each_products_size():
    per_product = 2 * 512 + 12 + memory.DETAILS_BYTES
    assert memory.bytes_per_product(512) == per_product
    assert memory.exact_limit(512, memory=8 * GIB) == 4 * GIB // per_product
    assert memory.exact_limit(1024, memory=8 * GIB) < memory.exact_limit(512, memory=8 * GIB)
    assert memory.exact_limit(512, memory=16 * GIB) == pytest.approx(2 * memory.exact_limit(512, memory=8 * GIB), abs=1)


def test_a_containers_memory_limit_counts_where_one_is_set(tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "_CGROUP_LIMITS", ())
    physical = memory.memory_available()
    limit = tmp_path / "memory.max"
    monkeypatch.setattr(memory, "_CGROUP_LIMITS", (limit,))
    limit.write_text("2147483648\n")
    assert memory.memory_available() == 2 * GIB < physical
    limit.write_text("max\n")  # cgroup v2's "no limit"
    assert memory.memory_available() == physical


def test_a_store_takes_its_limit_from_memory_unless_told(tiny_service):
    location, info = tiny_service.store.location, tiny_service.encoder.info
    assert ProductStore(location, info).replica.limit == memory.exact_limit(info.dim) > 100_000
    assert ProductStore(location, info, exact_limit=5).replica.limit == 5


def test_a_store_past_its_limit_says_so_once_not_on_every_write(tiny_service, monkeypatch, caplog):
    from search.store import replica

    store = ProductStore(tiny_service.store.location, tiny_service.encoder.info, exact_limit=5)
    signals = iter(range(100))
    monkeypatch.setattr(store.chroma, "news", lambda seen: next(signals))  # a write before every check
    monkeypatch.setattr(replica, "SYNC_S", 0.0)
    with caplog.at_level("WARNING", logger="search.store"):
        for _ in range(3):
            assert store.replica.synced() is None  # Chroma's own index answers
    said = [r.getMessage() for r in caplog.records if "more than the 5 its exact copy may hold" in r.getMessage()]
    assert len(said) == 1 and "PRODUCT_SEARCH_EXACT_LIMIT" in said[0]

