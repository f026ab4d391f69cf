"""The encoder's batch size for an indexing run, measured on the run's own pictures rather than guessed per device.

The run starts with batches of `START` pictures and doubles the size after every `TRIES` full batches; a size is
better when its batches are decoded and encoded `GAIN` faster (images per second) than the best so far. It stops
growing `PATIENCE` sizes past the best (or at `LARGEST`) and keeps the best. The batches measured are the run's own
work, so measuring costs nothing but the slower sizes' batches. Each size's best batch counts: the first batch of a
new size pays for setting it up (oneDNN's kernels, cuDNN's choice of algorithm).

Decoding is timed with the encoding because the model waits for it (see `search.indexer`): ViT-B-32 in bfloat16 on
this 2-core Xeon measured 50, 89, 103, 120, 76 and 73 images/s at 8 to 256 pictures in one run, and 50, 73, 126,
116 and 85 in another (docs/benchmarks.md). Encoding alone is less regular (105, 99, 122, 136 at 8 to 64), which
is why one size that gains nothing does not stop the growth. A GPU keeps gaining to hundreds; one that runs out of
memory on a batch encodes it in halves (`ClipEncoder`), which measures slower, so the size stops growing there.
"""
from __future__ import annotations

START = 8
LARGEST = 512
GAIN = 1.05
TRIES = 2
PATIENCE = 2


class BatchSizer:
    """How many pictures to encode at once: `fixed`, or (0) measured as the run goes."""

    def __init__(self, fixed: int = 0) -> None:
        self.size = fixed or START
        self.measured = not fixed
        self.settled = bool(fixed)
        self.rates: dict[int, float] = {}  # batch size: its best batch's images per second
        self._tries: dict[int, int] = {}
        self._best = self.size
        self._misses = 0  # sizes tried since the best

    def encoded(self, count: int, seconds: float) -> None:
        """One batch was encoded: `count` pictures in `seconds`. Only a full batch of the size on trial counts
        (the run's last batch, or one with pictures unchanged or unreadable, is smaller)."""
        if self.settled or count != self.size or seconds <= 0:
            return
        self.rates[count] = max(self.rates.get(count, 0.0), count / seconds)
        self._tries[count] = self._tries.get(count, 0) + 1
        if self._tries[count] < TRIES:
            return
        if count == self._best or self.rates[count] >= self.rates[self._best] * GAIN:
            self._best, self._misses = count, 0
        else:
            self._misses += 1
        if self._misses >= PATIENCE or count * 2 > LARGEST:
            self.size, self.settled = self._best, True
        else:
            self.size = count * 2

    def describe(self) -> str:
        """The size, and for a measured one what each size measured."""
        if not self.measured:
            return f"{self.size} pictures a batch (as set)"
        rates = ", ".join(f"{size}: {rate:.1f}" for size, rate in sorted(self.rates.items()))
        state = "measured" if self.settled else "still measuring"
        return f"{self.size} pictures a batch, {state} (images/s by batch size: {rates or 'no full batch yet'})"
