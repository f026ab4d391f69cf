"""One writing process at a time for an embedded store: Chroma's embedded mode is not safe with several
processes writing. The lock is an OS file lock, so it is released when its process dies, however it dies."""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from search.store.errors import StoreBusyError

LOCK_NAME = "writer.lock"
WAIT_S = 0.5  # a writer waits this long for the lock: an app holds it for a moment while it reads what was written


class WriterLock:
    """Held while indexing or deleting; re-entrant within a process, whose threads share it (an admin's ingest and
    delete run in two of Gradio's workers). The holds are counted here, so the OS lock is taken and given back
    once: filelock turns away a non-blocking acquire while another thread is half way through one."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._lock = FileLock(self.folder / LOCK_NAME, timeout=0, thread_local=False)
        self._holder = self.folder / f"{LOCK_NAME}.holder"
        self._holds = 0
        self._guard = threading.Lock()

    @contextmanager
    def held(self, wait: float = WAIT_S, writing: bool = True) -> Iterator[None]:
        """Hold the lock for the block; raise `StoreBusyError` if another process has it for `wait` seconds. A holder
        `writing` is named in the holder file, for the writer it turns away to name."""
        with self._guard:
            if self._holds == 0:
                self._take(wait, writing)
            self._holds += 1
        try:
            yield
        finally:
            with self._guard:
                self._holds -= 1
                if self._holds == 0:
                    self._lock.release()

    @contextmanager
    def held_unless_busy(self) -> Iterator[bool]:
        """True, the lock held for the block, unless another process holds it: then False at once, not held. Chroma's
        embedded store is not safe to read while another process writes it: an app that read it during a 10,000
        product index run died (its reader compacts and loads the vector files the writer is rewriting)."""
        with ExitStack() as holding:
            try:
                holding.enter_context(self.held(wait=0, writing=False))  # a reader writes nothing
            except StoreBusyError:
                yield False
                return
            yield True

    def _take(self, wait: float, writing: bool) -> None:
        try:
            self._lock.acquire(timeout=wait)
        except Timeout:
            raise StoreBusyError("store_busy", folder=self.folder, holder=self._read_holder()) from None
        if writing:
            self._holder.write_text(f"pid {os.getpid()}, {' '.join(sys.argv) or 'python'}, since "
                                    f"{time.strftime('%H:%M:%S')}", encoding="utf-8")

    def _read_holder(self) -> str:
        try:
            return self._holder.read_text(encoding="utf-8")
        except OSError:
            return "unknown"


_LOCKS: dict[Path, WriterLock] = {}
_LOCKS_GUARD = threading.Lock()


def writer_lock(folder: Path | str) -> WriterLock:
    """This process's one lock for a store folder: two stores opened on it in one process (the serving one and a
    model switch's) share it, where two OS locks would refuse each other."""
    key = Path(folder).resolve()
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, WriterLock(key))
