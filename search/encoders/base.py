"""What every encoder shares: its description, its interface and its errors."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from PIL import Image

from catalog.errors import UserError

# Words in an open_clip model name that mark a multilingual text tower (xlm-roberta-base-ViT-B-32, mt5...)
MULTILINGUAL_HINTS = ("xlm", "mt5", "multilingual", "chinese")


class EncoderError(UserError, RuntimeError):
    """The encoder cannot do what was asked; the message says why."""


class EncoderUnavailable(EncoderError):
    """The model's pretrained weights cannot be had here (no network, no cached or local file)."""


class TextSearchUnavailable(EncoderError):
    """The encoder in use cannot embed text."""


@dataclass(frozen=True)
class EncoderInfo:
    """Which embedding space an encoder produces, and how trustworthy it is."""

    model: str
    pretrained: str | None
    dim: int
    kind: str  # "clip" or "offline"
    pretrained_weights: bool
    supports_text: bool
    notice: str | None = None  # why this encoder is not the one asked for, or what its results mean
    precision: str = "fp32"  # the arithmetic the model runs in: fp32 or bf16

    @property
    def reads_cjk(self) -> bool:
        """Whether the text tower was trained on Chinese, Japanese or Korean (the multilingual preset's is)."""
        name = self.model.lower()
        return self.supports_text and any(word in name for word in MULTILINGUAL_HINTS)

    @property
    def label(self) -> str:
        return f"{self.model} ({self.pretrained})" if self.pretrained else self.model

    @property
    def space_id(self) -> str:
        """A name for this embedding space that is safe as a Chroma collection name."""
        raw = f"{self.model}-{self.pretrained}" if self.pretrained else self.model
        return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")[:60]


class Encoder(Protocol):
    """Turns images and texts into L2-normalised float32 vectors of one space."""

    info: EncoderInfo

    def prepare(self, image: Image.Image) -> Any:
        """The per-picture part of encoding (resizing, cropping...), apart so that the indexer can run it for a
        whole batch on every core at once."""

    def encode_prepared(self, prepared: Sequence[Any]) -> np.ndarray:
        """Vectors of pictures that went through `prepare`, in one batch."""

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """`encode_prepared` of every picture `prepare`d."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...
