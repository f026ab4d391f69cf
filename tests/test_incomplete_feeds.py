"""Catalogs without brands or prices, shaped like the most used public product photo set (the "Fashion Product
Images" styles export, unquoted, with its rows that carry a comma too many): indexed with only a title and a
category map, searched, shown, filtered and exported without invented values."""
import json

import pytest
from PIL import Image

from catalog.__main__ import main as catalog_main
from search.__main__ import main as search_main
from search.config import Settings
from search.ranking import Filters, Ranking
from storefront.front import Storefront
from storefront.results import details as markdown_details

HEADER = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName"
ROWS = [
    "59263,Women,Accessories,Watches,Watches,Silver,Winter,2016,Casual,Titan Women Silver Watch",
    "9204,Men,Footwear,Shoes,Casual Shoes,Black,Summer,2011,Casual,Puma Men Future Cat Remix SF Black Casual Shoes",
    "6842,Unisex,Accessories,Shoe Accessories,Shoe Accessories,Black,Summer,2011,Casual,Timberland Unisex Rubber "
    "Sole Brush Shoe Accessories",
    "51658,Women,Accessories,Watches,Watches,Copper,Winter,2016,Casual,Fossil Women Copper Chronograph Watch CH2589",
    "4854,Unisex,Footwear,Shoes,Casual Shoes,White,Winter,2012,Casual,Newfeel Unisex White, Blue and Orange Casual "
    "Shoes",
    "15970,Men,Apparel,Topwear,Shirts,Navy Blue,Fall,2011,Casual,Turtle Check Men Navy Blue Shirt",
    "39386,Men,Apparel,Bottomwear,Jeans,Blue,Summer,2012,Casual,Peter England Men Party Blue Jeans",
    "21379,Men,Apparel,Bottomwear,Track Pants,Black,Fall,2011,Casual,Manchester United Men Solid Black Track Pants",
    "23112,Men,Accessories,Accessories,Accessory Gift Set,Red,Fall,2011,Formal,Turtle Men Formal Red Tie, Cufflink "
    "and Pocket Square Combo Set",
    "53759,Men,Apparel,Topwear,Tshirts,Grey,Summer,2012,Casual,Puma Men Grey T-shirt",
    "1855,Men,Apparel,Topwear,Tshirts,Grey,Summer,2011,Casual,Inkfruit Mens Chain Reaction T-shirt",
    "30805,Men,Apparel,Topwear,Shirts,Green,Summer,2012,Ethnic,Fabindia Men Striped Green Shirt",
]
MALFORMED = {"4854", "23112"}  # a comma inside the unquoted productDisplayName
COLOURS = {"Silver": "#c0c0c0", "Black": "#111", "Copper": "#b87333", "White": "#eee", "Navy Blue": "#1f2a5a",
           "Blue": "#2952a3", "Red": "#c0282d", "Grey": "#808080", "Green": "#2e7d32"}
MAPS = ["--map", "title=productDisplayName", "--map", "category=articleType"]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fashion")
    (folder / "images").mkdir()
    for row in ROWS:
        cells = row.split(",")
        Image.new("RGB", (60, 80), COLOURS[cells[5]]).save(folder / "images" / f"{cells[0]}.jpg")
    (folder / "styles.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return folder / "styles.csv"


@pytest.fixture(scope="module")
def store(export, tmp_path_factory):
    store = tmp_path_factory.mktemp("fashion-store") / "store"
    assert search_main(["index", str(export), *MAPS, "--image-pattern", "images/{id}.jpg", "--store", str(store),
                        "--model", "offline"]) == 0
    return store


def test_every_well_formed_row_is_indexed_and_the_malformed_ones_named_by_line(export, tmp_path, capsys):
    report = tmp_path / "report.json"
    assert search_main(["index", str(export), *MAPS, "--image-pattern", "images/{id}.jpg", "--store",
                        str(tmp_path / "store"), "--model", "offline", "--report", str(report)]) == 0
    summary = json.loads(report.read_text())
    assert summary["added"] == len(ROWS) - len(MALFORMED)
    assert {(s["line"], s["product_id"]) for s in summary["skipped"]} == {
        (ROWS.index(next(r for r in ROWS if r.startswith(i + ","))) + 2, i) for i in MALFORMED}
    assert all("has 11 fields, the header has 10" in s["reason"] for s in summary["skipped"])


def test_validate_warns_of_missing_fields_and_names_a_title_column(export, capsys):
    assert catalog_main(["validate", str(export), "--image-pattern", "images/{id}.jpg"]) == 1  # 2 malformed rows
    out = capsys.readouterr().out
    valid = len(ROWS) - len(MALFORMED)
    assert f"valid products: {valid}" in out and "rows with errors: 2" in out
    for field in ("title", "brand", "category", "price", "currency"):
        assert f"warning: {valid} of {valid} products have no {field} " in out
    assert "hint: the feed has no title column" in out and "--map title=productDisplayName" in out
    catalog_main(["validate", str(export), *MAPS, "--image-pattern", "images/{id}.jpg"])
    mapped = capsys.readouterr().out
    assert "have no title" not in mapped and "have no category" not in mapped and "hint:" not in mapped


def test_products_without_brand_or_price_are_searched_shown_and_filtered_without_invented_values(store):
    shop = Storefront(Settings.of(store=store, model="offline", demo_dir=store.parent / "demo"))
    result = shop.search(None, "silver watch", ranking=Ranking(top_k=3))
    title, *rest = result.gallery[0][1].splitlines()
    assert title == "Titan Women Silver Watch"
    assert rest[0] == "words: silver, watch"  # no brand or price line; words alone: no match percentage
    assert "0.00" not in result.gallery[0][1] and " ·  · " not in result.gallery[0][1]
    details = markdown_details(shop.product("59263"), "en")
    assert "Brand" not in details and "Price" not in details and "- **Category**: Watches" in details
    assert "- **Basecolour**: Silver" in details and "- **Stock**: in stock" in details
    chinese = markdown_details(shop.product("59263"), "zh-CN")
    assert "品牌" not in chinese and "- **类别**: Watches" in chinese
    facets = shop.facet_choices()
    assert facets["brand"] == [] and ("Watches (2)", "Watches") in facets["category"]
    assert shop.search(None, "watch", Filters(max_price=1000)).ids == []  # no price: never "under 1000"
    assert set(shop.search(None, "watch", Filters(categories=("Watches",))).ids) == {"59263", "51658"}


def test_the_json_export_has_nulls_not_invented_values(store, capsys):
    assert search_main(["query", "--text", "Fossil CH2589", "--json", "--top-k", "1", "--store", str(store),
                        "--model", "offline"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == "51658" and row["matched_words"] == ["Fossil", "CH2589"]
    assert (row["brand"], row["price"], row["currency"], row["category"]) == (None, None, None, "Watches")
