"""A long run: mixed searches from several clients at once against `python app.py` with a CLIP model (demo-world by
default), half through the shoppers' page's calls (as its script makes them: Gradio's component server) and half
through the named API (`gradio_client`), while the app's memory is sampled. Reports the memory's growth after the
warm-up, the latency's p95 in windows of the run (its drift: the last window against the first after the warm-up)
and every error (an exception, a problem, a warning status).

The mix, in turn: a photo, words, both, every product in a photo, more like a product, words with filters, a part
of a photo. The photos are real ones from ../shared/data/fashion-photos (each whole photo sent once, about) and the
catalog's own pictures; a part is a random rectangle, so no two are the same query.

    python bench/soak.py [--searches 20000] [--clients 4] [--model demo-world]
"""
from __future__ import annotations

import argparse
import base64
import itertools
import json
import random
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from gradio_client import Client, handle_file
from keywords import cpu_flags
from PIL import Image
from roundtrip import PHOTOS, connect, start_app

KINDS = ("photo", "text", "both", "items", "more_like", "filtered", "part")
TEXTS = ["red mug", "navy shirt", "black sneakers", "a teal backpack", "white lamp", "pink water bottle",
         "mustard scarf", "grey headphones", "purple notebook", "orange cap", "红色杯子", "黑色运动鞋"]
COLOURS = ["Red", "Navy", "Black", "White", "Grey", "Teal"]
CATEGORIES = ["Mugs", "Shirts", "Sneakers"]
WARM_UP_SHARE = 0.1
WINDOWS = 9  # after the warm-up


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Photos:
    """The photos the clients send, as files (the API uploads them) and as data URLs (the page sends those)."""

    def __init__(self, catalog_pictures: list[Path]) -> None:
        real = sorted(PHOTOS.glob("*.jpg"))
        mixed = [p for pair in itertools.zip_longest(real, catalog_pictures) for p in pair if p is not None]
        self._next = itertools.cycle(mixed)
        self._lock = threading.Lock()

    def next(self) -> Path:
        with self._lock:
            return next(self._next)

    @staticmethod
    def data_url(path: Path) -> str:
        kind = "png" if path.suffix == ".png" else "jpeg"
        return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


class Run:
    """The searches handed out in turn, their kinds cycling; latencies (in the order they were asked) and errors."""

    def __init__(self, searches: int) -> None:
        self.searches = searches
        self._asked = itertools.count()
        self.latencies_ms = np.full(searches, np.nan)
        self.kinds = [KINDS[n % len(KINDS)] for n in range(searches)]
        self.errors: list[str] = []
        self.product_ids: list[str] = []
        self._lock = threading.Lock()

    def ask(self) -> int | None:
        with self._lock:
            number = next(self._asked)
        return number if number < self.searches else None

    def record(self, number: int, latency_ms: float, error: str | None, ids: list[str]) -> None:
        with self._lock:
            self.latencies_ms[number] = latency_ms
            if error:
                self.errors.append(f"{self.kinds[number]}: {error}"[:300])
            if ids and len(self.product_ids) < 500:
                self.product_ids += ids[:3]

    def a_product(self, rng: random.Random) -> str:
        with self._lock:
            return rng.choice(self.product_ids) if self.product_ids else "demo-0105"


class PageClient:
    """A browser tab's script: the page's server functions through Gradio's component server."""

    def __init__(self, url: str, name: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=120)
        config = self.http.get("/config").json()
        self.component = next(c["id"] for c in config["components"]
                              if "search" in c.get("props", {}).get("server_fns", ()))
        self.session = f"soak-{name}"

    def call(self, function: str, asked: dict) -> tuple[str | None, list[str]]:
        response = self.http.post("/gradio_api/component_server/", json={
            "data": {**asked, "lang": "English"}, "component_id": self.component, "fn_name": function,
            "session_hash": self.session})
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.text[:200]}", []
        answer = response.json()
        if "problem" in answer:
            return answer["problem"], []
        cards = answer.get("cards") or [card for row in answer.get("rows", []) for card in row["cards"]]
        return None, [card["id"] for card in cards]


