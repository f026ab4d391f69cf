import shutil

import numpy as np
import pytest
from PIL import Image

from search.images import load_image
from search.indexer import Indexer
from search.store.collection import ProductStore

HEADER = "id,title,brand,category,price,currency,image\n"


class CountingEncoder:
    """Wraps the real tiny encoder and counts the images it is asked to encode."""

    def __init__(self, inner):
        self.inner, self.info, self.encoded, self.prepared = inner, inner.info, 0, 0

    def prepare(self, image):
        self.prepared += 1
        return self.inner.prepare(image)

    def encode_prepared(self, prepared):
        self.encoded += len(prepared)
        return self.inner.encode_prepared(prepared)

    def encode_texts(self, texts):
        return self.inner.encode_texts(texts)


@pytest.fixture
def shop(tmp_path, tiny_encoder):
    (tmp_path / "images").mkdir()
    for name, colour in [("a", "red"), ("b", "blue"), ("c", "green")]:
        Image.new("RGB", (64, 64), colour).save(tmp_path / "images" / f"{name}.png")
    (tmp_path / "images" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    encoder = CountingEncoder(tiny_encoder)
    store = ProductStore(tmp_path / "store", encoder.info, for_indexing=True)
    return tmp_path, encoder, store


def _write(feed, rows):
    feed.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")


GOOD_ROWS = ["a,Red,Lumen,Mugs,10,USD,images/a.png", "b,Blue,Sora,Mugs,12,USD,images/b.png",
             "c,Green,Sora,Caps,14,USD,images/c.png"]


def test_good_rows_are_indexed_and_each_bad_row_reported_with_its_line(shop):
    folder, encoder, store = shop
    _write(folder / "feed.csv", [GOOD_ROWS[0], "x1,Bad price,Lumen,Mugs,abc,USD,images/a.png", GOOD_ROWS[1],
                                 "x2,No file,Lumen,Mugs,1,USD,images/missing.png",
                                 "x3,Broken,Lumen,Mugs,1,USD,images/broken.jpg",
                                 "x4,Escape,Lumen,Mugs,1,USD,../../etc/passwd",
                                 "a,Duplicate,Lumen,Mugs,1,USD,images/a.png", GOOD_ROWS[2]])
    summary = Indexer(encoder, store, batch_size=3).index_feed(folder / "feed.csv")
    assert (summary.added, store.count()) == (3, 3)
    assert [skip.line for skip in summary.skipped] == [3, 5, 6, 7, 8]
    reasons = [str(skip) for skip in summary.skipped]
    assert reasons[0] == "feed.csv, line 3 (id x1): price 'abc' is not a number"
    assert "file not found" in reasons[1] and "damaged or truncated" in reasons[2]
    assert "leaves the images folder" in reasons[3] and reasons[4] == "line 8 (id a): duplicate id, first on line 2"


def test_a_second_run_encodes_only_what_changed(shop):
    folder, encoder, store = shop
    feed = folder / "feed.csv"
    _write(feed, GOOD_ROWS)
    indexer = Indexer(encoder, store)
    assert indexer.index_feed(feed).added == 3 and encoder.encoded == 3

    again = indexer.index_feed(feed)
    assert (again.unchanged, encoder.encoded, encoder.prepared) == (3, 3, 3)  # not even decoded again

    shutil.copy(folder / "images" / "c.png", folder / "images" / "a.png")  # a's picture changed
    _write(feed, [GOOD_ROWS[0], GOOD_ROWS[1].replace(",12,", ",15,"), GOOD_ROWS[2]])  # b's price changed
    changed = indexer.index_feed(feed)
    assert (changed.updated, changed.unchanged, encoder.encoded) == (2, 1, 4)
    assert store.stored(["b"])["b"].product.price == 15.0


@pytest.mark.parametrize("kind", ["tiny", "offline"])
def test_stored_vectors_are_what_the_encoder_makes_of_each_picture(shop, kind, tiny_encoder, offline_encoder):
    folder = shop[0]
    encoder = {"tiny": tiny_encoder, "offline": offline_encoder}[kind]
    store = ProductStore(folder / kind, encoder.info, for_indexing=True)
    pictures = ["a", "b", "c"]
    _write(folder / "feed.csv", [f"r{i},Item {i},Sora,Mugs,{i + 1},USD,images/{pictures[i % 3]}.png"
                                 for i in range(10)])
    summary = Indexer(encoder, store, batch_size=1).index_feed(folder / "feed.csv")  # writes of 4, 4 and 2
    assert summary.added == store.count() == 10
    stored = store.vectors([f"r{i}" for i in range(10)])
    expected = encoder.encode_images([load_image(folder / "images" / f"{p}.png") for p in pictures])
    for i in range(10):
        np.testing.assert_allclose(stored[f"r{i}"], expected[i % 3], atol=1e-5)


def test_a_stored_product_keeps_the_feeds_reference_and_its_picture_file_apart(shop):
    folder, encoder, store = shop
    _write(folder / "feed.csv", GOOD_ROWS[:1])
    Indexer(encoder, store).index_feed(folder / "feed.csv")
    stored = store.stored(["a"])["a"].product
    assert stored.image == "images/a.png" and stored.picture == str((folder / "images" / "a.png").resolve())
