"""The encoders behind one interface, and the only place that calls open_clip.

`load_encoder` returns a CLIP encoder when its pretrained weights can be had (cached, a local file, or a
download), and otherwise the offline colour-and-shape encoder with a `notice` saying why, never random
weights. `test-tiny` is a tiny random-weight CLIP for tests, built identically in every process.
"""
from __future__ import annotations

import copy
import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import open_clip
import torch
from PIL import Image
from torchvision.transforms import Normalize
from torchvision.transforms.v2.functional import to_dtype

from search.config import MODEL_PRESETS, model_and_weights
from search.encoders.arithmetic import Measurement, Trial, cached, machine, remember
from search.encoders.base import (
    Encoder,
    EncoderError,
    EncoderInfo,
    EncoderUnavailable,
    looks_like_path,
    weights_label,
)
from search.encoders.colour_shape import ColourShapeEncoder
from search.encoders.int8 import quantise_image_tower
from search.encoders.registry import OFFLINE, TEST

log = logging.getLogger(__name__)
PRECISIONS = ("auto", "bf16", "fp16", "int8", "fp32")
CPU = torch.device("cpu")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
TRIAL_BATCHES = (1, 8)  # what `auto` measures an arithmetic at: a shopper's photo, and a batch of an indexing run

_TEST_SEED = 1234
_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
open_clip.add_model_config(Path(__file__).parent / "model_configs")


