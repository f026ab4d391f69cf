"""A garbled vector file can crash Chroma's reader outright (a segmentation fault in its Rust code, reading HNSW links
that point nowhere), which no Python code survives: `stats` died with exit code 139 and not a word. So before a
process first touches an embedded store, a child process opens it and reads a little of everything (the count, a
page of vectors, a query by them); if the child dies by a signal, the store is said to be damaged, and this process
never touches it. About 1 s, once per store per process, started early by the entry points (`start`) so that it runs
while they import the rest; on unless the setting `crash_probe` is off (the tests', but for the test of this)."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from search.store.errors import StorageError

_enabled = False
_probes: dict[Path, subprocess.Popen | None] = {}  # None: probed, and it held
_lock = threading.Lock()


def enable(location: str | Path) -> None:
    """Probe every embedded store this process opens from now on, starting with `location` (in the background)."""
    global _enabled
    _enabled = True
    start(location)


def start(location: str | Path) -> None:
    """The child probing `location`, started now if it was not, and if the store has a database to read."""
    folder = Path(location).resolve()
    with _lock:
        if not _enabled or folder in _probes or not (folder / "chroma.sqlite3").exists():
            return
        _probes[folder] = subprocess.Popen([sys.executable, "-m", "search.store.chroma_products", str(folder)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def require_readable(location: str | Path) -> None:
    """Returns once the probe of `location` ended well (at once if there is none); raises `StorageError`
    "store_damaged" if Chroma's reader crashed on it. An error the probe met (not a crash) is left to this process,
    which words it as it words any (search/store/errors.py)."""
    if not _enabled:
        return
    folder = Path(location).resolve()
    start(folder)
    with _lock:
        probe = _probes.get(folder)
    if probe is None:
        return
    code = probe.wait()
    with _lock:
        _probes[folder] = None if code >= 0 else probe
    if code < 0:
        raise StorageError("store_damaged", location=location,
                           detail=f"Chroma's reader crashed on its vector files ({signal.Signals(-code).name})")
