"""The events file's tables and how an event is written into them. Each search and open is kept as it was (`searches`,
`opens`: for the CSV export and the replay), and counted as it is written into small tables per day (`daily`,
`nothing_words`, `filter_uses`, `stage_times`, `open_ranks`, `product_opens`, `showings`): the Insights page reads
only these, so its time grows with the days asked for and not with the searches (a million searches read in a
fraction of a second, docs/benchmarks.md). A stage's times are counted in buckets 5% wide, so its percentiles are
within 2.5% of the exact ones."""
from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

from storefront.results import STAGES

VERSION = 2  # PRAGMA user_version: 1 kept each stage's time as JSON, and no day, source, nearest nor counts
DAY_S = 86_400
BUCKET_GROWTH = 1.05  # a stage time's bucket is 5% wider than the one below it
SHORTEST_MS = 0.01  # times under it share the first bucket
STAGE_COLUMNS = tuple(f"{stage}_ms" for stage in STAGES)

RAW = f"""
CREATE TABLE IF NOT EXISTS searches (id INTEGER PRIMARY KEY, at REAL NOT NULL, day INTEGER NOT NULL,
  doorway TEXT NOT NULL, lang TEXT NOT NULL, kind TEXT NOT NULL, words TEXT, source TEXT, filters TEXT NOT NULL,
  results INTEGER NOT NULL, best REAL, nearest REAL, {", ".join(f"{column} REAL" for column in STAGE_COLUMNS)},
  shown TEXT NOT NULL, token TEXT);
CREATE INDEX IF NOT EXISTS searches_day ON searches (day);
CREATE TABLE IF NOT EXISTS opens (id INTEGER PRIMARY KEY, at REAL NOT NULL, day INTEGER NOT NULL, token TEXT,
  product_id TEXT NOT NULL, rank INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS opens_day ON opens (day);
"""
COUNTS = """
CREATE TABLE IF NOT EXISTS daily (day INTEGER NOT NULL, kind TEXT NOT NULL, lang TEXT NOT NULL,
  searches INTEGER NOT NULL, found_nothing INTEGER NOT NULL, below_threshold INTEGER NOT NULL,
  PRIMARY KEY (day, kind, lang)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nothing_words (day INTEGER NOT NULL, words TEXT NOT NULL, searches INTEGER NOT NULL,
  PRIMARY KEY (day, words)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS filter_uses (day INTEGER NOT NULL, filter TEXT NOT NULL, value TEXT NOT NULL,
  searches INTEGER NOT NULL, PRIMARY KEY (day, filter, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stage_times (day INTEGER NOT NULL, stage TEXT NOT NULL, bucket INTEGER NOT NULL,
  searches INTEGER NOT NULL, PRIMARY KEY (day, stage, bucket)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS open_ranks (day INTEGER NOT NULL, rank INTEGER NOT NULL, opens INTEGER NOT NULL,
  PRIMARY KEY (day, rank)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS product_opens (day INTEGER NOT NULL, product_id TEXT NOT NULL, opens INTEGER NOT NULL,
  PRIMARY KEY (day, product_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS showings (day INTEGER NOT NULL, product_id TEXT NOT NULL, shown INTEGER NOT NULL,
  PRIMARY KEY (day, product_id)) WITHOUT ROWID;
"""
COUNT_TABLES = ("daily", "nothing_words", "filter_uses", "stage_times", "open_ranks", "product_opens", "showings")
# A version 1 file's events, carried over as they were (the stages out of their JSON); `count_again` counts them
FROM_VERSION_1 = f"""
ALTER TABLE searches RENAME TO searches_v1; ALTER TABLE opens RENAME TO opens_v1;
DROP INDEX IF EXISTS searches_at; DROP INDEX IF EXISTS opens_at;
{RAW}
INSERT INTO searches (at, day, doorway, lang, kind, words, filters, results, best, {", ".join(STAGE_COLUMNS)}, shown,
  token) SELECT at, CAST(at / {DAY_S} AS INTEGER), doorway, lang, kind, words, filters, results, best,
  {", ".join(f"json_extract(timings, '$.{stage}')" for stage in STAGES)}, shown, token FROM searches_v1;
INSERT INTO opens (at, day, token, product_id, rank) SELECT at, CAST(at / {DAY_S} AS INTEGER), token, product_id, rank
  FROM opens_v1;
DROP TABLE searches_v1; DROP TABLE opens_v1;
"""
SEARCH_FIELDS = ("at", "day", "doorway", "lang", "kind", "words", "source", "filters", "results", "best", "nearest",
                 *STAGE_COLUMNS, "shown", "token")
INSERT_SEARCH = f"INSERT INTO searches ({', '.join(SEARCH_FIELDS)}) VALUES ({', '.join('?' * len(SEARCH_FIELDS))})"


def prepared(connection: sqlite3.Connection) -> None:
    """The tables made (a version 1 file's events carried over and counted); each script a transaction."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    has_events = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'searches'").fetchone()
    upgrading = bool(has_events) and version < VERSION
    connection.executescript(f"BEGIN; {FROM_VERSION_1 if upgrading else RAW} {COUNTS}"
                             f"PRAGMA user_version = {VERSION}; COMMIT;")
    if upgrading:
        with connection:
            count_again(connection)


def bucket(ms: float) -> int:
    return math.floor(math.log(max(ms, SHORTEST_MS) / SHORTEST_MS, BUCKET_GROWTH))


def bucket_ms(number: int) -> float:
    """A bucket's time as its percentiles report it: its middle."""
    return SHORTEST_MS * BUCKET_GROWTH ** (number + 0.5)


