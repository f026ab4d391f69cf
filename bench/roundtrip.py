"""A shopper's image search through the page's API: `gradio_client` round trip against the time the server spent
decoding, encoding, searching and laying out the page (the status line's own timings).

Starts `python app.py` on a fresh store (the demo catalog), on 127.0.0.1, and sends real photos to
`/search_image`, in turn as an upload (`handle_file`: a request of its own before the search) and inline as a
data URL. The gallery's pictures are not downloaded (a browser fetches them in parallel, from the catalog's
folder as they are).

    python bench/roundtrip.py [--model offline|test-tiny] [--queries 40]
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT.parent / "shared" / "data" / "fashion-photos" / "images"


def start_app(home: Path, model: str, port: int, store: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PRODUCT_SEARCH_MODEL": model, "PRODUCT_SEARCH_DEMO_DIR": str(home / "demo"),
           "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(home / "app.log", "w") as log:  # what it logs, for a bench to show when something failed
        return subprocess.Popen([sys.executable, "app.py", "--store", store or str(home / "store"), "--port",
                                 str(port)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


def connect(url: str, app: subprocess.Popen, timeout: float = 300) -> Client:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise SystemExit(f"the app exited with code {app.returncode}")
        try:
            return Client(url, verbose=False, download_files=False)
        except Exception:  # not listening yet
            time.sleep(1)
    raise SystemExit(f"the app did not answer within {timeout:.0f} s")


def server_ms(status: str) -> float:
    """decode + encode + search + page, from the status line ("12 products · decode 1 ms · encode 30 ms ...")."""
    return sum(float(ms) for ms in re.findall(r"(\d+(?:\.\d+)?) ms", status))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="offline")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--port", type=int, default=7911)
    args = parser.parse_args()
    photos = sorted(PHOTOS.glob("*.jpg"))[:2 * (args.queries + 3)]
    halves = photos[:args.queries + 3], photos[args.queries + 3:]  # other photos for each way: no cache hits
    with tempfile.TemporaryDirectory() as home:
        app = start_app(Path(home), args.model, args.port)
        try:
            client = connect(f"http://127.0.0.1:{args.port}/", app)

            def upload(photo: Path) -> tuple:
                return client.predict(handle_file(str(photo)), 12, 0.0, [], [], None, None, False,
                                      api_name="/search_image")

            def inline(photo: Path) -> tuple:
                data_url = "data:image/jpeg;base64," + base64.b64encode(photo.read_bytes()).decode("ascii")
                return client.predict({"url": data_url, "orig_name": photo.name, "meta": {"_type": "gradio.FileData"}},
                                      12, 0.0, [], [], None, None, False, api_name="/search_image")

            rows = [(name, *measure(search, half))
                    for (name, search), half in zip((("upload", upload), ("inline", inline)), halves)]
        finally:
            app.terminate()
            app.wait(timeout=30)
    print(f"model {args.model}, {args.queries} real photos:\n")
    print("| photo sent | round trip, ms (p50) | server: decode + encode + search + page, ms (p50) "
          "| round trip - server, ms (p50 / p95) |")
    print("| --- | --- | --- | --- |")
    for name, round_trips, inside in rows:
        overhead = np.array(round_trips) - np.array(inside)
        print(f"| {name} | {np.median(round_trips):.1f} | {np.median(inside):.1f} | {np.median(overhead):.1f} / "
              f"{np.percentile(overhead, 95):.1f} |")


def measure(search, photos: list[Path]) -> tuple[list[float], list[float]]:
    """Round trips and the server's own time, in ms, after 3 searches to warm up."""
    for photo in photos[:3]:
        search(photo)
    round_trips, inside = [], []
    for photo in photos[3:]:
        start = time.perf_counter()
        _, status = search(photo)
        round_trips.append((time.perf_counter() - start) * 1000)
        inside.append(server_ms(status))
    return round_trips, inside


if __name__ == "__main__":
    main()
