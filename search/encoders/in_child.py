"""An encoder loaded in a child process while this one gets on with its own start: a command that encodes once
(`search query`) imports torch and open_clip and loads the model there, on one core, while this process imports
Chroma and the keyword index on another. Threads cannot overlap these imports (each holds Python's lock): a query
took 1.7-2.6 s beyond importing torch and loading the model in one process, 0.3-0.9 s this way (docs/benchmarks.md).

The child is forked, so only on Linux and only while this process has not imported torch itself (a fork of a
process that has run torch can hang) nor started a thread; otherwise the model loads here, as before."""
from __future__ import annotations

import multiprocessing
import pickle
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
from PIL import Image

from catalog.errors import UserError
from search.encoders import load_encoder
from search.encoders.base import Encoder, EncoderError, EncoderInfo
from search.encoders.registry import spec_of


def start_encoder(model: str, pretrained: str | None, precision: str, device: str) -> Callable[[], Encoder]:
    """Start loading the encoder the settings name; the function returned waits for it. In a child process where
    that is safe and worth it (a CLIP), else here when the function is called."""
    if not spec_of(model).torch or not _can_fork():
        return lambda: load_encoder(model, pretrained, precision, device)
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve, args=(theirs, model, pretrained, precision, device, ours),
                            daemon=True, name="encoder")
    child.start()
    theirs.close()
    return lambda: EncoderInChild(ours, info=_answer(ours))


def _can_fork() -> bool:
    return sys.platform == "linux" and "torch" not in sys.modules and threading.active_count() == 1


class EncoderInChild(Encoder):
    """The child's encoder, asked over a pipe: pictures go as PIL images (decoded here), vectors come back."""

    def __init__(self, pipe: Connection, info: EncoderInfo) -> None:
        self.info = info
        self._pipe = pipe

    def prepare(self, image: Image.Image) -> Image.Image:
        return image  # the child prepares and encodes in one step

    def encode_prepared(self, prepared: Sequence[Any]) -> np.ndarray:
        return self._ask("images", list(prepared))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self._ask("texts", list(texts))

    def _ask(self, kind: str, items: list[Any]) -> np.ndarray:
        self._pipe.send((kind, items))
        return _answer(self._pipe)


def _answer(pipe: Connection) -> Any:
    """What the child sent back, or the error it met raised here."""
    try:
        ok, value = pipe.recv()
    except EOFError:
        raise EncoderError("encoder_gone") from None
    if not ok:
        raise value
    return value


def _serve(pipe: Connection, model: str, pretrained: str | None, precision: str, device: str,
           parents_end: Connection | None = None) -> None:
    """The child: load the encoder, say what it is, then encode what is asked until the parent hangs up (or
    dies: the parent's end of the pipe, which the fork copied here, is closed so that its end is the last)."""
    if parents_end is not None:
        parents_end.close()
    with suppress(BrokenPipeError, EOFError):  # the parent hung up, or died: nothing is left to do
        try:
            encoder = load_encoder(model, pretrained, precision, device)
        except Exception as error:  # noqa: BLE001 - every error goes back to be raised where the user sees it
            _send_error(pipe, error)
            return
        pipe.send((True, encoder.info))
        while True:
            kind, items = pipe.recv()
            try:
                vectors = encoder.encode_texts(items) if kind == "texts" else encoder.encode_images(items)
            except Exception as error:  # noqa: BLE001
                _send_error(pipe, error)
                continue
            pipe.send((True, vectors))


def _send_error(pipe: Connection, error: Exception) -> None:
    if not isinstance(error, UserError):  # a fault, not the user's to fix: its traceback goes to stderr too
        traceback.print_exc()
    try:
        pickle.dumps(error)
    except Exception:  # noqa: BLE001 - an error that cannot travel goes as its message
        error = EncoderError("fault", kind=type(error).__name__, detail=str(error))
    pipe.send((False, error))
