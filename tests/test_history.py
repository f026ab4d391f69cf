"""A shopper's recent views: kept in their browser (see test_page.py), read back here into cards and suggestions."""
import stat

from search.config import Settings
from search.ranking import Filters
from storefront.front import Storefront


def _storefront(tiny_service, tmp_path):
    return Storefront(Settings(store=tiny_service.store.location, model="test-tiny", precision="fp32",
                               browser_secret_file=tmp_path / "secret"))


def test_recent_views_skip_deleted_products_and_suggestions_skip_the_views(tiny_service, tmp_path):
    storefront = _storefront(tiny_service, tmp_path)
    viewed = ["demo-0105", "demo-0000-gone", "demo-0203"]
    cards = storefront.recently_viewed(viewed)
    assert [caption for _, caption in cards] == ["Kestrel Red Striped Coffee Mug",
                                                 tiny_service.store.stored(["demo-0203"])["demo-0203"].product.title]
    inspired = storefront.inspired_by(viewed)
    assert len(inspired.ids) == 8 and not set(inspired.ids) & set(viewed)
    only_caps = storefront.inspired_by(viewed, Filters(categories=("Caps",)))
    stored = tiny_service.store.stored(only_caps.ids)
    assert only_caps.ids and {item.product.category for item in stored.values()} == {"Caps"}
    assert storefront.inspired_by(["demo-0000-gone"]).ids == []


def test_the_browser_key_is_made_once_kept_private_and_read_by_every_process(tiny_service, tmp_path):
    first = _storefront(tiny_service, tmp_path).browser_secret()
    assert len(first) >= 40 and stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert _storefront(tiny_service, tmp_path).browser_secret() == first  # a restart reads the same key
