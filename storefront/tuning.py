"""What the Tuning tab shows: the scores of the current results against the threshold, how long each stage took,
and what a threshold costs in precision and recall on queries drawn from the catalog."""
from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

from matplotlib.figure import Figure  # a Figure draws without pyplot or a display

from search.evaluate import CurveWords, EvalReport, curve_figure, drawn_in, evaluate, sample_queries
from search.ranking import Ranking
from storefront.results import ITEMS_ONLY, STAGES
from storefront.text import language, say

if TYPE_CHECKING:
    from search.service import SearchService
    from storefront.front import Storefront

# Families that draw Chinese, as Linux (Debian's fonts-noto-cjk, WenQuanYi), macOS and Windows name them
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", "SimHei")
LATIN_FONT = "DejaVu Sans"  # matplotlib's own, which it always has: the digits and Latin words beside the Chinese


@functools.cache
def cjk_font() -> str | None:
    """The first of CJK_FONTS that matplotlib finds on this machine, if any."""
    from matplotlib import font_manager

    known = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in known), None)


def chart_language(lang: str) -> str:
    """The language a chart is drawn in: the page's, unless this machine has no font for its Chinese (then English,
    rather than boxes where the characters should be)."""
    code = language(lang)
    return code if code == "en" or cjk_font() else "en"


def chart_fonts(lang: str) -> tuple[str, ...]:
    """The fonts a chart in `lang` is drawn with: () is matplotlib's own, which has no Chinese."""
    cjk = cjk_font()
    return (LATIN_FONT, cjk) if cjk and language(lang) != "en" else ()


def curve_words(lang: str) -> CurveWords:
    """A threshold chart's words in the page's language (`chart_language`)."""
    drawn = chart_language(lang)
    return CurveWords(precision=say(drawn, "chart_precision"), recall=say(drawn, "chart_recall"),
                      current_threshold=say(drawn, "chart_current"), minimum_score=say(drawn, "chart_minimum"),
                      title=say(drawn, "chart_curve_title", queries="{queries}"), fonts=chart_fonts(drawn))


def score_histogram(scores: list[float], threshold: float, lang: str = "en") -> Figure:
    """How the current results' scores spread, with the minimum score drawn as a line."""
    drawn = chart_language(lang)
    with drawn_in(chart_fonts(drawn)):
        figure = Figure(figsize=(6, 2.6), dpi=110)
        axes = figure.subplots()
        axes.hist(scores, bins=[i / 40 for i in range(41)], color="#6366f1", edgecolor="white")
        axes.axvline(threshold, color="#dc2626", linestyle="--",
                     label=say(drawn, "chart_threshold", value=f"{threshold:.2f}"))
        axes.set_xlim(0, 1)
        axes.set_xlabel(say(drawn, "chart_score"))
        axes.set_ylabel(say(drawn, "chart_count"))
        axes.set_title(_counted(scores, drawn))
        axes.legend(loc="upper left")
        figure.tight_layout()
    return figure


def _counted(scores: list[float], lang: str) -> str:
    if not scores:
        return say(lang, "chart_no_results")
    return say(lang, "chart_one_result") if len(scores) == 1 else say(lang, "chart_results", count=len(scores))


def timings_table(timings_ms: dict[str, float], lang: str = "en") -> str:
    """The time each stage of the last search took, as a Markdown table (cached queries skip decode+encode)."""
    if not timings_ms:
        return ""
    stages = [stage for stage in STAGES if stage in timings_ms or stage not in ITEMS_ONLY]
    rows = [f"| {say(lang, stage)} | {timings_ms.get(stage, 0.0):.1f} ms |" for stage in stages]
    total = sum(timings_ms.get(stage, 0.0) for stage in stages)
    return "\n".join([f"| {say(lang, 'col_stage')} | {say(lang, 'col_time')} |", "| --- | ---: |", *rows,
                      f"| **{say(lang, 'total')}** | **{total:.1f} ms** |"])


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

    def figure(self, threshold: float, lang: str = "en") -> Figure:
        """The curve with the threshold drawn, in the page's language (the language switch's value, or a code)."""
        return curve_figure(self.report(), threshold, curve_words(lang))


def _evaluate_samples(service: SearchService) -> EvalReport:
    labelled, sizes = sample_queries(service.store.products(), with_text=service.encoder.info.supports_text)
    return evaluate(lambda query, depth: service.search(query, ranking=Ranking(top_k=depth)), labelled, sizes)
