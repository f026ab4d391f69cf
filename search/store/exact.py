"""An exact, in-memory copy of a collection for search: every vector and every filterable field as NumPy arrays.

bench/store.py measured why: at 100,000 products a brute-force search takes about 7 ms with recall 1.0, where
Chroma's HNSW found 50-87% of the true top 10; and a brand + price filter applied as a NumPy mask took 0.6 ms,
where Chroma's `where` took 250 ms. The copy costs the vectors' size in memory (200 MB at 100,000 x 512), and
1.16 times that once a large scan made its 4-bit copy (search/store/coarse.py). From LARGE_FROM rows the vectors are
held in float16 and a query scores only the rows of the cells nearest to it (search/store/cells.py): 1,030 MiB at
1,000,000 x 512 instead of 2,353, and 4-5 ms a query instead of 27-30 (bench/million.py)."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from search.encoders.base import unit_rows
from search.store import cells, coarse
from search.store.collapse import Collapse, Found, first_of_each, rows_by
from search.store.columns import FILTER_FIELDS, Column, where_rows

QUERY_CHUNK = 64  # vectors scored together: 64 x 100,000 scores is 25 MB
# From this many candidate rows one query's scan first reads a 4-bit copy of the vectors (search/store/coarse.py: a
# sixth of the memory traffic, 2 ms instead of 7 at 100,000 x 512 on 2 cores), then scores its best COARSE_POOL
# rows again exactly in float32: the result is the exact one unless a true top-k row falls outside the pool
# (docs/benchmarks.md: none did, on five kinds of catalog, with a pool of 256; twice that costs 0.2 ms more).
COARSE_FROM = 20_000
COARSE_POOL = 512
# From this many rows the vectors are held in float16 (half the memory; its scores differ from float32's by about
# 1e-5, which reorders only products tied closer than that) and searched through their cells (search/store/cells.py).
LARGE_FROM = 200_000
# A filter keeping at most this many rows of a large index is scored over all of them (18,700 rows of 1,000,000 took
# 16 ms, 0.3 of a photo's encoding); a wider one reads more cells, as many more as the filter is narrow, up to
# FILTER_PROBES_MAX times.
FILTERED_SCAN = 50_000
FILTER_PROBES_MAX = 4
# A search that shows each product (or group of variants) once asks for this many rows a result, then as many times
# more for a query whose rows held too few: products of up to 4 pictures take one pass
WIDEN = 4
_WIDEN_ROWS = 4096  # 8 MB of float32 at 512-d: stays in the cache, and below malloc's mmap threshold


class ExactIndex:
    """Ids, unit vectors and metadata rows of one collection, searched by dot product. Safe to search from
    several threads while another writes (an admin's ingest while shoppers search)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.ids: list[str] = []
        self.metadatas: list[dict[str, Any]] = []
        self._matrix = np.zeros((1024, dim), np.float32)  # grown by doubling, so adding rows is cheap
        self._rows: dict[str, int] = {}
        self._columns: dict[str, Column] | None = None  # built on first filtered query after a change
        self._coarse: coarse.Int4Copy | None = None  # built on the first large scan
        self._cells: cells.Cells | None = None  # learnt once the index is large (LARGE_FROM): see `_fresh_cells`
        self._stale: set[int] = set()  # rows whose vectors changed since the 4-bit copy or the cells took them
        self._retraining: threading.Thread | None = None  # cells learnt again, in the background, as the index grows
        self._changed_while_retraining: set[int] = set()
        # Each group of variants' products (the ids of their main pictures' rows), kept as rows change: what a result
        # that stands for a group names without a scan (a filter column rebuilt after every write took 1.2 s at 400,000)
        self._groups: dict[str, set[str]] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vectors(self) -> np.ndarray:
        """The rows' unit vectors: float32, or float16 once the index is large (`large`)."""
        return self._matrix[:len(self.ids)]

    @property
    def large(self) -> bool:
        return self._matrix.dtype == np.float16

    @property
    def nbytes(self) -> int:
        """The memory its vectors and first passes take (not the ids and details)."""
        return self._matrix.nbytes + sum(part.nbytes for part in (self._coarse, self._cells) if part is not None)

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            held = len(self.ids)
            rows = [self._row_for(product_id, metadata) for product_id, metadata in zip(ids, metadatas)]
            for row, vector in zip(rows, unit_rows(vectors).astype(self._matrix.dtype)):
                if not np.array_equal(self._matrix[row], vector):  # a details-only change keeps the 4-bit copy
                    self._matrix[row] = vector
                    self._changed(row)
            if len(self.ids) > held:
                self._columns = None  # rows added: built again on the next filtered query
            else:
                self._set_columns(rows)

    def _row_for(self, product_id: str, metadata: dict[str, Any]) -> int:
        """The product's row, with its new metadata: its old row, or a new one at the end."""
        row = self._rows.get(product_id)
        if row is None:
            row = self._rows[product_id] = len(self.ids)
            self._make_room(row + 1)
            self.ids.append(product_id)
            self.metadatas.append(metadata)
            self._grouped(product_id, metadata)
        else:
            self._set_metadata(row, metadata)
        return row

    def _set_metadata(self, row: int, metadata: dict[str, Any]) -> None:
        self._grouped(self.ids[row], self.metadatas[row], leaving=True)
        self.metadatas[row] = metadata
        self._grouped(self.ids[row], metadata)

    def _grouped(self, row_id: str, metadata: dict[str, Any], leaving: bool = False) -> None:
        """A main picture's row into its group of variants (or out of it, `leaving`)."""
        group = metadata.get("group")
        if not group or metadata.get("shot", 0) != 0:
            return
        members = self._groups.setdefault(group, set())
        if leaving:
            members.discard(row_id)
            if not members:
                del self._groups[group]
        else:
            members.add(row_id)

    def groups(self, names: Sequence[str]) -> list[dict[str, Any]]:
        """The metadata of the main rows of these groups' products."""
        with self._lock:
            return [self.metadatas[self._rows[i]] for name in names for i in self._groups.get(name, ())]

    def _changed(self, row: int) -> None:
        self._stale.add(row)
        if self._retraining is not None:
            self._changed_while_retraining.add(row)

    def _make_room(self, rows: int) -> None:
        if rows >= LARGE_FROM and not self.large:
            self._matrix = self._matrix.astype(np.float16)
            self._coarse = None  # the cells take over
        if rows > len(self._matrix):
            grown = np.zeros((max(rows, 2 * len(self._matrix)), self.dim), self._matrix.dtype)
            grown[:len(self.ids)] = self.vectors
            self._matrix = grown

    def vectors_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these ids (ids not held are left out)."""
        with self._lock:
            return {i: self._matrix[self._rows[i]].astype(np.float32) for i in ids if i in self._rows}

    def metadata_of(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The metadata held for these ids (ids not held are left out)."""
        with self._lock:
            return {i: self.metadatas[self._rows[i]] for i in ids if i in self._rows}

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            changed = [(self._rows[product_id], metadata) for product_id, metadata in zip(ids, metadatas)
                       if product_id in self._rows]
            for row, metadata in changed:
                self._set_metadata(row, metadata)
            self._set_columns([row for row, _ in changed])

    def _set_columns(self, rows: Sequence[int]) -> None:
        """The filter columns follow rows changed in place, rather than being built again (179 ms at 100,000)."""
        for name, column in (self._columns or {}).items():
            for row in rows:
                column.set(row, self.metadatas[row].get(name, FILTER_FIELDS[name]))

    def delete(self, ids: Sequence[str]) -> None:
        """Each deleted row takes the last row in its place: a few rows move, where copying all the others took
        0.36 s at 100,000 products and the 4-bit copy another 0.3 s to pack again."""
        with self._lock:
            for product_id in dict.fromkeys(ids):
                row = self._rows.pop(product_id, None)
                if row is None:
                    continue
                self._grouped(product_id, self.metadatas[row], leaving=True)
                last = len(self.ids) - 1
                if row != last:
                    self._matrix[row] = self._matrix[last]
                    self.ids[row], self.metadatas[row] = self.ids[last], self.metadatas[last]
                    self._rows[self.ids[row]] = row
                    self._changed(row)
                for column in (self._columns or {}).values():
                    column.move(last, row)
                    column.cut(last)
                self.ids.pop()
                self.metadatas.pop()

    def search(self, vector: np.ndarray, top_k: int, where: dict | None = None, collapse: Collapse | None = None
               ) -> list[Found]:
        """(id, metadata, cosine score) of the top-k rows that pass `where`, best first; with `collapse`, only the
        best row of each key it gives (a product's best picture, say), top-k keys."""
        return self.search_many(np.asarray(vector)[None, :], top_k, where, collapse)[0]

    def search_many(self, vectors: np.ndarray, top_k: int, where: dict | None = None,
                    collapse: Collapse | None = None) -> list[list[Found]]:
        """`search` for several vectors, as matrix products of a chunk of them at a time."""
        with self._lock:
            return self._search_many(vectors, top_k, where, collapse)

    def _search_many(self, vectors: np.ndarray, top_k: int, where: dict | None,
                     collapse: Collapse | None) -> list[list[Found]]:
        rows = where_rows(where, self.columns()) if where else None
        count = len(self.ids) if rows is None else len(rows)
        if count == 0 or top_k < 1:
            return [[] for _ in vectors]
        # Rows enough for top_k keys: tried with WIDEN rows a key, then WIDEN times more for a query still short
        wanted = min(top_k if collapse is None else top_k * WIDEN, count)
        found: list[list[Found]] = []
        for start in range(0, len(vectors), QUERY_CHUNK):
            queries = unit_rows(vectors[start:start + QUERY_CHUNK])
            for query, top in zip(queries, self._tops(queries, wanted, count, rows)):
                rows_wanted = wanted
                while True:
                    best = self._found(top, collapse, top_k)
                    if len(best) >= top_k or rows_wanted >= count:
                        break
                    rows_wanted = min(rows_wanted * WIDEN, count)
                    top = self._tops(query[None, :], rows_wanted, count, rows)[0]
                found.append(best)
        return found

    def _tops(self, queries: np.ndarray, k: int, count: int, rows: np.ndarray | None
              ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(rows, scores) of the k best rows for each query, best first, by the pass the index's size calls for;
        `rows` are those a filter keeps (None: unfiltered)."""
        if self.large:
            return [self._cells_top(query, k, rows) for query in queries]
        if self._coarse_pays(queries, k, count):
            return self._coarse_top(queries[0], k, rows)
        return self._exact_top(queries, k, rows)

    def _found(self, top: tuple[np.ndarray, np.ndarray], collapse: Collapse | None, top_k: int) -> list[Found]:
        hits = ((self.ids[row], self.metadatas[row], float(score)) for row, score in zip(*top))
        return list(hits) if collapse is None else first_of_each(hits, rows_by(collapse), top_k)

    def _exact_top(self, queries: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """(rows, scores) of the k best rows for each query, best first, scoring every candidate in float32."""
        scores = _scores(queries, self.vectors, rows)
        tops = []
        for line, top in zip(scores, np.argpartition(-scores, k - 1, axis=1)[:, :k]):
            top = top[np.argsort(-line[top], kind="stable")]
            tops.append((top if rows is None else rows[top], line[top]))
        return tops

    @staticmethod
    def _coarse_pays(queries: np.ndarray, k: int, count: int) -> bool:
        """One query among many rows: a batch of queries is a matrix product, bound by arithmetic, not by memory,
        and the int4 kernel computes it much slower than float32 (45 ms instead of 10 for 64 x 100,000)."""
        return coarse.AVAILABLE and len(queries) == 1 and count >= COARSE_FROM and k <= COARSE_POOL

    def _coarse_top(self, query: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """`_exact_top` of one query through the 4-bit copy: its best COARSE_POOL rows (of `rows`, when a filter
        keeps some), scored again in float32."""
        approx = self._fresh_coarse().scores(query)
        if rows is None:
            pool = torch.topk(approx, min(COARSE_POOL, len(self.ids))).indices.numpy()
        else:
            picked = torch.from_numpy(rows)
            pool = rows[torch.topk(approx[picked], min(COARSE_POOL, len(rows))).indices.numpy()]
        exact = _scores(query[None, :], self.vectors, pool)[0]
        order = np.argsort(-exact, kind="stable")[:k]
        return [(pool[order], exact[order])]

    def _cells_top(self, query: np.ndarray, k: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The k best rows for one query in a large index, best first: the rows of the cells nearest to it (and
        among `rows`, those a filter keeps), scored exactly; a narrow filter's rows are all scored."""
        if rows is not None and len(rows) <= FILTERED_SCAN:
            return self._exact_top(query[None, :], k, rows)[0]
        grouped = self._fresh_cells()
        if grouped is None:  # the first cells are being learnt: every (passing) row
            return self._exact_top(query[None, :], k, rows)[0]
        share = 1.0 if rows is None else len(rows) / len(self.ids)
        probes = cells.PROBES * min(FILTER_PROBES_MAX, int(np.ceil(1 / share)))
        candidates = grouped.candidates(query, probes)
        if rows is not None:
            passing = np.zeros(len(self.ids), dtype=bool)
            passing[rows] = True
            candidates = candidates[passing[candidates]]
        if len(candidates) < k:  # too few (passing) rows in those cells: all of them
            return self._exact_top(query[None, :], k, rows)[0]
        return self._exact_top(query[None, :], k, candidates)[0]

    def _fresh_cells(self, wait: bool = False) -> cells.Cells | None:
        """The cells, their changed rows placed since; None while the first are learnt. They are learnt in the
        background (seconds: about 25 s at 1,000,000 rows), first and again once the index has doubled, queries
        meanwhile answered by the old ones or by every row; `wait` learns the first ones now (`prepare`)."""
        if self._cells is None and wait:
            self._cells = cells.Cells.of(self.vectors)
        elif self._retraining is None and (self._cells is None or len(self.ids) > 2 * self._cells.trained_rows):
            self._retraining = threading.Thread(target=self._retrain, name="cells", daemon=True,
                                                args=(cells.training_sample(self.vectors), len(self.ids)))
            self._changed_while_retraining = set()
            self._retraining.start()
        if self._cells is not None and (self._stale or self._cells.rows != len(self.ids)):
            self._cells.update(self.vectors, self._stale)
        self._stale = set()
        return self._cells

    def _retrain(self, sample: np.ndarray, rows: int) -> None:
        """New cells from a sample of the index's `rows` taken under the lock, learnt and filled outside it; the
        rows that changed meanwhile (recorded by `_changed`) are placed again under the lock before they take over."""
        try:
            grouped = cells.Cells(sample, trained_rows=rows)
            grouped.update(self.vectors)  # reads rows that may change meanwhile: those are recorded, placed below
            with self._lock:
                grouped.update(self.vectors, self._changed_while_retraining)
                self._cells = grouped
        finally:  # a learning that failed (the thread prints why) is started again by a later query
            with self._lock:
                self._retraining = None

    def prepare(self) -> None:
        """Build the first pass a large scan needs (the 4-bit copy, or the cells) now rather than on the first query."""
        with self._lock:
            if self.large:
                self._fresh_cells(wait=True)
            elif coarse.AVAILABLE and len(self.ids) >= COARSE_FROM:
                self._fresh_coarse()

    def _fresh_coarse(self) -> coarse.Int4Copy:
        """The 4-bit copy, built on first use, its changed rows packed again since."""
        if self._coarse is None:
            self._coarse = coarse.Int4Copy(self.vectors)
        elif self._stale or self._coarse.rows != len(self.ids):
            self._coarse.update(self.vectors, self._stale)
        self._stale = set()
        return self._coarse

    def columns(self) -> dict[str, Column]:
        if self._columns is None:
            self._columns = {name: Column([m.get(name, default) for m in self.metadatas], default)
                             for name, default in FILTER_FIELDS.items()}
        return self._columns


def _scores(queries: np.ndarray, vectors: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Dot products of the queries with `vectors` (those of `rows`, when given) through torch, not NumPy: NumPy's
    OpenBLAS threads keep spinning for a while after a product and slowed the next photo's encoding in torch's own
    threads from 29 to 80 ms on 2 cores; and torch gathers rows faster (1.3 ms for 7,400 float16 rows of 512,
    NumPy 1.6). float16 rows are widened a chunk at a time, so that a large index's scan never holds a float32 copy."""
    query, matrix = torch.from_numpy(queries), torch.from_numpy(vectors)
    picked = None if rows is None else torch.from_numpy(np.asarray(rows, np.int64))
    if vectors.dtype == np.float32:
        return (query @ (matrix if picked is None else matrix.index_select(0, picked)).T).numpy()
    count = len(vectors) if picked is None else len(picked)
    chunks = (matrix[start:start + _WIDEN_ROWS] if picked is None else
              matrix.index_select(0, picked[start:start + _WIDEN_ROWS]) for start in range(0, count, _WIDEN_ROWS))
    return torch.cat([query @ chunk.float().T for chunk in chunks], dim=1).numpy()
