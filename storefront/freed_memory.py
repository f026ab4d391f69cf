"""Memory the app freed, handed back to the system. glibc keeps what a process frees in its heaps for reuse, and
photos of every size decoded, encoded and searched left the serving process's heaps fragmented: its resident memory
grew by 11-16% over 20,000 searches (bench/soak.py) though nothing was kept. `malloc_trim` hands back the free pages
(of 78 MB grown over 1,400 searches in one thread, it gave back 50; the rest is caches that stop growing), in 0.4 to
3 ms; so a thread of its own asks for it every TRIM_S seconds after the process worked (spent BUSY_CPU_S of CPU time
since it last asked), and not at all while the app is idle, when nothing was freed. Where the C library is not
glibc, nothing is done."""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time

TRIM_S = 2.0
BUSY_CPU_S = 0.05  # the process's CPU time since the last trim that makes the next one worth asking for
log = logging.getLogger("storefront.memory")
_started = threading.Event()


def keep_handing_back() -> None:
    """Start the thread, once per process; a no-op without glibc's `malloc_trim`."""
    trim = _malloc_trim()
    if trim is None or _started.is_set():
        return
    _started.set()

    def hand_back() -> None:
        trimmed_at = time.process_time()
        while True:
            time.sleep(TRIM_S)
            if time.process_time() - trimmed_at >= BUSY_CPU_S:
                trim(0)
                trimmed_at = time.process_time()

    threading.Thread(target=hand_back, name="hand back freed memory", daemon=True).start()


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError) as error:  # musl, macOS, Windows: their allocators do without
        log.debug("no malloc_trim here: %s", error)
        return None
