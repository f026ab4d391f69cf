"""Image encoder throughput in each arithmetic (float32, bfloat16, int8; float16 on a GPU) over batch sizes, and how
close each one's embeddings are to float32's on real product photos, with the CPU's relevant flags.

    python bench/encoder.py [--model ViT-B-32] [--photos ../shared/data/fashion-photos] [--count 256]
    python bench/encoder.py --device cuda      # a GPU, where one is present: fp32, fp16 and bf16
    python bench/encoder.py --avx2-kernels     # torch, oneDNN, MKL and FBGEMM held to AVX2 on a newer CPU

Each batch size is timed twice: "photos" is `encode_images`, each photo resized on the way; "model" is the model
alone on pictures resized beforehand, as the indexer's decoders do it on every core between two batches.

`--avx2-kernels` stands in for an AVX2-only CPU (an AMD EPYC of before Zen 4, most laptops of before 2022) where
none is at hand: the same kernels, on this CPU's cores; a stand-in for such a CPU, not a measurement of one.

The model has random weights (no download): the arithmetic, so the speed, is the pretrained model's. The
cosine check is a property of the arithmetic too, but is repeated on real photos as the issue asks.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from keywords import cpu_flags

from search.encoders.base import EncoderInfo
from search.encoders.clip import ClipEncoder, choose_device
from search.images import load_image

BATCHES = (1, 8, 16, 32, 64)
AVX2_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2"}  # read when torch loads: set before the process starts


def rates(encoders: dict[str, ClipEncoder], images: list, batch: int, prepared: list | None = None) -> dict[str, float]:
    """Images per second of each encoder, taking the batches in turn (fp32, bf16, int8, then int8, bf16, fp32...),
    so the machine's speed drifting during the run falls on all alike: of `encode_images` (each photo resized on
    the way), or with `prepared` of the model alone on pictures resized beforehand, as the indexer's decoders do."""
    def encode(encoder: ClipEncoder, start: int) -> None:
        if prepared is None:
            encoder.encode_images(images[start:start + batch])
        else:
            encoder.encode_prepared(prepared[start:start + batch])

    seconds = dict.fromkeys(encoders, 0.0)
    for encoder in encoders.values():
        encode(encoder, 0)  # warm up
    for turn, start in enumerate(range(0, len(images), batch)):
        for name in list(encoders)[::1 if turn % 2 == 0 else -1]:
            began = time.perf_counter()
            encode(encoders[name], start)
            seconds[name] += time.perf_counter() - began
    return {name: len(images) / spent for name, spent in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="ViT-B-32")
    parser.add_argument("--photos", default=str(Path(__file__).resolve().parents[2] / "shared/data/fashion-photos"))
    parser.add_argument("--count", type=int, default=256)
    parser.add_argument("--device", default="auto", help="auto (a CUDA GPU, then Apple's MPS, then the CPU), cpu, "
                                                          "cuda, cuda:N or mps")
    parser.add_argument("--arithmetics", nargs="+", help="fp32 first (default: fp32 bf16 int8 on the CPU, "
                                                          "fp32 fp16 bf16 on a GPU)")
    parser.add_argument("--avx2-kernels", action="store_true", help="run every library's AVX2 kernels only")
    args = parser.parse_args()
    if args.avx2_kernels and any(os.environ.get(name) != value for name, value in AVX2_KERNELS.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **AVX2_KERNELS})
    paths = sorted((Path(args.photos) / "images").glob("*.jpg"))[:args.count]
    images = [load_image(p) for p in paths]
    info = EncoderInfo(args.model, "random-weights-benchmark", 0, "clip", False, True)
    on_gpu = choose_device(args.device).type != "cpu"
    arithmetics = args.arithmetics or (["fp32", "fp16", "bf16"] if on_gpu else ["fp32", "bf16", "int8"])
    encoders = {p: ClipEncoder(args.model, None, info, precision=p, device=args.device) for p in arithmetics}
    print(f"{len(images)} real photos, {args.model} on {encoders['fp32'].info.device}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads\nCPU: {cpu_flags()}; kernels: "
          f"{torch.backends.cpu.get_cpu_capability()}{' only (--avx2-kernels)' if args.avx2_kernels else ''}\n")
    others = [name for name in encoders if name != "fp32"]
    prepared = [encoders["fp32"].prepare(image) for image in images]  # the same for every arithmetic
    print("| batch | timed | " + " | ".join(f"{name} img/s" for name in encoders) + " | " +
          " | ".join(f"{name} / fp32" for name in others) + " |")
    print("| --- " * (2 + len(encoders) + len(others)) + "|")
    for batch in BATCHES:
        for timed, measured in (("photos", rates(encoders, images, batch)),
                                ("model", rates(encoders, images, batch, prepared))):
            print(f"| {batch} | {timed} | " + " | ".join(f"{rate:.1f}" for rate in measured.values()) + " | " +
                  " | ".join(f"{measured[name] / measured['fp32']:.2f}" for name in others) + " |")
    full = _embed(encoders["fp32"], images)
    for name in others:
        cosines = (full * _embed(encoders[name], images)).sum(axis=1)
        print(f"{name} vs fp32 cosine over {len(images)} photos: min {cosines.min():.4f}, mean {cosines.mean():.4f}")
    chosen = ClipEncoder(args.model, None, info, precision="auto", device=args.device).info
    said = chosen.measured.summary() if chosen.measured else f"{chosen.precision}, nothing to measure"
    print(f"\n--precision auto on this machine: {said}")


def _embed(encoder: ClipEncoder, images: list) -> np.ndarray:
    return np.concatenate([encoder.encode_images(images[i:i + 32]) for i in range(0, len(images), 32)])


if __name__ == "__main__":
    main()
