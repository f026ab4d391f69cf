"""What shoppers searched and opened, kept for the product team: only what the README says, never in a search's way."""
import ast
import json
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ROOT, data_url, shopper_call, started_storefront, tmpfs
from search.config import Settings
from storefront.events import DAY_S, EventLog, OpenEvent, SearchEvent
from storefront.front import Storefront


@pytest.fixture(scope="module")
def offline_shop(tmp_path_factory) -> Storefront:
    """The demo catalog with the offline encoder, as `python app.py --model offline` serves it."""
    return started_storefront(tmp_path_factory.mktemp("events"), "offline")


EVENT = SearchEvent(doorway="page", lang="en", kind="text", words="red mug", source=None, filters={}, results=3,
                    best=0.5, nearest=0.5, timings={"search": 1.0}, shown=["a", "b", "c"], token="t")


def _rows(path, table):
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(f"SELECT * FROM {table}")]


def test_the_page_records_its_searches_and_opens_with_these_fields_and_nothing_more(offline_shop, tmp_path):
    shop = Storefront(offline_shop.settings.replaced(events_file=tmp_path / "events.sqlite"))
    photo = (offline_shop.settings.store.demo_dir / "images" / "demo-0105.png").read_bytes()
    shopper_call(shop, "search", photo=data_url(photo), name="holiday.png", text="striped mug", token="tab-1",
                 filters={"brands": ["Kestrel", "Sora"]})
    shopper_call(shop, "search", text="mug", token="tab-1", lang="中文")
    shopper_call(shop, "details", id="demo-0105", rank=2, token="tab-1")
    shopper_call(shop, "details", id="demo-0203", token="tab-1")  # a recent view: not a result's open
    shop.events.flush()
    searches = _rows(tmp_path / "events.sqlite", "searches")
    assert set(searches[0]) == {"id", "at", "day", "doorway", "lang", "kind", "words", "source", "filters", "results",
                                "best", "nearest", "decode_ms", "propose_ms", "encode_ms", "search_ms", "page_ms",
                                "shown", "token"}
    first, second = searches
    assert (first["doorway"], first["kind"], first["words"], first["token"]) == ("page", "both", "striped mug", "tab-1")
    assert json.loads(first["filters"]) == {"brands": ["Kestrel", "Sora"]} and first["results"] >= 1
    assert json.loads(first["shown"])[0] == "demo-0105" and first["best"] > 0.99 and first["encode_ms"] > 0
    assert (second["lang"], second["kind"]) == ("zh-CN", "text")
    assert [(o["product_id"], o["rank"], o["token"]) for o in _rows(tmp_path / "events.sqlite", "opens")] == [
        ("demo-0105", 2, "tab-1")]
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("events.sqlite*"))
    assert photo[200:264] not in stored and b"holiday" not in stored  # never the photo, nor its name


def test_events_off_writes_no_file(offline_shop, tmp_path):
    shop = Storefront(offline_shop.settings.replaced(events_file=tmp_path / "events.sqlite", events="off"))
    assert shopper_call(shop, "search", text="mug")["cards"]
    shop.events.flush()
    assert not shop.events.enabled and not list(tmp_path.iterdir())


def test_whoever_reads_the_log_reads_every_event_recorded_before(tmp_path):
    log = EventLog(tmp_path / "events.sqlite")
    for n in range(50):
        log.record(SearchEvent(**{**EVENT.__dict__, "token": f"t{n}"}))
    log.record(OpenEvent("t49", "demo-0105", 1))
    path = log.written()  # the Insights page's, the replay's and the model switch's way in: nothing still queued
    assert len(_rows(path, "searches")) == 50 and len(_rows(path, "opens")) == 1


def test_words_off_keeps_the_search_without_its_words(tmp_path):
    log = EventLog(tmp_path / "events.sqlite", keep_words=False)
    log.record(EVENT)
    log.flush()
    [row] = _rows(tmp_path / "events.sqlite", "searches")
    assert row["words"] is None and row["results"] == 3


