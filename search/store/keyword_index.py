"""BM25 over each product's words (id, title, brand, category, colour and every attribute value, in every
language the feed gives), beside the vectors: what finds brand names, model numbers and Chinese words that a
CLIP vector cannot carry.

A product is scored by how much of the query it holds, not only how well: its BM25 over the best product's, times
the share of the query's words it holds to the power COORDINATION (Lucene's coordination factor, made steep). Plain
BM25 gave a red lamp, holding one of "red mug"'s two words, half the score of the red mug and as much as a blue
mug, so on the demo catalog a fused "red mug" listed red lamps, watches and caps among the mugs; it is what the
vector side knows that should order those near misses. `tools/train_demo_clip.py --evaluate` measures it.

Derived data, never a source of truth: built in memory from what the store holds, changed by the store's own
writes, and built again when the store changed under it. bm25s scored a query in about 1 ms at 100,000 products
where SQLite FTS5 took 29 ms (`bench/keywords.py`, figures with their CPU in docs/benchmarks.md); it has no
incremental update, so a write marks its matrix stale (see `KeywordIndex`).
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np

from search.store.columns import FILTER_FIELDS, Column, where_mask
from search.words import Word, learn_words, matched_parts, terms, words

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
COORDINATION = 8  # holding 1 of 2 words scales a product's score by 0.004, 2 of 3 by 0.04, 4 of 5 by 0.17
SYNC_LIMIT = 20_000  # up to this many products a write's new matrix is built before the next query is answered
# Metadata fields that are not words a shopper types
_NOT_WORDS = {"image", "picture", "url", "fingerprint", "currency", "price", "in_stock", "attributes", "image_url",
              "product", "extra_images", "extra_pictures", "fingerprints"}


@dataclass(frozen=True)
class KeywordHit:
    product_id: str
    metadata: dict[str, Any]
    score: float  # relevance in [0, 1]: see the module's docstring
    matched: tuple[str, ...]  # the query's words the product holds


def product_values(product_id: str, metadata: dict[str, Any]) -> list[str]:
    """Everything of a product a shopper may type."""
    values = [product_id, *(str(v) for k, v in metadata.items() if k not in _NOT_WORDS and isinstance(v, str))]
    attributes = json.loads(metadata.get("attributes") or "{}")
    values += [str(v) for k, v in attributes.items() if k not in _NOT_WORDS]
    return list(dict.fromkeys(values))  # a value given twice (a colour field and a colour attribute) is one fact


def product_text(product_id: str, metadata: dict[str, Any]) -> str:
    return " ".join(product_values(product_id, metadata))


def matched_words(query: str | list[Word], held: Iterable[str]) -> list[str]:
    """The query's words that a product holding these terms holds, as the shopper typed them."""
    held = set(held)
    query_words = words(query) if isinstance(query, str) else query
    return list(dict.fromkeys(part for word in query_words for part in matched_parts(word, held)))


