"""Memory the app freed, handed back to the system. glibc keeps what a process frees in its heaps for reuse, and
photos of every size decoded, encoded and searched left the serving process's heaps fragmented: its resident memory
grew by 11-16% over 20,000 searches (bench/soak.py) though nothing was kept.

- `malloc_trim` hands back the free pages (of 78 MB grown over 1,400 searches in one thread, it gave back 50; the rest
  is caches that stop growing), in 0.4 to 3 ms; so a thread of its own asks for it every TRIM_S seconds after the
  process worked (spent BUSY_CPU_S of CPU time since it last asked), and not at all while the app is idle.
- Two of glibc's defaults are set otherwise (`mallopt`, as the MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ variables
  would at a start): at most ARENAS heaps, where glibc gives the server's threads up to 8 a core, each fragmenting on
  its own; and blocks from MMAP_FROM up always mapped and unmapped on their own, where glibc raises that limit to the
  largest block freed, so that a decoded photo's buffer, once freed, makes later ones come from the heaps.
- The heaps' limit counts only when set before the process's threads allocate: glibc fixes its limit when a ninth
  heap is asked for and keeps the heaps it made before. Set when the shop started, the serving process still had
  15 heaps, each growing (docs/benchmarks.md, "A long run"); so `app.py` calls `limit_heaps` before its imports.

Where the C library is not glibc, nothing is done."""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time

TRIM_S = 2.0
BUSY_CPU_S = 0.05  # the process's CPU time since the last trim that makes the next one worth asking for
ARENAS = 2
MMAP_FROM = 1 << 20
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # glibc's malloc.h
log = logging.getLogger("storefront.memory")
_started = threading.Event()


def limit_heaps() -> bool:
    """Set the allocator's two limits (see above), first thing in the process; whether glibc took both."""
    libc = _glibc()
    return libc is not None and all(libc.mallopt(option, value) == 1 for option, value in (
        (_M_ARENA_MAX, ARENAS), (_M_MMAP_THRESHOLD, MMAP_FROM)))


def keep_handing_back() -> None:
    """Start the thread, once per process; a no-op without glibc."""
    libc = _glibc()
    if libc is None or _started.is_set():
        return
    _started.set()

    def hand_back() -> None:
        trimmed_at = time.process_time()
        while True:
            time.sleep(TRIM_S)
            if time.process_time() - trimmed_at >= BUSY_CPU_S:
                libc.malloc_trim(0)
                trimmed_at = time.process_time()

    threading.Thread(target=hand_back, name="hand back freed memory", daemon=True).start()


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 (musl, macOS, Windows have neither: their allocators do without)
        return libc
    except (OSError, AttributeError) as error:
        log.debug("not glibc: %s", error)
        return None
