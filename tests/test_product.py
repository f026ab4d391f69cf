import pytest

from catalog.product import CatalogError, Product

GOOD = {"id": "sku-1", "title": "Red Mug", "brand": "Lumen", "category": "Mugs", "price": "12.50",
        "currency": "usd", "image": "images/a.png"}


def test_a_valid_row_becomes_a_product_with_extra_attributes():
    product = Product.from_mapping({**GOOD, "colour": "red", "in_stock": "no"})
    assert product.price == 12.5 and product.currency == "USD" and not product.in_stock
    assert product.attributes == {"colour": "red"}
    assert product.price_label() == "12.50 USD"


@pytest.mark.parametrize("field, value, message", [
    ("id", "", "id is missing"),
    ("price", "twelve", "price 'twelve' is not a number"),
    ("price", "-3", "at least 0"),
    ("price", "inf", "finite"),
    ("currency", "XYZ", "not a known ISO 4217"),
    ("image", None, "image is missing"),
    ("in_stock", "maybe", "not yes/no"),
    ("title", "x" * 1001, "limit 1000"),
    ("brand", "bad\x07brand", "control characters"),
])
def test_each_invalid_field_is_named_in_the_error(field, value, message):
    with pytest.raises(CatalogError, match=message):
        Product.from_mapping({**GOOD, field: value})


def test_numeric_ids_read_from_spreadsheets_stay_whole_numbers():
    assert Product.from_mapping({**GOOD, "id": 59263.0}).id == "59263"


def test_prices_in_currencies_without_cents_have_no_decimals():
    assert Product.from_mapping({**GOOD, "price": "1200", "currency": "JPY"}).price_label() == "1,200 JPY"


@pytest.mark.parametrize("absent", ["title", "brand", "category", "price", "currency"])
def test_optional_fields_may_be_missing_and_stay_absent(absent):
    """Private labels have no brand, B2B and image-set catalogs no price: a missing field is absent, not a bad row."""
    product = Product.from_mapping({**GOOD, absent: "NA"})
    assert product.missing() == [absent]
    assert getattr(product, absent) in ("", None)


def test_a_product_without_a_price_has_no_price_label_and_a_price_without_currency_reads_as_a_number():
    assert Product.from_mapping({**GOOD, "price": ""}).price_label() == ""
    assert Product.from_mapping({**GOOD, "currency": ""}).price_label() == "12.50"


def test_only_an_id_and_a_picture_are_needed():
    product = Product.from_mapping({"id": "x1", "image": "x1.jpg"})
    assert product.missing() == ["title", "brand", "category", "price", "currency"]
    with pytest.raises(CatalogError, match="image is missing.*--image-pattern"):
        Product.from_mapping({"id": "x1"})


def test_a_field_in_the_shoppers_language_is_read_from_its_zh_column():
    product = Product.from_mapping({**GOOD, "title_zh": "红色马克杯", "colour": "Red", "colour_zh": "红色"})
    assert product.localized("title", "zh-CN") == "红色马克杯" and product.localized("title", "en") == "Red Mug"
    assert product.localized("colour", "zh-CN") == "红色" and product.localized("category", "zh-CN") == "Mugs"
