"""The `Product` record and its validation."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.errors import UserError

# ISO 4217 codes merchants actually use; an unknown code is far more often a typo than a real currency.
CURRENCIES = frozenset(
    "USD EUR GBP JPY CNY INR AUD CAD CHF SEK NOK DKK PLN CZK HUF NZD SGD HKD KRW TWD BRL MXN ZAR AED SAR "
    "TRY ILS THB MYR IDR PHP VND RUB UAH RON CLP COP PEN ARS EGP NGN KES".split()
)
CORE_FIELDS = ("id", "title", "brand", "category", "price", "currency", "image", "images", "url", "in_stock", "group",
               "item_group_id")
OPTIONAL_FIELDS = ("title", "brand", "category", "price", "currency")
# A feed may carry a field in other languages as extra columns named `<field>_<suffix>` (title_zh, category_zh...)
LANGUAGE_SUFFIXES = {"zh-CN": "zh", "zh": "zh"}
MAX_TEXT = 1000
_ID_PATTERN = re.compile(r"^[^\x00-\x1f]{1,128}$")
_TRUE = {"1", "true", "yes", "y", "in stock", "in_stock", "instock", "available", "t"}
_FALSE = {"0", "false", "no", "n", "out of stock", "out_of_stock", "outofstock", "unavailable", "f", "sold out"}
_MISSING = {"", "na", "n/a", "nan", "null", "none", "-"}


class CatalogError(UserError, ValueError):
    """A catalog record or feed is invalid; the message says which field and why."""


@dataclass(frozen=True)
class Product:
    """One sellable item. `id` is the primary key everywhere."""

    id: str
    title: str = ""  # every field but the id and the picture is optional: "" (or None) when the feed has none
    brand: str = ""
    category: str = ""
    price: float | None = None
    currency: str = ""
    image: str = ""  # the feed's reference to the picture: a path under the images folder, or an http(s) address
    url: str = ""
    in_stock: bool = True
    attributes: dict[str, str] = field(default_factory=dict)
    picture: str = ""  # the picture file the store's product is shown from (absolute; a download's cached copy)
    extra_images: tuple[str, ...] = ()  # the feed's references to its other pictures, in the feed's order
    extra_pictures: tuple[str, ...] = ()  # their stored files, as `picture` is the first's
    group: str = ""  # the variants' group (Merchant's item_group_id, a Shopify handle): "" when it is none's variant

    @property
    def shown_picture(self) -> str:
        """The file to show: the stored picture, or (for a product not stored yet) the feed's reference."""
        return self.picture or self.image

    @property
    def images(self) -> tuple[str, ...]:
        """The feed's references to every picture, the main one first."""
        return (self.image, *self.extra_images)

    @property
    def pictures(self) -> tuple[str, ...]:
        """The files to show of every picture, the main one first (a product not stored yet: the references)."""
        return (self.picture, *self.extra_pictures) if self.picture else self.images

    def picture_at(self, shot: int) -> str:
        """The file to show of picture number `shot` (0: the main one), or the main one's when it has no such."""
        pictures = self.pictures
        return pictures[shot] if 0 <= shot < len(pictures) else self.shown_picture

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Product:
        """Build a validated product from a loosely typed row (CSV, JSON); raises `CatalogError`."""
        extra = {
            str(k): clean_text(v, str(k))
            for k, v in row.items()
            if k not in CORE_FIELDS and k is not None and not is_missing(v)
        }
        images = parse_images(row.get("image"), row.get("images"))
        return cls(
            id=parse_id(row.get("id")),
            title=optional_text(row.get("title"), "title"),
            brand=optional_text(row.get("brand"), "brand"),
            category=optional_text(row.get("category"), "category"),
            price=parse_price(row.get("price")),
            currency=parse_currency(row.get("currency")),
            image=images[0],
            extra_images=images[1:],
            url=optional_text(row.get("url"), "url"),
            in_stock=parse_bool(row.get("in_stock"), "in_stock"),
            attributes=extra,
            group=optional_text(row.get("group") if not is_missing(row.get("group")) else row.get("item_group_id"),
                                "group"),
        )

    @property
    def colour(self) -> str:
        """The product's colour attribute (`colour`, `color`, `base_colour`, `baseColour`...), or ""."""
        for name, value in self.attributes.items():
            if name.lower().replace("_", "").endswith(("colour", "color")):
                return value.strip().title()
        return ""

    def price_label(self) -> str:
        """The price as a shopper reads it, e.g. `49.90 EUR`; "" when the product has no price."""
        if self.price is None:
            return ""
        decimals = 0 if self.currency in {"JPY", "KRW", "VND", "CLP", "HUF", "IDR"} else 2
        return f"{self.price:,.{decimals}f} {self.currency}".rstrip()

    def localized(self, name: str, lang: str) -> str:
        """A text field (`title`, `category`, `colour` or an attribute) in the shopper's language: the feed's
        `<name>_zh` column for Chinese where it has one, otherwise the field as it is."""
        base = self.colour if name == "colour" else getattr(self, name, None)
        if base is None:
            base = self.attributes.get(name, "")
        suffix = LANGUAGE_SUFFIXES.get(lang)
        return (self.attributes.get(f"{name}_{suffix}") if suffix else None) or base

    def missing(self) -> list[str]:
        """The optional core fields this product has no value for."""
        return [name for name in OPTIONAL_FIELDS if getattr(self, name) in ("", None)]


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in _MISSING


