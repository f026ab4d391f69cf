"""What shopping agents are answered (the MCP tools), as plain data: the doorway's typed answers (cards, items, a
product, the facets) as JSON objects with every field named, instead of the page's captions."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from storefront.front import ProductDetails, ShopResult, Storefront
from storefront.items import ItemsResult
from storefront.results import Card

PictureAddress = Callable[[str], str]  # a stored picture's file -> an address a client can fetch (the page knows it)


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
    picture: str  # an http(s) address on this server of the product's picture that matched best
    product_page: str  # the merchant's page of the product, "" when the feed gives none
    matched_words: list[str]
    pictures: list[str]  # the addresses of all its pictures, the main one first
    other_variants: list[str]  # the ids of the other variants of its group, which this result stands for


def found(card: Card, picture_address: PictureAddress) -> dict[str, Any]:
    return asdict(FoundProduct(
        id=card.id, title=card.title, brand=card.brand, category=card.category, colour=card.colour, price=card.price,
        currency=card.currency, in_stock=card.in_stock, score=card.score, picture=picture_address(card.picture),
        product_page=card.product_page, matched_words=list(card.matched_words),
        pictures=[picture_address(picture) for picture in card.pictures], other_variants=list(card.other_variants)))


def found_products(result: ShopResult, picture_address: PictureAddress) -> list[dict[str, Any]]:
    return [found(card, picture_address) for card in result.cards]


def found_items(result: ItemsResult, picture_address: PictureAddress) -> dict[str, Any]:
    """Every item's box, in the pixels of the photo as searched (`photo_size`: its longer side at most 1,024 px),
    with its best matches, the strongest item first."""
    return {"photo_size": list(result.marked.size), "regions_compared": result.regions,
            "items": [{"box": row.box.as_list(), "products": [found(card, picture_address) for card in row.cards]}
                      for row in result.rows]}


def product_details(details: ProductDetails, picture_address: PictureAddress) -> dict[str, Any]:
    """Everything the catalog holds about one product, and the ids of its group's other variants."""
    product = details.product
    return {"id": product.id, "title": product.title, "brand": product.brand, "category": product.category,
            "colour": product.colour, "price": product.price, "currency": product.currency,
            "in_stock": product.in_stock, "picture": picture_address(product.shown_picture),
            "pictures": [picture_address(picture) for picture in product.pictures], "variant_of": product.group,
            "other_variants": [other.id for other in details.other_variants], "product_page": product.url,
            "attributes": dict(product.attributes)}


def facets(counts: dict[str, Counter], storefront: Storefront) -> dict[str, Any]:
    """The catalog's brands, categories and colours with their product counts, and its price range."""
    store = storefront.service().store
    prices = [p.price for p in store.products() if p.price is not None]
    return {**{f"{kind}s" if kind != "category" else "categories": dict(sorted(values.items()))
               for kind, values in counts.items()},
            "products": store.count(),
            "price_range": {"min": min(prices), "max": max(prices)} if prices else None}
