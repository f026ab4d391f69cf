"""Pure ranking functions: filters to a Chroma `where`, image+text blending, the score threshold."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from catalog.product import Product


@dataclass(frozen=True)
class Hit:
    """A product found, with its score (cosine, BM25 or fused, as the step that made it says)."""

    product: Product
    score: float
    matched: tuple[str, ...] = ()  # the query's words the product holds, when keywords took part
    shot: int = 0  # which of the product's pictures matched best (0: its main one)
    others: tuple[Product, ...] = ()  # the other variants of its group, when it stands for them all

    @property
    def picture(self) -> str:
        """The file of the picture that matched, to show on the product's card."""
        return self.product.picture_at(self.shot)


Words = tuple[str, str]  # (English, Chinese)


@dataclass(frozen=True)
class Knob:
    """A ranking setting the product team tunes, declared once: its range, step, default and words drive the
    settings' checks and environment variables, saving, the Tuning page's sliders, the pages' opening values, the
    protocol's inputs and the API's (a new knob's input comes last: the API's order is a contract)."""

    name: str  # a `Ranking` field
    least: float
    most: float
    step: float
    default: float
    label: Words
    info: Words | None = None
    whole: bool = False  # an integer (a count of results)

    def clamped(self, value: float | None) -> float:
        """A loosely typed value (a slider's float, a caller's None) held to the range; None is the default."""
        held = self.default if value is None else min(max(float(value), self.least), self.most)
        return int(held) if self.whole else held


KNOBS = (
    Knob("top_k", 1, 50, 1, 12, ("How many results", "结果数量"), whole=True),
    Knob("min_score", 0, 1, 0.01, 0.0, ("Minimum match score", "最低匹配分数")),
    Knob("text_weight", 0, 1, 0.05, 0.5, ("Photo ↔ text blend", "照片 ↔ 文字 权重"),
         ("0 = photo only, 1 = text only", "0 = 只用照片，1 = 只用文字")),
    Knob("rerank_weight", 0, 1, 0.05, 0.0, ("Business re-ranking weight", "业务重排序权重"),
         ("0 = similarity only; more puts in-stock products and prices near the best match first",
          "0 = 只按相似度；越大越优先有货和价格接近最佳匹配的商品")),
    Knob("keyword_weight", 0, 1, 0.05, 0.5, ("Keyword weight", "关键词权重"),
         ("The share of a text's score that comes from its words (brand, title, model number); the rest from CLIP",
          "文字查询分数中来自关键词（品牌、标题、型号）的比例；其余来自 CLIP")),
)
KNOB = {knob.name: knob for knob in KNOBS}


@dataclass(frozen=True)
class Ranking:
    """How results are ranked, one value from the settings to the page, the CLI and the API. Each field is a knob
    of `KNOBS`, whose default it has (a test holds the two together)."""

    top_k: int = 12  # how many results
    min_score: float = 0.0  # none scoring under it is shown
    text_weight: float = 0.5  # the text's share of a photo + text query (0 = photo only, 1 = text only)
    rerank_weight: float = 0.0  # business signals blended into the order (see `rerank`)
    keyword_weight: float = 0.5  # the share of the text's score from its words (BM25); the rest from CLIP

    @classmethod
    def of(cls, **values: float | None) -> Ranking:
        """From loosely typed values by name (a slider's float, an API caller's None): each held to its knob's
        range, a missing one its default."""
        return cls(**{knob.name: knob.clamped(values.get(knob.name)) for knob in KNOBS})  # type: ignore[arg-type]

    def values(self) -> dict[str, float]:
        return {knob.name: getattr(self, knob.name) for knob in KNOBS}


def share(value: float) -> float:
    """A weight held to [0, 1]."""
    return min(max(float(value), 0.0), 1.0)


@dataclass(frozen=True)
class Filters:
    """What a shopper narrowed the catalog to; empty means no restriction."""

    brands: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    in_stock_only: bool = False
    colours: tuple[str, ...] = ()

    @classmethod
    def of(cls, brands: Iterable[str] | None = None, categories: Iterable[str] | None = None,
           min_price: float | None = None, max_price: float | None = None, in_stock_only: bool | None = False,
           colours: Iterable[str] | None = None) -> Filters:
        """From the page's loosely typed values (a dropdown's None, a price box's 0): an empty or zero price means
        no limit, as the page's price boxes show an empty box as 0."""
        return cls(tuple(brands or ()), tuple(categories or ()), min_price or None, max_price or None,
                   bool(in_stock_only), tuple(colours or ()))


def to_where(filters: Filters) -> dict[str, Any] | None:
    """The Chroma `where` clause for the filters, or None when nothing is filtered."""
    clauses: list[dict[str, Any]] = []
    if filters.brands:
        clauses.append({"brand": {"$in": list(filters.brands)}})
    if filters.categories:
        clauses.append({"category": {"$in": list(filters.categories)}})
    if filters.colours:
        clauses.append({"colour": {"$in": list(filters.colours)}})
    if filters.min_price is not None:
        clauses.append({"price": {"$gte": float(filters.min_price)}})
    if filters.max_price is not None:
        clauses.append({"price": {"$lte": float(filters.max_price)}})
    if filters.in_stock_only:
        clauses.append({"in_stock": {"$eq": True}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def blend(image_vector: np.ndarray | None, text_vector: np.ndarray | None, text_weight: float) -> np.ndarray:
    """One unit query vector: the weighted sum of the image and text unit vectors, renormalised."""
    if image_vector is None and text_vector is None:
        raise ValueError("blend needs an image vector, a text vector, or both")
    if image_vector is None:
        return _unit(text_vector)  # type: ignore[arg-type]  # not both None: checked above
    if text_vector is None:
        return _unit(image_vector)
    weight = share(text_weight)
    return _unit((1.0 - weight) * image_vector + weight * text_vector)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        raise ValueError("the image and text vectors cancel out; move the blend slider")
    return (vector / norm).astype(np.float32)


def rerank(hits: Sequence[Hit], weight: float) -> list[Hit]:
    """Hits reordered by `(1 - weight) * similarity + weight * business`, where the business signal is half
    "in stock" and half how close the price is to the best match's price. Scores stay the similarities."""
    if weight <= 0 or len(hits) < 2:
        return list(hits)
    anchor = hits[0].product.price

    def business(hit: Hit) -> float:
        price = hit.product.price
        if price is None or anchor is None:
            closeness = 0.5  # unknown: neither lifted nor pushed down
        else:
            closeness = 1.0 - abs(price - anchor) / max(price, anchor) if max(price, anchor) > 0 else 1.0
        return 0.5 * float(hit.product.in_stock) + 0.5 * closeness

    weight = min(float(weight), 1.0)
    return sorted(hits, key=lambda hit: (1 - weight) * hit.score + weight * business(hit), reverse=True)


def above_threshold(hits: Sequence[Hit], min_score: float) -> list[Hit]:
    """The hits whose score is at least `min_score`, order kept."""
    return [hit for hit in hits if hit.score >= min_score]
