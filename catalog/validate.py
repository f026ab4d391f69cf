"""A feed's health report, without touching any store: what would be indexed and what is wrong."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from catalog.formats import FeedItem, RowError
from catalog.locations import image_location
from catalog.product import CatalogError
from catalog.records import FirstLines


@dataclass
class FeedReport:
    valid: int = 0
    pictures: int = 0  # over the valid products
    row_errors: list[str] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    image_urls: int = 0
    currencies: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    brands: Counter = field(default_factory=Counter)
    missing_fields: Counter = field(default_factory=Counter)  # optional fields products lack: warnings, not errors
    hints: list[str] = field(default_factory=list)  # about the feed as a whole (a column that could serve...)

    @property
    def problems(self) -> int:
        return len(self.row_errors) + len(self.missing_images) + len(self.duplicate_ids)

    def lines(self) -> list[str]:
        out = [f"valid products: {self.valid}, with {self.pictures} pictures",
               f"rows with errors: {len(self.row_errors)}",
               f"missing or unusable image paths: {len(self.missing_images)}",
               f"duplicate ids: {len(self.duplicate_ids)}",
               f"image URLs (downloaded when indexing): {self.image_urls}",
               "currencies: " + (", ".join(f"{c} ({n})" for c, n in self.currencies.most_common()) or "none"),
               f"brands: {len(self.brands)}, categories: {len(self.categories)}"]
        out += [f"warning: {n} of {self.valid} products have no {name} (shown without one, never filtered as "
                "blank)" for name, n in self.missing_fields.items()]
        out += [f"hint: {hint}" for hint in self.hints]
        for title, problems in (("row errors", self.row_errors), ("images", self.missing_images),
                                ("duplicate ids", self.duplicate_ids)):
            out.extend([f"{title}:"] + [f"  {p}" for p in problems] if problems else [])
        if len(self.currencies) > 1:
            out.append("note: several currencies; price filters compare numbers across them")
        return out


def validate(items: Iterable[FeedItem], images_root: Path) -> FeedReport:
    report, first_lines = FeedReport(), FirstLines()
    for item in items:
        if isinstance(item, RowError):
            report.row_errors.append(str(item))
            continue
        product = item.product
        first = first_lines.repeat_of(item)
        if first is not None:
            report.duplicate_ids.append(f"line {item.line}: id {product.id} first on line {first}")
            continue
        report.valid += 1
        report.missing_fields.update(product.missing())
        for counts, value in ((report.currencies, product.currency), (report.categories, product.category),
                              (report.brands, product.brand)):
            if value:
                counts[value] += 1
        for image in product.images:  # every picture, as the indexer reads them all
            _check_image(report, item.line, product.id, image, images_root)
        report.pictures += len(product.images)
    return report


def _check_image(report: FeedReport, line: int, product_id: str, reference: str, root: Path) -> None:
    try:
        location = image_location(reference, root)
    except CatalogError as error:
        report.missing_images.append(f"line {line} (id {product_id}): {error}")
        return
    if isinstance(location, str):
        report.image_urls += 1
    elif not location.is_file():
        report.missing_images.append(f"line {line} (id {product_id}): image {reference} not found under {root}")
