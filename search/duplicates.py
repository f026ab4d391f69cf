"""Duplicate listings: different product ids with a picture near-identical to one of the other's. A product's own
pictures are not duplicates of each other, nor are variants of one group (which often share their pictures)."""
from __future__ import annotations

from collections.abc import Iterable

from search.store.collection import ProductStore

DEFAULT_THRESHOLD = 0.985  # offline encoder: real re-saved photos score >= 0.994, distinct ones <= 0.985
_NEIGHBOURS = 10
_QUERY_BATCH = 256


def find_duplicates(store: ProductStore, threshold: float = DEFAULT_THRESHOLD,
                    ids: Iterable[str] | None = None) -> list[list[str]]:
    """Groups (sorted, largest first) of product ids whose pictures score at least `threshold` with each
    other, checking `ids` (default: every product) against the whole store."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    checked = list(ids) if ids is not None else list(store.ids())
    for start in range(0, len(checked), _QUERY_BATCH):
        batch = checked[start:start + _QUERY_BATCH]
        groups_of = {i: item.product.group for i, item in store.stored(batch).items()}
        pictures = store.picture_vectors(batch)
        names = [name for name, views in pictures.items() for _ in views]
        neighbours = store.query_many([view for views in pictures.values() for view in views], _NEIGHBOURS)
        for name, hits in zip(names, neighbours):
            for hit in hits:
                same = hit.product.id == name or (hit.product.group and hit.product.group == groups_of.get(name))
                if not same and hit.score >= threshold:
                    parent[root(hit.product.id)] = root(name)
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(root(node), []).append(node)
    found = [sorted(group) for group in groups.values() if len(group) > 1]
    return sorted(found, key=lambda group: (-len(group), group))
