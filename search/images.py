"""Turn any query or catalog input (path, bytes, PIL image, webcam array) into a safe RGB image."""
from __future__ import annotations

import base64
import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.errors import UserError

MAX_PIXELS = 40_000_000  # about 6300 x 6300; more is a decompression bomb, not a product photo
MAX_BYTES = 25 * 1024 * 1024
MIN_SIDE = 8
MAX_ASPECT = 20  # a 10000x20 strip is not a product photo, and would shrink to nothing
# Large enough for any encoder here (CLIP wants 224 px), small enough to keep memory flat.
WORKING_SIDE = 1024


class ImageError(UserError, ValueError):
    """An input is not a usable image; the message names the input and the reason."""


@dataclass(frozen=True)
class PhotoBytes:
    """A shopper's photo held in memory only, with the name it came with (for messages)."""

    data: bytes
    name: str = "photo"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Photo:
    """A shopper's photo as it arrived, prepared once: decoded, turned upright, at most WORKING_SIDE, and keyed by
    its content, so that every search of it (each slider move) encodes or finds it without reading it again."""

    image: Image.Image
    key: str  # what the query cache knows it by

    @classmethod
    def of(cls, image: Image.Image) -> Photo:
        """A photo (or a part of one) already made safe by `load_image`."""
        digest = hashlib.sha256(repr((image.size, image.mode)).encode() + image.tobytes()).hexdigest()
        return cls(image, "image:" + digest)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def data_url_bytes(url: str) -> bytes:
    """What a `data:` URL holds (the page's own photos, or anything an API caller or agent sends: `load_image`
    judges it)."""
    header, _, body = url.partition(",")
    try:
        return base64.b64decode(body, validate=True) if header.endswith(";base64") else unquote_to_bytes(body)
    except ValueError:
        return body.encode()


def prepare_photo(source: Any, name: str | None = None) -> Photo:
    """`load_image`, then keyed once: what the page keeps of a shopper's photo."""
    return Photo.of(load_image(source, name))


def load_image(source: Any, name: str | None = None) -> Image.Image:
    """Return an RGB image from a path, bytes, PIL image or HxW[xC] uint8 array; raise `ImageError`."""
    label = name or _describe(source)
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        image = _from_array(source, label)
    elif isinstance(source, (bytes, bytearray)):
        image = _open(bytes(source), label)
    elif isinstance(source, PhotoBytes):
        image = _open(source.data, label)
    elif isinstance(source, (str, Path)):
        image = _open(_read_file(Path(source), label), label)
    else:
        raise ImageError("not_an_image_type", label=label, kind=type(source).__name__)
    return _normalise(image, label)


def _describe(source: Any) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, (bytes, bytearray)):
        return f"uploaded data ({len(source)} bytes)"
    if isinstance(source, PhotoBytes):
        return source.name
    return "image"


def _read_file(path: Path, label: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ImageError("file_too_big", label=label, size=size / 2**20, limit=MAX_BYTES // 2**20)
        return path.read_bytes()
    except FileNotFoundError:
        raise ImageError("file_not_found", label=label) from None
    except IsADirectoryError:
        raise ImageError("file_is_folder", label=label) from None
    except PermissionError:
        raise ImageError("file_denied", label=label) from None


def _open(data: bytes, label: str) -> Image.Image:
    if not data:
        raise ImageError("file_empty", label=label)
    if len(data) > MAX_BYTES:
        raise ImageError("file_too_big", label=label, size=len(data) / 2**20, limit=MAX_BYTES // 2**20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            _check_size(image.width, image.height, label)
            if image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale what is at least twice WORKING_SIDE
                image.draft(None, (WORKING_SIDE, WORKING_SIDE))
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("too_many_pixels", label=label, limit=MAX_PIXELS) from None
    except UnidentifiedImageError:
        raise _what_else(data, label) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError("damaged", label=label, detail=error) from None
    return image


def _check_size(width: int, height: int, label: str) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError("pixels_over", label=label, width=width, height=height, limit=MAX_PIXELS)
    if min(width, height) < MIN_SIDE:
        raise ImageError("too_small", label=label, width=width, height=height, least=MIN_SIDE)
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageError("strip", label=label, width=width, height=height, ratio=MAX_ASPECT)


_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP", b"II*\x00": "TIFF",
          b"MM\x00*": "TIFF"}


def _what_else(data: bytes, label: str) -> ImageError:
    """What a file that is no picture we read seems to be, as the problem to tell."""
    kind = next((name for magic, name in _MAGIC.items() if data.startswith(magic)), None)
    if kind or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return ImageError("damaged_kind", label=label, kind=kind or "WebP")
    start = data[:512].lstrip().lower()
    if start.startswith(b"%pdf"):
        return ImageError("is_pdf", label=label)
    if b"<svg" in start:
        return ImageError("is_svg", label=label)
    if start.startswith((b"<!doctype html", b"<html")):
        return ImageError("is_html", label=label)
    return ImageError("unknown_format", label=label)


def _from_array(array: np.ndarray, label: str) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError("array_shape", label=label, shape=array.shape)
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.number) or not np.isfinite(array).all():
            raise ImageError("array_values", label=label)
        peak = 1.0 if array.max(initial=0) <= 1.0 else 255.0
        array = np.clip(array / peak * 255.0, 0, 255).astype(np.uint8)
    _check_size(array.shape[1], array.shape[0], label)
    return Image.fromarray(array)


def _normalise(image: Image.Image, label: str) -> Image.Image:
    """First frame, EXIF orientation applied, 8-bit RGB with any transparency over white."""
    _check_size(image.width, image.height, label)
    if getattr(image, "is_animated", False):
        image.seek(0)
    try:
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError):
        pass  # a damaged EXIF block is not worth refusing a photo over
    image = _to_8bit(image)
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        image = _over_white(image.convert("RGBA"))
    rgb = image.convert("RGB")
    rgb.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BILINEAR)
    return rgb


def _to_8bit(image: Image.Image) -> Image.Image:
    if image.mode not in ("I", "I;16", "I;16B", "I;16L", "F"):
        return image
    values = np.asarray(image, dtype=np.float64)
    high = float(values.max(initial=0))
    if image.mode == "F" or high > 65535:
        low = float(values.min(initial=0))
        scaled = (values - low) / (high - low) * 255.0 if high > low else np.zeros_like(values)
    else:  # 16-bit samples: keep the photo's own tones
        scaled = values / (257.0 if high > 255 else 1.0)
    return Image.fromarray(scaled.astype(np.uint8), "L")


def _over_white(image: Image.Image) -> Image.Image:
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, image)


def crop(photo: Photo, corners: tuple[tuple[float, float], tuple[float, float]]) -> Photo:
    """The part of the photo between two opposite corners, in the photo's own pixels (the page shows the photo as
    `load_image` made it, so a click there is a pixel here)."""
    image = photo.image
    (x1, y1), (x2, y2) = corners
    box = (round(min(x1, x2)), round(min(y1, y2)), round(max(x1, x2)), round(max(y1, y2)))
    box = (max(box[0], 0), max(box[1], 0), min(box[2], image.width), min(box[3], image.height))
    if box[2] - box[0] < MIN_SIDE or box[3] - box[1] < MIN_SIDE:
        raise ImageError("crop_too_small")
    return Photo.of(image.crop(box))
