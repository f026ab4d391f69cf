"""Tuning from shoppers' feedback: the recorded searches that led to an open, searched again under candidate
settings, each setting scored by the mean reciprocal rank of what the shoppers opened. Settings are chosen on four
fifths of the browser tabs (sessions) and reported on the fifth held out, so a proposal is not just what fits the
same searches best. Text searches are replayed from their words and "more like this" from the stored product; a photo
is never kept, so photo searches cannot be replayed. Nothing changes by itself: the team saves a proposal on the
Tuning page."""
from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from catalog.errors import UserError
from search.choices import FilterChoice
from search.evaluate import reciprocal_rank
from search.ranking import Filters, Hit, Ranking
from search.service import Query, SearchService
from storefront.insights import Days, reading

HELD_OUT = 5  # one session in five is held out
MOST_REPLAYED = 1_000  # the newest searches that led to an open; older ones add little and cost time
# The candidates: every combination of these, and the current settings. The photo ↔ text blend is not among them: a
# replayable search has words alone or a product alone, never a photo and words to blend
GRID = {"keyword_weight": (0.0, 0.25, 0.5, 0.75, 1.0), "rerank_weight": (0.0, 0.25, 0.5),
        "min_score": (0.0, 0.1, 0.2, 0.3)}
BY_SEARCH = ("keyword_weight", "rerank_weight")  # each of their combinations searched; a minimum score only cuts


@dataclass(frozen=True)
class OpenedSearch:
    """A recorded search that led to an open: what to search again, and what the shopper opened from it."""

    session: str
    words: str | None
    source: str | None  # the product of a "more like this"
    filters: Filters
    opened: frozenset[str]

    @property
    def held_out(self) -> bool:
        return int(hashlib.sha256(self.session.encode()).hexdigest(), 16) % HELD_OUT == 0


@dataclass(frozen=True)
class Scored:
    ranking: Ranking
    fit_mrr: float
    held_out_mrr: float


@dataclass
class ReplayReport:
    replayed: int = 0  # searches that led to an open and were searched again
    sessions: int = 0
    held_out: int = 0  # of the replayed, those of the held-out sessions
    not_replayable: int = 0  # searches that led to an open but cannot be replayed (a photo's; words not kept)
    current: Scored | None = None
    proposed: Scored | None = None
    candidates: list[Scored] = field(default_factory=list)  # best on the fitted sessions first


def opened_searches(path: Path | None, days: Days) -> tuple[list[OpenedSearch], int]:
    """The searches of `days` that led to an open (the tab's last search before the open that showed the product),
    newest first, and how many more led to one but cannot be replayed."""
    with reading(path) as connection:
        if connection is None:
            return [], 0
        searches = connection.execute(
            "SELECT id, at, token, kind, words, source, filters, shown FROM searches "
            "WHERE day BETWEEN ? AND ? AND token IS NOT NULL ORDER BY at", days.numbers).fetchall()
        opens = connection.execute("SELECT at, token, product_id FROM opens WHERE day BETWEEN ? AND ? "
                                   "AND token IS NOT NULL ORDER BY at", days.numbers).fetchall()
    opened: dict[int, set[str]] = {}
    by_tab: dict[str, list[tuple[int, float, set[str]]]] = {}  # each tab's searches: id, time, the ids shown
    for id, at, token, *_, shown in searches:
        by_tab.setdefault(token, []).append((id, at, set(json.loads(shown))))
    for at, token, product_id in opens:
        led = next((id for id, searched, shown in reversed(by_tab.get(token, [])) if searched <= at
                    and product_id in shown), None)
        if led is not None:
            opened.setdefault(led, set()).add(product_id)
    found, not_replayable = [], 0
    for id, _, token, kind, words, source, filters, _ in reversed(searches):
        if id not in opened:
            continue
        if (kind == "text" and words) or (kind == "more_like" and source):
            found.append(OpenedSearch(token, words if kind == "text" else None, source,
                                      FilterChoice.model_validate(json.loads(filters)).filters(),
                                      frozenset(opened[id])))
        else:
            not_replayable += 1
    return found, not_replayable


def replay(service: SearchService, path: Path | None, days: Days, current: Ranking) -> ReplayReport:
    """The candidates' mean reciprocal ranks of what shoppers opened, fitted and held out; the proposal is the best
    on the fitted sessions (of equals, the nearest the current settings)."""
    found, not_replayable = opened_searches(path, days)
    cases = found[:MOST_REPLAYED]
    report = ReplayReport(not_replayable=not_replayable)
    # per candidate, (held out, reciprocal rank) per case
    ranks: dict[Ranking, list[tuple[bool, float]]] = {ranking: [] for ranking in candidates(current)}
    for case in cases:
        try:
            rates = reciprocal_ranks(service, case, list(ranks))
        except UserError:  # the product of a "more like this" deleted since
            continue
        for ranking, rate in rates.items():
            ranks[ranking].append((case.held_out, rate))
        report.replayed += 1
        report.held_out += case.held_out
    report.sessions = len({case.session for case in cases})
    if not report.replayed:
        return report
    report.candidates = sorted((_scored(ranking, rates) for ranking, rates in ranks.items()),
                               key=lambda scored: (-scored.fit_mrr, _distance(scored.ranking, current)))
    report.proposed = report.candidates[0]
    report.current = next(scored for scored in report.candidates if scored.ranking == current)
    return report


def candidates(current: Ranking) -> list[Ranking]:
    grid = [Ranking.of(**{**current.values(), **dict(zip(GRID, values))})
            for values in itertools.product(*GRID.values())]
    return [current, *(ranking for ranking in grid if ranking != current)]


def reciprocal_ranks(service: SearchService, case: OpenedSearch, rankings: Sequence[Ranking]) -> dict[Ranking, float]:
    """Each ranking's reciprocal rank of the case's opens: one search per combination of the searched knobs, at no
    minimum score; each minimum score then cuts that list (the order of what is left does not change; what a higher
    minimum would let in from under the list's end is not counted)."""
    searched: dict[Ranking, list[Hit]] = {}
    rates = {}
    for ranking in rankings:
        unbounded = replace(ranking, min_score=0.0)
        if unbounded not in searched:
            searched[unbounded] = _search(service, case, unbounded)
        shown = [hit for hit in searched[unbounded] if hit.score >= ranking.min_score]
        rates[ranking] = reciprocal_rank([hit.product.id in case.opened for hit in shown])
    return rates


def mean_reciprocal_rank(service: SearchService, cases: Sequence[OpenedSearch], ranking: Ranking) -> float | None:
    """The MRR of what shoppers opened, the cases searched again as `ranking` ranks; None when none can be (their
    products deleted since)."""
    rates = []
    for case in cases:
        try:
            rates.append(reciprocal_ranks(service, case, [ranking])[ranking])
        except UserError:
            continue
    return sum(rates) / len(rates) if rates else None


def _search(service: SearchService, case: OpenedSearch, ranking: Ranking) -> list[Hit]:
    if case.source is not None:
        return service.more_like_this(case.source, case.filters, ranking).hits
    return service.search(Query(text=case.words), case.filters, replace(ranking, text_weight=1.0)).hits


def _scored(ranking: Ranking, rates: list[tuple[bool, float]]) -> Scored:
    fit = [rate for held_out, rate in rates if not held_out]
    held = [rate for held_out, rate in rates if held_out]
    return Scored(ranking, sum(fit) / len(fit) if fit else 0.0, sum(held) / len(held) if held else 0.0)


def _distance(ranking: Ranking, current: Ranking) -> float:
    return sum(abs(getattr(ranking, name) - getattr(current, name)) for name in GRID)
