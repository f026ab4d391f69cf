"""An app nobody uses should cost next to nothing: a laptop's battery and a Space's shared CPU pay for its wake-ups.
Gradio's queue looks for work every millisecond while it has none, and for progress to send every 10 ms (4.5% of a
core, `bench/idle.py`); uvicorn's main loop wakes every 0.1 s to refresh its Date header and see whether to stop.
The two together woke the server's event loop about 30 times a second, 0.4-0.6% of a core.

`calm` keeps the queue's own pauses while there is work and for BUSY_FOR_S after, then looks every QUIET_PAUSE_S
(the first search after a few seconds' quiet waits up to 0.1 s more to be picked up) and, once nothing came for
ASLEEP_AFTER_S, every ASLEEP_PAUSE_S (the first search after a long quiet spell waits up to 0.5 s more).
`calm_server` makes uvicorn's ticks IDLE_TICK_S apart while no connection is open; they gate no request, so
nobody waits for them. Either alone changed nothing measurable (the other still woke the loop ten times a second);
together, 0.22% idle (docs/benchmarks.md, "The idle app").
Gradio (6.31) and uvicorn (0.55) have no settings for these pauses: they are the queue's attributes and the server's
`on_tick`, read at every turn of their loops.

A busy app pays for nothing nobody reads either. After every event Gradio's queue built a summary for its monitoring
dashboard: a pandas table of the last ANALYTICS_MAX_EVENTS (10,000) events' records, grouped, with percentiles. Its
cost grew with the records (the soak's median rose from 49 to 73 ms over 20,000 searches), and pandas' Arrow allocator
(mimalloc) kept more and more of what those tables freed (12 to 67 MB over the same run). The app turns that dashboard
off (its Insights page shows the shop's own figures), so the queue keeps no records and builds no summary
(docs/benchmarks.md, "A long run")."""
from __future__ import annotations

import asyncio
import time
from typing import Any

from gradio import http_server, queueing

BUSY_FOR_S = 2.0  # after the last event came or ran, the queue keeps Gradio's own pauses this long
QUIET_PAUSE_S = 0.1  # then looks for work this often
ASLEEP_AFTER_S = 30.0  # and after this long without an event
ASLEEP_PAUSE_S = 0.5  # this often
IDLE_PROGRESS_PAUSE_S = 0.5  # looks for progress to send this often once idle (nothing runs, so there is none)
IDLE_TICK_S = 0.5  # uvicorn's tick while no connection is open (a stop asked for meanwhile waits for it)


class CalmQueue(queueing.Queue):
    """Gradio's queue, its pauses while free read from how long it has been free."""

    _last_work = 0.0

    @property
    def sleep_when_free(self) -> float:
        idle_s = self._idle_s()
        return 0.001 if idle_s < BUSY_FOR_S else QUIET_PAUSE_S if idle_s < ASLEEP_AFTER_S else ASLEEP_PAUSE_S

    @sleep_when_free.setter
    def sleep_when_free(self, value: float) -> None:
        """Gradio sets its own pause as it makes the queue: the property decides."""

    @property
    def progress_update_sleep_when_free(self) -> float:
        return 0.01 if self._idle_s() < BUSY_FOR_S else IDLE_PROGRESS_PAUSE_S

    @progress_update_sleep_when_free.setter
    def progress_update_sleep_when_free(self, value: float) -> None:
        """As `sleep_when_free`."""

    def compute_analytics_summary(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Gradio's summary for its monitoring dashboard, which the app turns off: the empty one it starts with."""
        return self.cached_event_analytics_summary

    async def push(self, *args: Any, **kwargs: Any) -> Any:
        self._last_work = time.monotonic()
        return await super().push(*args, **kwargs)

    def _idle_s(self) -> float:
        """How long the queue has had nothing queued or running."""
        now = time.monotonic()
        if len(self) or any(job is not None for job in self.active_jobs):
            self._last_work = now
        return now - self._last_work


class CalmServer(http_server.Server):
    """Gradio's uvicorn server, its ticks IDLE_TICK_S apart while no connection is open."""

    async def on_tick(self, counter: int) -> bool:
        if not self.server_state.connections and not self.should_exit:
            await asyncio.sleep(IDLE_TICK_S - 0.1)  # uvicorn's own 0.1 s sleep comes before each tick
            counter = 0  # so the Date header is refreshed at this tick, as uvicorn does once a second
        return await super().on_tick(counter)


def calm(queue: queueing.Queue) -> None:
    """`queue` (a Blocks' `_queue`, made by `Blocks.queue`) backing off while idle, and keeping no records for
    Gradio's monitoring dashboard (the app launches with it off)."""
    queue.__class__ = CalmQueue
    queue.ANALYTICS_MAX_EVENTS = 1  # Gradio keeps the last events' records for that dashboard alone


def calm_server(server: http_server.Server) -> None:
    """`server` (a launched Blocks' `server`) ticking slowly while no connection is open."""
    server.__class__ = CalmServer
