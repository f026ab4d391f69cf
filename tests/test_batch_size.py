"""The indexer's batch size, measured on the run's own pictures, and a batch too large for the device's memory."""
import numpy as np
import pytest
import torch
from PIL import Image

from search.batch_size import LARGEST, START, BatchSizer
from search.encoders.base import EncoderError
from search.indexer import Indexer
from search.store.collection import ProductStore


def _settle(sizer: BatchSizer, seconds) -> list[int]:
    """Feeds the sizer full batches timed by `seconds(size, try)` until it settles; the sizes it tried, in turn."""
    tried, tries = [], {}
    while not sizer.settled:
        size = sizer.size
        tries[size] = tries.get(size, 0) + 1
        tried.append(size)
        sizer.encoded(size, seconds(size, tries[size]))
    return tried


def test_the_size_doubles_while_it_pays_and_settles_on_the_fastest():
    """A device that is fastest at 32 pictures; the first batch of each size is slow (setting the size up)."""
    def seconds(size, attempt):
        cost = 0.02 + 0.001 * size if size <= 32 else 0.052 + 0.004 * (size - 32)  # a fixed cost a batch
        return cost * (3 if attempt == 1 else 1)

    sizer = BatchSizer()
    assert _settle(sizer, seconds) == [8, 8, 16, 16, 32, 32, 64, 64, 128, 128]  # two sizes past the best
    assert sizer.size == 32 and sorted(sizer.rates) == [8, 16, 32, 64, 128]
    assert "32 pictures a batch, measured" in sizer.describe() and "32: 615.4" in sizer.describe()


def test_a_size_that_gains_nothing_does_not_stop_the_growth_before_one_that_does():
    """As measured for ViT-B-32 in bfloat16 on 2 cores: 105, 99, 122, 136 images/s at 8, 16, 32, 64."""
    rates = {8: 105, 16: 99, 32: 122, 64: 136, 128: 130, 256: 120}
    sizer = BatchSizer()
    _settle(sizer, lambda size, attempt: size / rates[size])
    assert sizer.size == 64


def test_a_size_only_a_little_faster_than_a_smaller_one_is_not_taken():
    rates = {8: 100, 16: 103, 32: 104, 64: 90}
    sizer = BatchSizer()
    _settle(sizer, lambda size, attempt: size / rates[size])
    assert sizer.size == 8


def test_a_device_that_keeps_gaining_grows_to_the_largest_size():
    sizer = BatchSizer()
    _settle(sizer, lambda size, attempt: 0.01 + size * 0.0001)
    assert sizer.size == LARGEST


def test_a_set_size_is_kept_and_short_batches_measure_nothing():
    fixed = BatchSizer(5)
    fixed.encoded(5, 0.001)
    assert (fixed.size, fixed.settled, fixed.rates) == (5, True, {})
    assert fixed.describe() == "5 pictures a batch (as set)"
    measuring = BatchSizer()
    for _ in range(5):
        measuring.encoded(START - 1, 0.001)  # the last batch of a run, or one with unchanged pictures
    assert (measuring.size, measuring.rates) == (START, {})


class RecordingEncoder:
    """The real tiny encoder, recording the size of each batch it is given."""

    def __init__(self, inner):
        self.inner, self.info, self.batches = inner, inner.info, []

    def prepare(self, image):
        return self.inner.prepare(image)

    def encode_prepared(self, prepared):
        self.batches.append(len(prepared))
        return self.inner.encode_prepared(prepared)


def test_an_indexing_run_measures_its_batch_size_on_its_own_pictures(tmp_path, tiny_encoder, demo_feed):
    encoder = RecordingEncoder(tiny_encoder)
    store = ProductStore(tmp_path / "store", encoder.info, for_indexing=True)
    summary = Indexer(encoder, store).index_feed(demo_feed)
    assert summary.added == store.count() == 240 and sum(encoder.batches) == store.pictures_count() == 264
    assert encoder.batches[:2] == [START, START] and 2 * START in encoder.batches  # it tried a larger size
    assert "pictures a batch" in summary.batch_size and f"{START}: " in summary.batch_size


def test_a_batch_too_large_for_the_devices_memory_is_encoded_in_halves(tiny_encoder, monkeypatch):
    pictures = [tiny_encoder.prepare(Image.new("RGB", (40, 40), (20 * i, 90, 200 - 20 * i))) for i in range(10)]
    whole = tiny_encoder.encode_prepared(pictures)
    model, sizes = tiny_encoder._model, []

    def small_memory(batch):
        sizes.append(len(batch))
        if len(batch) > 3:
            raise torch.OutOfMemoryError("CUDA out of memory (a stand-in)")
        return type(model).encode_image(model, batch)

    monkeypatch.setattr(model, "encode_image", small_memory)
    np.testing.assert_allclose(tiny_encoder.encode_prepared(pictures), whole, atol=1e-6)
    assert sizes[0] == 16 and max(s for s in sizes if s <= 3) == 2  # 10 pictures padded to 16, halved to 2s

    def no_memory(batch):
        raise torch.OutOfMemoryError("CUDA out of memory (a stand-in)")

    monkeypatch.setattr(model, "encode_image", no_memory)
    with pytest.raises(EncoderError, match="does not fit in the free memory of cpu even for one picture"):
        tiny_encoder.encode_prepared(pictures[:1])  # one picture is not split further: the user is told why
