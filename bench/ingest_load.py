"""An ingest while shoppers search: `python app.py` (the offline encoder by default) serving its demo catalog to
`--shoppers` clients searching by photo and words through the named API, first alone, then while `python -m search
index` adds a generated feed of `--products` products to the same store from a process of its own, then alone again.
Reports the shoppers' latency in each phase (the ingest's against the mean of the two alone, taken in the same run),
every failed search, the ingest's time, and whether the shoppers' answers came to hold the new products.

`--nice` is the index run's (the product's default, 10, lowers its CPU priority; 0 runs it as the app runs).

    python bench/ingest_load.py [--products 10000] [--shoppers 16] [--model offline] [--alone-s 60] [--nice 10]
"""
from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from gradio_client import handle_file
from ingest import make_feed
from keywords import cpu_flags
from roundtrip import PHOTOS, ROOT, connect, start_app
from server import start_chroma

FEEDS = Path(tempfile.gettempdir()) / "product-search-bench-feeds"  # drawn once, kept for the next run
TEXTS = ["red mug", "navy shirt", "black sneakers", "teal backpack", "white lamp", "9999", "Oxford Shirt 4242"]


class Phase:
    """Searches until `done` is set: each one's latency and any failure."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.done = threading.Event()
        self.latencies_ms: list[float] = []
        self.errors: list[str] = []
        self.new_products_seen = 0
        self._lock = threading.Lock()

    def record(self, latency_ms: float, error: str | None, new_seen: int) -> None:
        with self._lock:
            self.latencies_ms.append(latency_ms)
            self.new_products_seen += new_seen
            if error:
                self.errors.append(error[:300])


def shopper(number: int, url: str, app, phase: Phase) -> None:
    client = connect(url, app)
    photos = itertools.cycle(sorted(PHOTOS.glob("*.jpg"))[number::16])
    for asked in itertools.count(number):
        if phase.done.is_set():
            return
        by_text = asked % 4 == 3
        inputs = (TEXTS[asked % len(TEXTS)] if by_text else handle_file(str(next(photos))),
                  12, 0.0, [], [], None, None, False)
        start = time.perf_counter()
        try:
            gallery, status = client.predict(*inputs, api_name="/search_text" if by_text else "/search_image")
            error = status if status.startswith("⚠️") else None
            new_seen = sum("/p0" in str(item) for item in gallery)  # the generated feed's pictures: p000123.jpg
        except Exception as failure:  # counted, never fatal: the point is to see them
            error, new_seen = f"{type(failure).__name__}: {failure}", 0
        phase.record((time.perf_counter() - start) * 1000, error, new_seen)


def run_phase(phase: Phase, url: str, app, shoppers: int, until) -> None:
    with ThreadPoolExecutor(shoppers) as pool:
        for number in range(shoppers):
            pool.submit(shopper, number, url, app, phase)
        until()
        phase.done.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--shoppers", type=int, default=16)
    parser.add_argument("--model", default="offline", help="the app's and the index run's (demo-world refuses any "
                                                            "catalog but its own)")
    parser.add_argument("--alone-s", type=float, default=60)
    parser.add_argument("--port", type=int, default=7914)
    parser.add_argument("--nice", type=int, default=10)
    parser.add_argument("--server", action="store_true", help="the store on a `chroma run` server, which the app and "
                                                              "the index run both use")
    args = parser.parse_args()
    feed = make_feed(FEEDS / str(args.products), args.products)
    with tempfile.TemporaryDirectory() as home:
        server, store = start_chroma(Path(home) / "server") if args.server else (None, str(Path(home) / "store"))
        app = start_app(Path(home), args.model, args.port, store)
        url = f"http://127.0.0.1:{args.port}/"
        phases = [Phase("alone, before"), Phase("while indexing"), Phase("alone, after")]
        ingest: dict = {}
        try:
            connect(url, app).predict("mug", 12, 0.0, [], [], None, None, False, api_name="/search_text")
            run_phase(phases[0], url, app, args.shoppers, lambda: time.sleep(args.alone_s))
            run_phase(phases[1], url, app, args.shoppers, lambda: ingest.update(index(feed, store, args)))
            run_phase(phases[2], url, app, args.shoppers, lambda: time.sleep(args.alone_s))
        finally:
            ingest["app_exit"] = app.poll()  # None: it was still serving
            app.terminate()
            app.wait(timeout=30)
            if server:
                server.terminate()
                server.wait(timeout=30)
            said = (Path(home) / "app.log").read_text().splitlines()
            ingest["app_errors"] = [line for line in said if "Error" in line or "Traceback" in line][-10:]
    report(args, phases, ingest)


def index(feed: Path, store: str, args) -> dict:
    """`python -m search index` into the app's store, as its admin would run it; its time and what it said."""
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "search", "index", str(feed), "--store", store,
                           "--model", args.model, "--nice", str(args.nice)], cwd=ROOT, capture_output=True, text=True)
    return {"seconds": time.monotonic() - start, "code": done.returncode,
            "said": (done.stdout.strip().splitlines() or [""])[0], "error": done.stderr[-500:]}


def report(args, phases: list[Phase], ingest: dict) -> None:
    print(f"CPU flags: {cpu_flags()}")
    print(f"model {args.model}, {args.shoppers} shoppers (photos, and words one search in four) through the API; "
          f"`search index --nice {args.nice}` of {args.products} products: {ingest['seconds']:.0f} s, exit "
          f"{ingest['code']}, {ingest['said']}\n")
    print("| phase | searches | p50, ms | p95, ms | failed | answers holding new products |")
    print("| --- | --- | --- | --- | --- | --- |")
    for phase in phases:
        p50, p95 = np.percentile(phase.latencies_ms, [50, 95])
        print(f"| {phase.name} | {len(phase.latencies_ms)} | {p50:.0f} | {p95:.0f} | {len(phase.errors)} | "
              f"{phase.new_products_seen} |")
    alone = np.mean([np.percentile(p.latencies_ms, 95) for p in (phases[0], phases[2])])
    print(f"\np95 while indexing against alone (mean of before and after): "
          f"{np.percentile(phases[1].latencies_ms, 95) / alone:.2f}x")
    for error in sorted({e for p in phases for e in p.errors})[:10]:
        print(f"  error: {error}")
    if ingest["code"]:
        print(f"  the index run said: {ingest['error']}")
    if ingest.get("app_exit") is not None:
        print(f"  the app had exited, with code {ingest['app_exit']}")
    for line in ingest.get("app_errors", []):
        print(f"  the app logged: {line}")


if __name__ == "__main__":
    main()
