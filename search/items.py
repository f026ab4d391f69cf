"""Where the products in a photo may be, without a trained detector (none can be had everywhere this runs): candidate
regions from two proposals, each checked later by how well the catalog matches it.

- The foreground against the background: pixels far from the colour of the photo's border, in connected pieces.
  Exact on plain and evenly textured backgrounds, in a few milliseconds.
- OpenCV's selective search (fast mode, on a 256 px copy): regions grown from a graph segmentation at several
  scales, for busy backgrounds where the border says nothing.

Measured on composed photos (`bench/items.py`, docs/benchmarks.md): of the pasted products, the first 32 proposals
held 100% on plain and textured backgrounds and 92% on photo-like ones, in 0.2-0.4 s on 2 cores.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

PROPOSAL_SIDE = 256  # selective search's copy of the photo: 384 px found no more and took twice as long
FOREGROUND_SIDE = 256
FOREGROUND_DISTANCE = 40  # how far (RGB) from the border's median colour a pixel is foreground
MIN_SIDE_SHARE = 0.08  # a region narrower than this share of the photo's shorter side is a detail, not an item
MAX_AREA_SHARE = 0.6  # a region over this share of the photo is the whole photo's search
MAX_ASPECT = 3.0
SAME_PROPOSAL_IOU = 0.8
# The corners of a box around a tilted or rounded item are the background's; a box trimmed by this share per side
# reads the item (the offline encoder's best match for a true box: 88% right untrimmed, 100% trimmed by 7%)
TRIM = 0.07
SAME_ITEM_IOU = 0.2  # a kept item's neighbour overlapping it this much (or mostly inside it) is the same item
SAME_ITEM_INSIDE = 0.3
# OpenCV orders its regions by a random draw from a generator Python cannot seed, so one photo got other regions at
# each call (the boxes are the same, only their order moves). A fixed shuffle of them held nearly as many items (92%
# in the first 32 on photo-like backgrounds, against 95% in one run of OpenCV's order), and the same photo always
# finds the same items.
ORDER_SEED = 20261130


@dataclass(frozen=True)
class Box:
    """A region of a photo in its own pixels: left and top included, right and bottom excluded."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def area(self) -> int:
        return max(0, self.right - self.left) * max(0, self.bottom - self.top)

    def overlap(self, other: Box) -> int:
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        return max(0, width) * max(0, height)

    def iou(self, other: Box) -> float:
        shared = self.overlap(other)
        return shared / (self.area + other.area - shared) if shared else 0.0

    def inside_share(self, other: Box) -> float:
        """How much of the smaller of the two boxes lies in the other."""
        shared = self.overlap(other)
        return shared / min(self.area, other.area) if shared else 0.0

    def trimmed(self, share: float = TRIM) -> Box:
        dx, dy = round((self.right - self.left) * share), round((self.bottom - self.top) * share)
        return Box(self.left + dx, self.top + dy, self.right - dx, self.bottom - dy)

    def as_list(self) -> list[int]:
        return [self.left, self.top, self.right, self.bottom]


def propose_regions(image: Image.Image, limit: int) -> list[Box]:
    """At most `limit` distinct regions of the photo that may each hold one product, the foreground's first."""
    candidates = _foreground(image) + _selective_search(image)
    chosen: list[Box] = []
    for box in candidates:
        if _plausible(box, image.size) and not any(box.iou(other) > SAME_PROPOSAL_IOU for other in chosen):
            chosen.append(box)
            if len(chosen) == limit:
                break
    return chosen


def best_regions(boxes: Sequence[Box], scores: Sequence[float], min_score: float) -> list[int]:
    """The regions that are items, best first: scoring at least `min_score`, and not the same item as a better one
    (non-maximum suppression)."""
    kept: list[int] = []
    for index in sorted(range(len(boxes)), key=lambda i: -scores[i]):
        if scores[index] < min_score:
            break
        box = boxes[index]
        if not any(box.iou(boxes[k]) > SAME_ITEM_IOU or box.inside_share(boxes[k]) > SAME_ITEM_INSIDE for k in kept):
            kept.append(index)
    return kept


def _plausible(box: Box, size: tuple[int, int]) -> bool:
    width, height = box.right - box.left, box.bottom - box.top
    if min(width, height) < MIN_SIDE_SHARE * min(size) or box.area > MAX_AREA_SHARE * size[0] * size[1]:
        return False
    return max(width / height, height / width) <= MAX_ASPECT


def _small_copy(image: Image.Image, side: int) -> tuple[np.ndarray, float]:
    scale = side / max(image.size)
    small = image.convert("RGB").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                                        Image.Resampling.BILINEAR)
    return np.asarray(small), scale


def _foreground(image: Image.Image) -> list[Box]:
    pixels, scale = _small_copy(image, FOREGROUND_SIDE)
    pixels = pixels.astype(np.float32)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    far = np.linalg.norm(pixels - np.median(border, axis=0), axis=2) > FOREGROUND_DISTANCE
    mask = cv2.morphologyEx(far.astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [_scaled(x, y, width, height, scale) for x, y, width, height, _ in stats[1:count]]


def _selective_search(image: Image.Image) -> list[Box]:
    pixels, scale = _small_copy(image, PROPOSAL_SIDE)
    search = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
    search.setBaseImage(np.ascontiguousarray(pixels[:, :, ::-1]))  # OpenCV's order: blue, green, red
    search.switchToSelectiveSearchFast()
    boxes = sorted({_scaled(x, y, width, height, scale) for x, y, width, height in search.process()},
                   key=lambda box: (box.left, box.top, box.right, box.bottom))
    random.Random(ORDER_SEED).shuffle(boxes)
    return boxes


def _scaled(x: int, y: int, width: int, height: int, scale: float) -> Box:
    return Box(round(x / scale), round(y / scale), round((x + width) / scale), round((y + height) / scale))
