import numpy as np

from search.recognise import BASIC_COLOURS, Recogniser


class CountingEncoder:
    """Wraps the tiny CLIP encoder and counts text encodings: label sentences are encoded once."""

    def __init__(self, encoder):
        self.inner, self.info, self.texts = encoder, encoder.info, 0

    def encode_texts(self, texts):
        self.texts += len(texts)
        return self.inner.encode_texts(texts)


def test_guesses_come_from_the_catalog_labels_most_likely_first(tiny_encoder):
    encoder = CountingEncoder(tiny_encoder)
    recogniser = Recogniser(encoder, ["Mugs", "Caps", "Shirts", "Caps"], ["Red", "Navy", "Teal"])
    photo = tiny_encoder.encode_texts(["a photo of a mugs"])[0]  # the category's own sentence: must win
    guesses = recogniser.read(photo)
    assert [g.kind for g in guesses] == ["category"] * 3 + ["colour"] * 2
    assert guesses[0].label == "Mugs" and guesses[0].probability > guesses[1].probability
    assert {g.label for g in guesses[:3]} == {"Mugs", "Caps", "Shirts"}
    assert abs(sum(g.probability for g in guesses[:3]) - 1.0) < 1e-5  # three categories: all of them
    recogniser.read(photo)
    assert encoder.texts == 3 + 3  # categories and colours, once each


def test_a_catalog_without_colours_is_read_with_basic_colours(tiny_encoder):
    recogniser = Recogniser(tiny_encoder, ["Mugs", "Caps"])
    assert recogniser.labels["colour"] == list(BASIC_COLOURS)


def test_an_encoder_without_text_reads_nothing(offline_encoder):
    recogniser = Recogniser(offline_encoder, ["Mugs", "Caps"])
    assert not recogniser.available
    assert recogniser.read(np.ones(offline_encoder.info.dim, np.float32)) == []
