"""Gradio's queue looks for work every millisecond while it has none, and for progress to send every 10 ms: 4.5% of a
core on an app nobody uses (`bench/idle.py`), which a laptop's battery and a Space's shared CPU pay for. `calm`
keeps those pauses while there is work and for a moment after, and lengthens them once the queue has been idle:
the first event after a quiet spell waits up to `IDLE_PAUSE_S` (0.1 s) more to be picked up, every later one as
before.
Gradio (6.31) has no setting for these pauses; they are its queue's own attributes, read at every turn of its loops."""
from __future__ import annotations

import time
from typing import Any

from gradio import queueing

BUSY_FOR_S = 2.0  # after the last event came or ran, the queue keeps Gradio's own pauses this long
IDLE_PAUSE_S = 0.1  # then looks for work this often
IDLE_PROGRESS_PAUSE_S = 0.5  # and for progress to send this often (nothing runs, so there is none)


class CalmQueue(queueing.Queue):
    """Gradio's queue, its pauses while free read from how long it has been free."""

    _last_work = 0.0

    @property
    def sleep_when_free(self) -> float:
        return self._pause(busy=0.001, idle=IDLE_PAUSE_S)

    @sleep_when_free.setter
    def sleep_when_free(self, value: float) -> None:
        """Gradio sets its own pause as it makes the queue: the property decides."""

    @property
    def progress_update_sleep_when_free(self) -> float:
        return self._pause(busy=0.01, idle=IDLE_PROGRESS_PAUSE_S)

    @progress_update_sleep_when_free.setter
    def progress_update_sleep_when_free(self, value: float) -> None:
        """As `sleep_when_free`."""

    async def push(self, *args: Any, **kwargs: Any) -> Any:
        self._last_work = time.monotonic()
        return await super().push(*args, **kwargs)

    def _pause(self, busy: float, idle: float) -> float:
        now = time.monotonic()
        if len(self) or any(job is not None for job in self.active_jobs):
            self._last_work = now
        return busy if now - self._last_work < BUSY_FOR_S else idle


def calm(queue: queueing.Queue) -> None:
    """`queue` (a Blocks' `_queue`, made by `Blocks.queue`) backing off while idle."""
    queue.__class__ = CalmQueue
