"""Feeds written by the tests in the merchants' real formats."""
import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from catalog.formats import FeedRow, RowError, detect_format, read_feed
from conftest import run_cli
from search.indexer import Indexer
from search.store.collection import ProductStore

SHOPIFY_HEADER = ["Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
                  "Option1 Name", "Option1 Value", "Variant SKU", "Variant Inventory Tracker",
                  "Variant Inventory Qty", "Variant Inventory Policy", "Variant Price", "Image Src",
                  "Image Position", "Variant Image", "Status"]


def _shopify_rows():
    def row(**cells):
        return [cells.get(name, "") for name in SHOPIFY_HEADER]
    return [
        row(Handle="linen-shirt", Title="Linen Shirt", **{"Body (HTML)": "<p>Cool, airy linen</p>"},
            Vendor="Fjell", Type="Shirts", Tags="summer, linen", Published="true", **{
                "Option1 Name": "Color", "Option1 Value": "White", "Variant SKU": "LS-W",
                "Variant Inventory Tracker": "shopify", "Variant Inventory Qty": "0",
                "Variant Inventory Policy": "deny", "Variant Price": "59.00", "Image Src": "img/shirt-back.png",
                "Image Position": "2", "Status": "active"}),
        row(Handle="linen-shirt", **{"Option1 Value": "Blue", "Variant SKU": "LS-B",
                                     "Variant Inventory Tracker": "shopify", "Variant Inventory Qty": "4",
                                     "Variant Inventory Policy": "deny", "Variant Price": "49.00",
                                     "Image Src": "img/shirt.png", "Image Position": "1",
                                     "Variant Image": "img/shirt-blue.png"}),
        row(Handle="steel-bottle", Title="Steel Bottle", Vendor="Tidewell",
            **{"Product Category": "Home & Garden > Kitchen > Drinkware > Water Bottles"}, **{
                "Option1 Name": "Title", "Option1 Value": "Default Title", "Variant Price": "24.50",
                "Variant Inventory Tracker": "shopify", "Variant Inventory Qty": "0",
                "Variant Inventory Policy": "deny", "Image Src": "img/bottle.png", "Image Position": "1",
                "Status": "active"}),
        row(Handle="old-draft", Title="Unfinished", Vendor="Sora", Type="Caps", **{
            "Variant Price": "10", "Image Src": "img/bottle.png", "Status": "draft"}),
    ]


@pytest.fixture
def shopify_feed(tmp_path):
    (tmp_path / "img").mkdir()
    for name, colour in [("shirt", "white"), ("shirt-back", "grey"), ("shirt-blue", "blue"), ("bottle", "silver")]:
        Image.new("RGB", (64, 64), colour).save(tmp_path / "img" / f"{name}.png")
    feed = tmp_path / "products_export_1.csv"
    with feed.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHOPIFY_HEADER)
        writer.writerows(_shopify_rows())
    return feed


def test_shopify_export_gives_one_product_per_handle(shopify_feed):
    assert detect_format(shopify_feed) == "shopify"
    items = list(read_feed(shopify_feed, currency="EUR"))
    products = {i.product.id: i.product for i in items if isinstance(i, FeedRow)}
    shirt, bottle = products["linen-shirt"], products["steel-bottle"]
    assert (shirt.title, shirt.brand, shirt.category, shirt.price, shirt.currency) == \
        ("Linen Shirt", "Fjell", "Shirts", 49.0, "EUR")
    assert shirt.image == "img/shirt.png" and shirt.in_stock and shirt.attributes["color"] == "White, Blue"
    assert (bottle.category, bottle.price, bottle.in_stock) == ("Water Bottles", 24.5, False)
    errors = [i for i in items if isinstance(i, RowError)]
    assert [(e.line, e.product_id) for e in errors] == [(5, "old-draft")] and "draft" in errors[0].reason


def test_shopify_variants_mode_gives_one_product_per_variant(shopify_feed):
    products = [i.product for i in read_feed(shopify_feed, shopify_variants=True) if isinstance(i, FeedRow)]
    blue = next(p for p in products if p.id == "linen-shirt--LS-B")
    assert (blue.title, blue.price, blue.image, blue.in_stock) == ("Linen Shirt - Blue", 49.0,
                                                                    "img/shirt-blue.png", True)
    assert next(p for p in products if p.id == "linen-shirt--LS-W").in_stock is False


def test_shopify_export_indexes(shopify_feed, tiny_encoder):
    store = ProductStore(shopify_feed.parent / "store", tiny_encoder.info, for_indexing=True)
    summary = Indexer(tiny_encoder, store).index_feed(shopify_feed, currency="USD")
    assert summary.added == 2 and store.stored(["linen-shirt"])["linen-shirt"].product.price == 49.0


MERCHANT_ROWS = [
    {"id": "m1", "title": "Canvas Tote", "brand": "Sora", "price": "19.99 USD", "image_link": "a.png",
     "link": "https://shop.example.com/m1", "availability": "in stock", "product_type": "Bags > Totes"},
    {"id": "m2", "title": "Desk Lamp", "brand": "Lumen", "price": "45.00 EUR", "sale_price": "39.00 EUR",
     "image_link": "a.png", "availability": "out of stock", "google_product_category": "Home > Lighting > Lamps"},
    {"id": "m3", "title": "Broken price", "brand": "Lumen", "price": "cheap", "image_link": "a.png",
     "product_type": "Lamps"},
]


