"""`SearchService`: what the page and the CLIs call to search the catalog."""
from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from catalog.errors import UserError
from search.config import Settings
from search.encoders import load_encoder
from search.encoders.base import Encoder
from search.hybrid import FUSIONS
from search.images import Photo, load_image
from search.items import Box, best_regions, propose_regions
from search.query_cache import EmbeddingCache, image_key, text_key
from search.ranking import Filters, Hit, Ranking, above_threshold, blend, rerank, share, to_where
from search.store.collapse import Collapse, by_group, by_product, first_of_each, key_of
from search.store.collection import ProductStore
from search.words import has_cjk

# Why a text was searched by its words alone (`SearchResponse.keywords_only`), for the CLI; the page has its own
# words for these in each language
KEYWORDS_ONLY = {
    "offline": "the text was searched by its words (title, brand, category, colour): this model reads no text",
    "script": "the text was searched by its words alone: this model cannot read that language; the `multilingual` "
              "preset does",
}
RERANK_POOL = 3  # re-ranking picks from 3x the results asked for (at most MAX_POOL)
MAX_POOL = 300


class QueryError(UserError, ValueError):
    """The query itself is unusable (nothing to search with, unknown product...)."""


@dataclass(frozen=True)
class Query:
    """A photo (any input `load_image` takes), a text, or both (blended by the ranking's text weight)."""

    image: Any = None
    text: str | None = None


@dataclass
class SearchResponse:
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    cached: bool = False  # the query's vectors came from the cache: nothing was decoded or encoded
    image_vector: np.ndarray | None = None  # the photo's own vector, for reading what the photo shows
    # Why the text was searched by its words alone: "offline" (the encoder reads no text) or "script" (the model
    # cannot read the text's script, e.g. Chinese on an English CLIP); None when the text went through CLIP too
    keywords_only: str | None = None
    # The best candidate's score before the minimum score dropped any: "nothing above the threshold" apart from
    # "nothing at all" (None) in what the product team sees of searches that found nothing
    nearest: float | None = None


@dataclass(frozen=True)
class Item:
    """A product found in a photo: where, and the catalog's best matches for that region."""

    box: Box
    hits: list[Hit]


@dataclass
class ItemsResponse:
    items: list[Item]
    regions: int  # how many regions of the photo were encoded
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Keywords:
    """The text part of a query as searched by its words, and its share of the fused score."""

    text: str
    share: float


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[stage] = round((time.perf_counter() - start) * 1000, 2)


