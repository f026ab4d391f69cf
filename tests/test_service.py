import itertools

import numpy as np
import pytest

from catalog.formats import read_feed
from search.images import load_image
from search.ranking import Filters, Ranking
from search.service import Query, QueryError, SearchService


@pytest.fixture(scope="module")
def catalog(demo_feed):
    return [row.product for row in read_feed(demo_feed)]


FILTERS = [
    Filters(brands=("Lumen",)),
    Filters(brands=("Lumen", "Sora"), categories=("Mugs", "Caps")),
    Filters(min_price=20, max_price=60),
    Filters(in_stock_only=True, categories=("Watches",)),
    Filters(brands=("Kestrel",), min_price=50, in_stock_only=True),
    Filters(colours=("Red", "Navy"), categories=("Mugs", "Sneakers")),
]


def _expected(catalog, filters):
    return {p.id for p in catalog
            if (not filters.brands or p.brand in filters.brands)
            and (not filters.categories or p.category in filters.categories)
            and (filters.min_price is None or p.price >= filters.min_price)
            and (filters.max_price is None or p.price <= filters.max_price)
            and (not filters.in_stock_only or p.in_stock)
            and (not filters.colours or p.colour in filters.colours)}


@pytest.mark.parametrize("filters", FILTERS)
def test_filters_give_exactly_the_brute_force_set(tiny_service, catalog, demo_feed, filters):
    photo = demo_feed.parent / catalog[0].image
    response = tiny_service.search(Query(image=photo), filters, ranking=Ranking(top_k=len(catalog), min_score=-1.0))
    variant_of = {p.id: p.group or p.id for p in catalog}  # a group of variants answers once, by one of them
    assert {h.product.id for h in response.hits} <= _expected(catalog, filters)
    assert {variant_of[h.product.id] for h in response.hits} == {variant_of[i] for i in _expected(catalog, filters)}


def test_results_are_ranked_by_true_cosine(tiny_service, catalog, demo_feed):
    photo = demo_feed.parent / catalog[5].image
    hits = tiny_service.search(Query(image=photo), ranking=Ranking(top_k=10, min_score=-1.0)).hits
    query = tiny_service.encoder.encode_images([load_image(photo)])[0]
    exact = sorted((float(tiny_service.store.vector(p.id) @ query) for p in catalog), reverse=True)[:10]
    np.testing.assert_allclose([h.score for h in hits], exact, atol=1e-4)
    assert hits[0].product.id == catalog[5].id


def test_a_higher_minimum_score_never_returns_more(tiny_service, catalog, demo_feed):
    photo = demo_feed.parent / catalog[3].image
    counts = [len(tiny_service.search(Query(image=photo), ranking=Ranking(top_k=240, min_score=s)).hits)
              for s in np.linspace(0.9, 1.0, 11)]
    assert all(a >= b for a, b in itertools.pairwise(counts)) and counts[0] > counts[-1]


def test_text_and_image_plus_text_queries_run(tiny_service, catalog, demo_feed):
    photo = demo_feed.parent / catalog[0].image
    text_only = tiny_service.search(Query(text="red striped mug"), ranking=Ranking(top_k=5, min_score=-1.0))
    both = tiny_service.search(Query(image=photo, text="in blue"),
                               ranking=Ranking(top_k=5, min_score=-1.0, text_weight=0.3))
    assert len(text_only.hits) == 5 and len(both.hits) == 5
    assert set(both.timings_ms) == {"decode", "encode", "search"}


def test_more_like_this_uses_the_stored_vector_and_leaves_the_product_out(tiny_service, catalog):
    hits = tiny_service.more_like_this(catalog[7].id, ranking=Ranking(top_k=5, min_score=-1.0)).hits
    assert len(hits) == 5 and catalog[7].id not in {h.product.id for h in hits}
    with pytest.raises(QueryError, match="no product with id 'ghost'"):
        tiny_service.more_like_this("ghost")


def test_an_empty_query_is_refused(tiny_service):
    with pytest.raises(QueryError, match="give a photo, a text, or both"):
        tiny_service.search(Query(text="   "))


class CountingEncoder:
    def __init__(self, inner):
        self.inner, self.info, self.images, self.texts = inner, inner.info, 0, 0
        self.reads_text = inner.reads_text

    def encode_images(self, images):
        self.images += len(images)
        return self.inner.encode_images(images)

    def encode_texts(self, texts):
        self.texts += len(texts)
        return self.inner.encode_texts(texts)


def test_the_same_photo_or_text_is_never_encoded_twice(tiny_service, catalog, demo_feed):
    from search.service import SearchService

    encoder = CountingEncoder(tiny_service.encoder)
    service = SearchService(encoder, tiny_service.store)
    photo = demo_feed.parent / catalog[2].image
    first = service.search(Query(image=photo, text="red mug"), ranking=Ranking(top_k=5, min_score=-1))
    again = service.search(Query(image=photo.read_bytes(), text="red mug"),
                           ranking=Ranking(top_k=5, min_score=-1, text_weight=0.8))
    assert (encoder.images, encoder.texts) == (1, 1)
    assert not first.cached and again.cached and again.timings_ms["encode"] == 0.0
    service.more_like_this(catalog[2].id, ranking=Ranking(top_k=3))
    assert (encoder.images, encoder.texts) == (1, 1), "more like this uses the stored vector"


def test_a_prepared_photo_is_read_and_keyed_once_however_often_it_is_searched(tiny_service, catalog, demo_feed,
                                                                              monkeypatch):
    import search.service
    from search.images import prepare_photo

    photo = prepare_photo(demo_feed.parent / catalog[4].image)  # when it arrives
    monkeypatch.setattr(search.service, "load_image", lambda *args, **kwargs: pytest.fail("the photo was read again"))
    monkeypatch.setattr(search.service, "image_key", lambda *args: pytest.fail("the photo was hashed again"))
    service = SearchService(tiny_service.encoder, tiny_service.store)  # an empty query cache
    first = service.search(Query(image=photo), ranking=Ranking(top_k=3))
    moved = service.search(Query(image=photo), ranking=Ranking(top_k=5, min_score=0.1))  # a slider moved
    assert first.hits[0].product.id == catalog[4].id and not first.cached
    assert moved.cached and moved.timings_ms["decode"] == moved.timings_ms["encode"] == 0.0
