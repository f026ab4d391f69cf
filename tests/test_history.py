"""A shopper's recent views: kept in their browser (see test_page.py), read back here into cards and suggestions."""
from search.config import Settings
from search.ranking import Filters
from storefront.front import Storefront


def _storefront(tiny_service, tmp_path):
    return Storefront(Settings.of(store=tiny_service.store.location, model="test-tiny", precision="fp32"))


def test_recent_views_skip_deleted_products_and_suggestions_skip_the_views(tiny_service, tmp_path):
    storefront = _storefront(tiny_service, tmp_path)
    viewed = ["demo-0105", "demo-0000-gone", "demo-0203"]
    cards = storefront.recently_viewed(viewed)
    assert [card.title for card in cards.cards] == ["Kestrel Red Striped Coffee Mug",
                                                    tiny_service.store.stored(["demo-0203"])["demo-0203"].product.title]
    assert cards.cards[0].facts == "Kestrel · 25.00 USD" and cards.cards[0].why == ()  # a view has no match score
    inspired = storefront.inspired_by(viewed)
    assert len(inspired.ids) == 8 and not set(inspired.ids) & set(viewed)
    only_caps = storefront.inspired_by(viewed, Filters(categories=("Caps",)))
    stored = tiny_service.store.stored(only_caps.ids)
    assert only_caps.ids and {item.product.category for item in stored.values()} == {"Caps"}
    assert storefront.inspired_by(["demo-0000-gone"]).ids == []
