"""Keyword search (search/store/keyword_index.py), measured four ways; prints Markdown tables for docs/benchmarks.md.

- libraries: bm25s against SQLite FTS5 (in memory, unicode61 over the same terms) at N products: build time,
  memory, and one query's median time;
- segmenters: Chinese cut by jieba's dictionary (rjieba) or into overlapping character pairs, on every colour x
  category query of the demo catalog, spaced (红色 马克杯) and not (红色马克杯): how many put every product of that
  colour and category first;
- fusion: the weighted sum against reciprocal-rank fusion on the demo catalog with the tiny random-weight CLIP
  (the vector side is noise there, as it is for a language the model cannot read): brand + category and
  colour + category queries;
- speed: N synthetic products in a real store with ViT-B-32 (random weights: the pretrained model's arithmetic):
  the keyword index's build time against indexing N products at the rate the real indexer measures in the same
  run, its memory, and a text query's median, hybrid against vector-only, taken in turn.

    python bench/keywords.py [--products 100000] [--parts libraries segmenters fusion speed]
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

import numpy as np
from query import interleaved_ms

from catalog.demo import BRANDS, CATEGORIES, CHINESE, COLOURS, MATERIALS, demo_products, write_demo_catalog
from catalog.product import Product
from search import words
from search.encoders import load_encoder
from search.encoders.base import EncoderInfo
from search.encoders.clip import ClipEncoder
from search.indexer import Indexer
from search.query_cache import EmbeddingCache
from search.ranking import Ranking
from search.service import Query, SearchService
from search.store.collection import Encoded, ProductStore, picture_rows
from search.store.keyword_index import KeywordIndex, product_text


def synthetic(count: int, seed: int = 7) -> list[tuple[Product, np.ndarray]]:
    """Demo-like bilingual products: 500 brands, every colour, category and material, a model number each."""
    rng = random.Random(seed)
    brands = [*BRANDS, *(f"Brand{i:03d}" for i in range(488))]
    products = []
    for i in range(count):
        colour, category, material = rng.choice(list(COLOURS)), rng.choice(list(CATEGORIES)), rng.choice(MATERIALS)
        noun = CATEGORIES[category][0]
        brand = rng.choice(brands)
        attributes = {"colour": colour, "material": material, "model": f"RX-{rng.randint(100, 99999)}",
                      "title_zh": f"{brand} {CHINESE[colour]}{CHINESE[noun]}", "category_zh": CHINESE[category],
                      "colour_zh": CHINESE[colour]}
        products.append(Product(f"p{i}", f"{brand} {colour} {noun}", brand, category, float(rng.randint(5, 400)),
                                "USD", "/nowhere.jpg", attributes=attributes))
    return [(p, None) for p in products]


def text_queries(count: int, seed: int = 9) -> list[str]:
    rng = random.Random(seed)
    english = [f"{rng.choice(list(COLOURS))} {CATEGORIES[rng.choice(list(CATEGORIES))][0]}".lower()
               for _ in range(count // 2)]
    chinese = [f"{CHINESE[rng.choice(list(COLOURS))]}{CHINESE[rng.choice(list(CATEGORIES))]}"
               for _ in range(count - count // 2)]
    return english + chinese


def libraries(count: int) -> None:
    rows = [(p.id, picture_rows(p, [""])[0]) for p, _ in synthetic(count)]
    queries = text_queries(200)
    start = time.perf_counter()
    index = KeywordIndex(rows)
    index.knows("")  # builds
    bm25_build = time.perf_counter() - start
    bm25_memory = traced_mib(lambda: built_index(rows))
    bm25_ms = statistics.median(_timed(lambda q: index.search(q, 50), queries))
    database = sqlite3.connect(":memory:")
    database.execute("CREATE VIRTUAL TABLE products USING fts5(id UNINDEXED, body)")
    start = time.perf_counter()
    database.executemany("INSERT INTO products VALUES (?, ?)",
                         ((i, " ".join(words.terms(product_text(i, m)))) for i, m in rows))
    fts_build = time.perf_counter() - start

    def fts(query: str) -> list:
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(words.terms(query)))
        return database.execute("SELECT id, bm25(products) FROM products WHERE products MATCH ? "
                                "ORDER BY bm25(products) LIMIT 50", (match,)).fetchall()

    fts_ms = statistics.median(_timed(fts, queries))
    print(f"\n{count:,} products, {len(queries)} text queries (half English, half Chinese), top 50:\n")
    print("| library | build, s | memory, MiB | query p50, ms |\n| --- | --- | --- | --- |")
    print(f"| bm25s {bm25s_version()} | {bm25_build:.1f} | {bm25_memory:.0f} | {bm25_ms:.2f} |")
    print(f"| SQLite FTS5 {sqlite3.sqlite_version} | {fts_build:.1f} | (in SQLite) | {fts_ms:.2f} |")


def built_index(rows) -> KeywordIndex:
    index = KeywordIndex(rows)
    index.knows("")  # builds the matrix
    return index


def traced_mib(build) -> float:
    """The memory what `build` makes keeps, in MiB (tracing slows Python several times: never timed with it)."""
    tracemalloc.start()
    kept = build()
    memory = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del kept
    return memory


def bm25s_version() -> str:
    import bm25s
    return bm25s.__version__


def _timed(call, items) -> list[float]:
    times = []
    for item in items:
        start = time.perf_counter()
        call(item)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _pairs() -> dict[tuple[str, str], set[str]]:
    pairs = defaultdict(set)
    for product, _ in demo_products():
        pairs[(product.colour, product.category)].add(product.id)
    return pairs


def _first(ranked: list[str], wanted: set[str]) -> bool:
    return set(ranked[:min(len(wanted), 5)]) <= wanted


def segmenters() -> None:
    rows = [(p.id, picture_rows(p, [""])[0]) for p, _ in demo_products()]
    pairs = _pairs()
    print(f"\nDemo catalog, {len(pairs)} colour x category queries each way: queries that put every product of the "
          "colour and category first\n")
    print("| segmenter | 红色 马克杯 (spaced) | 红色马克杯 (unspaced) |\n| --- | --- | --- |")
    for name in words.SEGMENTERS:
        words.use_segmenter(name)
        index = KeywordIndex(rows)
        found = {sep: sum(_first([h.product_id for h in index.search(f"{CHINESE[c]}{sep}{CHINESE[k]}", 5)], ids)
                          for (c, k), ids in pairs.items()) for sep in (" ", "")}
        print(f"| {name} | {found[' ']} of {len(pairs)} | {found['']} of {len(pairs)} |")
    words.use_segmenter("dictionary")


def fusion(folder: Path) -> None:
    encoder = load_encoder("test-tiny", precision="fp32")
    store = ProductStore(folder / "tiny", encoder.info, for_indexing=True)
    Indexer(encoder, store).index_feed(write_demo_catalog(folder / "demo"))
    service = SearchService(encoder, store)
    by_brand = defaultdict(set)
    for product, _ in demo_products():
        by_brand[(product.brand, product.category)].add(product.id)
    sets = {"brand + category (Kestrel backpack)": {f"{b} {CATEGORIES[c][0]}": ids for (b, c), ids in by_brand.items()},
            "colour + category (red coffee mug)": {f"{c} {CATEGORIES[k][0]}".lower(): ids
                                                   for (c, k), ids in _pairs().items()}}
    print("\nDemo catalog, tiny random-weight CLIP, keyword weight 0.5: queries that put every wanted product first, "
          "and the share of wanted products among the first (as many as are wanted, up to 5)\n")
    print("| queries | fusion | all first | precision |\n| --- | --- | --- | --- |")
    for label, queries in sets.items():
        for method in ("weighted", "rrf"):
            first = precise = 0
            for text, ids in queries.items():
                ranking = Ranking(top_k=5, keyword_weight=0.5)
                hits = service.search(Query(text=text), ranking=ranking, fusion=method).hits
                first += _first([h.product.id for h in hits], ids)
                precise += sum(h.product.id in ids for h in hits[:len(ids)]) / min(len(ids), 5)
            print(f"| {label}, {len(queries)} | {method} | {first} | {precise / len(queries):.3f} |")


def speed(count: int, folder: Path) -> None:
    info = EncoderInfo("ViT-B-32", "random-weights-benchmark", 0, "clip", False, True)
    encoder = ClipEncoder("ViT-B-32", None, info, precision="auto")
    feed = write_demo_catalog(folder / "demo")
    slice_store = ProductStore(folder / "ingest", encoder.info, for_indexing=True)
    start = time.perf_counter()
    Indexer(encoder, slice_store).index_feed(feed)
    rate = slice_store.count() / (time.perf_counter() - start)
    store = ProductStore(folder / "big", encoder.info, for_indexing=True)
    rng = np.random.default_rng(3)
    items = [p for p, _ in synthetic(count)]
    for begin in range(0, count, 5000):
        batch = items[begin:begin + 5000]
        vectors = rng.normal(size=(len(batch), encoder.info.dim)).astype(np.float32)
        store.upsert(Encoded.each(batch, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), ["f"] * len(batch)))
    store.warm()
    rows = list(zip(list(store.replica.held.ids), list(store.replica.held.metadatas)))
    start = time.perf_counter()
    KeywordIndex(rows).knows("")
    build = time.perf_counter() - start
    memory = traced_mib(lambda: built_index(rows))
    service = SearchService(encoder, store, EmbeddingCache(size=0))
    queries = [q for q in text_queries(80) if not words.has_cjk(q)]
    medians = interleaved_ms({
        "vector only": lambda i: service.search(Query(text=queries[i]), ranking=Ranking(top_k=12, keyword_weight=0.0)),
        "hybrid": lambda i: service.search(Query(text=queries[i]), ranking=Ranking(top_k=12, keyword_weight=0.5)),
    }, list(range(len(queries))))
    ingest = count / rate
    print(f"\n{count:,} products, ViT-B-32 ({encoder.info.precision}); indexing measured on the demo catalog's "
          f"{slice_store.count()} pictures in this run: {rate:.1f} products/s\n")
    print("| what | value |\n| --- | --- |")
    print(f"| keyword index build | {build:.1f} s |")
    print(f"| indexing {count:,} products at that rate | {ingest:.0f} s |")
    print(f"| build as a share of indexing | {100 * build / ingest:.2f}% |")
    print(f"| keyword index memory | {memory:.0f} MiB |")
    print(f"| text query p50, vector only | {medians['vector only']:.1f} ms |")
    print(f"| text query p50, hybrid | {medians['hybrid']:.1f} ms |")
    print(f"| hybrid / vector only | {medians['hybrid'] / medians['vector only']:.2f} |")


def cpu_flags() -> str:
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split("flags", 1)[1].split("\n", 1)[0].split())
        model = Path("/proc/cpuinfo").read_text().split("model name", 1)[1].split("\n", 1)[0].strip(" :\t")
    except (OSError, IndexError):
        return "unknown CPU"
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni")
    return f"{model}; {', '.join(f for f in wanted if f in flags) or 'no AVX2'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--parts", nargs="+", default=["libraries", "segmenters", "fusion", "speed"])
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}")
    with tempfile.TemporaryDirectory() as folder:
        for part in args.parts:
            if part == "libraries":
                libraries(args.products)
            elif part == "segmenters":
                segmenters()
            elif part == "fusion":
                fusion(Path(folder))
            elif part == "speed":
                speed(args.products, Path(folder))


if __name__ == "__main__":
    main()
