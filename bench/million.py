"""A million products in one process: the app's index (float16 vectors searched through their cells) against the
index before (float32 and a full 4-bit scan) and the other first passes tried, with one photo's encoding timed in
the same run, query by query, for the query/encode ratio; recall@10 against float32 brute force; index memory.

    python bench/million.py [--products 1000000] [--queries 100] [--others]

Catalog: bench/store.py's (1,000 clusters of 512-d unit vectors, 50 brands, log-normal prices). Queries:
- photo: a shopper's photo of a catalog product, cosine about 0.96 to it;
- kind: a kind of product described, a cluster's centre with a member's spread;
- bench/store.py's: a product with noise of 0.3 in every dimension, cosine about 0.15 to it, nearly random: the
  hardest case for any first pass, and not what a shopper's photo or words give.
`--others` also builds FAISS IVF-PQ (re-scored from a float16 copy), FAISS IVF-SQ8 and usearch's HNSW (int8,
re-scored from float16): `pip install faiss-cpu usearch` (the app needs faiss only); about 20 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from keywords import cpu_flags
from PIL import Image
from store import DIM, FILTER, K, catalog, exact, queries, recall

from search.encoders.base import EncoderInfo
from search.encoders.clip import ClipEncoder
from search.ranking import Filters, to_where
from search.store import cells
from search.store import exact as exact_module
from search.store.exact import ExactIndex

Search = Callable[[np.ndarray], list[int]]


def query_sets(vectors: np.ndarray, count: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    photo = vectors[rng.integers(0, len(vectors), count)] + (0.3 / np.sqrt(DIM)) * rng.normal(size=(count, DIM))
    centres = np.random.default_rng(7).normal(size=(1000, DIM))  # bench/store.py's, from the same seed
    kind = centres[rng.integers(0, 1000, count)] + 0.6 * rng.normal(size=(count, DIM))
    return {name: (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
            for name, q in (("photo", photo), ("kind", kind), ("bench/store.py's", queries(vectors, count)))}


def app_index(vectors: np.ndarray, brands: np.ndarray, prices: np.ndarray, large: bool) -> ExactIndex:
    exact_module.LARGE_FROM = 200_000 if large else 10**12
    index = ExactIndex(DIM)
    step = 50_000
    for start in range(0, len(vectors), step):
        rows = range(start, min(start + step, len(vectors)))
        index.upsert([str(i) for i in rows], vectors[start:rows.stop],
                     [{"brand": f"brand-{brands[i]:02d}", "price": float(prices[i])} for i in rows])
    index.prepare()
    return index


def searches(vectors, brands, prices, others: bool) -> tuple[dict[str, Search], dict[str, float], ExactIndex]:
    """Each way to search (unfiltered), its memory in MiB, and the app's index."""
    found: dict[str, Search] = {}
    memory: dict[str, float] = {}
    indexes = []
    for name, large in (("app: float16, 8 nearest cells", True), ("before: float32, 4-bit scan", False)):
        start = time.perf_counter()
        index = app_index(vectors, brands, prices, large)
        print(f"{name}: loaded and prepared in {time.perf_counter() - start:.0f} s", flush=True)
        found[name] = lambda q, index=index: [int(i) for i, _, _ in index.search(q, K)]
        memory[name] = index.nbytes / 2**20
        indexes.append(index)
        if large:
            found["app, 16 nearest cells"] = lambda q, index=index: with_probes(16, index, q)
            memory["app, 16 nearest cells"] = memory[name]
    if others:
        from others import first_passes
        for name, (search, mib) in first_passes(vectors).items():
            found[name], memory[name] = search, mib
    return found, memory, indexes[0]


def with_probes(probes: int, index: ExactIndex, query: np.ndarray) -> list[int]:
    default, cells.PROBES = cells.PROBES, probes
    try:
        return [int(i) for i, _, _ in index.search(query, K)]
    finally:
        cells.PROBES = default


def filters(brands: np.ndarray, prices: np.ndarray) -> dict[str, tuple[dict, np.ndarray]]:
    """Each filter: its `where`, and the rows it keeps."""
    brand = int(FILTER["brand"].split("-")[1])
    narrow = (brands == brand) & (prices >= FILTER["min_price"]) & (prices <= FILTER["max_price"])
    wide = (prices >= FILTER["min_price"]) & (prices <= FILTER["max_price"])
    return {f"brand + price ({narrow.mean():.2%})": (to_where(Filters(
                brands=(FILTER["brand"],), min_price=FILTER["min_price"], max_price=FILTER["max_price"])), narrow),
            f"price only ({wide.mean():.2%})": (to_where(Filters(
                min_price=FILTER["min_price"], max_price=FILTER["max_price"])), wide)}


def run(search: Search, probe: np.ndarray, truths: list, encode: Callable[[], None]) -> tuple:
    """p50 ms of `search`, p50 ms of one photo's encoding taken just before each query, mean and min recall@10."""
    search(probe[0])
    query_ms, encode_ms, recalls = [], [], []
    for query, truth in zip(probe, truths):
        began = time.perf_counter()
        encode()
        encode_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        got = search(query)
        query_ms.append((time.perf_counter() - began) * 1000)
        recalls.append(recall(got, truth))
    return np.median(query_ms), np.median(encode_ms), np.mean(recalls), np.min(recalls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--others", action="store_true", help="also FAISS IVF-PQ, IVF-SQ8 and usearch HNSW")
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}; torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    vectors, brands, prices = catalog(args.products)
    encoder = ClipEncoder("ViT-B-32", None, EncoderInfo("ViT-B-32", "random-weights-benchmark", 0, "clip", False, True))
    photo = Image.effect_mandelbrot((640, 480), (-2, -1.2, 1, 1.2), 60).convert("RGB")
    encode = lambda: encoder.encode_images([photo])  # noqa: E731
    print(f"encoder: ViT-B-32 in {encoder.info.precision}, one photo at a time", flush=True)
    sets = query_sets(vectors, args.queries)
    found, memory, index = searches(vectors, brands, prices, args.others)
    print(f"\n{args.products:,} products\n\n| search | queries | p50, ms | one photo's encoding, p50 ms "
          "| query / encode | recall@10 (min) | index memory, MiB |\n" + "| --- " * 7 + "|")
    for set_name, probe in sets.items():
        truths = [exact(vectors, q)[0] for q in probe]
        for name, search in found.items():
            row(name, set_name, run(search, probe, truths, encode), memory[name])
    for filter_name, (where, keep) in filters(brands, prices).items():
        for set_name in ("photo", "kind"):
            truths = [exact(vectors, q, keep)[0] for q in sets[set_name]]
            measured = run(lambda q, where=where: [int(i) for i, _, _ in index.search(q, K, where)],
                           sets[set_name], truths, encode)
            row(f"app, {filter_name}", set_name, measured, index.nbytes / 2**20)


def row(name: str, set_name: str, measured: tuple, mib: float) -> None:
    query_ms, encode_ms, mean, least = measured
    print(f"| {name} | {set_name} | {query_ms:.2f} | {encode_ms:.1f} | {query_ms / encode_ms:.2f} | "
          f"{mean:.4f} ({least:.1f}) | {mib:,.0f} |", flush=True)

if __name__ == "__main__":
    main()