class ClipEncoder(Encoder):
    """An open_clip model: batch image and text encoding to L2-normalised float32."""

    def __init__(self, model_name: str, weights: str | None, info: EncoderInfo,
                 preprocess_overrides: dict | None = None, precision: str = "auto", device: str = "auto") -> None:
        kwargs = {"force_preprocess_cfg": preprocess_overrides} if preprocess_overrides else {}
        if weights is None:  # the test model: random weights, the same in every process
            with torch.random.fork_rng():
                torch.manual_seed(_TEST_SEED)
                model, _, self._preprocess = open_clip.create_model_and_transforms(model_name)
        else:
            model, _, self._preprocess = open_clip.create_model_and_transforms(
                model_name, pretrained=weights or None, require_pretrained=True, **kwargs)
        self._picture_steps, self._batch_steps = _split_preprocess(self._preprocess)
        self._device = choose_device(device)
        self._tokenizer = open_clip.get_tokenizer(model_name)
        arithmetic = choose_arithmetic(precision, self._device)
        measuring = arithmetic.startswith("measure ")
        self._use(model.eval().to(self._device), "fp32" if measuring else arithmetic)
        measured = None
        if measuring:
            lows = arithmetic.removeprefix("measure ").split(",")
            measured = self._use_the_fastest(model, lows, key=f"{machine()} | {info.label} | {self._device} | "
                                                              f"{','.join(lows)}")
        # Measured rather than read from a config: hub and custom-text models keep it in different places.
        dim = int(self.encode_images([Image.new("RGB", (32, 32))]).shape[1])
        self.info = replace(info, dim=dim, precision=self._arithmetic, device=str(self._device), measured=measured)

    def _use(self, model: torch.nn.Module, arithmetic: str) -> None:
        """Run the model in this arithmetic: fp32, bf16, fp16, or int8 (the Linear layers' weights in 8 bits, each
        batch's activations quantised on the fly: torch's dynamic quantisation, CPU only)."""
        self._arithmetic = arithmetic
        self._dtype = _DTYPES.get(arithmetic, torch.float32)
        self._model = quantise_image_tower(model) if arithmetic == "int8" else model.to(self._dtype)

    def _use_the_fastest(self, model: torch.nn.Module, lows: list[str], key: str) -> Measurement:
        """Run in the fastest of `lows` that measures at least LOW_GAIN times faster than float32 here, within
        LOW_COSINE of it, on a batch of drawn pictures; in float32 where none does. An earlier start's measurement
        of this machine and model is used as it is."""
        measurement = cached(key)
        if measurement is None:
            measurement = Measurement.of([trial for low in lows if (trial := self._tried(model, low))])
            remember(key, measurement)
        log.info("%s on %s", measurement.summary(), self._device)
        self._use(model if measurement.chosen == "fp32" else copy.deepcopy(model), measurement.chosen)
        return measurement

    def _tried(self, model: torch.nn.Module, low: str) -> Trial | None:
        """`low`'s trial; None where the model cannot run in it (int8's quantised projections in a ResNet's attention
        pooling, which reads their weights as tensors: the demo-world model)."""
        try:
            return self._trial(model, low)
        except (RuntimeError, TypeError, AttributeError) as error:
            log.info("%s cannot run in %s (%s): not a candidate", self._device, low, error)
            self._use(model, "fp32")
            return None

    def _trial(self, model: torch.nn.Module, low: str) -> Trial:
        """`low` against float32 on drawn pictures, one at a time (a shopper's search) and eight at once (indexing):
        the geometric mean of the two gains, each taken in turn so the machine's drift falls on both alike. On this
        Xeon int8 won at one picture and bfloat16 from eight up (docs/benchmarks.md)."""
        pictures = [Image.effect_mandelbrot((224, 224), (-2 + i / 8, -1.2, 1, 1.2), 40 + i).convert("RGB")
                    for i in range(TRIAL_BATCHES[-1])]
        self._use(model, "fp32")
        full = self.encode_images(pictures)
        self._use(copy.deepcopy(model), low)
        models = {"fp32": (model, torch.float32), low: (self._model, self._dtype)}
        gains = []
        for batch in TRIAL_BATCHES:
            seconds, warmed = dict.fromkeys(models, 0.0), set()
            for arithmetic in (low, "fp32", "fp32", low, low, "fp32", "fp32", low):
                self._model, self._dtype = models[arithmetic]
                began = time.perf_counter()
                encoded = self.encode_images(pictures[:batch])
                if arithmetic in warmed:  # each one's first run at a batch size makes its kernels: not timed
                    seconds[arithmetic] += time.perf_counter() - began
                warmed.add(arithmetic)
            gains.append(seconds["fp32"] / seconds[low])
        self._use(model, "fp32")
        return Trial(low, float(np.prod(gains) ** (1 / len(gains))), float((encoded * full).sum(axis=1).min()))

    def prepare(self, image: Image.Image) -> torch.Tensor:
        """The picture resized and cropped as the model was trained, as CxHxW bytes: the per-picture steps of
        open_clip's preprocessing. Scaling and normalising are left to `encode_prepared`, for the whole batch
        at once (and because torch arithmetic started from several threads at once starts a team of threads
        for each, which slowed the indexer's decoding by a quarter on 2 cores)."""
        for step in self._picture_steps:
            image = step(image)
        if self._batch_steps is None:  # the steps ended in a tensor already
            return image
        return torch.from_numpy(np.array(image, np.uint8)).permute(2, 0, 1)

    def encode_prepared(self, prepared: Sequence[torch.Tensor]) -> np.ndarray:
        """The pictures' vectors, the batch padded to a size of few (`padded_size`) with copies of its last picture.
        The kernels made for each batch size are kept (oneDNN's cache, up to 1,024 of them): batches of every size
        from 1 to 32, as the items in shoppers' photos come, grew the app by 160 MB over thousands of searches, where
        these seven sizes are made once and early (docs/benchmarks.md, "A long run")."""
        if not prepared:
            return np.zeros((0, self.info.dim), np.float32)
        padding = [prepared[-1]] * (padded_size(len(prepared)) - len(prepared))
        return self._encode_fitting([*prepared, *padding])[:len(prepared)]

    def _encode_fitting(self, prepared: Sequence[torch.Tensor]) -> np.ndarray:
        """A batch's vectors; a batch too large for the device's memory is encoded in halves."""
        try:
            return self._encode_batch(prepared)
        except torch.OutOfMemoryError as error:
            if len(prepared) == 1:
                raise EncoderError("out_of_memory", label=self.info.label, device=self._device) from error
            if self._device.type == "cuda":
                torch.cuda.empty_cache()
            half = len(prepared) // 2
            return np.concatenate([self._encode_fitting(prepared[:half]), self._encode_fitting(prepared[half:])])

    def _encode_batch(self, prepared: Sequence[torch.Tensor]) -> np.ndarray:
        batch = torch.stack(list(prepared))
        if self._batch_steps is not None:
            batch = to_dtype(batch, torch.float32, scale=True)  # what ToTensor does to bytes: 0-255 to 0-1
            for step in self._batch_steps:
                batch = step(batch)
        with torch.inference_mode():
            return _unit_float32(self._model.encode_image(batch.to(self._device, self._dtype)))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        with torch.inference_mode():
            return _unit_float32(self._model.encode_text(self._tokenizer(list(texts)).to(self._device)))


