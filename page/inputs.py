"""Photo inputs that hand the picture over untouched, so `load_image` checks it and explains what is wrong,
where Gradio's own decoding would fail with a generic error."""
from __future__ import annotations

import gradio as gr


class PhotoInput(gr.Image):
    """Upload, webcam snapshot or paste: the file as it came, no re-encoded copy."""

    def preprocess(self, payload):  # type: ignore[override]
        return payload.path if payload is not None else None

    def get_block_name(self) -> str:
        return "image"
