"""Retrieval quality on labelled queries: recall@k, mAP@10, MRR, and precision/recall over score thresholds,
so the product team can see what a minimum-score setting costs."""
from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from catalog.product import CatalogError, Product
from search.ranking import Ranking
from search.service import Query, SearchResponse, SearchService

K_VALUES = (1, 5, 10)
THRESHOLDS = tuple(round(t, 2) for t in np.linspace(0.0, 1.0, 21))


@dataclass(frozen=True)
class LabelledQuery:
    """A query and what counts as a right answer: given product ids, or any product of a category."""

    query: Query
    relevant_ids: frozenset[str] = frozenset()
    relevant_category: str | None = None

    def is_relevant(self, product: Product) -> bool:
        return product.id in self.relevant_ids or product.category == self.relevant_category


@dataclass
class EvalReport:
    queries: int
    recall: dict[int, float]
    map_at_10: float
    mrr: float
    curve: list[tuple[float, float, float]] = field(default_factory=list)  # (threshold, precision, recall)

    def summary(self) -> str:
        return " | ".join(f"recall@{k} {v:.3f}" for k, v in self.recall.items()) + \
            f" | mAP@10 {self.map_at_10:.3f} | MRR {self.mrr:.3f}"

    def table(self) -> str:
        lines = [f"queries: {self.queries}", self.summary(),
                 "", "| min score | precision | recall |", "| --- | --- | --- |"]
        lines += [f"| {t:.2f} | {p:.3f} | {r:.3f} |" for t, p, r in self.curve]
        return "\n".join(lines)


def recall_at_k(relevant: Sequence[bool], total_relevant: int, k: int) -> float:
    """Share of all right answers found in the first k results."""
    return sum(relevant[:k]) / total_relevant if total_relevant else 0.0


def average_precision_at_k(relevant: Sequence[bool], total_relevant: int, k: int = 10) -> float:
    """Mean of the precision at each rank (up to k) where a right answer stands."""
    hits, total = 0, 0.0
    for rank, is_right in enumerate(relevant[:k], start=1):
        if is_right:
            hits += 1
            total += hits / rank
    return total / min(total_relevant, k) if total_relevant else 0.0


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    return next((1.0 / rank for rank, is_right in enumerate(relevant, start=1) if is_right), 0.0)


def threshold_curve(runs: Sequence[tuple[Sequence[float], Sequence[bool], int]],
                    thresholds: Sequence[float] = THRESHOLDS) -> list[tuple[float, float, float]]:
    """Precision and recall over all queries when results scoring under each threshold are dropped."""
    curve = []
    total_relevant = sum(total for _, _, total in runs)
    for threshold in thresholds:
        kept = right = 0
        for scores, relevant, _ in runs:
            for score, is_right in zip(scores, relevant):
                if score >= threshold:
                    kept += 1
                    right += is_right
        precision = right / kept if kept else 1.0
        curve.append((float(threshold), precision, right / total_relevant if total_relevant else 0.0))
    return curve


def evaluate(search: Callable[[Query, int], SearchResponse], labelled: Sequence[LabelledQuery],
             category_sizes: dict[str, int], depth: int = 50, min_score: float | None = None) -> EvalReport:
    """Run every labelled query through `search` (query, top_k) and score the rankings: the figures from the results
    scoring at least `min_score` (all of them when None), the threshold curve from all of them (`search` must not
    drop any for it)."""
    runs = []
    for item in labelled:
        hits = search(item.query, depth).hits
        total = len(item.relevant_ids) + (category_sizes.get(item.relevant_category or "", 0)
                                          if item.relevant_category else 0)
        runs.append(([h.score for h in hits], [item.is_relevant(h.product) for h in hits], total))
    shown = [[right for score, right in zip(scores, relevant) if min_score is None or score >= min_score]
             for scores, relevant, _ in runs]
    totals = [total for _, _, total in runs]
    count = len(runs) or 1
    return EvalReport(
        queries=len(runs),
        recall={k: sum(recall_at_k(r, t, k) for r, t in zip(shown, totals)) / count for k in K_VALUES},
        map_at_10=sum(average_precision_at_k(r, t) for r, t in zip(shown, totals)) / count,
        mrr=sum(reciprocal_rank(r) for r in shown) / count,
        curve=threshold_curve(runs))


def evaluate_ranking(service: SearchService, labelled: Sequence[LabelledQuery], ranking: Ranking,
                     depth: int = 50) -> EvalReport:
    """The labelled queries searched as `ranking` ranks (its blend, weights and re-ranking), `depth` deep: the
    figures at its minimum score, the threshold curve over every score. The CLI, the Tuning page and the Admin's
    model switch all evaluate through this."""
    sizes = dict(service.store.facets()["category"])
    unbounded = replace(ranking, top_k=depth, min_score=-1.0)
    return evaluate(lambda query, _: service.search(query, ranking=unbounded), labelled, sizes, depth,
                    ranking.min_score)