def test_merchant_tsv(tmp_path, tiny_encoder):
    feed = tmp_path / "merchant.txt"
    columns = ["id", "title", "brand", "price", "sale_price", "image_link", "link", "availability",
               "product_type", "google_product_category"]
    lines = ["\t".join(columns)] + ["\t".join(row.get(c, "") for c in columns) for row in MERCHANT_ROWS]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_format(feed) == "merchant-tsv"
    _check_merchant(list(read_feed(feed)), unit="line", bad_line=4)
    Image.new("RGB", (40, 40), "teal").save(tmp_path / "a.png")
    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    summary = Indexer(tiny_encoder, store).index_feed(feed)
    assert summary.added == 2 and [s.product_id for s in summary.skipped] == ["m3"]
    assert store.stored(["m2"])["m2"].product.price == 39.0


def test_merchant_xml(tmp_path):
    feed = tmp_path / "merchant.xml"
    items = "".join("<item>" + "".join(f"<g:{k}>{v.replace('&', '&amp;')}</g:{k}>" for k, v in row.items())
                    + "</item>" for row in MERCHANT_ROWS)
    feed.write_text('<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
                    f"<channel><title>Shop</title>{items}</channel></rss>", encoding="utf-8")
    assert detect_format(feed) == "merchant-xml"
    _check_merchant(list(read_feed(feed)), unit="item", bad_line=3)


def _check_merchant(items, unit, bad_line):
    products = {i.product.id: i.product for i in items if isinstance(i, FeedRow)}
    tote, lamp = products["m1"], products["m2"]
    assert (tote.price, tote.currency, tote.category, tote.in_stock, tote.url) == \
        (19.99, "USD", "Totes", True, "https://shop.example.com/m1")
    assert (lamp.price, lamp.currency, lamp.category, lamp.in_stock) == (39.0, "EUR", "Lamps", False)
    [error] = [i for i in items if isinstance(i, RowError)]
    assert (error.line, error.unit, error.product_id) == (bad_line, unit, "m3") and "price" in error.reason


def test_xml_entity_bombs_are_refused(tmp_path):
    feed = tmp_path / "bomb.xml"
    feed.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    "<rss><channel><item><g:id>&b;</g:id></item></channel></rss>", encoding="utf-8")
    [error] = list(read_feed(feed))
    assert isinstance(error, RowError) and "XML cannot be read" in error.reason


def test_parquet_and_jsonl_feeds(tmp_path):
    rows = [{"sku": "p1", "name": "Mug", "brand": "Lumen", "category": "Mugs", "price": 9.5, "currency": "USD",
             "image": "a.png"}, {"sku": "p2", "name": "Cup", "brand": "Lumen", "category": "Mugs", "price": None,
                                 "currency": "USD", "image": "a.png"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "feed.parquet")
    (tmp_path / "feed.data").write_text("\n".join(json.dumps(r) for r in rows))
    for name in ("feed.parquet", "feed.data"):
        items = list(read_feed(tmp_path / name, {"id": "sku", "title": "name"}))
        assert items[0].product.title == "Mug"
        assert (items[1].line, items[1].product.price) == (2, None)  # a missing price is absent, not an error
    (tmp_path / "bad.data").write_text(json.dumps({**rows[0], "price": "abc"}))
    pq.write_table(pa.Table.from_pylist([{**rows[0], "price": -1.0}]), tmp_path / "bad.parquet")
    for name, unit, reason in (("bad.data", "line", "price 'abc' is not a number"),
                               ("bad.parquet", "row", "at least 0")):
        [error] = list(read_feed(tmp_path / name, {"id": "sku", "title": "name"}))
        assert (error.line, error.unit) == (1, unit) and reason in error.reason


def test_validate_reports_without_a_store(shopify_feed, tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("id,title,brand,category,price,currency,image\n"
                    "a,Mug,Lumen,Mugs,9,USD,img/shirt.png\n"
                    "b,Mug,Lumen,Mugs,9,USD,img/none.png\n"
                    "a,Again,Lumen,Mugs,9,USD,img/shirt.png\n"
                    "c,Mug,Lumen,Mugs,x,USD,img/shirt.png\n"
                    "d,Mug,Lumen,Mugs,9,USD,https://cdn.example.com/d.jpg\n", encoding="utf-8")
    result = run_cli("catalog", "validate", str(feed), "--images-root", str(shopify_feed.parent))
    assert result.returncode == 1
    assert "valid products: 3" in result.stdout and "image URLs (downloaded when indexing): 1" in result.stdout
    assert "line 3 (id b): image img/none.png not found" in result.stdout
    assert "line 4: id a first on line 2" in result.stdout
    assert "feed.csv, line 5 (id c): price 'x' is not a number" in result.stdout
    assert not (tmp_path / "data").exists()
    bad_map = run_cli("catalog", "validate", str(feed), "--map", "title")
    assert bad_map.returncode == 2 and "write it as FIELD=COLUMN" in bad_map.stderr
