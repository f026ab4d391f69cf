"""What a photo shows, read zero-shot with the search model itself: the catalog's own categories and colours,
each written as a short sentence, scored against the photo's vector."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from search.encoders.base import Encoder

PROMPTS = {"category": "a photo of a {}", "colour": "a photo of a {} product"}
BASIC_COLOURS = ("Black", "White", "Grey", "Red", "Pink", "Orange", "Yellow", "Green", "Blue", "Navy", "Purple",
                 "Brown", "Beige", "Gold", "Silver")
LOGIT_SCALE = 100.0  # CLIP's learned temperature: turns cosine similarities into sharp probabilities


@dataclass(frozen=True)
class Guess:
    kind: str  # "category" or "colour"
    label: str
    probability: float


class Recogniser:
    """Reads the most likely categories and colours of a photo; the label sentences are encoded once."""

    def __init__(self, encoder: Encoder, categories: Sequence[str], colours: Sequence[str] = ()) -> None:
        self.encoder = encoder
        self.labels = {"category": sorted(set(categories)),
                       "colour": sorted(set(colours)) if len(set(colours)) >= 2 else list(BASIC_COLOURS)}
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def available(self) -> bool:
        return self.encoder.info.supports_text and len(self.labels["category"]) >= 2

    def read(self, image_vector: np.ndarray, per_kind: dict[str, int] | None = None) -> list[Guess]:
        """The top guesses of each kind, most likely first; nothing when the model cannot read text."""
        if not self.available:
            return []
        guesses = []
        for kind, count in (per_kind or {"category": 3, "colour": 2}).items():
            probabilities = _softmax(LOGIT_SCALE * (self._label_vectors(kind) @ image_vector))
            for index in np.argsort(-probabilities)[:count]:
                guesses.append(Guess(kind, self.labels[kind][index], float(probabilities[index])))
        return guesses

    def _label_vectors(self, kind: str) -> np.ndarray:
        if kind not in self._vectors:
            sentences = [PROMPTS[kind].format(label.lower()) for label in self.labels[kind]]
            self._vectors[kind] = self.encoder.encode_texts(sentences)
        return self._vectors[kind]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()
