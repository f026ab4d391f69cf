"""A shopper's image search through the page's API: `gradio_client` round trip against the time the server spent
decoding, encoding, searching and laying out the page (the status line's own timings).

Starts `python app.py` on a fresh store (the demo catalog), on 127.0.0.1, and sends real photos to
`/search_image`. The gallery's pictures are not downloaded (a browser fetches them in parallel, from the
catalog's folder as they are).

    python bench/roundtrip.py [--model offline|test-tiny] [--queries 40]
"""
from __future__ import annotations

import argparse
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


def start_app(home: Path, model: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PRODUCT_SEARCH_MODEL": model, "PRODUCT_SEARCH_DEMO_DIR": str(home / "demo"),
           "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    return subprocess.Popen([sys.executable, "app.py", "--store", str(home / "store"), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
    photos = sorted(PHOTOS.glob("*.jpg"))[:args.queries + 3]
    with tempfile.TemporaryDirectory() as home:
        app = start_app(Path(home), args.model, args.port)
        try:
            client = connect(f"http://127.0.0.1:{args.port}/", app)

            def search(photo: Path) -> tuple:
                return client.predict(handle_file(str(photo)), 12, 0.0, [], [], None, None, False,
                                      api_name="/search_image")

            for photo in photos[:3]:
                search(photo)  # warm up
            round_trips, inside = [], []
            for photo in photos[3:]:
                start = time.perf_counter()
                _, status = search(photo)
                round_trips.append((time.perf_counter() - start) * 1000)
                inside.append(server_ms(status))
        finally:
            app.terminate()
            app.wait(timeout=30)
    trip, spent = float(np.median(round_trips)), float(np.median(inside))
    overhead = np.array(round_trips) - np.array(inside)
    print(f"model {args.model}, {len(round_trips)} real photos, medians:\n")
    print("| round trip, ms | server: decode + encode + search + page, ms | round trip - server, ms (p50 / p95) |")
    print("| --- | --- | --- |")
    print(f"| {trip:.1f} | {spent:.1f} | {np.median(overhead):.1f} / {np.percentile(overhead, 95):.1f} |")


if __name__ == "__main__":
    main()
