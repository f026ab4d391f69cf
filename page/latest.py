"""A browser session's searches can run two at a time (the queue's concurrency) and finish out of order: opening
the Tuning tab starts a search to draw its charts, and a threshold typed at once starts another. Whatever
finished last was shown, so the older search could overwrite the newer one's results. A search's results are
now shown only if no search of the same session started after it."""
from __future__ import annotations

import itertools
import threading
from collections import OrderedDict

import gradio as gr

SESSIONS_KEPT = 10_000  # one number per browser session, the least recently searching forgotten first


class LatestSearch:
    """The newest search of each browser session."""

    def __init__(self) -> None:
        self._tickets = itertools.count(1)
        self._newest: OrderedDict[str, int] = OrderedDict()  # session: the ticket of its newest search
        self._lock = threading.Lock()

    def start(self, request: gr.Request) -> int:
        """A ticket for a search that starts now; every search of the session started before is now stale."""
        session = request.session_hash or ""
        with self._lock:
            ticket = self._newest[session] = next(self._tickets)
            self._newest.move_to_end(session)
            while len(self._newest) > SESSIONS_KEPT:
                self._newest.popitem(last=False)
            return ticket

    def is_newest(self, request: gr.Request, ticket: int) -> bool:
        with self._lock:
            return self._newest.get(request.session_hash or "", ticket) == ticket
