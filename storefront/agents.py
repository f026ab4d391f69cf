"""What shopping agents are answered (the MCP tools): searches by an image address, by words or both, products like
a product, a product's details and the catalog's facets, as plain data instead of the page's gallery captions.
Every problem is a `UserError` saying what to change, so a tool answers an agent with a sentence, not a traceback."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from catalog.errors import UserError
from catalog.product import Product
from search.images import Photo, PhotoBytes, data_url_bytes
from search.ranking import Filters, Hit, Ranking
from search.service import Query
from storefront.front import Storefront

MAX_RESULTS = 50
MAX_PER_ITEM = 10


class AgentQueryError(UserError, ValueError):
    """A tool call whose arguments cannot be answered (an unknown product, brand or category, a bad range)."""


@dataclass(frozen=True)
class FoundProduct:
    """One product as an agent gets it: `score` is the match, higher is better (cosine, 1.0 at most)."""

    id: str
    title: str
    brand: str
    category: str
    colour: str
    price: float | None
    currency: str
    in_stock: bool
    score: float
    picture: str  # an http(s) address of the product's picture on this server
    product_page: str  # the merchant's page of the product, "" when the feed gives none
    matched_words: list[str]


class AgentTools:
    """The storefront as agents use it. `picture_address` turns a stored picture file into an address a client can
    fetch (the page layer knows the server's address)."""

    def __init__(self, storefront: Storefront) -> None:
        self.storefront = storefront

    def search(self, picture_address: Callable[[str], str], image: str = "", text: str = "", image_share: float = 0.5,
               top_k: int = 10, filters: Filters = Filters()) -> list[dict[str, Any]]:
        """Products matching a photo (an http(s) or data: address), words, or both."""
        photo = self._photo(image) if image.strip() else None
        if photo is None and not text.strip():
            raise AgentQueryError("give an image address, some words, or both")
        self._check(filters)
        text_share = 1.0 if photo is None else (0.0 if not text.strip() else 1.0 - image_share)
        ranking = self._ranking(top_k, text_share)
        response = self.storefront.service().search(Query(image=photo, text=text.strip() or None), filters, ranking)
        return [self._found(hit, picture_address) for hit in response.hits]

    def items(self, picture_address: Callable[[str], str], image: str, per_item: int = 4,
              filters: Filters = Filters()) -> dict[str, Any]:
        """Every product a photo seems to hold: each item's box, in the pixels of the photo as searched (its longer
        side at most 1,024 px: `photo_size`), with its best matches, the strongest item first."""
        if not image.strip():
            raise AgentQueryError("give the photo's address (http(s):// or data:)")
        if not 1 <= per_item <= MAX_PER_ITEM:
            raise AgentQueryError(f"per_item must be between 1 and {MAX_PER_ITEM}, not {per_item}")
        self._check(filters)
        source = self._photo(image)
        photo = source if isinstance(source, Photo) else self.storefront.photo(source)
        response = self.storefront.items_in(photo, filters, per_item, self._ranking(per_item, 0.0))
        return {"photo_size": list(photo.size), "regions_compared": response.regions,
                "items": [{"box": item.box.as_list(), "products": [self._found(hit, picture_address)
                                                                   for hit in item.hits]}
                          for item in response.items]}

    def more_like(self, picture_address: Callable[[str], str], product_id: str, top_k: int = 10,
                  filters: Filters = Filters()) -> list[dict[str, Any]]:
        """Products that look like a product of the catalog, the product itself left out."""
        self._check(filters)
        if self.storefront.service().store.vector(product_id.strip()) is None:
            raise _unknown(product_id)
        response = self.storefront.service().more_like_this(product_id.strip(), filters, self._ranking(top_k, 0.0))
        return [self._found(hit, picture_address) for hit in response.hits]

    def product(self, picture_address: Callable[[str], str], product_id: str) -> dict[str, Any]:
        """Everything the catalog holds about one product."""
        stored = self.storefront.service().store.stored([product_id.strip()]).get(product_id.strip())
        if stored is None:
            raise _unknown(product_id)
        details = self._found(Hit(stored.product, 1.0), picture_address)
        for of_a_search in ("score", "matched_words"):
            del details[of_a_search]
        return {**details, "attributes": dict(stored.product.attributes)}

    def facets(self) -> dict[str, Any]:
        """The catalog's brands, categories and colours with their product counts, and its price range."""
        counts, store = self.storefront.facet_counts(), self.storefront.service().store
        prices = [p.price for p in store.products() if p.price is not None]
        return {**{f"{kind}s" if kind != "category" else "categories": dict(sorted(values.items()))
                   for kind, values in counts.items()},
                "products": store.count(),
                "price_range": {"min": min(prices), "max": max(prices)} if prices else None}

    def _photo(self, address: str) -> Any:
        address = address.strip()
        if address.startswith("data:"):
            return PhotoBytes(data_url_bytes(address), "the data: address")
        if address.lower().startswith(("http://", "https://")):
            return self.storefront.load_url(address)
        raise AgentQueryError(f"{address[:80]!r} is not an image address: give an http(s):// or data: address")

    def _check(self, filters: Filters) -> None:
        """Unknown brands, categories or colours and impossible prices are errors: an empty answer would read as
        "the catalog has none"."""
        counts = self.storefront.facet_counts()  # not a walk over the catalog on every call
        for kind, chosen in (("brand", filters.brands), ("category", filters.categories),
                             ("colour", filters.colours)):
            unknown = sorted(set(chosen) - set(counts[kind]))
            if unknown:
                raise AgentQueryError(f"unknown {kind} {', '.join(map(repr, unknown))}: the catalog has "
                                      f"{_some(sorted(counts[kind]))} (see the catalog_facets tool)")
        low, high = filters.min_price, filters.max_price
        for name, value in (("min_price", low), ("max_price", high)):
            if value is not None and (not math.isfinite(value) or value < 0):
                raise AgentQueryError(f"{name} must be a number of at least 0, not {value}")
        if low is not None and high is not None and low > high:
            raise AgentQueryError(f"min_price {low} is above max_price {high}")

    def _ranking(self, top_k: int, text_share: float) -> Ranking:
        if not 1 <= top_k <= MAX_RESULTS:
            raise AgentQueryError(f"top_k must be between 1 and {MAX_RESULTS}, not {top_k}")
        saved = self.storefront.settings.ranking  # the threshold and weights the product team tuned
        return Ranking(top_k=top_k, min_score=saved.min_score, text_weight=text_share,
                       rerank_weight=saved.rerank_weight, keyword_weight=saved.keyword_weight)

    @staticmethod
    def _found(hit: Hit, picture_address: Callable[[str], str]) -> dict[str, Any]:
        product: Product = hit.product
        return asdict(FoundProduct(
            id=product.id, title=product.title, brand=product.brand, category=product.category,
            colour=product.colour, price=product.price, currency=product.currency, in_stock=product.in_stock,
            score=round(float(hit.score), 4), picture=picture_address(product.shown_picture),
            product_page=product.url, matched_words=list(hit.matched)))


def _unknown(product_id: str) -> AgentQueryError:
    return AgentQueryError(f"no product has the id {product_id!r}: use an id a search returned")


def _some(names: Sequence[str], shown: int = 12) -> str:
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
