"""The Insights page's figures over a large events file: 1,000,000 searches (and an open for one in five) spread
over 30 days, written into the events writer's tables and counted as an upgrade counts them; then the figures of the
30 days, of one week and of one day timed (the best and the median of a few runs) with the page's drawing of them,
the CSV export of one day, and the file's bytes per search.

    python bench/insights.py [--searches 1000000] [--catalog 240]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from keywords import cpu_flags

from page.insights import drawn
from storefront.event_store import DAY_S, INSERT_SEARCH, count_again
from storefront.events import EventLog
from storefront.insights import Days, events_csv, insights
from storefront.results import STAGES

KINDS = ("text", "text", "text", "photo", "both", "more_like", "items", "crop")
WORDS = ("red mug", "navy backpack", "white sneakers", "lamp", "watch", "umbrella", "红色 杯子", "背包")
RUNS = 5


def fill(path: Path, searches: int, catalog: int, days: int = 30, seed: int = 1) -> None:
    """`searches` searches over the last `days` days, as the writer records them; one in five followed by an open."""
    rng = random.Random(seed)
    ids = [f"p-{number:05d}" for number in range(catalog)]
    now = time.time()
    connection = EventLog(path)._connect()
    batch: list[tuple] = []
    opens: list[tuple] = []
    for number in range(searches):
        at = now - rng.random() * days * DAY_S
        day = int(at // DAY_S)
        shown = rng.sample(ids, 12) if rng.random() > 0.05 else []
        token = f"tab-{number // 5}"
        filters = {"brands": [rng.choice(("Kestrel", "Sora"))]} if rng.random() < 0.2 else {}
        batch.append((at, day, "page", rng.choice(("en", "zh-CN")), rng.choice(KINDS), rng.choice(WORDS), None,
                      json.dumps(filters), len(shown), 0.8 if shown else None, 0.8 if shown else None,
                      *(rng.uniform(0.5, 40) for _ in STAGES), json.dumps(shown), token))
        if shown and rng.random() < 0.2:
            rank = min(int(rng.expovariate(0.5)) + 1, 12)
            opens.append((at + 5, day, token, shown[rank - 1], rank))
        if len(batch) == 50_000:
            connection.executemany(INSERT_SEARCH, batch)
            batch.clear()
    connection.executemany(INSERT_SEARCH, batch)
    connection.executemany("INSERT INTO opens (at, day, token, product_id, rank) VALUES (?, ?, ?, ?, ?)", opens)
    connection.commit()
    start = time.perf_counter()
    with connection:
        count_again(connection)  # the writer's daily counts, made from the events as an upgrade makes them
    print(f"counted again in {time.perf_counter() - start:.0f} s")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def timed(call) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--catalog", type=int, default=240)
    args = parser.parse_args()
    print(f"CPU flags: {cpu_flags()}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.sqlite"
        start = time.perf_counter()
        fill(path, args.searches, args.catalog)
        size = sum(file.stat().st_size for file in Path(folder).glob("events.sqlite*"))
        print(f"{args.searches:,} searches written in {time.perf_counter() - start:.0f} s; "
              f"{size / 2**20:.0f} MiB, {size / args.searches:.0f} bytes a search (with its opens and showings)")
        catalog = [f"p-{number:05d}" for number in range(args.catalog + 50)]  # 50 never shown
        today = date.today()
        for name, days in (("30 days", Days.last_days(30)), ("7 days", Days.last_days(7)),
                           ("1 day", Days(today - timedelta(days=1), today - timedelta(days=1)))):
            figures = insights(path, days, catalog)
            best, median = timed(lambda days=days: insights(path, days, catalog))
            print(f"Insights, {name} ({figures.searches:,} searches, {figures.opens:,} opens): "
                  f"best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")
            best, median = timed(lambda figures=figures: drawn(figures, "en"))
            print(f"  drawn for the page (charts' frames, tables): best {best * 1000:.0f} ms, median "
                  f"{median * 1000:.0f} ms")
        one_day = Days(today - timedelta(days=1), today - timedelta(days=1))
        best, median = timed(lambda: events_csv(path, one_day))
        print(f"CSV export, 1 day: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")


if __name__ == "__main__":
    main()
