"""Catalog feed readers behind one function: every reader yields `FeedRow`s and `RowError`s, never stops at
the first problem, and names each problem's line (or item, or row)."""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from catalog import merchant, shopify
from catalog.delimited import decode, header_of, read_rows
from catalog.product import CatalogError
from catalog.records import FeedItem, FeedRow, RowError, renamed, to_item

__all__ = ["FORMATS", "FeedItem", "FeedRow", "RowError", "detect_format", "read_feed", "title_hint"]
FORMATS = ("csv", "jsonl", "parquet", "shopify", "merchant-tsv", "merchant-xml")


def detect_format(path: Path) -> str:
    """The feed's format from its first bytes and header, falling back on its extension."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        raise CatalogError("feed_zip", path=path)
    text = decode(head).lstrip()
    if text.startswith("<"):
        return "merchant-xml"
    if text.startswith("{") or path.suffix.lower() in {".jsonl", ".ndjson"}:
        return "jsonl"
    header = set(header_of(path))
    if shopify.SIGNATURE <= header:
        return "shopify"
    if merchant.SIGNATURE <= header:
        return "merchant-tsv"
    return "csv"


def read_feed(path: Path | str, column_map: Mapping[str, str] | None = None, *, format: str | None = None,
              currency: str | None = None, shopify_variants: bool = False,
              image_pattern: str | None = None) -> Iterator[FeedItem]:
    """Products from a feed file. `column_map` maps our field names to the feed's columns (generic formats);
    `currency` fills a missing currency (Shopify exports carry none); `image_pattern` names the picture of a row
    without an image column from its fields, e.g. `images/{id}.jpg`."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError("feed_missing", path=path)
    if path.stat().st_size == 0:
        raise CatalogError("feed_empty", path=path)
    format = format or detect_format(path)
    if format == "shopify":
        return shopify.read_shopify(read_rows(path), path.name, currency or "USD", shopify_variants)
    if format == "merchant-tsv":
        return merchant.read_merchant_rows(read_rows(path), path.name)
    if format == "merchant-xml":
        return merchant.read_merchant_xml(path)
    readers = {"csv": lambda: _generic(read_rows(path)), "jsonl": lambda: _read_jsonl(path),
               "parquet": lambda: _read_parquet(path)}
    if format not in readers:
        raise CatalogError("feed_format", format=format, known=", ".join(FORMATS))
    return _mapped(readers[format](), path.name, column_map or {}, currency, image_pattern)


def _mapped(rows: Iterator, source: str, column_map: Mapping[str, str], currency: str | None,
            image_pattern: str | None) -> Iterator[FeedItem]:
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        line, cells, unit = row
        record = renamed(cells, column_map)
        if currency and not record.get("currency"):
            record["currency"] = currency
        if image_pattern and not record.get("image"):
            try:
                record["image"] = image_pattern.format_map(_Fields(record))
            except CatalogError as error:
                yield RowError(source, line, str(record.get("id") or "")[:40], error, unit)
                continue
        yield to_item(record, source, line, unit)


class _Fields(dict):
    """A row's fields for `--image-pattern`: a name the row lacks is a row error, not a KeyError."""

    def __missing__(self, name: str) -> str:
        raise CatalogError("pattern_value", name=name)


def title_hint(path: Path | str, column_map: Mapping[str, str] | None = None) -> str | None:
    """For a CSV/TSV feed with no `title` column and no map for it: which column could serve, in a sentence."""
    path = Path(path)
    if (column_map and "title" in column_map) or detect_format(path) != "csv":
        return None
    header = header_of(path)
    if "title" in header:
        return None
    likely = [name for name in header if any(word in name.lower() for word in ("name", "title", "display"))]
    if likely:
        return (f"the feed has no title column, so products are shown without titles; {likely[0]!r} looks like "
                f"one: add --map title={likely[0]}")
    return "the feed has no title column, so products are shown without titles: map one with --map title=COLUMN"


def _generic(rows: Iterator) -> Iterator:
    for row in rows:
        yield row if isinstance(row, RowError) else (row[0], row[1], "line")


def _read_jsonl(path: Path) -> Iterator:
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            text = decode(raw).strip()
            if not text:
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as error:
                yield RowError(path.name, line, "", CatalogError("not_json", detail=error.msg))
                continue
            if not isinstance(row, dict):
                yield RowError(path.name, line, "", CatalogError("not_json_object"))
                continue
            yield line, row, "line"


def _read_parquet(path: Path) -> Iterator:
    import pyarrow.parquet as parquet

    number = 0
    for batch in parquet.ParquetFile(path).iter_batches(batch_size=2048):
        for row in batch.to_pylist():
            number += 1
            yield number, row, "row"
