"""Google Merchant Center product feeds, as TSV or as RSS/Atom XML with the `g:` namespace."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from catalog.delimited import RawRow
from catalog.product import CatalogError, is_missing
from catalog.records import FeedItem, RowError, to_item

SIGNATURE = {"id", "title", "price", "image_link"}
_OUT_OF_STOCK = {"out of stock", "out_of_stock", "discontinued"}


def read_merchant_rows(rows: Iterable[RawRow | RowError], source: str) -> Iterator[FeedItem]:
    for row in rows:
        yield row if isinstance(row, RowError) else to_item(merchant_record(row[1]), source, row[0])


def read_merchant_xml(path: Path) -> Iterator[FeedItem]:
    """Each <item> (RSS) or <entry> (Atom), numbered from 1; entity-expansion attacks are refused."""
    number = 0
    try:
        for _, element in ElementTree.iterparse(str(path), events=("end",)):
            if _local(element.tag) not in ("item", "entry"):
                continue
            number += 1
            fields: dict[str, Any] = {_local(child.tag): (child.text or "").strip() for child in element}
            fields["additional_image_link"] = [(child.text or "").strip() for child in element
                                               if _local(child.tag) == "additional_image_link"]
            if "link" not in fields or not fields["link"]:
                fields["link"] = next((c.get("href", "") for c in element if _local(c.tag) == "link"), "")
            yield to_item(merchant_record(fields), path.name, number, unit="item")
            element.clear()
    except (ElementTree.ParseError, DefusedXmlException) as error:
        yield RowError(path.name, number + 1, "", CatalogError("xml_broken", detail=error), unit="item")


def merchant_record(fields: Mapping[str, Any]) -> dict:
    """Merchant attribute names to ours: `19.99 USD` prices, availability, product_type as the category, the
    additional images (an XML item's elements, a TSV cell's addresses separated by commas) after the main one;
    item_group_id is the variants' group."""
    price, currency = _money(fields.get("sale_price")) or _money(fields.get("price")) or (fields.get("price"), None)
    category = _last_level(fields.get("product_type")) or _last_level(fields.get("google_product_category"))
    known = {"id", "title", "brand", "price", "sale_price", "image_link", "link", "availability", "product_type",
             "google_product_category", "description", "additional_image_link"}
    extras = {k: v for k, v in fields.items() if k not in known and not is_missing(v) and len(v) <= 1000}
    more = fields.get("additional_image_link") or []
    return {**extras, "id": fields.get("id"), "title": fields.get("title"), "brand": fields.get("brand"),
            "category": category, "price": price, "currency": currency, "image": fields.get("image_link"),
            "images": more if isinstance(more, list) else [link.strip() for link in str(more).split(",")],
            "url": fields.get("link"),
            "in_stock": (fields.get("availability") or "in stock").strip().lower() not in _OUT_OF_STOCK}


def _money(text: str | None) -> tuple[str, str] | None:
    parts = (text or "").split()
    if len(parts) == 2:
        return (parts[0], parts[1]) if parts[1].isalpha() else (parts[1], parts[0])
    return None


def _last_level(text: str | None) -> str:
    return "" if text is None or is_missing(text) else text.split(">")[-1].strip()


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]