def filter_values(filters: dict[str, Any]) -> list[tuple[str, str]]:
    """Each filter value a search used: a list's each item, a bound its value."""
    return [(name, str(one)) for name, value in filters.items() for one in (value if isinstance(value, list)
                                                                           else [value])]


def folded(words: str) -> str:
    """The words as the commonest searches count them: "Red Mug" and "red mug " are one."""
    return " ".join(words.casefold().split())


# Each count table's key columns and count columns
SHAPES = {"daily": (("day", "kind", "lang"), ("searches", "found_nothing", "below_threshold")),
          "nothing_words": (("day", "words"), ("searches",)),
          "filter_uses": (("day", "filter", "value"), ("searches",)),
          "stage_times": (("day", "stage", "bucket"), ("searches",)), "open_ranks": (("day", "rank"), ("opens",)),
          "product_opens": (("day", "product_id"), ("opens",)), "showings": (("day", "product_id"), ("shown",))}


def _counting(table: str) -> str:
    keys, columns = SHAPES[table]
    values = ", ".join("?" * (len(keys) + len(columns)))
    return (f"INSERT INTO {table} ({', '.join((*keys, *columns))}) VALUES ({values})"
            f" ON CONFLICT DO UPDATE SET {', '.join(f'{column} = {column} + excluded.{column}' for column in columns)}")


COUNTING = {table: _counting(table) for table in SHAPES}  # each count table's upsert, made once


class Counts:
    """Events counted per day, added up before they are written: one upsert a key, whatever the events' number. The
    one definition of every count, for the writer's batches and for counting a file's events again."""

    def __init__(self) -> None:
        self.counted: dict[str, dict[tuple, list[int]]] = {table: {} for table in SHAPES}

    def search(self, day: int, row: dict[str, Any], shown: list[str], filters: dict[str, Any]) -> None:
        """A search of `day`; `row` holds its kind, lang, words, results, nearest and stage columns."""
        nothing = row["results"] == 0
        self._add("daily", (day, row["kind"], row["lang"]),
                  (1, int(nothing and row["nearest"] is None), int(nothing and row["nearest"] is not None)))
        if nothing and row["words"]:
            self._add("nothing_words", (day, folded(row["words"])))
        for name, value in filter_values(filters):
            self._add("filter_uses", (day, name, value))
        for stage, column in zip(STAGES, STAGE_COLUMNS):
            if row[column] is not None:
                self._add("stage_times", (day, stage, bucket(row[column])))
        for product_id in shown:
            self._add("showings", (day, product_id))

    def open(self, day: int, product_id: str, rank: int) -> None:
        self._add("open_ranks", (day, rank))
        self._add("product_opens", (day, product_id))

    def _add(self, table: str, key: tuple, counts: tuple[int, ...] = (1,)) -> None:
        held = self.counted[table].setdefault(key, [0] * len(counts))
        for number, count in enumerate(counts):
            held[number] += count

    def write(self, connection: sqlite3.Connection) -> None:
        for table, counted in self.counted.items():
            connection.executemany(COUNTING[table], [(*key, *counts) for key, counts in counted.items()])


class Batch:
    """Events written together, in one transaction: each kept as it was, and counted (`Counts`)."""

    def __init__(self) -> None:
        self.searches: list[tuple] = []
        self.opens: list[tuple] = []
        self.counts = Counts()

    def add_search(self, at: float, row: dict[str, Any], shown: list[str], filters: dict[str, Any]) -> None:
        """A search; `row` holds `SEARCH_FIELDS` but the time and the day."""
        day = int(at // DAY_S)
        self.searches.append((at, day, *(row[name] for name in SEARCH_FIELDS[2:])))
        self.counts.search(day, row, shown, filters)

    def add_open(self, at: float, token: str | None, product_id: str, rank: int) -> None:
        day = int(at // DAY_S)
        self.opens.append((at, day, token, product_id, rank))
        self.counts.open(day, product_id, rank)

    def write(self, connection: sqlite3.Connection) -> None:
        """Everything added, into the file (in the caller's transaction)."""
        connection.executemany(INSERT_SEARCH, self.searches)
        connection.executemany("INSERT INTO opens (at, day, token, product_id, rank) VALUES (?, ?, ?, ?, ?)",
                               self.opens)
        self.counts.write(connection)


def count_again(connection: sqlite3.Connection) -> None:
    """Every count made again from the events kept (a version 1 file's, or what is left after the size cap), by the
    writer's own `Counts`."""
    for table in COUNT_TABLES:
        connection.execute(f"DELETE FROM {table}")
    counts = Counts()
    searches = connection.execute(f"SELECT day, kind, lang, words, results, nearest, filters, shown, "
                                  f"{', '.join(STAGE_COLUMNS)} FROM searches")
    names = [column[0] for column in searches.description]
    for values in searches:
        row = dict(zip(names, values))
        counts.search(row["day"], row, json.loads(row["shown"]), json.loads(row["filters"]))
    for day, product_id, rank in connection.execute("SELECT day, product_id, rank FROM opens"):
        counts.open(day, product_id, rank)
    counts.write(connection)
