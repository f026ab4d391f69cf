"""The first passes tried beside the app's cells for bench/million.py, each as (search, index memory in MiB): FAISS
IVF-PQ re-scored from a float16 copy, FAISS IVF-SQ8 (8-bit codes scored within the probed lists), and usearch's HNSW
over int8 re-scored from a float16 copy. `pip install faiss-cpu usearch`."""
from __future__ import annotations

import time

import faiss
import numpy as np
import torch
from store import K


def first_passes(vectors: np.ndarray) -> dict[str, tuple]:
    half = torch.from_numpy(vectors.astype(np.float16))
    sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 100_000), replace=False)]
    passes = {}
    for spec, nprobe in (("IVF1024,PQ64", 64), ("IVF1024,SQ8", 64)):
        began = time.perf_counter()
        ivf = faiss.index_factory(vectors.shape[1], spec, faiss.METRIC_INNER_PRODUCT)
        ivf.train(sample)
        ivf.add(vectors)
        ivf.nprobe = nprobe
        print(f"FAISS {spec}: built in {time.perf_counter() - began:.0f} s", flush=True)
        codes = ivf.sa_code_size() * len(vectors) / 2**20
        if "PQ" in spec:
            passes[f"FAISS {spec}, nprobe {nprobe}, best 512 re-scored in float16"] = (
                lambda q, ivf=ivf: _rescored(ivf.search(q[None], 512)[1][0], half, q), codes + half.nbytes / 2**20)
        else:
            passes[f"FAISS {spec}, nprobe {nprobe}"] = (lambda q, ivf=ivf: ivf.search(q[None], K)[1][0].tolist(), codes)
    from usearch.index import Index
    began = time.perf_counter()
    graph = Index(ndim=vectors.shape[1], metric="ip", dtype="i8", connectivity=16, expansion_add=128,
                  expansion_search=512)
    graph.add(np.arange(len(vectors)), vectors, log=False)
    print(f"usearch HNSW int8: built in {time.perf_counter() - began:.0f} s", flush=True)
    passes["usearch HNSW int8, ef 512, best 128 re-scored in float16"] = (
        lambda q: _rescored(graph.search(q, 128).keys.astype(np.int64), half, q),
        graph.memory_usage / 2**20 + half.nbytes / 2**20)
    return passes


def _rescored(candidates: np.ndarray, half: torch.Tensor, query: np.ndarray) -> list[int]:
    candidates = candidates[candidates >= 0]
    scores = half[torch.from_numpy(candidates)].float() @ torch.from_numpy(query)
    return candidates[torch.topk(scores, min(K, len(candidates))).indices.numpy()].tolist()