class KeywordIndex:
    """Products' words, scored by BM25. Safe to search from several threads while another writes.

    Each product's terms are worked out once, when it is written (about 65 us a product); what a write leaves to
    do is bm25s's matrix, built again on the next query: at once up to SYNC_LIMIT products (under a second), and
    beyond that in a thread of its own while queries are answered from the previous matrix, less the products
    deleted since (about 3 s at 100,000 products; `bench/keywords.py`)."""

    def __init__(self, products: Iterable[tuple[str, dict[str, Any]]] = ()) -> None:
        self._docs: dict[str, _Doc] = {}
        self._built: _Built | None = None
        self._version = 0  # raised by every write; the matrix knows the version it was built from
        self._deleted: set[str] = set()  # since the matrix was built
        self._rebuilding = False
        self._lock = threading.RLock()
        self._write(list(products))

    def __len__(self) -> int:
        return len(self._docs)

    def ids(self) -> set[str]:
        with self._lock:
            return set(self._docs)

    def upsert(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        self._write(list(zip(ids, metadatas)))

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            for product_id in ids:
                if self._docs.pop(product_id, None) is not None:
                    self._deleted.add(product_id)
            self._version += 1

    def _write(self, products: list[tuple[str, dict[str, Any]]]) -> None:
        values = [product_values(i, m) for i, m in products]
        if learn_words(value for texts in values for value in texts):  # new Chinese words cut texts anew
            with self._lock:
                self._docs = {i: _Doc(d.metadata, d.values, _terms(d.values)) for i, d in self._docs.items()}
        docs = {i: _Doc(m, v, _terms(v)) for (i, m), v in zip(products, values)}
        with self._lock:
            self._docs.update(docs)
            self._deleted.difference_update(docs)
            self._version += 1

    def search(self, query: str, top_k: int, where: dict | None = None,
               including: Iterable[str] = ()) -> list[KeywordHit]:
        """The best `top_k` products holding any of the query's words and passing `where`, best first; then those
        of `including` (what the vector side found) that hold any of them and are not among the best, so that a
        hybrid query scores its words once."""
        with self._lock:
            built = self._fresh()
            relevance = self._relevance(built, query, where)
            if relevance is None:
                return []
            best = np.flatnonzero(relevance > 0)
            if len(best) > top_k:
                best = best[np.argpartition(-relevance[best], top_k - 1)[:top_k]]
            rows = list(best[np.argsort(-relevance[best], kind="stable")])
            chosen = set(rows)
            rows += [row for i in dict.fromkeys(including) if (row := built.rows.get(i)) is not None
                     and relevance[row] > 0 and row not in chosen]
            query_words = words(query)
            return [KeywordHit(built.ids[row], doc.metadata, float(relevance[row]),
                               tuple(matched_words(query_words, doc.terms)))
                    for row in rows if (doc := self._docs.get(built.ids[row])) is not None]

    def _relevance(self, built: _Built, query: str, where: dict | None) -> np.ndarray | None:
        """Every row's relevance (see the module's docstring), 0 for a row deleted since or failing `where`."""
        found = built.scores(query)
        if found is None:
            return None
        bm25, coverage = found
        for product_id in self._deleted & built.rows.keys():
            bm25[built.rows[product_id]] = 0.0
        if where:
            bm25 = np.where(where_mask(where, built.columns()), bm25, 0.0)
        top = bm25.max()
        return bm25 * coverage ** COORDINATION / top if top > 0 else None

    def knows(self, query: str) -> bool:
        """Whether any product holds any of the query's words."""
        with self._lock:
            return self._fresh().scores(query) is not None

    def _fresh(self) -> _Built:
        """The matrix of the latest version, or, for a large catalog being rebuilt, the previous one."""
        if self._built is not None and self._built.version == self._version:
            return self._built
        if self._built is None or len(self._docs) <= SYNC_LIMIT:
            self._install(_Built(self._docs, self._version))
        elif not self._rebuilding:
            self._rebuilding = True
            threading.Thread(target=self._rebuild, args=(dict(self._docs), self._version), daemon=True).start()
        return self._built  # type: ignore[return-value]  # built above when it was None

    def _rebuild(self, docs: dict[str, _Doc], version: int) -> None:
        built = _Built(docs, version)
        with self._lock:
            self._install(built)
            self._rebuilding = False

    def _install(self, built: _Built) -> None:
        self._built = built
        self._deleted = {i for i in self._deleted if i in built.rows}


@dataclass(frozen=True)
class _Doc:
    metadata: dict[str, Any]
    values: list[str]
    terms: list[str]


def _terms(values: list[str]) -> list[str]:
    return terms(" ".join(values))


class _Built:
    """The BM25 matrix of one version of the products, with their filterable fields."""

    def __init__(self, docs: dict[str, _Doc], version: int) -> None:
        self.version = version
        self.ids = list(docs)
        self.rows = {product_id: row for row, product_id in enumerate(self.ids)}
        self._metadatas = [docs[i].metadata for i in self.ids]
        self._columns: dict[str, Column] | None = None
        self._retriever = bm25s.BM25()
        self._vocabulary: set[str] = set()
        if self.ids:  # bm25s has no vocabulary at all until it has indexed something
            self._retriever.index([docs[i].terms for i in self.ids], show_progress=False)
            self._vocabulary = set(self._retriever.vocab_dict) - {""}

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray] | None:
        """BM25 of every row for the query and the share of the query's words each row holds, or None when no
        product holds any of its terms. A word counts by the share of its terms held (墨绿色 is cut into 墨绿, 绿色
        and 墨绿色: a teal 蓝绿色 product holds a third of it); words no product holds do not count."""
        asked = [known for word in words(query) if (known := [t for t in word.terms if t in self._vocabulary])]
        if not asked:
            return None
        per_term = {term: self._retriever.get_scores([term]) for known in asked for term in known}
        coverage = sum(sum(per_term[t] > 0 for t in known) / len(known) for known in asked) / len(asked)
        return sum(per_term.values()), coverage

    def columns(self) -> dict[str, Column]:
        if self._columns is None:
            self._columns = {name: Column([m.get(name, default) for m in self._metadatas], default)
                             for name, default in FILTER_FIELDS.items()}
        return self._columns
