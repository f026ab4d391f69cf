"""Each product once in an answer, however many of its pictures match: a store keeps a row a picture
(search/store/collection.py), and a search keeps the best row of each product, or of each group of variants."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from catalog.product import Product

T = TypeVar("T")
Found = tuple[str, dict[str, Any], float]  # a row's id, metadata and cosine score
Collapse = Callable[[dict[str, Any]], str]  # a row's metadata to what an answer shows once


def by_product(metadata: dict[str, Any]) -> str:
    return metadata["product"]


def by_group(metadata: dict[str, Any]) -> str:
    """A variant's group, for a product that is one, so that one result stands for all its variants."""
    return metadata.get("group") or metadata["product"]


def first_of_each(found: Iterable[T], key: Callable[[T], str], top_k: int | None = None) -> list[T]:
    """The first of each key in `found` (its best, when `found` is best first), at most `top_k`."""
    kept: dict[str, T] = {}
    for item in found:
        kept.setdefault(key(item), item)
        if len(kept) == top_k:
            break
    return list(kept.values())


def rows_by(collapse: Collapse) -> Callable[[Found], str]:
    """A found row's key, as `collapse` makes it of its metadata."""
    return lambda found: collapse(found[1])


def key_of(product: Product, collapse: Collapse) -> str:
    """What `collapse` makes of a product found (a keyword hit, say) as of one of its rows."""
    return collapse({"product": product.id, "group": product.group})

