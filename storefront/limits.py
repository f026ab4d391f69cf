"""A public deployment's cap on searches per client: per session (a browser tab, a gradio_client, an MCP
session) and per address, counted over a moving window by the `limits` library, in memory and per process."""
from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse, storage, strategies

from catalog.errors import UserError
from search.config import ConfigError


class TooManySearches(UserError):
    """A client searched more often than the deployment allows."""

    def __init__(self, wait_s: int) -> None:
        super().__init__("too_many", seconds=wait_s)
        self.wait_s = wait_s


class SearchLimits:
    """`admit` lets a search through, or raises `TooManySearches` saying how long to wait. An empty limit is no
    limit; a limit the `limits` library cannot read ("30/minute", "500/hour") is refused at start."""

    def __init__(self, per_session: str = "", per_address: str = "") -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._items: dict[str, RateLimitItem] = {kind: _parse(kind, text) for kind, text in
                                                 (("session", per_session), ("address", per_address)) if text}

    @property
    def enabled(self) -> bool:
        return bool(self._items)

    def admit(self, session: str | None, address: str | None) -> None:
        client = {"session": session or "", "address": address or ""}
        counted = [(item, kind, client[kind]) for kind, item in self._items.items() if client[kind]]
        full = [(item, kind, key) for item, kind, key in counted if not self._limiter.test(item, kind, key)]
        if full:  # nothing is counted: a refused search does not push the wait further out
            reset = max(self._limiter.get_window_stats(*limit).reset_time for limit in full)
            raise TooManySearches(max(1, math.ceil(reset - time.time())))
        for limit in counted:
            self._limiter.hit(*limit)


def _parse(kind: str, text: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError:
        raise ConfigError("bad_rate", kind=kind, text=text) from None