class ApiClient:
    """A program's client: the named endpoints through gradio_client."""

    def __init__(self, url: str, app) -> None:
        self.client: Client = connect(url, app)

    def call(self, endpoint: str, *inputs) -> tuple[str | None, list[str]]:
        answer = self.client.predict(*inputs, api_name=endpoint)
        if endpoint == "/search_items":
            found = json.loads(answer)  # a tool's problem comes as an error, counted by the caller
            return None, [p["id"] for item in found["items"] for p in item["products"]]
        gallery, status = answer
        if status.startswith("⚠️"):
            return status, []
        return None, []  # the gallery's captions are for people: more like this takes ids from the page's answers


def a_part(rng: random.Random) -> list[float]:
    left, top = rng.uniform(0, 0.3), rng.uniform(0, 0.3)
    return [left, top, left + rng.uniform(0.5, 0.7), top + rng.uniform(0.5, 0.7)]


def page_search(client: PageClient, kind: str, photos: Photos, run: Run, rng: random.Random):
    """One search of `kind` as the page's script makes it."""
    photo = photos.next()
    if kind == "items":
        return client.call("find_items", {"photo": photos.data_url(photo), "name": photo.name})
    asked: dict = {"text": rng.choice(TEXTS)} if kind in ("text", "both", "filtered") else {}
    if kind in ("photo", "both", "part"):
        asked |= {"photo": photos.data_url(photo), "name": photo.name}
    if kind == "part":
        asked["part"] = a_part(rng)
    if kind == "more_like":
        asked["more_like"] = run.a_product(rng)
    if kind == "filtered":
        asked["filters"] = {"colours": [rng.choice(COLOURS)], "max_price": rng.choice([50, 100, 300])}
    return client.call("search", asked)


def api_search(client: ApiClient, kind: str, photos: Photos, run: Run, rng: random.Random):
    """One search of `kind` as a program makes it through the named endpoints."""
    photo = photos.next()
    no_filters = (12, 0.0, [], [], None, None, False)
    if kind == "items":
        return client.call("/search_items", Photos.data_url(photo), 4)
    if kind in ("photo", "part"):  # the API has no part: a part of the photo is cut by the client, as an app would
        return client.call("/search_image", handle_file(str(photo if kind == "photo" else cut(photo, rng))),
                           *no_filters)
    if kind == "text":
        return client.call("/search_text", rng.choice(TEXTS), *no_filters)
    if kind == "both":
        return client.call("/search_both", handle_file(str(photo)), rng.choice(TEXTS), 0.5, *no_filters)
    if kind == "more_like":
        return client.call("/more_like_this", run.a_product(rng), *no_filters)
    return client.call("/search_text", rng.choice(TEXTS), 12, 0.0, [], [], None, float(rng.choice([50, 100, 300])),
                       False, [rng.choice(COLOURS)])


def cut(photo: Path, rng: random.Random) -> Path:
    """A random part of a photo, saved beside the run's other files (the API has no part of its own)."""
    with Image.open(photo) as image:
        width, height = image.size
        box = [round(f * side) for f, side in zip(a_part(rng), (width, height) * 2)]
        part = image.convert("RGB").crop(box)
    target = Path(tempfile.gettempdir()) / f"soak-part-{threading.get_ident()}.jpg"
    part.save(target, quality=90)
    return target


def client_loop(number: int, url: str, app, photos: Photos, run: Run) -> None:
    """Clients with an even number are page tabs, with an odd number programs: each takes the next search."""
    rng = random.Random(number)
    client: PageClient | ApiClient = PageClient(url, str(number)) if number % 2 == 0 else ApiClient(url, app)
    search: Callable = page_search if number % 2 == 0 else api_search
    while (asked := run.ask()) is not None:
        start = time.perf_counter()
        try:
            error, ids = search(client, run.kinds[asked], photos, run, rng)
        except Exception as failure:  # counted, never fatal: the point is to see them
            error, ids = f"{type(failure).__name__}: {failure}", []
        run.record(asked, (time.perf_counter() - start) * 1000, error, [i for i in ids if i])


