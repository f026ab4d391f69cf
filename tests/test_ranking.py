import numpy as np
import pytest

from catalog.product import Product
from search.ranking import Filters, Hit, above_threshold, blend, rerank, to_where


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


def _hit(product_id, score, price, in_stock=True):
    return Hit(Product(product_id, "t", "b", "c", price, "USD", "i", in_stock=in_stock), score)


def test_rerank_weight_zero_keeps_the_similarity_order():
    hits = [_hit("a", 0.9, 10, False), _hit("b", 0.8, 10)]
    assert rerank(hits, 0.0) == hits


def test_rerank_puts_in_stock_and_close_prices_first_as_the_weight_grows():
    best = _hit("best", 0.90, 100)
    sold_out = _hit("sold-out", 0.89, 100, in_stock=False)
    far_price = _hit("far-price", 0.88, 400)
    close = _hit("close", 0.80, 95)
    # business: best 1.0, sold-out 0.5, far-price 0.5 + 0.5 * 100/400 = 0.625, close 0.5 + 0.5 * 95/100 = 0.975
    hits = [best, sold_out, far_price, close]
    # weight 0.1: 0.910, 0.851, 0.8545, 0.8175 -> only the price gap reorders the two runners-up
    assert [h.product.id for h in rerank(hits, 0.1)] == ["best", "far-price", "sold-out", "close"]
    # weight 0.5: 0.950, 0.695, 0.7525, 0.8875
    reordered = rerank(hits, 0.5)
    assert [h.product.id for h in reordered] == ["best", "close", "far-price", "sold-out"]
    assert [h.score for h in reordered] == [0.90, 0.80, 0.88, 0.89]  # scores stay the similarities
