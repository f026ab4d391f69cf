"""How many products a store's in-memory exact copy may hold: what this machine's memory allows, at each product's
measured size, rather than a fixed count.

A product held in a catalog this large (past search/store/exact.py's LARGE_FROM) costs its float16 vector, its
cell (search/store/cells.py) and its details as Python holds them: 2,387 bytes for a demo-catalog product
(`held_bytes`; a test measures it), more than the 512-d vector's 1,024. Beyond the limit a store is searched by
Chroma's own index (search/store/collection.py).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

# A picture row's id and details (its product's, whole) as Python holds them (`held_bytes`: 3,089 on the demo catalog)
DETAILS_BYTES = 3_100
MEMORY_SHARE = 0.5  # of the memory this process may use: the model, the keyword index and the page need the rest
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def bytes_per_product(dim: int) -> int:
    """A picture row's float16 vector, its cell and its place in the cells' order (12 bytes), details."""
    return 2 * dim + 12 + DETAILS_BYTES


def exact_limit(dim: int, memory: int | None = None) -> int:
    """The most products of `dim`-wide vectors the exact copy may hold within MEMORY_SHARE of `memory` (by default
    what this process may use: its container's limit, or the machine's memory)."""
    return int(MEMORY_SHARE * (memory or memory_available()) // bytes_per_product(dim))


def memory_available() -> int:
    """The container's memory limit where one is set (cgroup v2 or v1), otherwise the machine's physical memory."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for limit in _CGROUP_LIMITS:
        try:
            text = limit.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return min(int(text), physical)  # v1 writes a huge number for "no limit"
    return physical


def held_bytes(value: Any) -> int:
    """What a product's id or details take as Python objects: the object and, for a dict, its keys and values."""
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(held_bytes(key) + held_bytes(item) for key, item in value.items())
    return sys.getsizeof(value)
