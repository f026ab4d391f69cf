"""Many shoppers at once: concurrent `gradio_client` users searching by photo (and some by text) against
`python app.py` on 127.0.0.1, for a fixed time and at most a fixed number of requests. Reports throughput,
latency percentiles and errors (an exception, or a status line that is a warning).

Each user sends real photos from ../shared/data/fashion-photos, each photo once (so the query cache does not
flatter the figures), and (with a CLIP model) one query in five is a text.

    python bench/load.py [--users 32] [--seconds 60] [--max-requests 20000] [--model offline]
"""
from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from gradio_client import handle_file
from roundtrip import PHOTOS, connect, start_app

TEXTS = ["red sneakers", "black leather handbag", "blue denim jeans", "white cotton t-shirt", "silver watch"]


class Load:
    """Requests handed out to users until the time or the count runs out; results collected."""

    def __init__(self, seconds: float, max_requests: int, text_share: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.photos = itertools.cycle(sorted(PHOTOS.glob("*.jpg")))
        self.left = max_requests
        self.text_every = round(1 / text_share) if text_share else 0
        self.latencies_ms: list[float] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def next_query(self, number: int) -> tuple | None:
        with self._lock:
            if time.monotonic() > self.deadline or self.left <= 0:
                return None
            self.left -= 1
            if self.text_every and number % self.text_every == self.text_every - 1:
                return (TEXTS[number % len(TEXTS)], 12, 0.0, [], [], None, None, False), "/search_text"
            return (handle_file(str(next(self.photos))), 12, 0.0, [], [], None, None, False), "/search_image"

    def record(self, latency_ms: float, error: str | None) -> None:
        with self._lock:
            self.latencies_ms.append(latency_ms)
            if error:
                self.errors.append(error)


def shopper(url: str, app, load: Load) -> None:
    client = connect(url, app)
    for number in itertools.count():
        query = load.next_query(number)
        if query is None:
            return
        inputs, endpoint = query
        start = time.perf_counter()
        try:
            _, status = client.predict(*inputs, api_name=endpoint)
            error = status if status.startswith("⚠️") else None
        except Exception as failure:  # counted, never fatal: the point is to see them
            error = f"{type(failure).__name__}: {failure}"
        load.record((time.perf_counter() - start) * 1000, error)


def page_opener(url: str, load: Load, every_s: float = 0.5) -> list[float]:
    """A new shopper opening the page now and then while the others search: how long the page takes."""
    waits = []
    with httpx.Client(timeout=60) as browser:
        while time.monotonic() < load.deadline and load.left > 0:
            start = time.perf_counter()
            browser.get(url).raise_for_status()
            browser.get(f"{url}config").raise_for_status()
            waits.append((time.perf_counter() - start) * 1000)
            time.sleep(every_s)
    return waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--model", default="offline")
    parser.add_argument("--port", type=int, default=7912)
    parser.add_argument("--text-share", type=float, help="share of text queries (default 0.2; 0 for the offline "
                                                          "encoder, which reads no text)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        app = start_app(Path(home), args.model, args.port)
        url = f"http://127.0.0.1:{args.port}/"
        try:
            warm_up = handle_file(str(next(iter(sorted(PHOTOS.glob("*.jpg"))))))
            connect(url, app).predict(warm_up, 12, 0.0, [], [], None, None, False, api_name="/search_image")
            text_share = args.text_share if args.text_share is not None else (0.0 if args.model == "offline" else 0.2)
            load = Load(args.seconds, args.max_requests, text_share)
            started = time.monotonic()
            with ThreadPoolExecutor(args.users + 1) as users:
                for _ in range(args.users):
                    users.submit(shopper, url, app, load)
                opening = users.submit(page_opener, url, load)
            elapsed = time.monotonic() - started
            page_ms = opening.result()
        finally:
            app.terminate()
            app.wait(timeout=30)
    report(args, load, elapsed, page_ms)


def report(args, load: Load, elapsed: float, page_ms: list[float]) -> None:
    latencies = np.array(load.latencies_ms)
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    print(f"model {args.model}, {args.users} users, {elapsed:.0f} s (limit {args.seconds:.0f} s or "
          f"{args.max_requests} requests)\n")
    print("| requests | throughput, req/s | p50, ms | p95, ms | p99, ms | max, ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(f"| {len(latencies)} | {len(latencies) / elapsed:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} | "
          f"{latencies.max():.0f} | {len(load.errors)} |")
    print(f"\nopening the page meanwhile (HTML + config), {len(page_ms)} times: p50 {np.median(page_ms):.0f} ms, "
          f"p95 {np.percentile(page_ms, 95):.0f} ms")
    for error in sorted(set(load.errors))[:10]:
        print(f"  error: {error} (x{load.errors.count(error)})")


if __name__ == "__main__":
    main()
