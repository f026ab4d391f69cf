"""What the product team sees of shoppers' searches over a range of days (UTC): searches per day by kind and language,
those that found nothing or nothing above the threshold and their commonest words, opens by rank, the products opened
most and those never shown, each stage's p50 and p95, and the filters used; and the events themselves as CSV.
Read from the events file's daily counts (storefront/event_store.py): the time grows with the days, not the events."""
from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from storefront.event_store import bucket_ms
from storefront.results import STAGES

TOP = 10  # rows of each "commonest" table
DEFAULT_DAYS = 30  # the page opens on the last 30 days, the events' default retention
EPOCH = date(1970, 1, 1)  # the events file numbers days from it


@dataclass(frozen=True)
class Days:
    """A range of days, both ends included, in UTC (the days the events are counted in)."""

    first: date
    last: date

    @classmethod
    def last_days(cls, count: int = DEFAULT_DAYS, today: date | None = None) -> Days:
        today = today or date.today()
        return cls(today - timedelta(days=count - 1), today)

    @property
    def numbers(self) -> tuple[int, int]:
        """The days as the events file numbers them: days since 1970-01-01."""
        return (self.first - EPOCH).days, (self.last - EPOCH).days


@dataclass
class Insights:
    first_day: str
    last_day: str
    searches: int = 0
    found_nothing: int = 0  # no candidate at all (the filters or the words left none)
    nothing_above_threshold: int = 0  # candidates, all under the minimum score
    per_day: list[dict[str, object]] = field(default_factory=list)  # {day, kind, lang, searches}
    nothing_words: list[dict[str, object]] = field(default_factory=list)  # {words, searches}, commonest first
    opens: int = 0
    opens_by_rank: list[dict[str, int]] = field(default_factory=list)  # {rank, opens}
    most_opened: list[dict[str, object]] = field(default_factory=list)  # {product_id, opens, shown}
    never_shown: list[str] = field(default_factory=list)  # catalog products no search showed in the range
    stages: list[dict[str, object]] = field(default_factory=list)  # {stage, p50_ms, p95_ms, searches}
    filters: list[dict[str, object]] = field(default_factory=list)  # {filter, value, searches}

    @property
    def nothing_share(self) -> float:
        return self.found_nothing / self.searches if self.searches else 0.0

    @property
    def below_threshold_share(self) -> float:
        return self.nothing_above_threshold / self.searches if self.searches else 0.0


@contextmanager
def reading(path: Path | None) -> Iterator[sqlite3.Connection | None]:
    """The events file opened to read only (None when there is none yet: no search was recorded)."""
    if path is None or not path.exists():
        yield None
        return
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)) as connection:
        yield connection


def insights(path: Path | None, days: Days, catalog_ids: Iterable[str]) -> Insights:
    """The figures of `days`, from the events' daily counts (storefront/event_store.py); a product of `catalog_ids`
    that no search of the range showed is "never shown"."""
    figures = Insights(days.first.isoformat(), days.last.isoformat())
    with reading(path) as connection:
        if connection is None or not _has_counts(connection):
            figures.never_shown = sorted(catalog_ids)
            return figures
        within = days.numbers
        _searches(connection, within, figures)
        _opens(connection, within, figures)
        shown = {id for (id,) in connection.execute(
            "SELECT DISTINCT product_id FROM showings WHERE day BETWEEN ? AND ?", within)}
        figures.never_shown = sorted(set(catalog_ids) - shown)
        figures.stages = _stages(connection, within)
        figures.filters = [{"filter": name, "value": value, "searches": count} for name, value, count in
                           connection.execute("SELECT filter, value, SUM(searches) FROM filter_uses WHERE day BETWEEN "
                                              "? AND ? GROUP BY filter, value ORDER BY 3 DESC, 1, 2", within)]
    return figures


