"""Shopify's product export CSV: several rows per product (variants, extra images) grouped by Handle."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from catalog.delimited import RawRow
from catalog.product import CatalogError, is_missing
from catalog.records import FeedItem, RowError, to_item

SIGNATURE = {"Handle", "Variant Price"}


def read_shopify(rows: Iterable[RawRow | RowError], source: str, currency: str, per_variant: bool = False,
                 shop_url: str = "") -> Iterator[FeedItem]:
    """One product per handle (the cheapest variant's price) with every picture, or with `per_variant` one per
    variant, the handle its group (shown as one result unless variants are shown apart)."""
    group: list[RawRow] = []
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        if group and row[1].get("Handle", "").strip() != group[0][1].get("Handle", "").strip():
            yield from _products(group, source, currency, per_variant, shop_url)
            group = []
        group.append(row)
    if group:
        yield from _products(group, source, currency, per_variant, shop_url)


def _products(group: list[RawRow], source: str, currency: str, per_variant: bool, shop_url: str) -> Iterator[FeedItem]:
    line, first = group[0]
    handle = first.get("Handle", "").strip()
    base = next((cells for _, cells in group if not is_missing(cells.get("Title"))), None)
    if base is None:
        yield RowError(source, line, handle, CatalogError("no_title"))
        return
    status = (base.get("Status") or "active").strip().lower()
    if status not in ("active", ""):
        yield RowError(source, line, handle, CatalogError("not_active", status=status))
        return
    variants = [(n, cells) for n, cells in group if not is_missing(cells.get("Variant Price"))]
    if not variants:
        yield RowError(source, line, handle, CatalogError("no_price"))
        return
    images = [src for _, src in sorted(((_number(c.get("Image Position")), c["Image Src"].strip()) for _, c in group
                                        if not is_missing(c.get("Image Src"))), key=lambda pair: pair[0])]
    record = _record(base, handle, currency, images, shop_url)
    if per_variant:
        for index, (n, cells) in enumerate(variants, start=1):
            yield to_item(_variant_record(record, base, cells, index), source, n)
    else:
        cheapest = min(variants, key=lambda pair: _number(pair[1].get("Variant Price")))[1]
        record.update(price=cheapest.get("Variant Price"),
                      in_stock=any(_variant_in_stock(cells) for _, cells in variants))
        options = _options(base, [cells for _, cells in variants])
        yield to_item({**record, **options}, source, line)


def _record(base: dict[str, str], handle: str, currency: str, images: list[str], shop_url: str) -> dict:
    """The product's fields; its pictures in the order of their `Image Position`."""
    category = base.get("Type") or (base.get("Product Category") or "").split(">")[-1]
    url = f"{shop_url.rstrip('/')}/products/{handle}" if shop_url else ""
    return {"id": handle, "title": base.get("Title"), "brand": base.get("Vendor"), "category": category.strip(),
            "currency": currency, "image": images[0] if images else "", "images": images[1:], "url": url,
            "tags": base.get("Tags")}


def _variant_record(record: dict, base: dict[str, str], cells: dict[str, str], index: int) -> dict:
    """A variant as a product of the handle's group: its own picture first, then the product's others."""
    values = [cells.get(f"Option{i} Value", "").strip() for i in (1, 2, 3)]
    values = [v for v in values if v and v != "Default Title"]
    suffix = cells.get("Variant SKU", "").strip() or str(index)
    title = f"{record['title']} - {' / '.join(values)}" if values else record["title"]
    image = cells.get("Variant Image", "").strip() or record["image"]
    others = [src for src in (record["image"], *record["images"]) if src != image]
    return {**record, "id": f"{record['id']}--{suffix}", "title": title, "price": cells.get("Variant Price"),
            "image": image, "images": others, "in_stock": _variant_in_stock(cells), "handle": record["id"],
            "group": record["id"],
            **{base.get(f"Option{i} Name", f"option{i}").strip().lower(): v
               for i, v in zip((1, 2, 3), values)}}


def _options(base: dict[str, str], variants: list[dict[str, str]]) -> dict[str, str]:
    """Each option's values over all variants, e.g. {"color": "Red, Blue"}."""
    options = {}
    for i in (1, 2, 3):
        name = (base.get(f"Option{i} Name") or "").strip()
        values = dict.fromkeys(v.get(f"Option{i} Value", "").strip() for v in variants)
        values.pop("", None)
        if name and name != "Title":
            options[name.lower()] = ", ".join(values)
    return options


def _variant_in_stock(cells: dict[str, str]) -> bool:
    if (cells.get("Variant Inventory Policy") or "").strip().lower() == "continue":
        return True
    if is_missing(cells.get("Variant Inventory Tracker")) or is_missing(cells.get("Variant Inventory Qty")):
        return True  # not tracked: Shopify sells it
    return _number(cells.get("Variant Inventory Qty")) > 0


def _number(text: str | None) -> float:
    try:
        return float((text or "").strip())
    except ValueError:
        return float("inf")
