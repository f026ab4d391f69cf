"""What shoppers searched and opened, for the product team: one row a search from any doorway (the time, the doorway,
the language, the kind, the typed words unless turned off, the product a "more like this" started from, the filters,
how many results, the best score and the best before the threshold, each stage's time, the ids shown, a token random
per browser tab) and one row an opened result (its rank), each also counted per day as it is written
(storefront/event_store.py). Never the photo, never an address, never a lasting identifier. In SQLite beside the
store (WAL), written by a thread of its own: a search never waits for its event, and a locked, full or damaged file
drops events with a log line."""
from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from storefront.event_store import COUNT_TABLES, DAY_S, STAGE_COLUMNS, Batch, count_again, prepared
from storefront.results import STAGES

log = logging.getLogger("storefront.events")
PRUNE_EVERY = 500  # writes between two looks at the retention and the size cap
# How long the writer gathers events before it writes them: a search's event waits up to this long in memory (and is
# lost with it in a crash), and the writer's work falls on fewer of the searches after it (docs/benchmarks.md)
GATHER_S = 1.0


@dataclass(frozen=True)
class SearchEvent:
    doorway: str  # page, tuning, api, mcp
    lang: str
    kind: str  # photo, text, both, more_like, items, crop
    words: str | None  # the typed words; None when there were none or words are not kept
    source: str | None  # the product a "more like this" started from
    filters: dict[str, object]  # only those set
    results: int
    best: float | None
    nearest: float | None  # the best candidate's score before the minimum score; None when there was none
    timings: dict[str, float]
    shown: list[str]  # the ids shown, best first
    token: str | None  # random per browser tab; None from the API and the tools
    at: float = field(default_factory=time.time)  # when it was searched (it is written up to a second later)


@dataclass(frozen=True)
class OpenEvent:
    token: str | None
    product_id: str
    rank: int  # 1 for the first result
    at: float = field(default_factory=time.time)


class EventLog:
    """`record(event)` queues an event and returns at once; `path` None records nothing and writes no file."""

    def __init__(self, path: Path | None, retention_days: int = 30, max_mb: float = 200.0,
                 keep_words: bool = True) -> None:
        self.path, self.retention_s, self.max_bytes = path, retention_days * DAY_S, max_mb * 2**20
        self.keep_words = keep_words
        # events, and markers set once everything queued before them is written (`flush`)
        self._queue: queue.SimpleQueue[SearchEvent | OpenEvent | threading.Event] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._written = 0

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def record(self, event: SearchEvent | OpenEvent) -> None:
        if self.path is None:
            return
        if isinstance(event, SearchEvent) and not self.keep_words:
            event = SearchEvent(**{**asdict(event), "words": None})
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_all, name="events", daemon=True)
            self._writer.start()
        self._queue.put(event)

    def written(self) -> Path | None:
        """The log's file with every event recorded so far in it, for those who read it (the Insights page, the
        replay, the model switch): an open recorded a moment before was otherwise still queued, and not counted."""
        self.flush()
        return self.path

    def flush(self, timeout_s: float = 10.0) -> None:
        """Waits until every event queued so far is written (or dropped); for tests, a graceful stop and `written`."""
        if self._writer is None:
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout_s)

    def _write_all(self) -> None:
        connection = None
        while True:
            events, markers = self._waiting()
            try:
                if events:
                    connection = connection or self._connect()
                    self._written_in(connection, events)
            except (sqlite3.Error, OSError) as error:  # locked, full, damaged: the events are dropped, not searches
                log.warning("%d search events were dropped (%s: %s)", len(events), self.path, error)
                _close(connection)
                connection = None
            except Exception:  # a fault of ours: said with its traceback, and the writer goes on with the next ones
                log.exception("%d search events were dropped (%s)", len(events), self.path)
                _close(connection)
                connection = None
            for marker in markers:
                marker.set()

    def _waiting(self) -> tuple[list[SearchEvent | OpenEvent], list[threading.Event]]:
        """What a batch writes: the first item, waited for, and what else comes within `GATHER_S` of it (a flush's
        marker ends the wait), so the writer wakes about once a second at most rather than after every search."""
        items = [self._queue.get()]
        deadline = time.monotonic() + GATHER_S
        while not isinstance(items[-1], threading.Event) and (left := deadline - time.monotonic()) > 0:
            try:
                items.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
        while not self._queue.empty():
            items.append(self._queue.get())
        return ([item for item in items if not isinstance(item, threading.Event)],
                [item for item in items if isinstance(item, threading.Event)])

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=0.2)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # in WAL: durable but for the last moments before a crash
        prepared(connection)
        return connection

    def _written_in(self, connection: sqlite3.Connection, events: list[SearchEvent | OpenEvent]) -> None:
        """The events, kept and counted, in one transaction."""
        batch = Batch()
        for event in events:
            if isinstance(event, SearchEvent):
                batch.add_search(event.at, {
                    **asdict(event), "filters": json.dumps(event.filters), "shown": json.dumps(event.shown),
                    **{column: event.timings.get(stage) for stage, column in zip(STAGES, STAGE_COLUMNS)}},
                    event.shown, event.filters)
            else:
                batch.add_open(event.at, event.token, event.product_id, event.rank)
        with connection:
            batch.write(connection)
        self._written += len(events)
        if self._written // PRUNE_EVERY != (self._written - len(events)) // PRUNE_EVERY:
            self.prune(connection, time.time())

    def prune(self, connection: sqlite3.Connection, now: float) -> None:
        """Events older than the retention removed; past the size cap, the oldest tenth of what is left too."""
        oldest = now - self.retention_s
        with connection:
            for table in ("searches", "opens"):  # the day first: the index finds the old ones
                connection.execute(f"DELETE FROM {table} WHERE day <= ? AND at < ?", (oldest // DAY_S, oldest))
            for table in COUNT_TABLES:  # counted by whole days: a day goes once all of it is past the retention
                connection.execute(f"DELETE FROM {table} WHERE day < ?", (oldest // DAY_S,))
        assert self.path is not None
        if self.path.stat().st_size > self.max_bytes:
            with connection:
                for table in ("searches", "opens"):
                    connection.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY at "
                                       f"LIMIT (SELECT COUNT(*) / 10 + 1 FROM {table}))")
                count_again(connection)  # the figures of what is kept
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("VACUUM")  # outside a transaction, as SQLite requires


def _close(connection: sqlite3.Connection | None) -> None:
    """A connection that failed, closed: the next batch opens the file afresh."""
    if connection is not None:
        connection.close()
