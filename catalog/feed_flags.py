"""The command-line flags that say how to read a feed, shared by `catalog validate` and `search index`."""
from __future__ import annotations

import argparse

from catalog.formats import FORMATS
from catalog.product import CatalogError


def add_feed_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("feed", help="the feed file: CSV/TSV, JSONL, Parquet, Shopify export or Merchant TSV/XML")
    parser.add_argument("--format", choices=FORMATS, help="the feed's format (default: detected)")
    parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                        help="read FIELD from the feed's COLUMN, e.g. --map title=productDisplayName")
    parser.add_argument("--currency", help="currency for rows without one (Shopify exports have none; default USD)")
    parser.add_argument("--shopify-variants", action="store_true", help="one product per Shopify variant")
    parser.add_argument("--image-pattern", metavar="PATTERN",
                        help="the picture of a row without an image column, from its fields: e.g. 'images/{id}.jpg'")
    parser.add_argument("--images-root", help="folder that image paths are relative to (default: the feed's)")


def feed_options(args: argparse.Namespace) -> dict:
    """Keyword arguments for `read_feed` from the parsed flags."""
    column_map = {}
    for pair in args.map:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise CatalogError("map_pair", pair=pair)
        column_map[field.strip()] = column.strip()
    return {"column_map": column_map, "format": args.format, "currency": args.currency,
            "shopify_variants": args.shopify_variants, "image_pattern": args.image_pattern}
