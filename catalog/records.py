"""What every feed reader yields: a valid product with its line, or a row error saying what is wrong."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog.errors import UserError
from catalog.product import CatalogError, Product

UNITS = {"line": "行", "item": "项", "row": "行"}  # what a row's number counts, in Chinese


@dataclass(frozen=True)
class RowError:
    """A feed row that could not become a product: where it is and what is wrong (a problem, worded in the reader's
    language where it is shown; `reason` in English)."""

    source: str
    line: int
    product_id: str
    problem: UserError
    unit: str = "line"  # "item" in XML feeds, "row" in Parquet: where a line number has no meaning

    @property
    def reason(self) -> str:
        return str(self.problem)

    def __str__(self) -> str:
        return self.in_language("en")

    def in_language(self, lang: str) -> str:
        if lang == "zh-CN":
            who = f"（编号 {self.product_id}）" if self.product_id else ""
            where = f"{self.source} " if self.source else ""
            return f"{where}第 {self.line} {UNITS.get(self.unit, self.unit)}{who}：{self.problem.in_language(lang)}"
        who = f" (id {self.product_id})" if self.product_id else ""
        where = f"{self.source}, {self.unit}" if self.source else self.unit
        return f"{where} {self.line}{who}: {self.problem.in_language(lang)}"


@dataclass(frozen=True)
class FeedRow:
    """A valid product and the feed line it came from."""

    line: int
    product: Product


FeedItem = FeedRow | RowError


class FirstLines:
    """Where each product id was first seen in a feed, so that a repeat can name it."""

    def __init__(self) -> None:
        self._lines: dict[str, int] = {}

    def repeat_of(self, row: FeedRow) -> int | None:
        """The line this row's id was first seen on if it is a repeat; otherwise None, and the row is remembered."""
        first = self._lines.setdefault(row.product.id, row.line)
        return first if first != row.line else None


def to_item(record: Mapping[str, Any], source: str, line: int, unit: str = "line") -> FeedItem:
    """Validate one record (already in our field names) into a `FeedRow`, or a `RowError` with the reason."""
    try:
        return FeedRow(line, Product.from_mapping(record))
    except CatalogError as error:
        return RowError(source, line, str(record.get("id") or "")[:40], error, unit)


def renamed(row: Mapping[str, Any], column_map: Mapping[str, str]) -> dict[str, Any]:
    """The row with the feed's columns renamed to our fields (`column_map` is field -> feed column)."""
    if not column_map:
        return dict(row)
    taken = set(column_map.values())
    return {**{k: v for k, v in row.items() if k not in taken}, **{f: row.get(c) for f, c in column_map.items()}}
