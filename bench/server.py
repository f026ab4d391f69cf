"""Exact search on a Chroma server: an app process's in-memory copy of the server's collection against the embedded
store's, in one run, queries taken in turn; the copy's load time at start; how soon a change made through one
process is searched in another; and Chroma's own HNSW index on the same server, for comparison.

Synthetic products (bench/query.py's: 512-d unit vectors, 50 brands, log-normal prices), the same in both stores.
Queries are stored vectors with noise added; recall@10 is against brute force over the same rows.

    python bench/server.py [--products 100000] [--queries 100] [--changes 10]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np
from keywords import cpu_flags
from query import fill, interleaved_ms

from search.encoders.base import EncoderInfo
from search.ranking import Filters, to_where
from search.store.collection import ProductStore

DIM, K = 512, 10
FILTER = Filters(brands=("brand-07",), min_price=20.0, max_price=80.0)


def start_chroma(folder: Path) -> tuple[subprocess.Popen, str]:
    """A real `chroma run` on a free port, once it answers."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = shutil.which("chroma") or "chroma"
    process = subprocess.Popen([chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            return process, f"http://127.0.0.1:{port}"
        except Exception:
            time.sleep(0.3)
    raise RuntimeError("chroma run did not answer within 60 s")


def wait_until_idle(process: subprocess.Popen, seconds: float = 2.0) -> None:
    """Until the server has used under 5% of a core for `seconds`: Chroma builds its index in the background after a
    bulk write, and what is measured meanwhile measures that. Linux's /proc; elsewhere a minute's wait."""
    stat = Path(f"/proc/{process.pid}/stat")
    if not stat.exists():
        time.sleep(60)
        return

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    began = time.monotonic()
    while True:
        before = used()
        time.sleep(seconds)
        if used() - before < 0.05 * seconds:
            print(f"the server was idle after {time.monotonic() - began:.0f} s")
            return


def probes(store: ProductStore, count: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    held = store.replica.exact()
    assert held is not None
    picked = held.vectors[rng.integers(0, len(held), count)] + 0.3 * rng.normal(size=(count, DIM))
    return (picked / np.linalg.norm(picked, axis=1, keepdims=True)).astype(np.float32)


def brute_force(store: ProductStore, query: np.ndarray, where_rows: np.ndarray | None) -> set[str]:
    held = store.replica.exact()
    assert held is not None
    scores = held.vectors @ query
    if where_rows is not None:
        scores = np.where(where_rows, scores, -np.inf)
    return {held.ids[i] for i in np.argsort(-scores)[:K]}


def filter_rows(store: ProductStore) -> np.ndarray:
    held = store.replica.exact()
    assert held is not None
    return np.array([m.get("brand") in FILTER.brands and FILTER.min_price <= m.get("price", -1) <= FILTER.max_price
                     for m in held.metadatas])


def hnsw(store: ProductStore, query: np.ndarray, where: dict | None) -> list[str]:
    found = store.chroma._collection.query(query_embeddings=[query], n_results=K, where=where, include=[])
    return found["ids"][0]


def seen_after(change, check) -> tuple[float, float]:
    """Seconds a change made through one store object took, and from its return until `check` held on another
    (polled every 10 ms)."""
    began = time.monotonic()
    change()
    written = time.monotonic()
    while not check():
        time.sleep(0.01)
    return written - began, time.monotonic() - written


def freshness(writer: ProductStore, reader: ProductStore, changes: int) -> dict[str, list[tuple[float, float]]]:
    held = reader.replica.exact()
    assert held is not None
    times: dict[str, list[tuple[float, float]]] = {"update in place": [], "deletion": []}
    for turn in range(changes):
        updated, deleted = change_one(writer, reader, held.ids[turn * 97], price=1000.0 + turn)
        times["update in place"].append(updated)
        times["deletion"].append(deleted)
    return times


def change_one(writer: ProductStore, reader: ProductStore, product_id: str,
               price: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """A product re-priced, then deleted, through `writer`: how soon `reader` finds each."""
    vector = reader.vectors([product_id])[product_id]
    product = writer.stored([product_id])[product_id].product
    updated = seen_after(lambda: writer.update_metadata([dataclasses.replace(product, price=price)], [("synthetic",)]),
                         lambda: reader.query(vector, 1)[0].product.price == price)
    deleted = seen_after(lambda: writer.delete([product_id]),
                         lambda: reader.query(vector, 1)[0].product.id != product_id)
    return updated, deleted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}")
    info = EncoderInfo("bench", None, DIM, "clip", False, True)
    with tempfile.TemporaryDirectory() as folder:
        process, server = start_chroma(Path(folder) / "server")
        try:
            embedded = ProductStore(Path(folder) / "embedded", info)
            fill(embedded, args.products, DIM)
            writer = ProductStore(server, info)
            began = time.perf_counter()
            fill(writer, args.products, DIM)
            print(f"{args.products:,} products written to the server in {time.perf_counter() - began:.0f} s")
            reader = ProductStore(server, info)  # another app process, starting on the filled server
            began = time.perf_counter()
            reader.warm()
            print(f"an app process's in-memory copy loaded from the server in {time.perf_counter() - began:.1f} s")
            embedded.warm()
            wait_until_idle(process)
            report(embedded, reader, probes(embedded, args.queries))
            times = freshness(writer, reader, args.changes)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print("\nA change made through one process, then searched in another (polled every 10 ms), seconds:\n")
    print("| change | the write, median / max | then seen elsewhere, median / max |\n| --- | --- | --- |")
    for name, pairs in times.items():
        writes, seen = np.array(pairs).T
        print(f"| {name} | {np.median(writes):.2f} / {writes.max():.2f} | {np.median(seen):.2f} / {seen.max():.2f} |")


def report(embedded: ProductStore, reader: ProductStore, queries: np.ndarray) -> None:
    where, rows = to_where(FILTER), filter_rows(embedded)
    calls = {("embedded, exact", False): lambda q: embedded.query(q, K),
             ("server, exact (the app's copy)", False): lambda q: reader.query(q, K),
             ("server, Chroma's HNSW", False): lambda q: hnsw(reader, q, None),
             ("embedded, exact", True): lambda q: embedded.query(q, K, where),
             ("server, exact (the app's copy)", True): lambda q: reader.query(q, K, where),
             ("server, Chroma's HNSW", True): lambda q: hnsw(reader, q, where)}
    medians = interleaved_ms(calls, list(queries))
    print(f"\n{len(embedded.replica.exact() or ()):,} products, {len(queries)} queries, top {K}; filtered: brand "
          f"{FILTER.brands[0]} and {FILTER.min_price:g} <= price <= {FILTER.max_price:g} ({rows.mean():.2%} of rows)\n")
    print("| search | filtered | p50, ms | x embedded | recall@10 |\n| --- | --- | --- | --- | --- |")
    for (name, filtered), call in calls.items():
        found = [call(q) for q in queries]
        ids = [{h if isinstance(h, str) else h.product.id for h in hits} for hits in found]
        truth = [brute_force(embedded, q, rows if filtered else None) for q in queries]
        recall = np.mean([len(got & want) / len(want) for got, want in zip(ids, truth)])
        base = medians[("embedded, exact", filtered)]
        print(f"| {name} | {'yes' if filtered else 'no'} | {medians[(name, filtered)]:.2f} | "
              f"{medians[(name, filtered)] / base:.2f} | {recall:.4f} |")


if __name__ == "__main__":
    main()
