import json
import subprocess
import sys
from collections import Counter

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from catalog.errors import UserError
from conftest import ROOT
from search.encoders import arithmetic, clip, load_encoder
from search.encoders.base import EncoderError, TextSearchUnavailable
from search.encoders.clip import ClipEncoder, choose_arithmetic, choose_device
from search.encoders.colour_shape import ColourShapeEncoder
from search.encoders.int8 import ProjectedAttention, quantise_image_tower
from storefront.front import Storefront

PICTURES = [Image.new("RGB", (80, 60), colour) for colour in ("red", "navy", "gold")]


def _check_unit_rows(vectors, count, dim):
    assert vectors.dtype == np.float32 and vectors.shape == (count, dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_tiny_clip_encodes_images_and_text_to_unit_vectors(tiny_encoder):
    assert isinstance(tiny_encoder, ClipEncoder)
    _check_unit_rows(tiny_encoder.encode_images(PICTURES), 3, tiny_encoder.info.dim)
    _check_unit_rows(tiny_encoder.encode_texts(["red mug", "blue shoes"]), 2, tiny_encoder.info.dim)
    assert not tiny_encoder.info.pretrained_weights and tiny_encoder.info.notice


def test_tiny_clip_is_identical_in_every_process(tiny_encoder):
    code = ("import json; from PIL import Image; from search.encoders import load_encoder; "
            "encoder = load_encoder('test-tiny', precision='fp32'); "
            "print(json.dumps(encoder.encode_images([Image.new('RGB', (80, 60), 'red')])[0].tolist()))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    other = np.array(json.loads(result.stdout.strip().splitlines()[-1]), np.float32)
    np.testing.assert_allclose(other, tiny_encoder.encode_images(PICTURES[:1])[0], atol=1e-6)


def test_weights_from_a_local_file_go_through_the_pretrained_path(tmp_path, tiny_encoder):
    weights = tmp_path / "tiny.pt"
    torch.save(tiny_encoder._model.state_dict(), weights)
    loaded = load_encoder("test-tiny", str(weights), precision="fp32")
    assert isinstance(loaded, ClipEncoder) and loaded.info.pretrained_weights
    assert loaded.info.pretrained == "tiny.pt"
    np.testing.assert_allclose(loaded.encode_images(PICTURES), tiny_encoder.encode_images(PICTURES), atol=1e-5)


def test_without_weights_the_default_falls_back_to_offline_and_says_why(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = load_encoder("fast")
    assert isinstance(encoder, ColourShapeEncoder)
    assert "ViT-B-32 (laion2b_s34b_b79k)" in encoder.info.notice
    assert "offline colour-and-shape encoder" in encoder.info.notice


def test_a_missing_weights_file_falls_back_and_names_the_file(tmp_path):
    encoder = load_encoder("ViT-B-32", str(tmp_path / "nope.bin"))
    assert isinstance(encoder, ColourShapeEncoder) and "nope.bin not found" in encoder.info.notice


@pytest.mark.parametrize("model, pretrained, message", [
    ("ResNet-9000", None, "unknown model 'ResNet-9000'"),
    ("ViT-B-32", "no-such-tag", "has no pretrained tag 'no-such-tag'"),
    ("ViT-B-32", None, "needs --pretrained"),
])
def test_misnamed_models_are_refused(model, pretrained, message):
    with pytest.raises(EncoderError, match=message):
        load_encoder(model, pretrained)


def test_offline_encoder_compares_pictures_but_refuses_text(offline_encoder):
    vectors = offline_encoder.encode_images(PICTURES)
    _check_unit_rows(vectors, 3, offline_encoder.info.dim)
    assert vectors[0] @ vectors[1] < 0.99
    with pytest.raises(TextSearchUnavailable, match="reads no text: its texts are searched by their words"):
        offline_encoder.encode_texts(["red mug"])


def test_bfloat16_path_gives_unit_vectors_close_to_float32(demo_feed, tiny_encoder):
    pictures = [Image.open(p).convert("RGB") for p in sorted((demo_feed.parent / "images").glob("*.png"))[:24]]
    fast = load_encoder("test-tiny", precision="bf16")
    assert fast.info.precision == "bf16" and tiny_encoder.info.precision == "fp32"
    low, full = fast.encode_images(pictures), tiny_encoder.encode_images(pictures)
    _check_unit_rows(low, 24, tiny_encoder.info.dim)
    assert float((low * full).sum(axis=1).min()) >= 0.99
    assert fast.encode_texts(["red mug"]).dtype == np.float32


def test_encoding_matches_open_clips_own_preprocessing(demo_feed, tiny_encoder):
    """The encoder resizes each picture itself and normalises whole batches: the same input as open_clip's
    preprocessing, picture by picture (a photo, a drawing and a non-square picture)."""

    pictures = [Image.open(p).convert("RGB") for p in sorted((demo_feed.parent / "images").glob("*.png"))[:2]]
    pictures.append(Image.effect_mandelbrot((300, 170), (-2, -1.2, 1, 1.2), 60).convert("RGB"))
    with torch.random.fork_rng():
        torch.manual_seed(1234)  # the test model's weights, as load_encoder makes them
        model, _, preprocess = open_clip.create_model_and_transforms("test-tiny")
    with torch.inference_mode():
        theirs = model.eval().encode_image(torch.stack([preprocess(picture) for picture in pictures]))
    np.testing.assert_allclose(tiny_encoder.encode_images(pictures),
                               torch.nn.functional.normalize(theirs).numpy(), atol=1e-5)


def test_a_batch_is_padded_to_a_size_of_few_and_each_picture_keeps_its_own_vector(demo_feed, tiny_encoder):
    """Padded with copies of its last picture (so oneDNN makes kernels for seven batch sizes up to 32, not 32),
    and the copies' vectors dropped: each picture's vector is the one it has encoded alone."""
    assert [clip.padded_size(n) for n in (1, 2, 3, 5, 8, 9, 17, 23, 24, 32, 33)] == [1, 2, 4, 8, 8, 16, 24, 24, 24,
                                                                                    32, 40]
    pictures = [Image.open(p).convert("RGB") for p in sorted((demo_feed.parent / "images").glob("*.png"))[:11]]
    together = tiny_encoder.encode_images(pictures)  # 11 pictures, encoded as 16
    alone = np.concatenate([tiny_encoder.encode_images([picture]) for picture in pictures])
    assert together.shape == (11, tiny_encoder.info.dim)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert tiny_encoder.encode_images([]).shape == (0, tiny_encoder.info.dim)


def test_int8_path_keeps_image_vectors_close_to_float32_and_text_unchanged(demo_feed, tiny_encoder):
    """int8 runs the image tower's projections in 8 bits: its vectors stay comparable with a float32 store's."""
    pictures = [Image.open(p).convert("RGB") for p in sorted((demo_feed.parent / "images").glob("*.png"))[:24]]
    low = load_encoder("test-tiny", precision="int8")
    assert low.info.precision == "int8"
    vectors, full = low.encode_images(pictures), tiny_encoder.encode_images(pictures)
    _check_unit_rows(vectors, 24, tiny_encoder.info.dim)
    assert not np.array_equal(vectors, full)  # the 8-bit arithmetic did run
    assert not any(isinstance(m, torch.nn.MultiheadAttention) for m in low._model.visual.modules())  # attention too
    assert float((vectors * full).sum(axis=1).min()) >= 0.995
    np.testing.assert_array_equal(low.encode_texts(["red mug"]), tiny_encoder.encode_texts(["red mug"]))


@pytest.mark.parametrize("batch_first", [True, False])
def test_projected_attention_computes_what_multihead_attention_does(batch_first):
    torch.manual_seed(0)
    attention = torch.nn.MultiheadAttention(32, 4, batch_first=batch_first).eval()
    tokens = torch.randn(3, 7, 32) if batch_first else torch.randn(7, 3, 32)
    with torch.inference_mode():
        theirs = attention(tokens, tokens, tokens, need_weights=False)[0]
        ours = ProjectedAttention(attention)(tokens, tokens, tokens, need_weights=False)[0]
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)


def test_int8_quantises_the_image_towers_attention_as_well_as_its_feed_forward_layers():
    model = open_clip.create_model_and_transforms("test-tiny")[0].eval()
    blocks = len(model.visual.transformer.resblocks)
    quantise_image_tower(model)
    kinds = Counter(type(module) for module in model.visual.modules())
    assert kinds[torch.nn.MultiheadAttention] == 0 and kinds[ProjectedAttention] == blocks
    assert kinds[torch.nn.Linear] == 0
    assert kinds[torch.ao.nn.quantized.dynamic.Linear] == 4 * blocks  # qkv, out, c_fc and c_proj of each
    assert any(isinstance(m, torch.nn.MultiheadAttention) for m in model.transformer.modules())  # text: float32


def test_precision_names_are_checked():
    with pytest.raises(EncoderError, match="precision 'fp8': use auto, bf16, fp16, int8, fp32"):
        load_encoder("test-tiny", precision="fp8")
    with pytest.raises(EncoderError, match="precision int8 runs on the CPU only, not on cuda"):
        choose_arithmetic("int8", torch.device("cuda"))
    with pytest.raises(EncoderError, match="precision fp16 runs on a GPU only"):
        load_encoder("test-tiny", precision="fp16", device="cpu")


@pytest.mark.parametrize("native_bfloat16, device, chosen", [
    (True, "cpu", "measure bf16,int8"), (False, "cpu", "measure int8"), (True, "cuda", "measure fp16"),
    (False, "mps", "measure fp16")])
def test_auto_arithmetic_follows_the_cpu_and_the_device(monkeypatch, native_bfloat16, device, chosen):
    monkeypatch.setattr(clip, "_native_bfloat16", lambda: native_bfloat16)
    assert choose_arithmetic("auto", torch.device(device)) == chosen
    assert choose_arithmetic("fp32", torch.device(device)) == "fp32"


@pytest.mark.parametrize("needed_gain, chosen", [(0.01, "int8"), (1000.0, "fp32")])
def test_auto_on_a_cpu_without_bfloat16_keeps_int8_only_where_it_measured_faster(monkeypatch, tmp_path, needed_gain,
                                                                                    chosen):
    monkeypatch.setattr(clip, "_native_bfloat16", lambda: False)
    monkeypatch.setattr(arithmetic, "LOW_GAIN", needed_gain)
    monkeypatch.setattr(arithmetic, "LOW_COSINE", 0.0)  # the tiny model's random weights: int8 is far from float32
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert load_encoder("test-tiny", precision="auto").info.precision == chosen


def test_auto_measures_every_arithmetic_the_cpu_runs_keeps_the_fastest_and_measures_once(monkeypatch, tmp_path):
    monkeypatch.setattr(clip, "_native_bfloat16", lambda: True)
    monkeypatch.setattr(arithmetic, "LOW_GAIN", 0.0)
    monkeypatch.setattr(arithmetic, "LOW_COSINE", 0.0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = load_encoder("test-tiny", precision="auto").info
    measured = first.measured
    assert [trial.arithmetic for trial in measured.trials] == ["bf16", "int8"] and not measured.cached
    assert measured.chosen == max(measured.trials, key=lambda trial: trial.gain).arithmetic == first.precision
    assert measured.summary().startswith("auto measured bf16 ") and "int8" in measured.summary()
    assert (tmp_path / "product-search" / "arithmetic.json").exists()
    assert "实测" in Storefront._arithmetic(first, "zh-CN")  # the model line says it, in the reader's language

    def measuring_again(*_):
        raise AssertionError("measured twice")
    monkeypatch.setattr(clip.ClipEncoder, "_trial", measuring_again)
    again = load_encoder("test-tiny", precision="auto").info
    assert again.measured.cached and again.precision == first.precision
    assert again.measured.trials == measured.trials
    monkeypatch.setattr(arithmetic, "LOW_GAIN", 1000.0)  # the choice is made again from what was measured
    assert load_encoder("test-tiny", precision="auto").info.precision == "fp32"


@pytest.mark.parametrize("cuda, mps, chosen", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_auto_picks_a_cuda_gpu_then_apples_then_the_cpu(monkeypatch, cuda, mps, chosen):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert choose_device("auto").type == chosen


def test_a_device_that_is_not_there_or_unknown_is_refused_with_a_message(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(EncoderError, match=r"device cuda: torch sees 0 CUDA GPU\(s\) on this machine \(torch "):
        choose_device("cuda")
    with pytest.raises(EncoderError, match="device mps: torch sees no Apple GPU"):
        choose_device("mps")


@pytest.mark.parametrize("model", ["offline", "test-tiny", "demo-world", "fast"])
def test_an_unknown_device_is_refused_for_every_model_with_the_same_message(model):
    """Checked once, before anything loads (no weights are looked for): the offline encoder took `--device tpu9`
    silently once."""
    for unknown in ("tpu9", "cpu:1", "cuda:x", ""):
        with pytest.raises(UserError) as refused:
            load_encoder(model, device=unknown)
        assert str(refused.value) == f"device {unknown!r}: use auto, cpu, cuda, cuda:N or mps"
        assert refused.value.in_language("zh-CN") == f"设备 {unknown!r}：请使用 auto、cpu、cuda、cuda:N 或 mps"


def test_the_offline_encoder_refuses_a_gpu_it_would_not_use():
    with pytest.raises(UserError, match="device 'cuda': the offline model runs on the CPU only, without torch"):
        load_encoder("offline", device="cuda")
    assert load_encoder("offline", device="cpu").info.kind == "offline"


def test_the_cpu_path_names_its_device_and_keeps_its_vectors(tiny_encoder):
    on_cpu = load_encoder("test-tiny", precision="fp32", device="cpu")
    assert on_cpu.info.device == "cpu" and tiny_encoder.info.device == str(choose_device("auto"))
    pictures = [Image.new("RGB", (64, 48), colour) for colour in ("red", "navy")]
    np.testing.assert_array_equal(on_cpu.encode_images(pictures), tiny_encoder.encode_images(pictures))
    np.testing.assert_array_equal(on_cpu.encode_texts(["red mug"]), tiny_encoder.encode_texts(["red mug"]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine: bench/encoder.py --device cuda")
def test_auto_on_a_gpu_measures_float16_against_float32_and_keeps_vectors_comparable(tiny_encoder):
    on_gpu = load_encoder("test-tiny", precision="auto", device="cuda")
    assert on_gpu.info.precision in ("fp16", "fp32") and on_gpu.info.device.startswith("cuda")
    vectors = on_gpu.encode_images(PICTURES)
    assert float((vectors * tiny_encoder.encode_images(PICTURES)).sum(axis=1).min()) >= 0.995
