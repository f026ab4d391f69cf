"""Photos of several products at once, composed from product pictures, for testing and measuring "find every
product in this photo": 2 to 5 pictures pasted at random positions, sizes and small rotations onto a plain, a
textured or a photo-like background, with where each one landed.

A picture is pasted whole (its own studio background with it), as a product photo, a magazine page or a shelf
shows it; its true box is the bounding box of the rotated picture.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

BACKGROUNDS = ("plain", "textured", "photo-like")
SCENE_SIZE = (1024, 768)
MAX_TILT_DEGREES = 8
PLACEMENT_TRIES = 200


@dataclass(frozen=True)
class Placed:
    """One pasted picture: which product, and its box in the scene's pixels (left, top, right, bottom)."""

    product_id: str
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Scene:
    image: Image.Image
    items: tuple[Placed, ...]
    background: str


def compose_scene(pictures: Mapping[str, Image.Image], background: str, seed: int, count: int | None = None,
                  size: tuple[int, int] = SCENE_SIZE) -> Scene:
    """A scene of `count` (2 to 5 by default, drawn from the seed) of the pictures, none overlapping another."""
    rng = random.Random(seed)
    count = count or rng.randint(2, 5)
    chosen = rng.sample(sorted(pictures), count)
    scene = _background(background, size, rng)
    placed: list[Placed] = []
    for product_id in chosen:
        picture = _tilted(_resized(pictures[product_id], size, count, rng), rng)
        box = _free_spot(picture.size, size, [p.box for p in placed], rng)
        if box is None:
            continue  # no room left: the scene holds fewer
        scene.paste(picture, box[:2], picture)
        placed.append(Placed(product_id, box))
    return Scene(scene.convert("RGB"), tuple(placed), background)


def _resized(picture: Image.Image, size: tuple[int, int], count: int, rng: random.Random) -> Image.Image:
    """A picture whose longer side is a fifth to two fifths of the scene's shorter one (smaller when crowded)."""
    short = min(size)
    longest = short * rng.uniform(0.22, 0.42 if count <= 3 else 0.34)
    scale = longest / max(picture.size)
    return picture.convert("RGB").resize((round(picture.width * scale), round(picture.height * scale)),
                                         Image.Resampling.LANCZOS)


def _tilted(picture: Image.Image, rng: random.Random) -> Image.Image:
    """The picture turned by a few degrees, as RGBA: the corners it uncovers are transparent."""
    return picture.convert("RGBA").rotate(rng.uniform(-MAX_TILT_DEGREES, MAX_TILT_DEGREES),
                                          resample=Image.Resampling.BICUBIC, expand=True)


def _free_spot(picture: tuple[int, int], size: tuple[int, int], taken: list[tuple[int, int, int, int]],
               rng: random.Random) -> tuple[int, int, int, int] | None:
    width, height = picture
    for _ in range(PLACEMENT_TRIES):
        left, top = rng.randint(0, size[0] - width), rng.randint(0, size[1] - height)
        box = (left, top, left + width, top + height)
        if not any(_overlaps(box, other) for other in taken):
            return box
    return None


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int], margin: int = 8) -> bool:
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0] or a[3] + margin <= b[1] or b[3] + margin <= a[1])


def _background(kind: str, size: tuple[int, int], rng: random.Random) -> Image.Image:
    if kind not in BACKGROUNDS:
        raise ValueError(f"unknown background {kind!r}: choose from {', '.join(BACKGROUNDS)}")
    noise = np.random.default_rng(rng.randrange(2**32))
    width, height = size
    base = np.array([rng.randint(60, 200) for _ in range(3)], np.float32)
    if kind == "plain":
        pixels = np.broadcast_to(base, (height, width, 3)).copy()
    elif kind == "textured":  # a woven or wooden surface: stripes at an angle, with grain
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 30)
        stripes = np.sin((x * np.cos(angle) + y * np.sin(angle)) * 2 * np.pi / period)
        grain = noise.normal(0, 1, (height, width))
        pixels = base + (18 * stripes + 12 * grain)[..., None] * np.array([1.0, 0.9, 0.8], np.float32)
    else:  # a room or a street, out of focus: a light falling across it, large soft shapes, sensor noise
        pixels = _photo_like(base, size, rng, noise)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGBA")


def _photo_like(base: np.ndarray, size: tuple[int, int], rng: random.Random,
                noise: np.random.Generator) -> np.ndarray:
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.6 + 0.6 * (x * rng.uniform(-1, 1) / width + y * rng.uniform(-1, 1) / height)
    shapes = Image.new("RGB", size, tuple(int(v) for v in base))
    draw = ImageDraw.Draw(shapes)
    for _ in range(rng.randint(6, 14)):
        cx, cy, r = rng.randint(0, width), rng.randint(0, height), rng.randint(40, 260)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(rng.randint(20, 235) for _ in range(3)))
    soft = np.asarray(shapes.filter(ImageFilter.GaussianBlur(rng.uniform(12, 30))), np.float32)
    return soft * np.clip(light, 0.3, 1.4)[..., None] + noise.normal(0, 6, (height, width, 3))
