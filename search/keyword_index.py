"""BM25 over each product's words (id, title, brand, category, colour and every attribute value, in every
language the feed gives), beside the vectors: what finds brand names, model numbers and Chinese words that a
CLIP vector cannot carry.

Derived data, never a source of truth: built in memory from what the store holds, changed by the store's own
writes, and built again when the store changed under it. bm25s scores a query in under a millisecond at 100,000
products (SQLite FTS5 took 19 ms for the same queries); it has no incremental update, so a write marks the index
stale and the next query builds it again (about 2 s at 100,000 products; `bench/keyword.py`).
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import bm25s
import numpy as np

from search.exact import Column, FILTER_FIELDS, where_mask
from search.words import learn_words, matched_parts, terms, words

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
# Metadata fields that are not words a shopper types
_NOT_WORDS = {"image", "url", "fingerprint", "currency", "price", "in_stock", "attributes", "image_url"}


@dataclass(frozen=True)
class KeywordHit:
    product_id: str
    metadata: dict[str, Any]
    score: float  # BM25


def product_values(product_id: str, metadata: dict[str, Any]) -> list[str]:
    """Everything of a product a shopper may type."""
    values = [product_id, *(str(v) for k, v in metadata.items() if k not in _NOT_WORDS and isinstance(v, str))]
    attributes = json.loads(metadata.get("attributes") or "{}")
    return values + [str(v) for k, v in attributes.items() if k not in _NOT_WORDS]


def product_text(product_id: str, metadata: dict[str, Any]) -> str:
    return " ".join(product_values(product_id, metadata))


def matched_words(query: str, product_id: str, metadata: dict[str, Any]) -> list[str]:
    """The query's words that the product holds, as the shopper typed them."""
    held = set(terms(product_text(product_id, metadata)))
    return list(dict.fromkeys(part for word in words(query) for part in matched_parts(word, held)))


class KeywordIndex:
    """Products' words, scored by BM25. Safe to search from several threads while another writes."""

    def __init__(self, products: Iterable[tuple[str, dict[str, Any]]] = ()) -> None:
        self._metadata: dict[str, dict[str, Any]] = dict(products)
        self._built: _Built | None = None
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._metadata)

    def ids(self) -> set[str]:
        with self._lock:
            return set(self._metadata)

    def upsert(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            self._metadata.update(zip(ids, metadatas))
            self._built = None

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            for product_id in ids:
                self._metadata.pop(product_id, None)
            self._built = None

    def search(self, query: str, top_k: int, where: dict | None = None) -> list[KeywordHit]:
        """The best `top_k` products holding any of the query's words and passing `where`, best first."""
        with self._lock:
            built = self._fresh()
            scores = built.scores(query)
            if scores is None:
                return []
            if where:
                scores = np.where(where_mask(where, built.columns()), scores, 0.0)
            found = np.flatnonzero(scores > 0)
            if len(found) > top_k:
                found = found[np.argpartition(-scores[found], top_k - 1)[:top_k]]
            found = found[np.argsort(-scores[found], kind="stable")]
            return [KeywordHit(built.ids[row], self._metadata[built.ids[row]], float(scores[row])) for row in found]

    def scores(self, query: str, ids: Sequence[str]) -> dict[str, float]:
        """The BM25 score of each of these products for the query (0 for one holding none of its words)."""
        with self._lock:
            built = self._fresh()
            scores = built.scores(query)
            return {i: float(scores[built.rows[i]]) if scores is not None and i in built.rows else 0.0 for i in ids}

    def knows(self, query: str) -> bool:
        """Whether any product holds any of the query's words."""
        with self._lock:
            return self._fresh().scores(query) is not None

    def _fresh(self) -> "_Built":
        if self._built is None:
            self._built = _Built(self._metadata)
        return self._built


class _Built:
    """The BM25 matrix of one state of the products, with their filterable fields."""

    def __init__(self, metadata: dict[str, dict[str, Any]]) -> None:
        self.ids = list(metadata)
        self.rows = {product_id: row for row, product_id in enumerate(self.ids)}
        self._metadatas = [metadata[i] for i in self.ids]
        self._columns: dict[str, Column] | None = None
        self._retriever = bm25s.BM25()
        texts = [product_values(i, m) for i, m in zip(self.ids, self._metadatas)]
        learn_words(value for values in texts for value in values)
        if self.ids:
            self._retriever.index([terms(" ".join(values)) for values in texts], show_progress=False)
        self._vocabulary = set(self._retriever.vocab_dict or ()) - {""}

    def scores(self, query: str) -> np.ndarray | None:
        """BM25 of every row for the query, or None when no product holds any of its terms."""
        known = list(dict.fromkeys(t for t in terms(query) if t in self._vocabulary))
        return self._retriever.get_scores(known) if known else None

    def columns(self) -> dict[str, Column]:
        if self._columns is None:
            self._columns = {name: Column([m.get(name, default) for m in self._metadatas], default)
                             for name, default in FILTER_FIELDS.items()}
        return self._columns