def _has_counts(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'daily'").fetchone() is not None


def _searches(connection: sqlite3.Connection, within: tuple[int, int], figures: Insights) -> None:
    for day, kind, lang, count, nothing, below in connection.execute(
            "SELECT day, kind, lang, searches, found_nothing, below_threshold FROM daily WHERE day BETWEEN ? AND ? "
            "ORDER BY day, kind, lang", within):
        figures.per_day.append({"day": _iso(day), "kind": kind, "lang": lang, "searches": count})
        figures.searches += count
        figures.found_nothing += nothing
        figures.nothing_above_threshold += below
    figures.nothing_words = [{"words": words, "searches": count} for words, count in connection.execute(
        "SELECT words, SUM(searches) FROM nothing_words WHERE day BETWEEN ? AND ? GROUP BY words "
        "ORDER BY 2 DESC, 1 LIMIT ?", (*within, TOP))]


def _opens(connection: sqlite3.Connection, within: tuple[int, int], figures: Insights) -> None:
    figures.opens_by_rank = [{"rank": rank, "opens": count} for rank, count in connection.execute(
        "SELECT rank, SUM(opens) FROM open_ranks WHERE day BETWEEN ? AND ? GROUP BY rank ORDER BY rank", within)]
    figures.opens = sum(row["opens"] for row in figures.opens_by_rank)
    most_opened = connection.execute(
        "SELECT product_id, SUM(opens), (SELECT SUM(shown) FROM showings AS s WHERE s.product_id = o.product_id "
        "AND s.day BETWEEN ? AND ?) FROM product_opens AS o WHERE day BETWEEN ? AND ? GROUP BY product_id "
        "ORDER BY 2 DESC, 1 LIMIT ?", (*within, *within, TOP))
    figures.most_opened = [{"product_id": id, "opens": opens, "shown": shown or 0} for id, opens, shown in most_opened]


def _stages(connection: sqlite3.Connection, within: tuple[int, int]) -> list[dict[str, object]]:
    """Each stage's p50 and p95 from its times' buckets (within 2.5% of the exact percentiles)."""
    counted: dict[str, list[tuple[int, int]]] = {}
    for stage, number, count in connection.execute(
            "SELECT stage, bucket, SUM(searches) FROM stage_times WHERE day BETWEEN ? AND ? GROUP BY stage, bucket "
            "ORDER BY stage, bucket", within):
        counted.setdefault(stage, []).append((number, count))
    return [{"stage": stage, "p50_ms": _percentile(counted[stage], 0.50), "p95_ms": _percentile(counted[stage], 0.95),
             "searches": sum(count for _, count in counted[stage])} for stage in STAGES if stage in counted]


def _percentile(buckets: list[tuple[int, int]], share: float) -> float:
    """The time under which `share` of the searches fell: the middle of the bucket where the running count passes it."""
    total, running = sum(count for _, count in buckets), 0
    for number, count in buckets:
        running += count
        if running >= share * total:
            return round(bucket_ms(number), 2)
    return round(bucket_ms(buckets[-1][0]), 2)


def _iso(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


SEARCH_COLUMNS = ("doorway", "lang", "kind", "words", "source", "filters", "results", "best", "nearest",
                  *(f"{stage}_ms" for stage in STAGES), "shown")
OPEN_COLUMNS = ("product_id", "rank")
CSV_COLUMNS = ("event", "time_utc", *SEARCH_COLUMNS, *OPEN_COLUMNS, "token")
# Searches and opens in one stream, oldest first: an open's search columns empty, a search's open columns
EVENTS = f"""
SELECT 'search', at, {", ".join(SEARCH_COLUMNS)}, {", ".join("NULL" for _ in OPEN_COLUMNS)}, token FROM searches
  WHERE day BETWEEN :first AND :last
UNION ALL
SELECT 'open', at, {", ".join("NULL" for _ in SEARCH_COLUMNS)}, {", ".join(OPEN_COLUMNS)}, token FROM opens
  WHERE day BETWEEN :first AND :last
ORDER BY 2"""


def events_csv(path: Path | None, days: Days) -> str:
    """Every search and open of `days`, oldest first, as CSV (one row each; an open's columns after the search's)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    with reading(path) as connection:
        if connection is not None and _has_counts(connection):
            first, last = days.numbers
            for event, at, *values in connection.execute(EVENTS, {"first": first, "last": last}):
                writer.writerow([event, datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds"),
                                 *values])
    return out.getvalue()
