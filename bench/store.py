"""The store at scale: query latency, memory and recall@10 of Chroma against exact NumPy brute force, unfiltered
and with a brand + price filter, for several filtered-query strategies.

Synthetic catalog: clustered unit vectors (512-d, like ViT-B-32's), 50 brands of uneven size, log-normal prices,
85% in stock. Each size is built in a fresh embedded store in a temporary folder, in its own process, so the
memory figure is that size's own.

    python bench/store.py --sizes 10000 100000 1000000 [--ef 100 400] [--queries 200] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np

from search.ranking import Filters, to_where
from search.store.exact import ExactIndex

DIM, K, BRANDS = 512, 10, 50
DEFAULT_EF = 100  # Chroma's default ef_search
FILTER = {"brand": "brand-07", "min_price": 20.0, "max_price": 80.0}


def catalog(size: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors around 1,000 cluster centres (product embeddings cluster by kind), brands, prices."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(1000, DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, 1000, size)] + 0.6 * rng.normal(size=(size, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    weights = 1.0 / np.arange(1, BRANDS + 1)
    brands = rng.choice(BRANDS, size, p=weights / weights.sum())
    prices = np.round(rng.lognormal(3.8, 0.7, size), 2)
    return vectors, brands, prices


def queries(vectors: np.ndarray, count: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = vectors[rng.integers(0, len(vectors), count)] + 0.3 * rng.normal(size=(count, DIM)).astype(np.float32)
    return picked / np.linalg.norm(picked, axis=1, keepdims=True)


def build(path: Path, vectors: np.ndarray, brands: np.ndarray, prices: np.ndarray, ef_search: int):
    """ef_search is set at creation: Chroma 1.5.9 records a later `modify` but the open index keeps the old one."""
    client = chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection("bench", configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}},
                                          embedding_function=None)
    step = client.get_max_batch_size()
    for start in range(0, len(vectors), step):
        end = min(start + step, len(vectors))
        collection.add(ids=[str(i) for i in range(start, end)], embeddings=vectors[start:end],
                       metadatas=[{"brand": f"brand-{b:02d}", "price": float(p), "in_stock": True}
                                  for b, p in zip(brands[start:end], prices[start:end])])
    return collection


def exact(vectors: np.ndarray, query: np.ndarray, mask: np.ndarray | None = None) -> tuple[list[int], float]:
    """Exact top-K by cosine (dot product of unit vectors), over the rows `mask` keeps; and its time in ms."""
    start = time.perf_counter()
    rows = np.flatnonzero(mask) if mask is not None else None
    scores = vectors[rows] @ query if rows is not None else vectors @ query
    top = np.argpartition(-scores, min(K, len(scores) - 1))[:K]
    top = top[np.argsort(-scores[top])]
    ids = (rows[top] if rows is not None else top).tolist()
    return ids, (time.perf_counter() - start) * 1000


def timed(call) -> tuple[object, float]:
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000


def recall(found: list[int], truth: list[int]) -> float:
    return len(set(found) & set(truth)) / max(len(truth), 1)


def strategies(collection, vectors, brands, prices):
    """Each filtered-query strategy: a function of the query returning ids."""
    where = {"$and": [{"brand": {"$eq": FILTER["brand"]}}, {"price": {"$gte": FILTER["min_price"]}},
                      {"price": {"$lte": FILTER["max_price"]}}]}
    brand_number = int(FILTER["brand"].split("-")[1])

    def filter_mask():
        return (brands == brand_number) & (prices >= FILTER["min_price"]) & (prices <= FILTER["max_price"])

    mask = filter_mask()
    share = mask.mean()

    def chroma_where(query):
        got = collection.query(query_embeddings=[query], n_results=K, where=where, include=[])
        return [int(i) for i in got["ids"][0]]

    def over_fetch(query, factor=4):
        wanted = int(min(len(vectors), max(K / max(share, 1e-6) * factor, K)))
        got = collection.query(query_embeddings=[query], n_results=wanted, include=[])
        return [int(i) for i in got["ids"][0] if mask[int(i)]][:K]

    def exact_subset(query):  # the mask is computed from in-memory metadata columns on every query
        return exact(vectors, query, filter_mask())[0]

    product_index = ExactIndex(DIM)  # what the app searches with: search/store/exact.py, text fields as codes
    product_index.upsert([str(i) for i in range(len(vectors))], vectors,
                         [{"brand": f"brand-{b:02d}", "price": float(p)} for b, p in zip(brands, prices)])
    product_where = to_where(Filters(brands=(FILTER["brand"],), min_price=FILTER["min_price"],
                                     max_price=FILTER["max_price"]))

    def product_exact(query):
        return [int(i) for i, _, _ in product_index.search(query, K, product_where)]

    return mask, share, {"Chroma `where`": chroma_where, "over-fetch unfiltered, filter after": over_fetch,
                         "exact NumPy over the filtered subset": exact_subset,
                         "the app's `ExactIndex` (search/store/exact.py)": product_exact}


def measure(size: int, query_count: int, ef_search: int) -> dict:
    vectors, brands, prices = catalog(size)
    probe = queries(vectors, query_count)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        collection = build(Path(folder), vectors, brands, prices, ef_search)
        build_s = time.perf_counter() - start
        collection.query(query_embeddings=[probe[0]], n_results=K, include=[])  # warm the index
        mask, share, filtered = strategies(collection, vectors, brands, prices)
        row = {"size": size, "ef_search": ef_search, "build_s": round(build_s, 1),
               "filter_share": round(float(share), 4),
               "disk_mib": round(sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 2**20)}
        unfiltered_ms, numpy_ms, unfiltered_recall = _unfiltered(collection, vectors, probe)
        row["unfiltered"] = _summary(unfiltered_ms, unfiltered_recall)
        row["numpy_exact_ms_p50"] = round(float(np.percentile(numpy_ms, 50)), 2)
        row["filtered"] = {}
        for name, strategy in filtered.items():
            times, recalls = [], []
            for query in probe:
                found, ms = timed(lambda s=strategy, q=query: s(q))
                times.append(ms)
                recalls.append(recall(found, exact(vectors, query, mask)[0]))
            row["filtered"][name] = _summary(times, recalls)
        row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return row


def _unfiltered(collection, vectors, probe) -> tuple[list[float], list[float], list[float]]:
    """Chroma's unfiltered query times, NumPy exact times, and Chroma's recall@10 against exact."""
    chroma_ms, numpy_ms, recalls = [], [], []
    for query in probe:
        got, ms = timed(lambda q=query: collection.query(query_embeddings=[q], n_results=K, include=[]))
        truth, exact_ms = exact(vectors, query)
        chroma_ms.append(ms)
        numpy_ms.append(exact_ms)
        recalls.append(recall([int(i) for i in got["ids"][0]], truth))
    return chroma_ms, numpy_ms, recalls


def _summary(times: list[float], recalls: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(times, 50)), 2), "p95_ms": round(float(np.percentile(times, 95)), 2),
            "recall_at_10": round(float(np.mean(recalls)), 4), "min_recall": round(float(np.min(recalls)), 2)}


def table(rows: list[dict]) -> str:
    lines = ["| products | ef_search | build, s | on disk, MiB | peak RSS, MiB | Chroma p50 / p95, ms "
             "| recall@10 (min) | NumPy exact p50, ms |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        u = r["unfiltered"]
        lines.append(f"| {r['size']:,} | {r['ef_search']} | {r['build_s']} | {r['disk_mib']} | {r['peak_rss_mib']:,} | "
                     f"{u['p50_ms']} / {u['p95_ms']} | {u['recall_at_10']} ({u['min_recall']}) | "
                     f"{r['numpy_exact_ms_p50']} |")
    lines += ["", f"Filtered: brand = {FILTER['brand']} and {FILTER['min_price']:g} <= price <= "
                  f"{FILTER['max_price']:g}, top-{K}; recall against exact search over the same filter.", "",
              "| products | ef_search | filter keeps | strategy | p50 / p95, ms | x unfiltered p50 | recall@10 (min) |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        base = r["unfiltered"]["p50_ms"]
        for name, f in r["filtered"].items():
            lines.append(f"| {r['size']:,} | {r['ef_search']} | {r['filter_share']:.2%} | {name} | {f['p50_ms']} / "
                         f"{f['p95_ms']} | {f['p50_ms'] / base:.2f} | {f['recall_at_10']} ({f['min_recall']}) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", type=int, nargs="+", default=[DEFAULT_EF, 400], help="HNSW ef_search values")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.queries, args.ef[0])))
        return
    rows = []
    for size in args.sizes:
        for ef in args.ef:
            done = subprocess.run([sys.executable, __file__, "--one", str(size), "--queries", str(args.queries),
                                   "--ef", str(ef)], capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"{size:,} products, ef_search {ef}: done", file=sys.stderr)
    text = table(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