def clean_text(value: Any, name: str) -> str:
    text = " ".join(str(value).split())
    if any(ord(ch) < 32 for ch in text):
        raise CatalogError("text_control", name=name)
    if len(text) > MAX_TEXT:
        raise CatalogError("text_too_long", name=name, length=len(text), limit=MAX_TEXT)
    return text


def optional_text(value: Any, name: str) -> str:
    return "" if is_missing(value) else clean_text(value, name)


def required_text(value: Any, name: str) -> str:
    if is_missing(value):
        raise CatalogError("field_missing", name=name)
    return clean_text(value, name)


def parse_images(image: Any, images: Any) -> tuple[str, ...]:
    """Every picture's reference, the main one first: `image`, then those of `images` (a list, as JSON and Parquet
    feeds carry it, or text separated by `|`, as a CSV cell does), each once; `images` alone may name them all."""
    if hasattr(images, "tolist"):  # an array, as pandas reads a Parquet list
        images = images.tolist()
    listed = [] if is_missing(images) else images if isinstance(images, list | tuple) else str(images).split("|")
    named = [clean_text(value, "images") for value in listed if not is_missing(value)]
    main = [] if is_missing(image) else [clean_text(image, "image")]
    found = tuple(dict.fromkeys(name for name in main + named if name))
    if not found:
        raise CatalogError("image_missing")
    return found


def parse_id(value: Any) -> str:
    if is_missing(value):
        raise CatalogError("field_missing", name="id")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not _ID_PATTERN.match(text):
        raise CatalogError("id_invalid", id=text[:40])
    return text


def parse_price(value: Any) -> float | None:
    if is_missing(value):
        return None
    try:
        price = float(str(value).strip().replace(",", ""))
    except ValueError:
        raise CatalogError("price_not_number", value=str(value)[:40]) from None
    if not math.isfinite(price) or price < 0:
        raise CatalogError("price_invalid", price=price)
    return round(price, 2)


def parse_currency(value: Any) -> str:
    if is_missing(value):
        return ""
    code = str(value).strip().upper()
    if code not in CURRENCIES:
        raise CatalogError("currency_unknown", code=code[:20])
    return code


def parse_bool(value: Any, name: str) -> bool:
    if is_missing(value):
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CatalogError("not_yes_no", name=name, value=str(value)[:20])