def read_labels(path: Path | str, images: Path | None = None) -> list[LabelledQuery]:
    """A CSV with columns image (relative to `images`, by default the file's folder; or an http(s) address, kept as
    it is for the caller to fetch), text, relevant_ids (separated by |), relevant_category."""
    path = Path(path)
    images = path.parent if images is None else images
    labelled = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            image = (row.get("image") or "").strip()
            text = (row.get("text") or "").strip()
            ids = frozenset(i.strip() for i in (row.get("relevant_ids") or "").split("|") if i.strip())
            category = (row.get("relevant_category") or "").strip() or None
            if not (image or text) or not (ids or category):
                raise CatalogError("labels_row", file=path.name, line=line)
            photo = image if image.lower().startswith(("http://", "https://")) else images / image if image else None
            labelled.append(LabelledQuery(Query(image=photo, text=text or None), ids, category))
    return labelled


def sample_queries(products: Iterable[Product], per_category: int = 4, with_text: bool = True
                   ) -> tuple[list[LabelledQuery], dict[str, int]]:
    """Labelled queries drawn from the catalog itself, for a threshold curve without hand labels: a few product
    photos per category, and the category's name as text, each counting any product of that category as right.
    Also returns the category sizes."""
    sizes: Counter = Counter()
    photos: dict[str, list[str]] = {}
    for product in products:
        sizes[product.category] += 1
        chosen = photos.setdefault(product.category, [])
        if len(chosen) < per_category and not product.shown_picture.startswith(("http://", "https://")):
            chosen.append(product.shown_picture)
    labelled = [LabelledQuery(Query(image=image), relevant_category=category)
                for category, images in sorted(photos.items()) for image in images]
    if with_text:
        labelled += [LabelledQuery(Query(text=f"a photo of a {category.lower()}"), relevant_category=category)
                     for category in sorted(sizes)]
    return labelled, dict(sizes)


COLOURS = ("#4f46e5", "#f59e0b", "#059669", "#dc2626")


@dataclass(frozen=True)
class CurveWords:
    """The words of a threshold chart: English by default (`search eval --plot`); the staff pages pass their
    language's, with the fonts that draw them (a CJK font for Chinese: matplotlib's own has no Chinese glyphs)."""

    precision: str = "precision"
    recall: str = "recall"
    current_threshold: str = "current threshold"
    minimum_score: str = "minimum score"
    title: str = "{queries} queries: precision and recall by minimum score"
    fonts: tuple[str, ...] = ()  # font families in the order tried for each glyph; () is matplotlib's default


def drawn_in(fonts: Sequence[str]):
    """A context in which a figure's text is made with `fonts` (each text keeps them until it is drawn, later)."""
    import matplotlib

    return matplotlib.rc_context({"font.family": list(fonts)} if fonts else {})


def curve_figure(report: EvalReport, current_threshold: float | None = None, words: CurveWords = CurveWords()):
    """Precision and recall against the minimum score, as a matplotlib figure."""
    return curves_figure({"": report}, current_threshold, words)


def curves_figure(reports: dict[str, EvalReport], current_threshold: float | None = None,
                  words: CurveWords = CurveWords()):
    """Precision (solid) and recall (dashed) against the minimum score for each named setting, as a matplotlib
    figure; one unnamed report has a colour for each line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with drawn_in(words.fonts):
        figure = Figure(figsize=(6, 3.6), dpi=120)
        axes = figure.subplots()
        for number, (name, report) in enumerate(reports.items()):
            thresholds, precision, recall = zip(*report.curve)
            first, second = (COLOURS[number], COLOURS[number]) if name else COLOURS[:2]
            axes.plot(thresholds, precision, label=f"{name}: {words.precision}" if name else words.precision,
                      color=first)
            axes.plot(thresholds, recall, label=f"{name}: {words.recall}" if name else words.recall, color=second,
                      linestyle="--" if name else "-")
        report = next(iter(reports.values()))
        if current_threshold is not None:
            axes.axvline(current_threshold, color="#6b7280", linestyle="--", label=words.current_threshold)
        axes.set_xlabel(words.minimum_score)
        axes.set_ylim(0, 1.02)
        axes.grid(alpha=0.3)
        if len(reports) > 1:  # a legend of many lines beside the chart, not over it
            axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
            figure.set_size_inches(8.4, 3.6)
        else:
            axes.legend(loc="lower left", fontsize="small")
        axes.set_title(words.title.format(queries=report.queries))
        figure.tight_layout()
    return figure


def plot_curve(report: EvalReport, out: Path | str, current_threshold: float | None = None) -> Path:
    """Precision and recall against the minimum score, as a PNG."""
    curve_figure(report, current_threshold).savefig(out)
    return Path(out)
