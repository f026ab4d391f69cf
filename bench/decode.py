"""Decoding and resizing a batch's pictures (what the indexer does between two batches) on threads or on worker
processes, for the offline encoder's and ViT-B-32's preparation, on real product photos: does a process pool beat
the indexer's thread per core?

    python bench/decode.py [--photos ../shared/data/fashion-photos] [--count 1024] [--workers N]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from keywords import cpu_flags

from search.encoders.base import EncoderInfo
from search.encoders.clip import ClipEncoder
from search.encoders.colour_shape import ColourShapeEncoder
from search.images import load_image

_encoder = None  # each worker's own, made by `_start`


def _start(kind: str) -> None:
    global _encoder
    _encoder = ColourShapeEncoder() if kind == "offline" else ClipEncoder(
        "ViT-B-32", None, EncoderInfo("ViT-B-32", "random-weights-benchmark", 0, "clip", False, True), precision="fp32")


def _prepare(data: bytes):
    return _encoder.prepare(load_image(data, name="photo.jpg"))


def rate(pool: Executor, pictures: list[bytes], batch: int = 32) -> float:
    began = time.perf_counter()
    for start in range(0, len(pictures), batch):
        list(pool.map(_prepare, pictures[start:start + batch]))
    return len(pictures) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", default=str(Path(__file__).resolve().parents[2] / "shared/data/fashion-photos"))
    parser.add_argument("--count", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    pictures = [p.read_bytes() for p in sorted((Path(args.photos) / "images").glob("*.jpg"))[:args.count]]
    print(f"CPU: {cpu_flags()}; {args.workers} workers, {len(pictures)} photos, batches of 32\n")
    print("| preparation | threads, pictures/s | processes, pictures/s | processes / threads |\n" + "| --- " * 4 + "|")
    for kind in ("offline", "ViT-B-32"):
        _start(kind)
        with ThreadPoolExecutor(args.workers) as threads, \
                ProcessPoolExecutor(args.workers, multiprocessing.get_context("spawn"), _start, (kind,)) as processes:
            # spawned: a forked child of a process that has run torch hung here (its thread pools do not survive
            # a fork); each worker imports torch itself, seconds that the warm-up takes out of the figures
            rate(processes, pictures[:64])
            measured = {"threads": [], "processes": []}
            for _ in range(3):  # in turn, so the machine's drift falls on both alike
                for name, pool in (("threads", threads), ("processes", processes)):
                    measured[name].append(rate(pool, pictures))
        best = {name: max(rates) for name, rates in measured.items()}
        print(f"| {kind} | {best['threads']:.0f} | {best['processes']:.0f} | "
              f"{best['processes'] / best['threads']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