def test_retention_removes_old_events_and_the_cap_the_oldest(tmp_path):
    path = tmp_path / "events.sqlite"
    log = EventLog(path, retention_days=30)
    log.record(EVENT)
    log.flush()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE searches SET at = ?, day = ?", (time.time() - 31 * DAY_S, time.time() // DAY_S - 31))
    log.prune(sqlite3.connect(path), time.time())
    assert _rows(path, "searches") == []
    capped = EventLog(tmp_path / "capped.sqlite", max_mb=0)  # every prune finds it over its cap
    for _ in range(20):
        capped.record(EVENT)
    capped.flush()
    capped.prune(sqlite3.connect(tmp_path / "capped.sqlite"), time.time())
    assert len(_rows(tmp_path / "capped.sqlite", "searches")) == 20 - (20 // 10 + 1)  # the oldest tenth and one


def test_a_locked_or_damaged_events_file_never_fails_a_search(offline_shop, tmp_path, caplog):
    path = tmp_path / "events.sqlite"
    shop = Storefront(offline_shop.settings.replaced(events_file=path))
    shopper_call(shop, "search", text="mug")
    shop.events.flush()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the file
    assert shopper_call(shop, "search", text="mug")["cards"]
    shop.events.flush()
    holder.execute("ROLLBACK")
    holder.close()
    assert "search events were dropped" in caplog.text and "database is locked" in caplog.text
    path.write_bytes(b"not a database at all" * 100)  # damaged
    for wal in tmp_path.glob("events.sqlite-*"):
        wal.unlink()
    assert shopper_call(shop, "search", text="mug")["cards"]
    shop.events.flush()
    assert shopper_call(shop, "details", id="demo-0105", rank=1)["html"]
    shop.events.record(OpenEvent(None, "demo-0105", 1))
    shop.events.flush()


def test_the_default_events_file_is_beside_the_stores_folder(tmp_path):
    assert Settings.of(store=tmp_path / "store").events.path(tmp_path / "store") == tmp_path / "events.sqlite"


def test_a_version_1_events_file_is_carried_over(tmp_path):
    """The first events files kept the stages' times as JSON; their events are kept, in the new columns."""
    path = tmp_path / "events.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript("""
            CREATE TABLE searches (id INTEGER PRIMARY KEY, at REAL NOT NULL, doorway TEXT NOT NULL, lang TEXT NOT NULL,
              kind TEXT NOT NULL, words TEXT, filters TEXT NOT NULL, results INTEGER NOT NULL, best REAL,
              timings TEXT NOT NULL, shown TEXT NOT NULL, token TEXT);
            CREATE INDEX searches_at ON searches (at);
            CREATE TABLE opens (id INTEGER PRIMARY KEY, at REAL NOT NULL, token TEXT, product_id TEXT NOT NULL,
              rank INTEGER NOT NULL);
            CREATE INDEX opens_at ON opens (at);""")
        connection.execute("INSERT INTO searches (at, doorway, lang, kind, words, filters, results, best, timings, "
                           "shown, token) VALUES (172800.5, 'page', 'en', 'text', 'old mug', '{}', 1, 0.4, "
                           "'{\"encode\": 3.5}', '[\"a\"]', 't')")
        connection.execute("INSERT INTO opens (at, token, product_id, rank) VALUES (172801, 't', 'a', 1)")
    log = EventLog(path)
    log.record(EVENT)
    log.flush()
    old, new = _rows(path, "searches")
    assert (old["words"], old["encode_ms"], old["day"], new["words"], new["search_ms"]) == (
        "old mug", 3.5, 2, "red mug", 1.0)
    assert [(row["product_id"], row["day"]) for row in _rows(path, "opens")] == [("a", 2)]
    showings = sorted((row["product_id"], row["shown"]) for row in _rows(path, "showings"))
    assert showings == [("a", 1), ("a", 1), ("b", 1), ("c", 1)]  # the old search's counted too, on its own day
    assert [(row["day"], row["searches"]) for row in _rows(path, "daily")][0] == (2, 1)


def test_a_full_disk_under_the_events_file_never_fails_a_search(offline_shop, tmp_path, caplog):
    """The events file on a file system of its own (a tmpfs: CI runs as root), filled by something else."""
    with tmpfs(tmp_path / "disk", "1m") as disk:
        shop = Storefront(offline_shop.settings.replaced(events_file=disk / "events.sqlite"))
        (disk / "filler").write_bytes(b"\0" * shutil.disk_usage(disk).free)
        for _ in range(3):
            assert shopper_call(shop, "search", text="mug", token="tab")["cards"]
        shop.events.flush()
        assert "search events were dropped" in caplog.text and "full" in caplog.text


def test_the_started_shop_hands_freed_memory_back(offline_shop):
    """glibc keeps freed memory in the process; the serving process asks it to give it back (a thread of its own)."""
    import threading

    from storefront import freed_memory
    assert freed_memory._glibc() is not None  # this machine's C library is glibc
    assert [t for t in threading.enumerate() if t.name == "hand back freed memory" and t.daemon]
    assert freed_memory.limit_heaps()  # glibc takes both limits (whether they count: the next test)


# The limits set first, then twelve threads at once that allocate (blocks above Python's own allocator's 512 bytes
# come from glibc), then glibc's count of its heaps ("arenas"), from its own report
COUNT_HEAPS = """
import ctypes, os, threading
from storefront.freed_memory import limit_heaps
limit_heaps()
libc = ctypes.CDLL("libc.so.6")
libc.fdopen.restype = ctypes.c_void_p
all_allocated = threading.Barrier(12)
def allocate():  # and stay alive until all have: a thread that ended hands its heap to the next
    kept = [bytearray(4096) for _ in range(1000)]
    all_allocated.wait()
threads = [threading.Thread(target=allocate) for _ in range(12)]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
read, write = os.pipe()
report = libc.fdopen(write, b"w")
libc.malloc_info(0, ctypes.c_void_p(report))
libc.fclose(ctypes.c_void_p(report))
print(os.read(read, 1 << 20).decode().count("<heap nr="))
"""


def test_the_app_limits_glibcs_heaps_before_its_imports_start_threads():
    """glibc fixes its limit on heaps when a ninth is asked for, and keeps the heaps it made before: set when the
    shop started, the serving process had 15. Set first, twelve threads at once share ARENAS (13 heaps without the
    limit); app.py sets it before its imports."""
    from storefront import freed_memory
    run = subprocess.run([sys.executable, "-c", COUNT_HEAPS], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert 1 <= int(run.stdout.split()[-1]) <= freed_memory.ARENAS
    statements = ast.parse((ROOT / "app.py").read_text()).body[1:]  # after the docstring
    assert [ast.unparse(statement) for statement in statements[:3]] == [
        "from __future__ import annotations", "from storefront.freed_memory import limit_heaps", "limit_heaps()"]
