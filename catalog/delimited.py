"""Delimited text (CSV, TSV) as raw rows with their line numbers, tolerant of real exports' mess."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from catalog.product import CatalogError
from catalog.records import RowError

RawRow = tuple[int, dict[str, str]]  # (first line of the row, cells by header name)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the usual encoding of spreadsheet exports."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def sniff_delimiter(path: Path, first_line: str) -> str:
    if path.suffix.lower() == ".tsv" or first_line.count("\t") > first_line.count(","):
        return "\t"
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_rows(path: Path) -> Iterator[RawRow | RowError]:
    """Every non-blank row as (line, {column: cell}); a row with the wrong number of fields is a `RowError`."""
    text = decode(path.read_bytes()).replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(path, text.split("\n", 1)[0]))
    header = [name.strip() for name in next(reader, [])]
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a field larger than the csv module's limit
            yield RowError(path.name, line, "", CatalogError("row_unparsable", detail=error))
            line = reader.line_num + 1
            continue
        if any(cell.strip() for cell in cells):
            yield _checked(cells, header, path.name, line)
        line = reader.line_num + 1


def header_of(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        first = decode(handle.read(65536)).split("\n", 1)[0]
    return [name.strip().strip('"') for name in next(csv.reader([first], delimiter=sniff_delimiter(path, first)))]


def _checked(cells: list[str], header: list[str], source: str, line: int) -> RawRow | RowError:
    if len(cells) != len(header):
        first = cells[0].strip()[:40] if cells else ""
        return RowError(source, line, first, CatalogError("row_fields", found=len(cells), wanted=len(header)))
    return line, dict(zip(header, cells))
