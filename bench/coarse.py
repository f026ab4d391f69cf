"""How far the exact index's 4-bit copy (search/store/coarse.py) is from float32, on several kinds of catalog, and how
many of its best rows must be scored again to find the true top 12: recall@12 of a pool of P rows.

Catalogs: isotropic random vectors; vectors sharing a strong common direction with a few dominant dimensions
(as CLIP embeddings do); 20 near-identical variants of each of 5,000 products; bench/store.py's clustered
catalog; and the offline colour-and-shape encoder's vectors of the real photos in ../shared/data/fashion-photos.

    python bench/coarse.py [--products 100000] [--queries 200]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from store import catalog, queries

from search.encoders.colour_shape import ColourShapeEncoder
from search.images import load_image
from search.store.coarse import Int4Copy

PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fashion-photos" / "images"
POOLS = (32, 64, 128, 256, 512)
K = 12


def catalogs(size: int, count: int, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name: (catalog vectors, query vectors)."""
    def near(vectors, spread):
        return vectors[rng.integers(len(vectors), size=count)] + spread * rng.normal(size=(count, vectors.shape[1]))

    isotropic = rng.normal(size=(size, 512))
    skewed = rng.normal(size=(size, 512))
    skewed[:, :3] *= 12
    skewed += 3 * rng.normal(size=512)
    variants = np.repeat(rng.normal(size=(size // 20, 512)) + 2 * rng.normal(size=512), 20, axis=0)
    variants += 0.15 * rng.normal(size=variants.shape)
    clustered = catalog(size)[0]
    photos = sorted(PHOTOS.glob("*.jpg"))
    colour_shape = np.asarray(ColourShapeEncoder().encode_images([load_image(p) for p in photos]))
    return {"isotropic random": (isotropic, rng.normal(size=(count, 512))),
            "common direction, 3 dominant dimensions": (skewed, near(skewed, 1.0)),
            "20 near-identical variants per product": (variants, near(variants, 0.3)),
            "clustered (bench/store.py)": (clustered, queries(clustered, count)),
            f"colour and shape, {len(photos):,} real photos": (  # a shopper's photo of a catalog product
                colour_shape, colour_shape[rng.integers(len(photos), size=count)])}


def measure(vectors: np.ndarray, probes: np.ndarray) -> tuple[float, dict[int, float]]:
    """The largest score error over all rows and probes, and recall@K of each pool size."""
    vectors = _unit(vectors)
    copy = Int4Copy(vectors)
    shift = vectors.mean(axis=0)  # the copy's scores are relative to the mean row
    largest_error, found = 0.0, {pool: 0 for pool in POOLS}
    for probe in _unit(probes):
        truth = torch.from_numpy(vectors @ probe)
        approx = copy.scores(probe)
        largest_error = max(largest_error, float((approx - (truth - float(shift @ probe))).abs().max()))
        best = set(torch.topk(truth, K).indices.tolist())
        for pool in POOLS:
            found[pool] += len(best & set(torch.topk(approx, min(pool, len(vectors))).indices.tolist()))
    return largest_error, {pool: hits / (K * len(probes)) for pool, hits in found.items()}


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    print(f"recall@{K} of the pool of the 4-bit copy's best P rows, {args.queries} queries per catalog\n")
    print("| catalog | rows | largest score error | " + " | ".join(f"P = {pool}" for pool in POOLS) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in POOLS) + " |")
    for name, (vectors, probes) in catalogs(args.products, args.queries, rng).items():
        error, recalls = measure(vectors, probes)
        print(f"| {name} | {len(vectors):,} | {error:.3f} | " + " | ".join(f"{recalls[p]:.4f}" for p in POOLS) + " |",
              flush=True)


if __name__ == "__main__":
    main()
