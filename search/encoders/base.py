"""What every encoder shares: its description, its interface and its errors."""
from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from catalog.errors import UserError
from search.encoders.registry import ModelSpec, spec_of

if TYPE_CHECKING:
    from search.encoders.arithmetic import Measurement


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
    # why the model asked for could not be had, where this encoder stands in for it
    fallback_reason: UserError | None = None
    precision: str = "fp32"  # the arithmetic the model runs in: fp32, bf16, fp16 or int8
    device: str = "cpu"  # where it runs: cpu, cuda, cuda:N or mps
    measured: Measurement | None = None  # what `--precision auto` measured to choose `precision`

    @property
    def spec(self) -> ModelSpec:
        return spec_of(self.model)

    @property
    def reads_cjk(self) -> bool:
        """Whether the text tower was trained on Chinese (the multilingual preset's and demo-world's are)."""
        return self.supports_text and "zh" in self.spec.reads

    @property
    def label(self) -> str:
        return self.spec.labelled(self.pretrained)

    @property
    def standing_in(self) -> UserError | None:
        """Why this encoder answers instead of the model asked for (worded where it is shown), if it does."""
        return None if self.fallback_reason is None else UserError("fallback", reason=self.fallback_reason)

    def notice_in(self, lang: str) -> str | None:
        """What shoppers must know of this encoder's results, in `lang`: why it stands in, or what they mean."""
        return self.standing_in.in_language(lang) if self.standing_in is not None else self.spec.said(lang)

    @property
    def notice(self) -> str | None:
        """The notice in English, as the log and the CLI say it."""
        return self.notice_in("en")

    @property
    def space_id(self) -> str:
        """A name for this embedding space that is safe as a Chroma collection name."""
        raw = f"{self.model}-{self.pretrained}" if self.pretrained else self.model
        return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")[:60]


class Encoder(ABC):
    """Turns images (and, where `reads_text`, texts) into L2-normalised float32 vectors of one space. A subclass
    writes the per-picture step and the batch step; the rest is here, once."""

    info: EncoderInfo

    @property
    def reads_text(self) -> bool:
        """Whether `encode_texts` works (CLIP) or raises `TextSearchUnavailable` (the offline encoder)."""
        return self.info.supports_text

    @abstractmethod
    def prepare(self, image: Image.Image) -> Any:
        """The per-picture part of encoding (resizing, cropping...), apart so that the indexer can run it for a
        whole batch on every core at once."""

    @abstractmethod
    def encode_prepared(self, prepared: Sequence[Any]) -> np.ndarray:
        """Vectors of pictures that went through `prepare`, in one batch."""

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """`encode_prepared` of every picture `prepare`d."""
        return self.encode_prepared([self.prepare(image) for image in images])

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise TextSearchUnavailable("reads_no_text", label=self.info.label)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each vector (or row of a matrix) scaled to length 1 in float32, as Chroma's cosine space scales them; a
    zero vector stays zero."""
    vectors = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def weights_label(tag: str | None) -> str | None:
    """How a store records the weights: a tag as it is, a local weights file by its name."""
    return Path(tag).name if tag and looks_like_path(tag) else tag


def looks_like_path(tag: str) -> bool:
    return os.sep in tag or tag.endswith((".pt", ".pth", ".bin", ".safetensors"))
