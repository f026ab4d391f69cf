"""A sub-linear first pass for a large catalog: its rows grouped into cells around k-means centres (trained by
faiss), so that one query scores exactly only the rows of the few cells nearest to it instead of every row.

At 1,000,000 x 512 a scan of every row reads 256 MB even through the 4-bit copy (27-30 ms here, 0.6 of one photo's
encoding); the rows of 8 cells of about 1,000 are 8 MB. A product near the query sits in a cell whose centre is
near the query, so the true top 10 are in those cells: docs/benchmarks.md, "A million products", measures how
often (recall@10) and what else was tried (FAISS IVF-PQ and IVF-SQ8, usearch's HNSW). The index keeps its own
vectors (float16 at this size) for re-scoring, filtering and updates; this keeps only each row's cell.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

CELL_ROWS = 1000  # rows per cell on average
PROBES = 8  # cells one query reads (16 found no more of the true top 10: docs/benchmarks.md)
TRAIN_PER_CELL = 64  # rows sampled per centre to train k-means (faiss's own lower bound is 39)
_ASSIGN_CHUNK = 65_536


def training_sample(vectors: np.ndarray, seed: int = 1) -> np.ndarray:
    """The rows k-means learns the cells from (TRAIN_PER_CELL a cell), as float32: a copy, so that it can be
    trained on while the index changes."""
    count = max(1, len(vectors) // CELL_ROWS)
    picked = np.random.default_rng(seed).choice(len(vectors), min(len(vectors), count * TRAIN_PER_CELL), replace=False)
    return np.ascontiguousarray(vectors[np.sort(picked)], dtype=np.float32)


class Cells:
    """Each row's cell, and the rows of the cells nearest to a query."""

    def __init__(self, sample: np.ndarray, trained_rows: int, seed: int = 1) -> None:
        """Cells learnt from `sample` (`training_sample` of an index of `trained_rows` rows), holding no rows yet."""
        import faiss  # here, not above: only a large catalog needs it, and a command's start pays 45 ms for it

        self.trained_rows = trained_rows
        kmeans = faiss.Kmeans(sample.shape[1], max(1, trained_rows // CELL_ROWS), niter=10, spherical=True,
                              seed=seed, max_points_per_centroid=TRAIN_PER_CELL)
        kmeans.train(sample)
        self._centres = torch.from_numpy(kmeans.centroids)
        self._cell = np.empty(0, np.int32)
        self._members: tuple[np.ndarray, np.ndarray] | None = None  # rows ordered by cell, and where each cell starts

    @classmethod
    def of(cls, vectors: np.ndarray) -> Cells:
        """Cells learnt from these rows, holding them."""
        made = cls(training_sample(vectors), len(vectors))
        made.update(vectors)
        return made

    @property
    def count(self) -> int:
        return len(self._centres)

    @property
    def rows(self) -> int:
        return len(self._cell)

    @property
    def nbytes(self) -> int:
        ordered = 0 if self._members is None else sum(part.nbytes for part in self._members)
        return self._centres.numpy().nbytes + self._cell.nbytes + ordered

    def update(self, vectors: np.ndarray, changed: Iterable[int] = ()) -> None:
        """The cells of the rows `changed` and of any rows past the ones held; `vectors` holds every row, as many as
        the index now has (the same contract as the 4-bit copy's `update`)."""
        held = min(len(self._cell), len(vectors))
        self._cell = np.resize(self._cell, len(vectors))
        again = np.array(sorted(row for row in set(changed) if row < held), dtype=np.int64)
        if len(again):
            self._cell[again] = self._nearest(vectors[again])
        for start in range(held, len(vectors), _ASSIGN_CHUNK):
            self._cell[start:start + _ASSIGN_CHUNK] = self._nearest(vectors[start:start + _ASSIGN_CHUNK])
        self._members = None

    def candidates(self, query: np.ndarray, probes: int = PROBES) -> np.ndarray:
        """The rows of the `probes` cells whose centres are nearest to the query, in row order."""
        order, starts = self._ordered()
        nearest = torch.topk(self._centres @ torch.from_numpy(query), min(probes, self.count)).indices.numpy()
        return np.sort(np.concatenate([order[starts[cell]:starts[cell + 1]] for cell in nearest]))

    def _nearest(self, vectors: np.ndarray) -> np.ndarray:
        return (torch.from_numpy(np.asarray(vectors, np.float32)) @ self._centres.T).argmax(dim=1).numpy()

    def _ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows sorted by cell (built again after a change: about 60 ms at 1,000,000 rows)."""
        if self._members is None:
            order = np.argsort(self._cell, kind="stable")
            starts = np.concatenate([[0], np.cumsum(np.bincount(self._cell, minlength=self.count))])
            self._members = (order, starts)
        return self._members
