"""The app's in-memory index (search/store/exact.py) at 10k, 100k and 1M products: query time and recall@10 against
float32 NumPy brute force, unfiltered (where one query's large scan goes through the 4-bit copy and re-scores its best
rows in float32) and with a brand + price filter, with the memory the index takes.

Same synthetic catalog as bench/store.py (clustered 512-d unit vectors, 50 brands, log-normal prices). Queries are
a shopper's photos of catalog products (bench/million.py's "photo" set: cosine about 0.96 to the product);
`--nearly-random` takes bench/store.py's instead, which the cells past 200,000 products do not serve exactly.

    python bench/exact.py [--sizes 10000 100000 1000000] [--queries 200]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from million import query_sets
from store import FILTER, K, catalog, exact, queries, recall, timed

from search.ranking import Filters, to_where
from search.store.exact import ExactIndex


def measure(size: int, query_count: int, nearly_random: bool = False) -> dict:
    vectors, brands, prices = catalog(size)
    probe = queries(vectors, query_count) if nearly_random else query_sets(vectors, query_count)["photo"]
    index = ExactIndex(vectors.shape[1])
    start = time.perf_counter()
    index.upsert([str(i) for i in range(size)], vectors,
                 [{"brand": f"brand-{b:02d}", "price": float(p)} for b, p in zip(brands, prices)])
    index.prepare()  # the cells or the 4-bit copy, as a store's `warm` makes them
    load_s = time.perf_counter() - start
    where = to_where(Filters(brands=(FILTER["brand"],), min_price=FILTER["min_price"], max_price=FILTER["max_price"]))
    mask = (brands == int(FILTER["brand"].split("-")[1])) & (prices >= FILTER["min_price"]) & \
        (prices <= FILTER["max_price"])
    row = {"size": size, "load_s": load_s}
    for name, clause, keep in (("unfiltered", None, None), ("brand + price", where, mask)):
        # NumPy's and torch's thread pools are not interleaved: each slowed the other when they were
        truths, numpy_ms = zip(*(exact(vectors, query, keep) for query in probe))
        index.search(probe[0], K, clause)  # builds the 4-bit copy or the filter columns
        found, times = zip(*(timed(lambda q=query, c=clause: index.search(q, K, c)) for query in probe))
        recalls = [recall([int(i) for i, _, _ in hits], truth) for hits, truth in zip(found, truths)]
        row[name] = (np.percentile(times, 50), np.percentile(times, 95), np.median(numpy_ms), np.mean(recalls),
                     np.min(recalls))
    row["memory_mib"] = index.nbytes / 2**20
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nearly-random", action="store_true", help="bench/store.py's queries")
    args = parser.parse_args()
    print("| products | query | ExactIndex p50 / p95, ms | NumPy float32 p50, ms | recall@10 (min) "
          "| index memory, MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        row = measure(size, args.queries, args.nearly_random)
        for name in ("unfiltered", "brand + price"):
            p50, p95, numpy_ms, mean_recall, min_recall = row[name]
            print(f"| {size:,} | {name} | {p50:.2f} / {p95:.2f} | {numpy_ms:.2f} | {mean_recall:.4f} "
                  f"({min_recall:.1f}) | {row['memory_mib']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
