"""Catalog feed readers: each yields valid `Product`s and, for bad rows, a `RowError` with its line."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Union

from catalog.product import CatalogError, Product


@dataclass(frozen=True)
class RowError:
    """A feed row that could not become a product: where it is and what is wrong."""

    source: str
    line: int
    product_id: str
    reason: str

    def __str__(self) -> str:
        who = f" (id {self.product_id})" if self.product_id else ""
        return f"{self.source}, line {self.line}{who}: {self.reason}"


@dataclass(frozen=True)
class FeedRow:
    """A valid product and the feed line it came from."""

    line: int
    product: Product


FeedItem = Union[FeedRow, RowError]


def read_feed(path: Path | str, column_map: Mapping[str, str] | None = None) -> Iterator[FeedItem]:
    """Read a CSV/TSV or JSONL feed, chosen by extension; `column_map` maps our field to the feed's column."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"feed {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        yield from _read_jsonl(path, column_map or {})
    elif suffix in {".csv", ".tsv", ".txt"}:
        yield from _read_delimited(path, column_map or {})
    else:
        raise CatalogError(f"feed {path}: unsupported format {suffix!r} (use .csv, .tsv or .jsonl)")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # the usual encoding of spreadsheet exports


def _to_product(row: Mapping[str, Any], column_map: Mapping[str, str], source: str, line: int) -> FeedItem:
    renamed = {field: row.get(column) for field, column in column_map.items()}
    record = {**{k: v for k, v in row.items() if k not in column_map.values()}, **renamed}
    try:
        return FeedRow(line, Product.from_mapping(record))
    except CatalogError as error:
        return RowError(source, line, str(record.get("id") or "")[:40], str(error))


def _read_delimited(path: Path, column_map: Mapping[str, str]) -> Iterator[FeedItem]:
    text = _decode(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" or "\t" in text.split("\n", 1)[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader, [])]
    if not header:
        raise CatalogError(f"feed {path} is empty")
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield _check_width(cells, header, column_map, path.name, line)
        line = reader.line_num + 1


def _check_width(cells: list[str], header: list[str], column_map: Mapping[str, str], source: str,
                 line: int) -> FeedItem:
    if len(cells) != len(header):
        first = cells[0].strip()[:40] if cells else ""
        return RowError(source, line, first, f"has {len(cells)} fields, the header has {len(header)} "
                                             "(an unquoted comma or a missing field?)")
    return _to_product(dict(zip(header, cells)), column_map, source, line)


def _read_jsonl(path: Path, column_map: Mapping[str, str]) -> Iterator[FeedItem]:
    for line, text in enumerate(_decode(path).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            yield RowError(path.name, line, "", f"is not valid JSON ({error.msg})")
            continue
        if not isinstance(row, dict):
            yield RowError(path.name, line, "", "is not a JSON object")
            continue
        yield _to_product(row, column_map, path.name, line)
