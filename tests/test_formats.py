import json

import pytest

from catalog.formats import FeedRow, RowError, read_feed
from catalog.product import CatalogError

HEADER = "id,title,brand,category,price,currency,image"


def _split(items):
    rows = [i for i in items if isinstance(i, FeedRow)]
    errors = [i for i in items if isinstance(i, RowError)]
    return rows, errors


def test_bad_rows_are_reported_with_their_line_and_good_rows_all_pass(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("\n".join([
        HEADER,
        "a1,Red Mug,Lumen,Mugs,12.5,USD,a.png",            # line 2 good
        "a2,Blue Mug,Lumen,Mugs,abc,USD,b.png",             # line 3 bad price
        '"a3","Mug, large",Lumen,Mugs,9,USD,c.png',         # line 4 good, quoted comma
        "a4,Mug, with comma,Lumen,Mugs,9,USD,d.png",        # line 5 too many fields
        "",                                                 # line 6 blank: ignored
        ",No Id,Lumen,Mugs,9,USD,e.png",                    # line 7 missing id
        '"a5","Two\nline title",Lumen,Mugs,9,EUR,f.png',    # lines 8-9 good, quoted newline
        "a6,Green Mug,Lumen,Mugs,9,ZZZ,g.png",              # line 10 bad currency
    ]) + "\n", encoding="utf-8")
    rows, errors = _split(list(read_feed(feed)))
    assert [r.product.id for r in rows] == ["a1", "a3", "a5"]
    assert [r.line for r in rows] == [2, 4, 8]
    assert [(e.line, e.reason.split()[0]) for e in errors] == [(3, "price"), (5, "has"), (7, "id"), (10, "currency")]
    assert "feed.csv, line 5 (id a4): has 8 fields, the header has 7" in str(errors[1])


def test_bom_crlf_and_windows_1252_text_are_read(tmp_path):
    feed = tmp_path / "feed.csv"
    text = f"\ufeff{HEADER}\r\na1,Caf\u00e9 Mug,Lumen,Mugs,12.5,USD,a.png\r\n"
    feed.write_bytes(text.encode("utf-8"))
    assert _split(list(read_feed(feed)))[0][0].product.title == "Caf\u00e9 Mug"
    feed.write_bytes(text.replace("\ufeff", "").encode("cp1252"))
    assert _split(list(read_feed(feed)))[0][0].product.title == "Caf\u00e9 Mug"


def test_jsonl_with_a_column_map(tmp_path):
    feed = tmp_path / "feed.jsonl"
    good = {"sku": "j1", "name": "Tote", "vendor": "Sora", "category": "Bags", "price": 40, "currency": "EUR",
            "image": "t.png"}
    feed.write_text(json.dumps(good) + "\n{not json\n" + json.dumps([1, 2]) + "\n", encoding="utf-8")
    rows, errors = _split(list(read_feed(feed, {"id": "sku", "title": "name", "brand": "vendor"})))
    assert rows[0].product.brand == "Sora" and rows[0].product.id == "j1"
    assert [(e.line, e.reason) for e in errors] == [(2, "is not valid JSON (Expecting property name enclosed in "
                                                        "double quotes)"), (3, "is not a JSON object")]


def test_unknown_formats_and_missing_feeds_are_refused(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        list(read_feed(tmp_path / "none.csv"))
    (tmp_path / "feed.xlsx").write_bytes(b"PK\x03\x04 a zipped workbook")
    with pytest.raises(CatalogError, match="is a zip file"):
        list(read_feed(tmp_path / "feed.xlsx"))
    with pytest.raises(CatalogError, match="unknown feed format 'xls'"):
        list(read_feed(tmp_path / "feed.xlsx", format="xls"))
