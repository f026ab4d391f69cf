"""Products of several pictures against products of one, in the app's in-memory index: query time (p50 of each, query
by query interleaved, with one photo's encoding timed in the same run: the search alone, and a shopper's photo to
results, the encoding and then the search), recall@10 of products against brute force
(each product scored by its best picture) in float32 and over the vectors as the index holds them (float16 from
200,000 rows), unfiltered and filtered, and memory per picture.

    python bench/pictures.py [--products 100000] [--pictures 4] [--queries 200]

Catalog: bench/store.py's vectors (1,000 clusters of 512-d unit vectors, 50 brands, log-normal prices), each the
product's main picture; its other pictures are other views of it, cosine about 0.8 to the main one. Each row holds
the product's details as the store writes them (search/store/collection.py's `picture_rows`), loaded as a store's
replica loads them, so the memory (the process's resident memory before and after an index is loaded, a picture's
share) is the app's. Queries: a shopper's photo of one picture of a product (any of them), cosine about 0.96 to it.
"""
from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from keywords import cpu_flags
from PIL import Image
from store import DIM, FILTER, K, catalog

from catalog.product import Product
from search.encoders.base import EncoderInfo
from search.encoders.clip import ClipEncoder
from search.ranking import Filters, to_where
from search.store.collapse import by_product
from search.store.collection import picture_rows
from search.store.exact import ExactIndex
from search.store.replica import sharing_details
from search.store.versions import row_id

VIEW_NOISE = 0.75  # another view of a product: cosine about 0.8 to its main picture
PHOTO_NOISE = 0.3  # a shopper's photo of a picture: cosine about 0.96 to it


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def pictures_of(main: np.ndarray, pictures: int, seed: int = 5) -> np.ndarray:
    """(products, pictures, DIM): the main picture first, then other views of it."""
    rng = np.random.default_rng(seed)
    views = main[:, None, :] + (VIEW_NOISE / np.sqrt(DIM)) * rng.normal(size=(len(main), pictures, DIM))
    views[:, 0, :] = main
    return unit(views)


def index_of(views: np.ndarray, brands: np.ndarray, prices: np.ndarray) -> ExactIndex:
    """The app's index of these products, a row a picture with the product's details, loaded in pages as a store's
    is (search/store/replica.py)."""
    products, pictures = views.shape[:2]
    index = ExactIndex(DIM)
    for start in range(0, products, 10_000):
        ids, metadatas = [], []
        for n in range(start, min(start + 10_000, products)):
            product = Product(id=f"p{n:06d}", title=f"Product {n}", brand=f"brand-{brands[n]:02d}", category="Bags",
                              price=float(prices[n]), currency="USD", image=f"https://shop.example/{n}/0.jpg",
                              extra_images=tuple(f"https://shop.example/{n}/{k}.jpg" for k in range(1, pictures)),
                              picture=f"/cache/{n}-0.jpg",
                              extra_pictures=tuple(f"/cache/{n}-{k}.jpg" for k in range(1, pictures)))
            rows = picture_rows(product, [f"{n:032x}/space" for _ in range(pictures)])
            ids += [row_id(product.id, shot) for shot in range(pictures)]
            metadatas += [{**row, "revision": 1_764_512_345_678_901_234} for row in rows]
        index.upsert(ids, views[start:start + 10_000].reshape(-1, DIM), sharing_details(metadatas))
    index.prepare()
    return index


def truth(views: np.ndarray, query: np.ndarray, keep: np.ndarray | None) -> set[str]:
    """The K products whose best picture is nearest, in float32, among those `keep` passes."""
    best = (views @ query).max(axis=1)
    if keep is not None:
        best[~keep] = -np.inf
    return {f"p{n:06d}" for n in np.argsort(-best)[:K]}


class Measured(NamedTuple):
    """One index's figures over the same photos, queries interleaved with the other index's."""
    search_ms: float  # p50 of the index's search alone
    encode_ms: float  # p50 of one photo's encoding
    photo_to_results_ms: float  # p50 of a shopper's query: the photo's encoding, then the search
    recall: float  # mean recall@10 of products against float32 brute force
    least_recall: float
    own_recall: float  # mean recall@10 against brute force over the vectors as the index holds them (float16 if large)


