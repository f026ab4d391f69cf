"""Do the cells (search/store/cells.py) hold the true top 10 of a trained CLIP's queries, text as well as photos?

Text vectors sit apart from image vectors in a CLIP space (the modality gap), and the cells are trained on image
vectors only, so a typed query might be nearest to cells that do not hold its best products. Measured with the
demo-world CLIP (search/encoders/weights, trained on drawn products) on pictures drawn afresh for each of its 560
(category, colour, pattern) kinds; queries: every colour x category typed in English and in Chinese, and new
drawings (a shopper's photo). Cells of 20 and 50 rows, so that 8 of them are about 1-3% of the catalog, as 8 of
1,000 are 0.8% at 1,000,000.

    python bench/cells_clip.py [--per-kind 24]
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np
from keywords import cpu_flags

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from train_demo_clip import TRIPLES, _query_text, draw  # noqa: E402

from catalog.demo import CATEGORIES, COLOURS  # noqa: E402
from search.encoders import load_encoder  # noqa: E402
from search.store import cells  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=24)
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}")
    encoder = load_encoder("demo-world")
    rng = random.Random(5)
    pictures = [draw(*kind, rng) for kind in TRIPLES for _ in range(args.per_kind)]
    catalog = np.concatenate([encoder.encode_images(pictures[i:i + 256]) for i in range(0, len(pictures), 256)])
    typed = encoder.encode_texts([_query_text(category, colour, chinese)
                                  for category in CATEGORIES for colour in COLOURS for chinese in (False, True)])
    photos = encoder.encode_images([draw(*TRIPLES[k], rng) for k in rng.choices(range(len(TRIPLES)), k=200)])
    print(f"{len(catalog):,} products; best cosine, median: typed {np.median((typed @ catalog.T).max(1)):.2f}, "
          f"photo {np.median((photos @ catalog.T).max(1)):.2f}\n")
    print("| rows per cell | cells | cells read | share read | typed recall@10 (min) | photo recall@10 (min) |\n"
          "| --- | --- | --- | --- | --- | --- |")
    for rows_per_cell in (20, 50):
        cells.CELL_ROWS = rows_per_cell
        grouped = cells.Cells.of(catalog)
        for probes in (8, 16):
            typed_recall, photo_recall = (recalls(grouped, catalog, queries, probes) for queries in (typed, photos))
            print(f"| {rows_per_cell} | {grouped.count} | {probes} | {probes / grouped.count:.1%} | "
                  f"{typed_recall.mean():.4f} ({typed_recall.min():.1f}) | "
                  f"{photo_recall.mean():.4f} ({photo_recall.min():.1f}) |")


def recalls(grouped: cells.Cells, catalog: np.ndarray, queries: np.ndarray, probes: int) -> np.ndarray:
    found = []
    for query in queries:
        truth = set(np.argsort(-(catalog @ query))[:10])
        candidates = grouped.candidates(query, probes)
        found.append(len(truth & set(candidates[np.argsort(-(catalog[candidates] @ query))[:10]])) / 10)
    return np.array(found)


if __name__ == "__main__":
    main()
