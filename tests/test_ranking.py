import numpy as np
import pytest

from catalog.product import Product
from search.ranking import Filters, above_threshold, blend, to_where
from search.store import Hit


def test_no_filter_means_no_where_clause():
    assert to_where(Filters()) is None


def test_filters_combine_into_one_where_clause():
    where = to_where(Filters(brands=("A", "B"), categories=("Mugs",), min_price=5, max_price=20, in_stock_only=True))
    assert where == {"$and": [{"brand": {"$in": ["A", "B"]}}, {"category": {"$in": ["Mugs"]}},
                              {"price": {"$gte": 5.0}}, {"price": {"$lte": 20.0}}, {"in_stock": {"$eq": True}}]}
    assert to_where(Filters(max_price=9)) == {"price": {"$lte": 9.0}}


def test_blend_weights_and_renormalises():
    image, text = np.array([1, 0], np.float32), np.array([0, 1], np.float32)
    np.testing.assert_allclose(blend(image, text, 0.5), [0.7071, 0.7071], atol=1e-4)
    np.testing.assert_allclose(blend(image, text, 0.0), image)
    np.testing.assert_allclose(blend(None, text, 0.9), text)
    with pytest.raises(ValueError, match="cancel out"):
        blend(image, -image, 0.5)


def test_threshold_keeps_order_and_drops_low_scores():
    product = Product("a", "t", "b", "c", 1.0, "USD", "i")
    hits = [Hit(product, 0.9), Hit(product, 0.5), Hit(product, 0.2)]
    assert [h.score for h in above_threshold(hits, 0.5)] == [0.9, 0.5]
