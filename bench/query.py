"""One shopper's query, end to end, against the encoder alone: `SearchService.search` from the photo's bytes to
ranked products, in a store of N products, unfiltered and with a brand + price filter.

The store holds N synthetic products (random unit vectors in the model's space, 50 brands, log-normal prices);
the queries are real photos from ../shared/data/fashion-photos. ViT-B-32 with random weights has the
pretrained model's arithmetic, so its speed. The encoder alone and the two queries are timed in turn on each
photo, so the machine's drift falls on all three alike.

    python bench/query.py [--products 100000] [--queries 40] [--precision bf16]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from catalog.product import Product
from search.encoders.base import EncoderInfo
from search.encoders.clip import ClipEncoder
from search.images import load_image
from search.query_cache import EmbeddingCache
from search.ranking import Filters, Ranking
from search.service import Query, SearchService
from search.store.collection import Encoded, ProductStore

PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fashion-photos" / "images"


def fill(store: ProductStore, count: int, dim: int, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    step = 5000
    for start in range(0, count, step):
        size = min(step, count - start)
        vectors = rng.normal(size=(size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        products = [Product(f"p{start + i}", f"Product {start + i}", f"brand-{rng.integers(50):02d}", "Things",
                            float(np.round(rng.lognormal(3.8, 0.7), 2)), "USD", "/nowhere.jpg")
                    for i in range(size)]
        store.upsert(Encoded.each(products, vectors, ["synthetic"] * size))


def interleaved_ms(calls: dict, items: list, rounds: int = 2) -> dict[str, float]:
    """Median ms of each call over the items, the calls taken in turn on each item, in a rotating order, so that
    the machine's speed drifting (tens of % within minutes here) falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for turn, item in enumerate(items * rounds):
        for name in names[turn % len(names):] + names[:turn % len(names)]:
            start = time.perf_counter()
            calls[name](item)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: float(np.median(values)) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--precision", default="bf16", choices=["bf16", "fp32"])
    args = parser.parse_args()
    info = EncoderInfo("ViT-B-32", "random-weights-benchmark", 0, "clip", False, True)
    encoder = ClipEncoder("ViT-B-32", None, info, precision=args.precision)
    photos = [p.read_bytes() for p in sorted(PHOTOS.glob("*.jpg"))[:args.queries]]
    decoded = [load_image(data) for data in photos]
    for image in decoded[:3]:
        encoder.encode_images([image])  # warm up
    with tempfile.TemporaryDirectory() as folder:
        store = ProductStore(folder, encoder.info)
        start = time.perf_counter()
        fill(store, args.products, encoder.info.dim)
        print(f"{args.products:,} products stored in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        service = SearchService(encoder, store, EmbeddingCache(size=0))  # every query encodes its photo
        service.search(Query(image=photos[0]), ranking=Ranking(top_k=12))  # loads the in-memory copy of the store
        brand_and_price = Filters(brands=("brand-07",), min_price=20, max_price=80)
        medians = interleaved_ms({
            "encoder alone": lambda i: encoder.encode_images([decoded[i]]),
            "unfiltered": lambda i: service.search(Query(image=photos[i])),
            "brand + price": lambda i: service.search(Query(image=photos[i]), brand_and_price),
        }, list(range(len(photos))))
    encode = medians.pop("encoder alone")
    print(f"{args.products:,} products, ViT-B-32 {args.precision}, {len(photos)} real photos, median of each:\n")
    print("| query | service, ms | encoder alone, ms | service / encoder |")
    print("| --- | --- | --- | --- |")
    for name, total in medians.items():
        print(f"| {name} | {total:.1f} | {encode:.1f} | {total / encode:.2f} |")


if __name__ == "__main__":
    main()