def sample_memory(pid: int, run: Run, samples: list[tuple[int, int]], stop: threading.Event) -> None:
    """The app's resident memory every second, with how many searches had been asked by then."""
    while not stop.wait(1.0):
        samples.append((int(np.count_nonzero(~np.isnan(run.latencies_ms))), rss_bytes(pid)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--model", default="demo-world")
    parser.add_argument("--port", type=int, default=7913)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        app = start_app(Path(home), args.model, args.port)
        url = f"http://127.0.0.1:{args.port}/"
        run, samples, stop = Run(args.searches), [], threading.Event()
        try:
            connect(url, app).predict("mug", 12, 0.0, [], [], None, None, False, api_name="/search_text")
            photos = Photos(sorted((Path(home) / "demo").rglob("*.png")))
            sampler = threading.Thread(target=sample_memory, args=(app.pid, run, samples, stop), daemon=True)
            sampler.start()
            started = time.monotonic()
            with ThreadPoolExecutor(args.clients) as clients:
                for future in [clients.submit(client_loop, n, url, app, photos, run) for n in range(args.clients)]:
                    future.result()
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            app.terminate()
            app.wait(timeout=30)
    report(args, run, samples, elapsed)


def report(args, run: Run, samples: list[tuple[int, int]], elapsed: float) -> None:
    warm_up = int(args.searches * WARM_UP_SHARE)
    after = run.latencies_ms[warm_up:]
    windows = np.array_split(after, WINDOWS)
    p95s = [float(np.nanpercentile(window, 95)) for window in windows]
    done = np.array([n for n, _ in samples])
    rss = np.array([r for _, r in samples], dtype=float)
    first = rss[(done >= warm_up) & (done < warm_up + len(windows[0]))]
    last = rss[done >= args.searches - len(windows[-1])]
    print(f"CPU flags: {cpu_flags()}")
    print(f"model {args.model}, {args.clients} clients (page calls and API in turn), {args.searches} searches in "
          f"{elapsed / 60:.1f} min ({args.searches / elapsed:.1f} a second); warm-up: the first {warm_up}\n")
    print("| window (searches) | p50, ms | p95, ms | memory at its end, MB |")
    print("| --- | --- | --- | --- |")
    for number, window in enumerate(windows):
        start = warm_up + sum(len(w) for w in windows[:number])
        held = rss[done <= start + len(window)]
        print(f"| {start + 1}-{start + len(window)} | {np.nanmedian(window):.0f} | {p95s[number]:.0f} | "
              f"{held[-1] / 2**20 if len(held) else float('nan'):.0f} |")
    print(f"\np95 drift, last window against the first after the warm-up: {p95s[-1] / p95s[0] - 1:+.1%}")
    print(f"memory (RSS): {np.median(first) / 2**20:.0f} MB after the warm-up, {np.median(last) / 2**20:.0f} MB at "
          f"the end ({np.median(last) / np.median(first) - 1:+.1%}); peak {rss.max() / 2**20:.0f} MB")
    print("\n| kind | searches | p50, ms | p95, ms |")
    print("| --- | --- | --- | --- |")
    kinds = np.array(run.kinds)
    for kind in KINDS:
        taken = run.latencies_ms[kinds == kind]
        print(f"| {kind} | {len(taken)} | {np.nanmedian(taken):.0f} | {np.nanpercentile(taken, 95):.0f} |")
    print(f"\nerrors: {len(run.errors)}")
    for error in sorted(set(run.errors))[:10]:
        print(f"  {error} (x{run.errors.count(error)})")


if __name__ == "__main__":
    main()
