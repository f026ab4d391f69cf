"""Ingest throughput next to the raw encoder's, and the peak memory of an ingest, on one generated feed.

    python bench/ingest.py --products 20000 --model offline
    python bench/ingest.py --products 20000 --model ViT-B-32

Two measurements. The whole feed is indexed in a process of its own (its time and peak memory), with the raw
encoder timed before and after. And because this machine's speed drifts by tens of percent within minutes,
the ratio is also taken interleaved: each slice of a feed indexed right after or right before the raw encoder
runs on the slice's own pictures, decoded beforehand; the median of the slices' ratios is reported.

`ViT-B-32` here is the default preset's architecture with random weights (no download needed): it does the
same arithmetic as the pretrained model, so it runs at the same speed. Figures go to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

from catalog.demo import BRANDS, CATEGORIES, COLOURS, PATTERNS, Style, draw_product

SAMPLE = 1000  # images the raw encoder is timed on, decoded beforehand


def _picture(args: tuple[int, Path]) -> dict:
    index, folder = args
    rng = random.Random(index)
    category = rng.choice(list(CATEGORIES))
    colour, accent = rng.sample(list(COLOURS), 2)
    style = Style(colour, accent, rng.choice(PATTERNS), tuple(rng.randint(215, 252) for _ in range(3)),
                  rng.uniform(-1, 1))
    name = f"images/p{index:06d}.jpg"
    draw_product(category, style).save(folder / name, quality=88)
    return {"id": f"p{index:06d}", "title": f"{colour} {category} {index}", "brand": rng.choice(BRANDS),
            "category": category, "price": round(rng.uniform(5, 400), 2), "currency": "USD", "image": name}


def make_feed(folder: Path, products: int) -> Path:
    feed = folder / f"feed-{products}.csv"
    if feed.exists():
        return feed
    (folder / "images").mkdir(parents=True, exist_ok=True)
    with Pool(2) as pool:
        rows = pool.map(_picture, [(i, folder) for i in range(products)], chunksize=200)
    with open(feed, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return feed


def encoder_for(model: str):
    from search.encoders import load_encoder
    from search.encoders.base import EncoderInfo
    from search.encoders.clip import ClipEncoder

    if model in ("offline", "test-tiny"):
        return load_encoder(model)
    info = EncoderInfo(model, "random-weights-benchmark", 0, "clip", False, True)
    return ClipEncoder(model, None, info)  # random weights: same speed as pretrained, no download


def raw_encoder_rate(feed: Path, model: str, batch: int, rows: list[dict] | None = None, encoder=None) -> float:
    """`encode_images` alone, on pictures decoded beforehand: the first SAMPLE of the feed, or `rows`."""
    from search.images import load_image

    encoder = encoder or encoder_for(model)
    rows = rows or list(csv.DictReader(open(feed, encoding="utf-8")))[:SAMPLE]
    images = [load_image(feed.parent / row["image"]) for row in rows]
    encoder.encode_images(images[:batch])  # warm up
    start = time.perf_counter()
    for i in range(0, len(images), batch):
        encoder.encode_images(images[i:i + batch])
    return len(images) / (time.perf_counter() - start)


def interleaved_ratios(feed: Path, model: str, batch: int, slice_size: int) -> list[float]:
    """For each slice of the feed: its ingest rate over the raw encoder's rate on the same pictures, measured
    right before or right after it (in turn, so that a drift in one direction does not favour either)."""
    from catalog.formats import read_feed
    from search.indexer import Indexer
    from search.store.collection import ProductStore

    encoder = encoder_for(model)
    items, rows = list(read_feed(feed)), list(csv.DictReader(open(feed, encoding="utf-8")))
    ratios = []
    with tempfile.TemporaryDirectory() as store_dir:
        indexer = Indexer(encoder, ProductStore(store_dir, encoder.info, for_indexing=True), batch_size=batch)
        for number, start in enumerate(range(0, len(items), slice_size)):
            pictures = rows[start:start + slice_size]
            raw_first = raw_encoder_rate(feed, model, batch, pictures, encoder) if number % 2 == 0 else None
            began = time.perf_counter()
            added = indexer.index(items[start:start + slice_size], feed.parent).added
            rate = added / (time.perf_counter() - began)
            ratios.append(rate / (raw_first or raw_encoder_rate(feed, model, batch, pictures, encoder)))
    return ratios


def ingest(feed: Path, model: str, batch: int) -> dict:
    """Runs in its own process so that its peak memory is its own."""
    from search.indexer import Indexer
    from search.store.collection import ProductStore

    encoder = encoder_for(model)
    with tempfile.TemporaryDirectory() as store_dir:
        store = ProductStore(store_dir, encoder.info, for_indexing=True)
        start = time.perf_counter()
        summary = Indexer(encoder, store, batch_size=batch).index_feed(feed)
        seconds = time.perf_counter() - start
    return {"added": summary.added, "seconds": seconds, "rate": summary.added / seconds,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "batch": summary.batch_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--model", default="offline")
    parser.add_argument("--batch", type=int, default=32, help="0: the ingest measures its own (the app's default); "
                                                               "the raw encoder then takes 32")
    parser.add_argument("--interleaved", type=int, default=5120, help="products indexed in interleaved slices")
    parser.add_argument("--slice", type=int, default=640)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "bench-ingest"))
    parser.add_argument("--phase", choices=["all", "ingest"], default="all", help=argparse.SUPPRESS)
    args = parser.parse_args()
    feed = make_feed(Path(args.workdir), args.products)
    if args.phase == "ingest":
        print(json.dumps(ingest(feed, args.model, args.batch)))
        return
    raw_batch = args.batch or 32
    before = raw_encoder_rate(feed, args.model, raw_batch)
    child = subprocess.run([sys.executable, __file__, "--phase", "ingest", "--products", str(args.products),
                            "--model", args.model, "--batch", str(args.batch), "--workdir", args.workdir],
                           capture_output=True, text=True, check=True)
    after = raw_encoder_rate(feed, args.model, raw_batch)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    ratios = interleaved_ratios(make_feed(Path(args.workdir), args.interleaved), args.model, args.batch, args.slice)
    print("| model | products | batch | raw encoder, img/s (before / after) | ingest, products/s | ingest / raw "
          "| interleaved ingest / raw: median (min-max) | ingest peak RSS, MiB | ingest time, s |")
    print(f"| {args.model} | {args.products:,} | {args.batch} | {before:.1f} / {after:.1f} | {result['rate']:.1f} | "
          f"{result['rate'] / ((before + after) / 2):.2f} | {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f}-{max(ratios):.2f}, {len(ratios)} slices of {args.slice}) | {result['peak_mib']:.0f} | "
          f"{result['seconds']:.0f} |")
    print(f"the ingest's encoder: {result['batch']}")


if __name__ == "__main__":
    main()
