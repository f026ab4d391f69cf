"""Each product once in an answer, however many of its pictures match: a store keeps a row a picture
(search/store/collection.py), and a search keeps the best row of each product, or of each group of variants."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from catalog.product import Product

Found = tuple[str, dict[str, Any], float]  # a row's id, metadata and cosine score
Collapse = Callable[[dict[str, Any]], str]  # a row's metadata to what an answer shows once


def by_product(metadata: dict[str, Any]) -> str:
    return metadata["product"]


def by_group(metadata: dict[str, Any]) -> str:
    """A variant's group, for a product that is one, so that one result stands for all its variants."""
    return metadata.get("group") or metadata["product"]


def first_of_each(found: Iterable[Found], collapse: Collapse, top_k: int) -> list[Found]:
    """The best row of each key `collapse` gives, best first (as `found` is), at most `top_k`."""
    seen: set[str] = set()
    kept = []
    for hit in found:
        key = collapse(hit[1])
        if key not in seen:
            seen.add(key)
            kept.append(hit)
            if len(kept) == top_k:
                break
    return kept


def key_of(product: Product, collapse: Collapse) -> str:
    """What `collapse` makes of a product found (a keyword hit, say) as of one of its rows."""
    return collapse({"product": product.id, "group": product.group})

