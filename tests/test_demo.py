import hashlib

from catalog.formats import FeedRow, read_feed
from conftest import run_cli


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_catalog_is_large_varied_and_valid(demo_feed):
    items = list(read_feed(demo_feed))
    assert all(isinstance(i, FeedRow) for i in items)
    products = [i.product for i in items]
    assert len(products) >= 200
    assert len({p.category for p in products}) >= 8 and len({p.brand for p in products}) >= 10
    assert all(0 < p.price < 1000 for p in products)
    pictures = {hashlib.sha256((demo_feed.parent / p.image).read_bytes()).hexdigest() for p in products}
    assert len(pictures) == len(products), "every product has its own picture"


def test_cli_writes_the_same_catalog_every_time(tmp_path, demo_feed):
    result = run_cli("catalog", "demo", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert _digest(tmp_path / "out") == _digest(demo_feed.parent)
    assert (tmp_path / "out" / "products.csv").read_text().startswith("id,title,brand,category,price,currency,image")
