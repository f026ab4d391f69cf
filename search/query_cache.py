"""Query embeddings kept in memory, so the same photo or text is never encoded twice."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from search.images import PhotoBytes


class EmbeddingCache:
    """The most recently used query vectors, keyed by what was encoded (never by file name alone)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)


def image_key(source: Any) -> str | None:
    """A digest of a photo's content, or None when it cannot be read cheaply (then it is not cached)."""
    digest = hashlib.sha256()
    if isinstance(source, (bytes, bytearray)):
        digest.update(source)
    elif isinstance(source, PhotoBytes):
        digest.update(source.data)
    elif isinstance(source, (str, Path)):
        try:
            digest.update(Path(source).read_bytes())
        except OSError:
            return None  # load_image will explain what is wrong
    elif isinstance(source, np.ndarray):
        digest.update(repr((source.shape, source.dtype.str)).encode() + np.ascontiguousarray(source).tobytes())
    elif isinstance(source, Image.Image):
        digest.update(repr((source.size, source.mode)).encode() + source.tobytes())
    else:
        return None
    return "image:" + digest.hexdigest()


def text_key(text: str) -> str:
    return "text:" + text
