"""A 4-bit copy of an index's vectors, for a fast first pass over a large catalog.

One shopper's query against 100,000 x 512 vectors is a matrix-vector product bound by memory speed: 200 MB in
float32, 100 MB as a bfloat16 copy (5 ms right after the photo's encoding, on 2 cores). This copy keeps 4 bits a
value, with a scale and an offset for every group of 32 (32 MB in all), and is scored by torch's int4 weight-only
kernel, the one CPU language-model decoding uses: 2 ms. Its scores are off by up to about 0.03, so ExactIndex
scores its best rows again in float32 (docs/benchmarks.md, "The 4-bit copy's error": how many it takes)."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

GROUP = 32  # values sharing one scale and offset (the kernel takes 32, 64, 128 or 256: smaller is more precise)
ROW_BLOCK = 64  # the kernel packs rows 64 at a time (CHUNK_ROWS is a multiple)
CHUNK_ROWS = 4096  # quantised and packed a chunk at a time: the temporaries stay small and in the cache
AVAILABLE = hasattr(torch, "_weight_int4pack_mm_for_cpu")


class Int4Copy:
    """Approximate dot products of a query with every row of `vectors`."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.rows, dim = vectors.shape
        self._dim = -(-dim // GROUP) * GROUP
        # Quantising each row's difference from the mean spends the 16 levels on what tells rows apart; the
        # query's dot product with the mean is the same for every row, so the ranking does not change (nor
        # does it when rows added later are quantised against this same, older mean).
        self._mean = vectors.mean(axis=0) if self.rows else np.zeros(dim, np.float32)
        self._packed = torch.empty((0, self._dim // 2), dtype=torch.uint8)
        self._scales_and_offsets = torch.empty((self._dim // GROUP, 0, 2), dtype=torch.bfloat16)
        self.rows = 0
        self.update(vectors)

    def update(self, vectors: np.ndarray, changed: Iterable[int] = ()) -> None:
        """Packs again the rows `changed` (their blocks of ROW_BLOCK) and any rows past the ones held, keeping the
        rest: a product changed, moved or appended costs its own block, not the whole catalog's (0.3 s at
        100,000). `vectors` holds every row, as many as the index now has."""
        held = min(self.rows, len(vectors)) // ROW_BLOCK * ROW_BLOCK  # whole blocks kept as they are
        self.rows = len(vectors)
        padded_rows = -(-max(self.rows, 1) // ROW_BLOCK) * ROW_BLOCK
        self._packed = _resized(self._packed, 0, held, padded_rows)
        self._scales_and_offsets = _resized(self._scales_and_offsets, 1, held, padded_rows)
        for block in sorted({row // ROW_BLOCK * ROW_BLOCK for row in changed if row < held}):
            self._pack(vectors[block:block + ROW_BLOCK], block, ROW_BLOCK)
        for chunk in range(held, padded_rows, CHUNK_ROWS):
            self._pack(vectors[chunk:chunk + CHUNK_ROWS], chunk, min(CHUNK_ROWS, padded_rows - chunk))

    @property
    def nbytes(self) -> int:
        return self._packed.nbytes + self._scales_and_offsets.nbytes

    def scores(self, query: np.ndarray) -> torch.Tensor:
        """float32 scores of one unit query against every row, shifted by the same amount for all rows."""
        padded = torch.zeros((1, self._dim), dtype=torch.bfloat16)
        padded[0, :len(query)] = torch.from_numpy(query)
        found = torch._weight_int4pack_mm_for_cpu(padded, self._packed, GROUP, self._scales_and_offsets)
        return found[0, :self.rows].float()

    def _pack(self, vectors: np.ndarray, start: int, rows: int) -> None:
        block = torch.zeros((rows, self._dim))
        block[:len(vectors), :vectors.shape[1]] = torch.from_numpy(vectors - self._mean)
        groups = block.view(rows, -1, GROUP)
        low, high = groups.amin(dim=-1), groups.amax(dim=-1)
        scale = (high - low).clamp(min=1e-12) / 15
        codes = ((groups - low[..., None]) / scale[..., None]).round_().clamp_(0, 15).to(torch.int32)
        self._packed[start:start + rows] = torch._convert_weight_to_int4pack_for_cpu(codes.view(rows, -1), 2)
        # the kernel reads a value back as (code - 8) * scale + offset
        self._scales_and_offsets[:, start:start + rows] = torch.stack([scale, low + 8 * scale], dim=-1).transpose(0, 1)


def _resized(tensor: torch.Tensor, dim: int, keep: int, rows: int) -> torch.Tensor:
    """`tensor` with its first `keep` rows along `dim`, followed by room for `rows` in all."""
    kept = tensor.narrow(dim, 0, keep)
    shape = list(tensor.shape)
    shape[dim] = rows - keep
    return torch.cat([kept, torch.empty(shape, dtype=tensor.dtype)], dim=dim)
