"""Keyword and vector results fused into one ranking: pure functions of the two candidate lists.

`weighted` (the one the service uses): `(1 - w) * cosine + w * keyword relevance`, the relevance in [0, 1] (BM25
over the best product's, scaled by the share of the query's words held: search/store/keyword_index.py). The cosine
is kept as it is, not stretched to [0, 1] over the candidates, so that a vector side that tells products apart only
faintly (an English CLIP reading Chinese, a weak text tower) cannot outweigh a product holding every word asked for.
`reciprocal_rank` (RRF, as Marqo and Qdrant offer it) is kept for `search eval` and `bench/keywords.py`, which
compare the two: on the demo catalog it let noise in the vector ranks push exact brand matches down.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from search.ranking import Hit, share

RRF_K = 60  # the constant of the original RRF paper, also Qdrant's and Marqo's


def weighted(vector_hits: Sequence[Hit], keyword_hits: Sequence[Hit], keyword_weight: float) -> list[Hit]:
    """One ranking of the union of both sides. Each side should score every candidate (a product missing from a
    side counts 0 there); `score` is the cosine on the vector side and the relevance on the keyword side."""
    if not keyword_hits:
        return list(vector_hits)
    weight = share(keyword_weight)
    keyword = {hit.product.id: hit for hit in keyword_hits}
    cosine = {hit.product.id: hit.score for hit in vector_hits}
    fused = []
    for product_id, hit in {**{h.product.id: h for h in vector_hits}, **keyword}.items():
        words = keyword[product_id].score if product_id in keyword else 0.0
        score = (1 - weight) * cosine.get(product_id, 0.0) + weight * words
        fused.append(replace(hit, score=score))
    return sorted(fused, key=lambda hit: -hit.score)


def reciprocal_rank(vector_hits: Sequence[Hit], keyword_hits: Sequence[Hit], keyword_weight: float) -> list[Hit]:
    """Reciprocal-rank fusion: `(1 - w) / (RRF_K + vector rank) + w / (RRF_K + keyword rank)`."""
    if not keyword_hits:
        return list(vector_hits)
    weight = share(keyword_weight)
    scores: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for side, side_weight in ((vector_hits, 1 - weight), (keyword_hits, weight)):
        for rank, hit in enumerate(side, start=1):
            scores[hit.product.id] = scores.get(hit.product.id, 0.0) + side_weight / (RRF_K + rank)
            hits[hit.product.id] = hit if hit.matched or hit.product.id not in hits else hits[hit.product.id]
    return sorted((replace(hits[i], score=s) for i, s in scores.items()), key=lambda hit: -hit.score)


Fusion = Callable[[Sequence[Hit], Sequence[Hit], float], list[Hit]]
FUSIONS: dict[str, Fusion] = {"weighted": weighted, "rrf": reciprocal_rank}