def measure(indexes: dict[str, tuple[np.ndarray, ExactIndex]], photos: dict[str, np.ndarray], where: dict | None,
            keep: np.ndarray | None, encode) -> dict[str, Measured]:
    """Each index's figures, the photos' encodings timed in the same run, before each photo's searches."""
    times: dict[str, list[float]] = {name: [] for name in indexes}
    encodes: list[float] = []
    recalls: dict[str, list[float]] = {name: [] for name in indexes}
    held_recalls: dict[str, list[float]] = {name: [] for name in indexes}
    held = {name: views.astype(index.vectors.dtype).astype(np.float32) for name, (views, index) in indexes.items()}
    for n in range(len(next(iter(photos.values())))):
        began = time.perf_counter()
        encode()
        encodes.append((time.perf_counter() - began) * 1000)
        for name, (views, index) in indexes.items():
            query = photos[name][n]
            began = time.perf_counter()
            found = index.search(query, K, where, by_product)
            times[name].append((time.perf_counter() - began) * 1000)
            products = {m["product"] for _, m, _ in found}
            recalls[name].append(len(products & truth(views, query, keep)) / K)
            held_recalls[name].append(len(products & truth(held[name], query, keep)) / K)
    return {name: Measured(search_ms=float(np.median(times[name])), encode_ms=float(np.median(encodes)),
                           photo_to_results_ms=float(np.median(np.add(encodes, times[name]))),
                           recall=float(np.mean(recalls[name])), least_recall=float(np.min(recalls[name])),
                           own_recall=float(np.mean(held_recalls[name]))) for name in indexes}


def resident() -> int:
    """This process's resident memory, in bytes."""
    gc.collect()
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--pictures", type=int, default=4)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}; torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    main_pictures, brands, prices = catalog(args.products)
    indexes: dict[str, tuple[np.ndarray, ExactIndex]] = {}
    per_picture: dict[str, float] = {}
    for pictures in (1, args.pictures):
        views = pictures_of(main_pictures, pictures)
        began, before = time.perf_counter(), resident()
        index = index_of(views, brands, prices)
        name = f"{pictures} a product"
        indexes[name], per_picture[name] = (views, index), (resident() - before) / len(index)
        print(f"{name}: {len(index):,} rows loaded and prepared in {time.perf_counter() - began:.0f} s, "
              f"{per_picture[name]:,.0f} bytes a picture", flush=True)
    rng = np.random.default_rng(11)
    asked = rng.integers(0, args.products, args.queries)
    noise = (PHOTO_NOISE / np.sqrt(DIM)) * rng.normal(size=(args.queries, DIM))
    photos = {name: unit(views[asked, rng.integers(0, views.shape[1], args.queries)] + noise)
              for name, (views, _) in indexes.items()}  # a photo of any picture of the product
    encoder = ClipEncoder("ViT-B-32", None, EncoderInfo("ViT-B-32", "random-weights-benchmark", 0, "clip", False, True))
    photo = Image.effect_mandelbrot((640, 480), (-2, -1.2, 1, 1.2), 60).convert("RGB")
    encode = lambda: encoder.encode_images([photo])  # noqa: E731
    keep = (brands == int(FILTER["brand"].split("-")[1])) & (prices >= FILTER["min_price"]) & \
        (prices <= FILTER["max_price"])
    where = to_where(Filters(brands=(FILTER["brand"],), min_price=FILTER["min_price"], max_price=FILTER["max_price"]))
    print(f"\n{args.products:,} products, {args.queries} photos; ViT-B-32 in {encoder.info.precision} for one photo's "
          "encoding\n\n| pictures | filter | search p50, ms | x one picture's | search / encode | photo to results "
          "p50, ms | x one picture's | recall@10 of products (least) | recall@10, the index's own vectors | memory a "
          "picture, bytes |\n" + "| --- " * 10 + "|")
    for filter_name, (asked_where, asked_keep) in (("none", (None, None)), (f"brand + price ({keep.mean():.2%})",
                                                                            (where, keep))):
        measured = measure(indexes, photos, asked_where, asked_keep, encode)
        single = measured["1 a product"]
        for name, m in measured.items():
            print(f"| {name} | {filter_name} | {m.search_ms:.2f} | {m.search_ms / single.search_ms:.2f} | "
                  f"{m.search_ms / m.encode_ms:.2f} | {m.photo_to_results_ms:.1f} | "
                  f"{m.photo_to_results_ms / single.photo_to_results_ms:.2f} | {m.recall:.4f} ({m.least_recall:.1f}) | "
                  f"{m.own_recall:.4f} | {per_picture[name]:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
