"""The encoders behind one interface (`base`): open_clip models (`clip`, the only code that calls open_clip) and the
training-free offline encoder (`colour_shape`). `load_encoder` picks one; only a CLIP model imports `clip`, which
loads torch and open_clip (about 6 s)."""
from __future__ import annotations

from search.encoders.base import Encoder
from search.encoders.colour_shape import ColourShapeEncoder
from search.encoders.registry import spec_of


def load_encoder(model: str = "fast", pretrained: str | None = None, precision: str = "auto",
                 device: str = "auto") -> Encoder:
    """The encoder for a preset, open_clip name, `hf-hub:` name, `offline` or `test-tiny`; the device is checked here,
    once, for every model."""
    spec = spec_of(model)
    spec.check_device(device)
    if not spec.torch:
        return ColourShapeEncoder()
    from search.encoders.clip import load_clip
    return load_clip(model, pretrained, precision, device)