class SearchService:
    """Search by photo, text or both; more like a stored product."""

    def __init__(self, encoder: Encoder, store: ProductStore, cache: EmbeddingCache | None = None,
                 variants_apart: bool = False) -> None:
        self.encoder = encoder
        self.store = store
        self.cache = cache or EmbeddingCache()
        # Every answer shows a product once; a group of variants (a shirt in three colours) once too, by its best
        # variant, unless variants are shown apart
        self.collapse: Collapse = by_product if variants_apart else by_group

    def search(self, query: Query, filters: Filters = Filters(), ranking: Ranking = Ranking(),
               fusion: str = "weighted") -> SearchResponse:
        """Ranked products for the query, best first, as `ranking` says. The text is also searched by its words
        (BM25), fused with the vectors' ranking by `fusion` with the keyword weight's share of the text's; a text
        that the encoder cannot read (the offline encoder, Chinese on an English CLIP) is searched by its words
        alone."""
        text = (query.text or "").strip()
        if query.image is None and not text:
            raise QueryError("no_query")
        timings = {"decode": 0.0, "encode": 0.0}
        keywords_only = self._unreadable(text)
        parts = []  # (vector, came from the cache) for the photo and the text
        if query.image is not None:
            parts.append(self._image_vector(query.image, timings))
        if text and not keywords_only:
            parts.append(self._text_vector(text, timings))
        image_vector = parts[0][0] if query.image is not None else None
        text_vector = parts[-1][0] if text and not keywords_only else None
        vector = blend(image_vector, text_vector, ranking.text_weight) if parts else None
        keywords = Keywords(text, _keyword_share(ranking, keywords_only, image_vector)) if text else None
        response = self._nearest(vector, filters, ranking, timings, keywords=keywords, fusion=fusion)
        response.cached = all(from_cache for _, from_cache in parts)
        response.image_vector = image_vector
        response.keywords_only = keywords_only
        return response

    def _unreadable(self, text: str) -> str | None:
        """Why the encoder cannot embed this text, or None when it can."""
        if text and not self.encoder.reads_text:
            return "offline"
        if has_cjk(text) and not self.encoder.info.reads_cjk:
            return "script"
        return None

    def _image_vector(self, source: Any, timings: dict[str, float]) -> tuple[np.ndarray, bool]:
        """The photo's vector: a `Photo` was decoded and keyed when it arrived; anything else is read here."""
        key = source.key if isinstance(source, Photo) else image_key(source)
        vector = self.cache.get(key) if key else None
        if vector is not None:
            return vector, True
        with _timed(timings, "decode"):
            image = source.image if isinstance(source, Photo) else load_image(source)
        with _timed(timings, "encode"):
            vector = self.encoder.encode_images([image])[0]
        if key:
            self.cache.put(key, vector)
        return vector, False

    def _text_vector(self, text: str, timings: dict[str, float]) -> tuple[np.ndarray, bool]:
        vector = self.cache.get(text_key(text))
        if vector is not None:
            return vector, True
        start = time.perf_counter()
        vector = self.encoder.encode_texts([text])[0]
        timings["encode"] += round((time.perf_counter() - start) * 1000, 2)
        self.cache.put(text_key(text), vector)
        return vector, False

    def find_items(self, image: Any, filters: Filters = Filters(), ranking: Ranking = Ranking(), regions: int = 32,
                   min_score: float = 0.8, per_item: int = 4) -> ItemsResponse:
        """Every product the photo seems to hold: at most `regions` candidate regions, encoded in one batch, each
        matched against the catalog (within the filters); a region is an item when its best match scores at least
        `min_score` and it is not the same item as a better region. Items best first, each with `per_item`
        products above the ranking's threshold."""
        timings: dict[str, float] = {}
        with _timed(timings, "decode"):
            picture = image.image if isinstance(image, Photo) else load_image(image)
        with _timed(timings, "propose"):
            boxes = propose_regions(picture, max(1, int(regions)))
        if not boxes:
            return ItemsResponse([], 0, timings)
        with _timed(timings, "encode"):
            crops = [picture.crop((box.left, box.top, box.right, box.bottom)) for box in map(Box.trimmed, boxes)]
            vectors = self.encoder.encode_images(crops)
        with _timed(timings, "search"):
            where, wanted = to_where(filters), max(1, int(per_item))
            matches = self.store.query_many(list(vectors), wanted, where, self.collapse)
            best = [hits[0].score if hits else -1.0 for hits in matches]
            items = [Item(boxes[i], above_threshold(matches[i], ranking.min_score))
                     for i in best_regions(boxes, best, min_score)]
        return ItemsResponse([item for item in items if item.hits], len(boxes), timings)

    def more_like_this(self, product_id: str, filters: Filters = Filters(),
                       ranking: Ranking = Ranking()) -> SearchResponse:
        """Products nearest any of a stored product's pictures (their vectors, never re-encoded), without the product
        itself."""
        timings: dict[str, float] = {}
        views = self.store.picture_vectors([product_id]).get(product_id)
        if views is None:
            raise QueryError("no_product", id=product_id)
        response = self._nearest(views, filters, ranking, timings, exclude={product_id})
        response.image_vector = views[0]
        return response

    def inspired_by(self, product_ids: Sequence[str], filters: Filters = Filters(),
                    ranking: Ranking = Ranking()) -> SearchResponse:
        """Products nearest the mean of some products' stored vectors (their main pictures': a shopper's recent
        views), without them; ids no longer in the catalog are passed over."""
        timings: dict[str, float] = {}
        vectors = list(self.store.vectors(list(product_ids)).values())
        if not vectors:
            return SearchResponse([], timings)
        mean = np.mean(vectors, axis=0)
        norm = float(np.linalg.norm(mean))
        if norm == 0:
            return SearchResponse([], timings)
        return self._nearest((mean / norm).astype(np.float32), filters, ranking, timings, exclude=set(product_ids))

    def _nearest(self, vector: np.ndarray | None, filters: Filters, ranking: Ranking, timings: dict[str, float],
                 exclude: Collection[str] = (), keywords: Keywords | None = None,
                 fusion: str = "weighted") -> SearchResponse:
        """The store's nearest products but `exclude` (to a vector, or to any row of a matrix of them), fused with
        the keyword side when there is one, each product or group of variants once; re-ranking and fusion draw from
        a pool of 3x the results asked for."""
        top_k, rerank_weight = max(1, int(ranking.top_k)), ranking.rerank_weight
        wanted = top_k + len(exclude)
        pool = max(wanted, min(top_k * RERANK_POOL, MAX_POOL)) if rerank_weight > 0 or keywords else wanted
        where = to_where(filters)
        with _timed(timings, "search"):
            hits = [] if vector is None else self.store.query_views(np.atleast_2d(vector), pool, where, self.collapse)
            if keywords and keywords.share > 0:
                hits = self._fused(vector, hits, keywords, pool, where, FUSIONS[fusion])
            candidates = first_of_each((h for h in hits if h.product.id not in exclude),
                                       lambda hit: key_of(hit.product, self.collapse))
            hits = self._with_other_variants(rerank(above_threshold(candidates, ranking.min_score),
                                                    rerank_weight)[:top_k])
        return SearchResponse(hits, timings, nearest=max((h.score for h in candidates), default=None))

    def _with_other_variants(self, hits: list[Hit]) -> list[Hit]:
        """Each hit that stands for its group of variants, with the group's other variants (the card names them)."""
        if self.collapse is not by_group:
            return hits
        others = self.store.other_variants(hit.product for hit in hits)
        return [replace(hit, others=others[hit.product.id]) if hit.product.id in others else hit for hit in hits]

    def _fused(self, vector: np.ndarray | None, vector_hits: list[Hit], keywords: Keywords, pool: int,
               where: dict | None, fusion) -> list[Hit]:
        """Both sides' candidates, each scored on both sides, in one ranking: the keyword side scores the vector
        side's products in the same pass, and the vector side the keyword side's from their stored vectors."""
        if vector is None or keywords.share >= 1:
            return fusion([], self.store.keyword_search(keywords.text, pool, where), 1.0)
        seen = {h.product.id for h in vector_hits}
        keyword_side = self.store.keyword_search(keywords.text, pool, where,
                                                 including=[h.product.id for h in vector_hits])
        only_words = [h for h in keyword_side if h.product.id not in seen]
        pictures = self.store.picture_vectors([h.product.id for h in only_words])
        vector_side = vector_hits + [_best_picture(h, pictures[h.product.id] @ vector)
                                     for h in only_words if h.product.id in pictures]
        vector_side.sort(key=lambda hit: -hit.score)
        keyword_side.sort(key=lambda hit: -hit.score)
        return fusion(vector_side, keyword_side, keywords.share)


def _best_picture(hit: Hit, cosines: np.ndarray) -> Hit:
    """A keyword hit scored on the vector side by its picture nearest the query."""
    shot = int(np.argmax(cosines))
    return replace(hit, score=float(cosines[shot]), matched=(), shot=shot)


def _keyword_share(ranking: Ranking, keywords_only: str | None, image_vector: np.ndarray | None) -> float:
    """How much of the fused score the text's words carry: all of it for a text CLIP cannot read alone; the
    text's share of the blend for one beside a photo; otherwise the keyword weight of the text's share."""
    text_share = 1.0 if image_vector is None else share(ranking.text_weight)
    return text_share if keywords_only else float(ranking.keyword_weight) * text_share


def build_service(settings: Settings, for_indexing: bool = False, encoder: Encoder | None = None) -> SearchService:
    """The encoder (unless given, loaded) and the store that the settings name, ready to search (or to index into)."""
    model = settings.model
    encoder = encoder or load_encoder(model.name, model.pretrained, model.precision, model.device)
    store = ProductStore(settings.store.location, encoder.info, settings.store.collection, for_indexing=for_indexing,
                         exact_limit=settings.store.exact_limit or None)
    return SearchService(encoder, store, variants_apart=settings.app.variants_apart)