def padded_size(count: int) -> int:
    """The batch size `count` pictures are encoded at: a power of two up to 8, then a multiple of 8 (1, 2, 4, 8, 16,
    24, 32...). Measured with demo-world on 2 cores: 23 pictures padded to 24 took 1.03 times as long, 13 to 16
    1.17 times, where padding 2 to 8 took 1.75 times and pieces of powers of two (23: 16 + 4 + 2 + 1) 1.7 times."""
    return 1 << (count - 1).bit_length() if count <= 8 else -(-count // 8) * 8


def _split_preprocess(preprocess) -> tuple[list, list | None]:
    """open_clip's preprocessing cut where pictures become tensors: (steps on each picture, Normalize steps on
    the batch). A pipeline of another shape is run whole on each picture: (all its steps, None)."""
    steps = list(getattr(preprocess, "transforms", [preprocess]))
    at = next((i for i, step in enumerate(steps) if type(step).__name__ in ("ToTensor", "MaybeToTensor")), None)
    if at is None or not all(isinstance(step, Normalize) for step in steps[at + 1:]):
        return steps, None
    return steps[:at], steps[at + 1:]


def _unit_float32(features: torch.Tensor) -> np.ndarray:
    """Normalised in float32 even when the model ran in bfloat16, so unit length holds to 1e-6."""
    return torch.nn.functional.normalize(features.float(), dim=-1).cpu().numpy()


def choose_device(requested: str = "auto") -> torch.device:
    """Where the model runs: `auto` picks a CUDA GPU, then Apple's GPU (MPS), then the CPU, as torch sees them; a
    device asked for by name (cpu, cuda, cuda:N, mps; its spelling checked by `ModelSpec.check_device`) must be
    there."""
    kind, _, number = requested.partition(":")
    if kind == "auto":
        kind = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
        return torch.device(kind)
    if kind == "cuda" and int(number or 0) >= torch.cuda.device_count():
        seen = torch.cuda.device_count() if torch.cuda.is_available() else 0
        raise EncoderError("no_cuda", device=requested, seen=seen, torch=torch.__version__,
                           cuda=torch.version.cuda or "no")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise EncoderError("no_mps")
    return torch.device(requested)


def choose_arithmetic(precision: str, device: torch.device = CPU) -> str:
    """`bf16`, `fp16`, `int8`, `fp32`, or `auto`: "measure" and the lower arithmetics the device runs natively
    (bfloat16 where the CPU has AVX512-BF16 or AMX, int8 where torch has its kernels; float16 on a GPU), for
    `ClipEncoder` to measure against float32 and keep the fastest (arithmetic.py); float32 where there are none."""
    if precision not in PRECISIONS:
        raise EncoderError("unknown_precision", precision=precision, choices=", ".join(PRECISIONS))
    if precision == "int8" and device.type != "cpu":
        raise EncoderError("int8_cpu_only", device=device)
    if precision == "fp16" and device.type == "cpu":
        raise EncoderError("fp16_gpu_only")
    if precision != "auto":
        return precision
    if device.type != "cpu":
        return "measure fp16"
    lows = [*(["bf16"] if _native_bfloat16() else []),
            *(["int8"] if torch.backends.quantized.engine in ("x86", "fbgemm", "qnnpack") else [])]
    return f"measure {','.join(lows)}" if lows else "fp32"


def _native_bfloat16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def load_clip(model: str = "fast", pretrained: str | None = None, precision: str = "auto",
              device: str = "auto") -> Encoder:
    """A CLIP model for a preset, open_clip name, `hf-hub:` name or `test-tiny`; the offline encoder, saying why,
    where the weights cannot be had (`search.encoders.load_encoder` is the way in)."""
    if model == TEST.name and not pretrained:
        info = EncoderInfo(TEST.name, TEST.fixed_weights, 0, "clip", pretrained_weights=False, supports_text=True)
        return ClipEncoder(TEST.name, None, info, precision=precision, device=device)
    model_name, tag = model_and_weights(model, pretrained)
    try:
        weights, overrides = _resolve_weights(model_name, tag)
        info = EncoderInfo(model_name, weights_label(tag), 0, "clip", pretrained_weights=True, supports_text=True)
        return ClipEncoder(model_name, weights, info, overrides, precision, device)
    except EncoderUnavailable as error:
        standing_in = ColourShapeEncoder(fallback_reason=error)
        log.warning(standing_in.info.notice)
        return standing_in


def _resolve_weights(model_name: str, tag: str | None) -> tuple[str, dict | None]:
    """Where the weights come from: a local file, a cached download, or the hub; raise if none can."""
    if model_name.startswith("local-dir:"):
        return "", None
    if model_name.startswith("hf-hub:"):
        _require_hub(f"{model_name}")
        return "", None
    if model_name not in open_clip.list_models():
        raise EncoderError("unknown_model", model=model_name, presets=", ".join([*MODEL_PRESETS, OFFLINE.name]))
    if not tag:
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
        raise EncoderError("needs_pretrained", model=model_name, tags=tags)
    if looks_like_path(tag):
        if not Path(tag).is_file():
            raise EncoderUnavailable("weights_file_missing", path=tag)
        return tag, None
    config = open_clip.get_pretrained_cfg(model_name, tag)
    if not config:
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
        raise EncoderError("unknown_tag", model=model_name, tag=tag, tags=tags)
    overrides = {k: config[k] for k in ("mean", "std", "interpolation", "resize_mode") if config.get(k)}
    cached = _cached_hub_file(config.get("hf_hub", ""))
    if cached:
        return cached, overrides
    _require_hub(f"{model_name} ({tag})")
    return tag, None


def _cached_hub_file(hub_path: str) -> str | None:
    if not hub_path:
        return None
    from huggingface_hub import try_to_load_from_cache

    repo_id, filename = os.path.split(hub_path.rstrip("/")) if not hub_path.endswith("/") else \
        (hub_path.rstrip("/"), "")
    for name in ([filename] if filename else []) + list(_WEIGHT_FILES):
        found = try_to_load_from_cache(repo_id, name)
        if isinstance(found, str):
            return found
    return None


def _require_hub(what: str) -> None:
    """Fail in seconds, not minutes of retries, when the weights would have to come from an unreachable hub."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        raise EncoderUnavailable("no_weights_offline", what=what)
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=3).close()
    except OSError:
        raise EncoderUnavailable("no_weights_unreachable", what=what, host=endpoint.hostname) from None
