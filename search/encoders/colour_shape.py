"""The offline encoder: a training-free colour-and-shape descriptor, used when no CLIP weights can be had.

Two parts, each L2-normalised, then weighted, concatenated and normalised again: a small Lab thumbnail
(layout of colour, with the mean lightness removed so brightness changes matter less) and a histogram of
gradient orientations per cell (shape). An HSV colour histogram was tried as a third part and dropped: it
found the right product no more often and made re-saved JPEGs of flat product art look less alike
(hard bins flip under compression), which hid duplicate listings.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from catalog.errors import UserError
from search.encoders.base import Encoder, EncoderInfo, unit_rows
from search.encoders.registry import OFFLINE

_SIDE = 64
_THUMB = 8
_CELLS, _ORIENTATIONS = 4, 8
_WEIGHTS = (1.0, 0.5)  # chosen on altered demo and real photos: layout of colour dominates
DIM = _THUMB * _THUMB * 3 + _CELLS * _CELLS * _ORIENTATIONS


class ColourShapeEncoder(Encoder):
    """Offline image encoder: no weights, no network, image queries only."""

    def __init__(self, fallback_reason: UserError | None = None) -> None:
        self.info = EncoderInfo(model=OFFLINE.name, pretrained=OFFLINE.fixed_weights, dim=DIM, kind="offline",
                                pretrained_weights=False, supports_text=False, fallback_reason=fallback_reason)

    def prepare(self, image: Image.Image) -> np.ndarray:
        return describe(image)  # all of this encoder's work is per picture

    def encode_prepared(self, prepared: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack(list(prepared)).astype(np.float32)



def describe(image: Image.Image) -> np.ndarray:
    """The descriptor of one RGB image, L2-normalised."""
    rgb = np.asarray(image.convert("RGB").resize((_SIDE, _SIDE), Image.Resampling.BILINEAR), np.float32) / 255
    parts = (_lab_thumbnail(rgb), _gradient_histogram(rgb))
    vector = np.concatenate([weight * unit_rows(part) for weight, part in zip(_WEIGHTS, parts)])
    return unit_rows(vector)


def _lab_thumbnail(rgb: np.ndarray) -> np.ndarray:
    cells = rgb.reshape(_THUMB, _SIDE // _THUMB, _THUMB, _SIDE // _THUMB, 3).mean(axis=(1, 3))
    lab = _srgb_to_lab(cells)
    lab[..., 0] -= lab[..., 0].mean()
    return lab.ravel()


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array([[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]])
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def _gradient_histogram(rgb: np.ndarray) -> np.ndarray:
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    gy, gx = np.gradient(grey)
    magnitude = np.hypot(gx, gy)
    orientation = (np.arctan2(gy, gx) % np.pi) / np.pi * _ORIENTATIONS
    bins = np.minimum(orientation.astype(np.int32), _ORIENTATIONS - 1)
    cell = _SIDE // _CELLS
    cell_index = (np.arange(_SIDE) // cell)[:, None] * _CELLS + (np.arange(_SIDE) // cell)[None, :]
    index = cell_index * _ORIENTATIONS + bins
    histogram = np.bincount(index.ravel(), weights=magnitude.ravel(), minlength=_CELLS * _CELLS * _ORIENTATIONS)
    return np.sqrt(histogram / (histogram.sum() + 1e-6))
