"""What the Tuning tab shows: the scores of the current results against the threshold, how long each stage took,
and what a threshold costs in precision and recall on queries drawn from the catalog."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from matplotlib.figure import Figure  # a Figure draws without pyplot or a display

from search.evaluate import EvalReport, curve_figure, evaluate, sample_queries
from search.ranking import Ranking
from storefront.results import ITEMS_ONLY, STAGES

if TYPE_CHECKING:
    from search.service import SearchService
    from storefront.front import Storefront



def score_histogram(scores: list[float], threshold: float) -> Figure:
    """How the current results' scores spread, with the minimum score drawn as a line."""
    figure = Figure(figsize=(6, 2.6), dpi=110)
    axes = figure.subplots()
    axes.hist(scores, bins=[i / 40 for i in range(41)], color="#6366f1", edgecolor="white")
    axes.axvline(threshold, color="#dc2626", linestyle="--", label=f"minimum score {threshold:.2f}")
    axes.set_xlim(0, 1)
    axes.set_xlabel("match score")
    axes.set_ylabel("results")
    axes.set_title(f"{len(scores)} results" if scores else "no results yet")
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure


def timings_table(timings_ms: dict[str, float]) -> str:
    """The time each stage of the last search took, as a Markdown table (cached queries skip decode+encode)."""
    if not timings_ms:
        return ""
    stages = [stage for stage in STAGES if stage in timings_ms or stage not in ITEMS_ONLY]
    rows = [f"| {stage} | {timings_ms.get(stage, 0.0):.1f} ms |" for stage in stages]
    total = sum(timings_ms.get(stage, 0.0) for stage in stages)
    return "\n".join(["| stage | time |", "| --- | ---: |", *rows, f"| **total** | **{total:.1f} ms** |"])


class ThresholdCurve:
    """Precision and recall by minimum score on the catalog's own sample queries, computed once per model."""

    def __init__(self, storefront: Storefront) -> None:
        self.storefront = storefront
        self._reports: dict[int, EvalReport] = {}
        self._lock = threading.Lock()

    def report(self) -> EvalReport:
        service = self.storefront.service()
        with self._lock:
            if id(service) not in self._reports:
                self._reports[id(service)] = _evaluate_samples(service)
            return self._reports[id(service)]

    def figure(self, threshold: float) -> Figure:
        return curve_figure(self.report(), threshold)


def _evaluate_samples(service: SearchService) -> EvalReport:
    labelled, sizes = sample_queries(service.store.products(), with_text=service.encoder.info.supports_text)
    return evaluate(lambda query, depth: service.search(query, ranking=Ranking(top_k=depth)), labelled, sizes)
