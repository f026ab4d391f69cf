"""Shoppers' photos in memory only: an upload, webcam snapshot or paste is read and its file deleted from Gradio's
upload folder at once, and a photo shown back on the page travels as a data URL, never as a file on disk. The
picture is handed over untouched, so `load_image` checks it and says what is wrong with a bad one."""
from __future__ import annotations

import base64
import contextlib
import io
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import FileData, GradioRootModel, ImageData
from gradio.utils import get_upload_folder
from PIL import Image

from catalog.errors import UserError
from search.images import PhotoBytes, data_url_bytes

SHOWN_QUALITY = 90


class PhotoInput(gr.Image):
    """A photo box whose value reaches the handler as `PhotoBytes` and whose shown picture is a data URL."""

    def preprocess(self, payload) -> PhotoBytes | None:  # bytes in memory, not a path
        if payload is None:
            return None
        name = payload.orig_name or "photo"
        if payload.path:
            return PhotoBytes(take_upload(Path(payload.path)), name)
        if (payload.url or "").startswith("data:"):
            return PhotoBytes(data_url_bytes(payload.url), name)
        return None

    def postprocess(self, value) -> ImageData | None:
        """`value`: a shopper's photo as JPEG bytes (see `as_jpeg`), or a catalog picture's path (the examples)."""
        if not isinstance(value, bytes):
            return super().postprocess(value)  # a catalog picture's path: Gradio makes it ImageData
        return ImageData(url="data:image/jpeg;base64," + base64.b64encode(value).decode("ascii"),
                         orig_name="photo.jpg", mime_type="image/jpeg")

    def get_block_name(self) -> str:
        return "image"


class AnyPayload(GradioRootModel):
    root: Any = None


class ApiPhotoInput(PhotoInput):
    """The named API endpoints' photo: documented as an image, as it always was, but any value a caller sends
    reaches the endpoint, which reads it as the protocol takes it (`photo_payload`) and says what is wrong. Gradio
    checks an input against its component's data model before anything else, and a wrong type there was answered
    only with "the upstream Gradio app has raised an exception"."""

    data_model = AnyPayload

    def api_info(self) -> dict[str, Any]:
        schema = ImageData.model_json_schema()
        schema["additional_description"] = schema.pop("description", None)
        return schema


class AnyFileInput(gr.File):
    """A file box whose value reaches its endpoint or handler as sent (see `ApiPhotoInput`): an endpoint that skips
    preprocessing reads it with `uploaded_path`, and a page's event (page/wiring.py) through `preprocess`, which
    gives the uploaded file's path and refuses anything else."""

    def preprocess(self, payload: Any) -> str | None:
        path = uploaded_file(payload, "file")
        return None if path is None else str(path)

    def get_block_name(self) -> str:
        return "file"  # drawn by the page as Gradio's own file box

    def api_info(self) -> dict[str, Any]:
        schema = FileData.model_json_schema()
        schema["additional_description"] = schema.pop("description", None)
        return schema


def any_file_input(**options: Any) -> AnyFileInput:
    """An `AnyFileInput` with gr.File's options. Its data model is set once it is made: gr.File sets its own as it is
    made, and an `__init__` of the subclass's own would hide gr.File's parameters, which Gradio reads for the page."""
    box = AnyFileInput(**options)
    box.data_model = AnyPayload
    return box


def photo_payload(payload: Any) -> Any:
    """A photo as an API caller or an agent sent it, for the protocol to read: a file uploaded with the call (a
    FileData whose path is in Gradio's upload folder) read and deleted, a FileData of a data: URL read; an address as
    it is. A FileData naming any other path is refused: a caller never names a file of the server's."""
    if not isinstance(payload, dict):
        return payload
    name = str(payload.get("orig_name") or "photo")[:300]
    url = payload.get("url")
    if isinstance(url, str) and url.startswith("data:"):
        return PhotoBytes(data_url_bytes(url), name)
    if not isinstance(payload.get("path"), str):
        return payload  # not a photo: the protocol says what it takes
    return PhotoBytes(take_upload(uploaded_path(payload, name)), name)


def uploaded_file(payload: Any, name: str) -> Path | None:
    """The file sent with a call or a page's event, as `uploaded_path` reads it; None for none. A `Path` is the app's
    own caller's (no client sends one); anything else, text naming a file among it, is refused."""
    sent = payload.root if isinstance(payload, GradioRootModel) else payload
    if sent is None or isinstance(sent, Path):
        return sent
    if not isinstance(sent, dict):
        raise UserError("not_uploaded", name=name)
    return uploaded_path(sent, str(sent.get("orig_name") or name))


def uploaded_path(payload: dict[str, Any], name: str) -> Path:
    """The path of a file uploaded with a call (a FileData, as the page and gradio_client send one); a FileData
    naming a path outside Gradio's upload folder is refused: a caller never names a file of the server's."""
    path = payload.get("path")
    if not isinstance(path, str) or not Path(path).resolve().is_relative_to(Path(get_upload_folder()).resolve()):
        raise UserError("not_uploaded", name=name[:80])
    return Path(path)


def as_jpeg(image: Image.Image) -> bytes:
    """How a photo is shown back on the page (and recognised when the photo box reports it as changed)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=SHOWN_QUALITY)
    return buffer.getvalue()


def take_upload(path: Path) -> bytes:
    """The uploaded file's bytes; the file (and the folder Gradio made for it) is deleted. Files outside Gradio's
    upload folder are only read: they are not shoppers' uploads."""
    try:
        data = path.read_bytes()
    except OSError:
        return b""  # an empty photo: load_image says so
    upload_folder = Path(get_upload_folder()).resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(upload_folder):
        resolved.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the folder Gradio made for it, unless another upload is in it
            if resolved.parent != upload_folder:
                resolved.parent.rmdir()
    return data
