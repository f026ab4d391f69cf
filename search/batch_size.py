"""The encoder's batch size for an indexing run, measured on the run's own pictures rather than guessed per device.

The run starts with batches of `START` pictures and doubles the size after every `TRIES` full batches, while the
encoder's images per second keep rising by `GAIN` or more; then it keeps the size that measured fastest. The
batches measured are the run's own work, so measuring costs nothing. Each size's best batch counts: the first
batch of a new size pays for setting it up (oneDNN's kernels, cuDNN's choice of algorithm).

What it finds (`bench/encoder.py`, docs/benchmarks.md): on 2 CPU cores ViT-B-32 gains little past 8 to 32 pictures,
while a GPU keeps gaining to hundreds; a GPU that runs out of memory on a batch encodes it in halves (`ClipEncoder`),
which measures slower, so the size stops growing there.
"""
from __future__ import annotations

START = 8
LARGEST = 512
GAIN = 1.05
TRIES = 2


class BatchSizer:
    """How many pictures to encode at once: `fixed`, or (0) measured as the run goes."""

    def __init__(self, fixed: int = 0) -> None:
        self.size = fixed or START
        self.measured = not fixed
        self.settled = bool(fixed)
        self.rates: dict[int, float] = {}  # batch size: its best batch's images per second
        self._tries: dict[int, int] = {}

    def encoded(self, count: int, seconds: float) -> None:
        """One batch was encoded: `count` pictures in `seconds`. Only a full batch of the size on trial counts
        (the run's last batch, or one with pictures unchanged or unreadable, is smaller)."""
        if self.settled or count != self.size or seconds <= 0:
            return
        self.rates[count] = max(self.rates.get(count, 0.0), count / seconds)
        self._tries[count] = self._tries.get(count, 0) + 1
        if self._tries[count] < TRIES:
            return
        smaller = self.rates.get(count // 2)
        if count * 2 > LARGEST or (smaller is not None and self.rates[count] < smaller * GAIN):
            self.size = max(self.rates, key=lambda size: self.rates[size])
            self.settled = True
        else:
            self.size = count * 2

    def describe(self) -> str:
        """The size, and for a measured one what each size measured."""
        if not self.measured:
            return f"{self.size} pictures a batch (as set)"
        rates = ", ".join(f"{size}: {rate:.1f}" for size, rate in sorted(self.rates.items()))
        state = "measured" if self.settled else "still measuring"
        return f"{self.size} pictures a batch, {state} (images/s by batch size: {rates or 'no full batch yet'})"
