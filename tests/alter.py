"""Photo alterations for retrieval tests: the ways a shopper's copy of a product photo differs."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageEnhance


def alter(image: Image.Image, rng: random.Random) -> Image.Image:
    """Crop up to 10%, rescale, change brightness, re-encode as JPEG at quality 40-80."""
    width, height = image.size
    left, top = (int(rng.uniform(0, 0.05) * width), int(rng.uniform(0, 0.05) * height))
    right = width - int(rng.uniform(0, 0.05) * width)
    bottom = height - int(rng.uniform(0, 0.05) * height)
    image = image.crop((left, top, right, bottom))
    scale = rng.uniform(0.6, 1.5)
    image = image.resize((max(16, int(image.width * scale)), max(16, int(image.height * scale))))
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.8, 1.2))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=rng.randint(40, 80))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
