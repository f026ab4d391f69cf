"""The filterable fields of a collection's rows as NumPy columns, and the rows a `where` clause keeps: shared by the
exact index and the keyword index (and free of torch, which only the exact index's scan needs)."""
from __future__ import annotations

from typing import Any

import numpy as np

# A missing price is NaN, which no price limit passes (as in Chroma, where the key is absent)
FILTER_FIELDS = {"brand": "", "category": "", "colour": "", "price": float("nan"), "in_stock": True}


class Column:
    """One filterable field of every row: numbers as they are, text as integer codes (comparing codes is about
    10x faster than comparing strings)."""

    def __init__(self, values: list, default: Any) -> None:
        if isinstance(default, str):
            vocabulary, codes = np.unique(np.array(values, dtype=object), return_inverse=True)
            self.codes: dict[Any, int] | None = {value: code for code, value in enumerate(vocabulary)}
            self.values = codes.astype(np.int32)
        else:
            self.codes, self.values = None, np.array(values, dtype=type(default))

    def encode(self, value: Any) -> Any:
        return value if self.codes is None else self.codes.get(value, -1)

    def set(self, row: int, value: Any) -> None:
        """A row's new value, in place: a product re-priced or re-branded (a new brand gets a code of its own)."""
        self.values[row] = value if self.codes is None else self.codes.setdefault(value, len(self.codes))

    def move(self, source: int, row: int) -> None:
        self.values[row] = self.values[source]

    def cut(self, rows: int) -> None:
        """Keep the first `rows` rows only."""
        self.values = self.values[:rows]


def where_rows(where: dict, columns: dict[str, Column], rows: np.ndarray | None = None) -> np.ndarray:
    """The rows (ascending) a Chroma `where` clause keeps, among `rows` (None: all), for the subset `ranking.to_where`
    writes ($and, $in, $eq, $gte, $lte). Each clause of an $and reads only the rows the clauses before it kept, so
    that a narrow first clause spares the others a pass over every row (docs/benchmarks.md: half the time)."""
    if "$and" in where:
        for clause in where["$and"]:
            rows = where_rows(clause, columns, rows)
        return np.arange(_row_count(columns)) if rows is None else rows
    (field, condition), = where.items()
    column = columns[field]
    kept = _passes(column, column.values if rows is None else column.values[rows], condition)
    return np.flatnonzero(kept) if rows is None else rows[kept]


def where_mask(where: dict, columns: dict[str, Column]) -> np.ndarray:
    """`where_rows` as a mask of every row."""
    kept = np.zeros(_row_count(columns), dtype=bool)
    kept[where_rows(where, columns)] = True
    return kept


def _row_count(columns: dict[str, Column]) -> int:
    return len(next(iter(columns.values())).values)


def _passes(column: Column, values: np.ndarray, condition: Any) -> np.ndarray:
    """Which of `values` (some of `column`'s) pass one field's condition."""
    (operator, value), = condition.items() if isinstance(condition, dict) else (("$eq", condition),)
    if operator == "$in":
        return _any_of(values, [column.encode(v) for v in value])
    if operator == "$eq":
        return values == column.encode(value)
    if operator == "$gte":
        return values >= value
    if operator == "$lte":
        return values <= value
    raise ValueError(f"filter operator {operator} is not supported by the exact index")


def _any_of(values: np.ndarray, wanted: list) -> np.ndarray:
    """`np.isin`, as one comparison a value for the few values a shopper ticks: 0.9 ms over 1,000,000 rows for two,
    where `np.isin` took 10 ms."""
    if len(wanted) > 8:
        return np.isin(values, wanted)
    kept = np.zeros(len(values), dtype=bool)
    for value in wanted:
        kept |= values == value
    return kept
