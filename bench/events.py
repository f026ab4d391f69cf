"""What recording shoppers' searches costs a search: the shoppers' page's own call (`ShopperCalls.search`, through the
one doorway) with events on and off, interleaved in one run so the machine's drift falls on both alike; and the
bytes an event takes on disk.

The demo catalog with the offline encoder (or `--model`), text and photo searches in turn.

    python bench/events.py [--rounds 400] [--model offline] [--new-photos]
"""
from __future__ import annotations

import argparse
import base64
import itertools
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import gradio as gr
from keywords import cpu_flags

from page.shopper_calls import ShopperCalls
from search.config import Settings
from storefront.doorway import Doorway
from storefront.events import EventLog
from storefront.front import Storefront

WORDS = ("red mug", "striped backpack", "navy cap", "green sneakers", "checked shirt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--model", default="offline")
    parser.add_argument("--new-photos", action="store_true",
                        help="a photo never searched before each time (encoded, not found in the query cache)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        shop = Storefront(Settings.of(store=home / "store", model=args.model, demo_dir=home / "demo",
                                      image_cache=home / "cache", events="off"))
        shop.start()
        on, off = EventLog(home / "events.sqlite"), EventLog(None)
        search = {f.__name__: f for f in ShopperCalls(Doorway(shop)).functions()}["search"]
        pictures = sorted((home / "demo" / "images").glob("*.png"))
        photos = (("data:image/png;base64," + base64.b64encode(picture.read_bytes()).decode())
                  for picture in itertools.cycle(pictures if args.new_photos else pictures[:1]))  # 240: --rounds 480
        request = gr.Request(headers={}, session_hash="bench")
        times: dict[str, list[float]] = {"on": [], "off": []}
        for round_ in range(args.rounds):
            for name, log in (("on", on), ("off", off)) if round_ % 2 else (("off", off), ("on", on)):
                asked = {"text": WORDS[round_ % len(WORDS)], "token": "bench"} if round_ % 4 > 1 else \
                    {"photo": next(photos), "token": "bench"}
                shop.events = log
                start = time.perf_counter()
                search(asked, request)
                times[name].append(time.perf_counter() - start)
        on.flush()
        rows = args.rounds
        with sqlite3.connect(home / "events.sqlite") as connection:  # the write-ahead log folded into the file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = (home / "events.sqlite").stat().st_size
        p50 = {name: statistics.median(values) * 1000 for name, values in times.items()}
        p95 = {name: sorted(values)[int(len(values) * 0.95)] * 1000 for name, values in times.items()}
        print(f"CPU: {cpu_flags()}")
        photos_said = "a new photo each time" if args.new_photos else "one photo, from the query cache after the first"
        print(f"model {args.model}, {args.rounds} searches each way (photo and text in turn; {photos_said}), "
              "interleaved")
        print("| events | p50 (ms) | p95 (ms) |\n| --- | --- | --- |")
        for name in ("off", "on"):
            print(f"| {name} | {p50[name]:.2f} | {p95[name]:.2f} |")
        print(f"on/off at p50: {p50['on'] / p50['off']:.3f}x; {size / rows:.0f} bytes an event on disk "
              f"({rows} events, {size / 1024:.0f} KiB, its write-ahead log folded in)")


if __name__ == "__main__":
    main()
