"""Every kind of file a public photo box receives, generated here: what each is, its bytes, and either the
fragment of the message that must refuse it or, for awkward but real photos, the size it must come out at."""
from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

SIZE = (64, 48)


@dataclass(frozen=True)
class PhotoKind:
    name: str
    filename: str
    data: bytes
    refused: str | None = None  # the message must contain this; None: accepted
    size: tuple[int, int] = SIZE  # for accepted ones: the size load_image gives

    def __str__(self) -> str:
        return self.name


def _photo() -> Image.Image:
    """Not a flat colour: a gradient, so every format really compresses something."""
    x = np.linspace(0, 255, SIZE[0], dtype=np.uint8)
    y = np.linspace(0, 255, SIZE[1], dtype=np.uint8)
    return Image.fromarray(np.dstack([np.tile(x, (SIZE[1], 1)), np.tile(y[:, None], (1, SIZE[0])),
                                      np.full((SIZE[1], SIZE[0]), 90, np.uint8)]))


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels: a decompression bomb needs no more to be dangerous."""
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)), (b"IDAT", zlib.compress(b"\0" * 64)),
              (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(struct.pack(">I", len(body)) + kind + body
                                         + struct.pack(">I", zlib.crc32(kind + body)) for kind, body in chunks)


def _with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(_photo(), "JPEG", exif=exif.tobytes())


def _animated(fmt: str) -> bytes:
    frames = [_photo(), _photo().rotate(180)]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _bad_crc_png() -> bytes:
    data = bytearray(encode(_photo(), "PNG"))
    data[29] ^= 0xFF  # inside IHDR's checksum
    return bytes(data)


def _garbled_jpeg() -> bytes:
    data = bytearray(encode(_photo(), "JPEG"))
    data[2:60] = b"\x00" * 58  # the markers after the start-of-image are gone
    return bytes(data)


def refused_kinds() -> list[PhotoKind]:
    jpeg, png, webp = (encode(_photo(), f) for f in ("JPEG", "PNG", "WEBP"))
    return [
        PhotoKind("zero bytes", "empty.jpg", b"", "file is empty"),
        PhotoKind("truncated JPEG", "cut.jpg", jpeg[: len(jpeg) // 3], "damaged or truncated"),
        PhotoKind("truncated PNG", "cut.png", png[: len(png) // 2], "damaged or truncated"),
        PhotoKind("truncated WebP", "cut.webp", webp[: len(webp) // 2], "damaged or truncated"),
        PhotoKind("JPEG with its markers zeroed", "garbled.jpg", _garbled_jpeg(), "not an image format"),
        PhotoKind("PNG with a broken checksum", "crc.png", _bad_crc_png(), "damaged or truncated"),
        PhotoKind("text renamed .jpg", "notes.jpg", b"milk, eggs, bread\n", "not an image format"),
        PhotoKind("HTML renamed .jpg", "page.jpg", b"<!DOCTYPE html><html><body>404</body></html>",
                  "is a web page (HTML), not a picture"),
        PhotoKind("PDF renamed .jpg", "invoice.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
                  "is a PDF document, not a picture"),
        PhotoKind("SVG drawing", "logo.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
                  b'width="64" height="48"><rect width="64" height="48" fill="red"/></svg>',
                  "is an SVG drawing: export it as PNG or JPEG"),
        PhotoKind("decompression bomb", "bomb.png", _png_header_only(100_000, 100_000),
                  "over the limit of 40,000,000 pixels"),
        PhotoKind("1x1 pixel", "pixel.png", encode(Image.new("RGB", (1, 1), "red"), "PNG"), "too small"),
        PhotoKind("10000x20 strip", "strip.png", encode(Image.new("RGB", (10000, 20), "navy"), "PNG"),
                  "is a strip, not a photo"),
        PhotoKind("truncated GIF", "cut.gif", _animated("GIF")[:40], "damaged or truncated"),
        PhotoKind("BMP header only", "cut.bmp", encode(_photo(), "BMP")[:54], "damaged or truncated"),
    ]


def accepted_kinds() -> list[PhotoKind]:
    photo = _photo()
    alpha_only = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    alpha_only.putalpha(Image.linear_gradient("L").resize(SIZE))
    deep = Image.fromarray(np.asarray(photo.convert("L"), np.uint16) * 257)
    return [
        PhotoKind("animated GIF", "moving.gif", _animated("GIF")),
        PhotoKind("animated WebP", "moving.webp", _animated("WEBP")),
        PhotoKind("16-bit PNG", "deep.png", encode(deep, "PNG")),
        PhotoKind("palette PNG", "palette.png", encode(photo.quantize(16), "PNG")),
        PhotoKind("CMYK JPEG", "print.jpg", encode(photo.convert("CMYK"), "JPEG")),
        PhotoKind("alpha only", "alpha.png", encode(alpha_only, "PNG")),
        PhotoKind("greyscale JPEG", "grey.jpg", encode(photo.convert("L"), "JPEG")),
        PhotoKind("1-bit TIFF", "scan.tif", encode(photo.convert("1"), "TIFF")),
        *(PhotoKind(f"EXIF orientation {o}", f"turned-{o}.jpg", _with_orientation(o),
                    size=SIZE[::-1] if o >= 5 else SIZE) for o in range(2, 9)),
    ]
