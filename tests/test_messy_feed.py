"""A messy CSV as real exports are: every bad row reported once with its line, every good row indexed."""
from PIL import Image

from search.indexer import Indexer
from search.store.collection import ProductStore

HEADER = "id,title,brand,category,price,currency,image,url,in_stock"
GOOD = [
    'g1,"Mug, large",Lumen,Mugs,12.50,USD,img/a.png,NA,yes',            # quoted comma, NA url
    "g2,Plain Mug,Lumen,Mugs,9,usd,img/b.png,,",                         # empty optional cells
    'g3,"Tote ""Classic""",Sora,Bags,1,200.00,EUR,img/c.png,,true',      # placeholder, replaced below
    "g4,Caf\u00e9 Cap,Sora,Caps,15,EUR,img/d.png,https://shop.example.com/g4,0",
    "g5,,Lumen,Mugs,9,USD,img/a.png,,",                                  # no title: optional
    "g6,No brand,N/A,Mugs,,,img/b.png,,",                                # no brand, price or currency: optional
]
BAD = {  # reason fragment -> row
    "has 10 fields": "b1,Mug, with comma,Lumen,Mugs,9,USD,img/a.png,,",
    "has 7 fields": "b2,Short,Lumen,Mugs,9,USD,img/a.png",
    "id is missing": ",No id,Lumen,Mugs,9,USD,img/a.png,,",
    "price 'nine' is not a number": "b6,Word price,Lumen,Mugs,nine,USD,img/a.png,,",
    "must be a finite number of at least 0": "b7,Negative,Lumen,Mugs,-4,USD,img/a.png,,",
    "currency 'DOLLARS' is not a known": "b8,Bad currency,Lumen,Mugs,9,dollars,img/a.png,,",
    "in_stock 'soon' is not yes/no": "b9,Stock,Lumen,Mugs,9,USD,img/a.png,,soon",
    "control characters": "b10,Bell\x07 title,Lumen,Mugs,9,USD,img/a.png,,",
    "(limit 1000)": "b11," + "Long " * 300 + ",Lumen,Mugs,9,USD,img/a.png,,",
    "duplicate id, first on line 2": "g1,Again,Lumen,Mugs,9,USD,img/a.png,,",
    "file not found": "b13,Lost picture,Lumen,Mugs,9,USD,img/missing.png,,",
    "leaves the images folder": "b14,Escape,Lumen,Mugs,9,USD,../../../etc/passwd,,",
    "not an image format": "b15,Text as image,Lumen,Mugs,9,USD,img/notes.jpg,,",
    "only http(s) image URLs": "b16,File URL,Lumen,Mugs,9,USD,file:///etc/passwd,,",
    "image is missing": "b17,No image,Lumen,Mugs,9,USD,,,",
}


def test_every_bad_row_is_reported_once_and_every_good_row_indexed(tmp_path, tiny_encoder):
    (tmp_path / "img").mkdir()
    for name, colour in zip("abcd", ("red", "green", "blue", "gold")):
        Image.new("RGB", (48, 48), colour).save(tmp_path / "img" / f"{name}.png")
    (tmp_path / "img" / "notes.jpg").write_text("shopping list")
    good = GOOD[:2] + ['g3,"Tote ""Classic""",Sora,Bags,"1,200.00",EUR,img/c.png,,true'] + GOOD[3:]
    rows = good[:2] + list(BAD.values())[:8] + good[2:] + list(BAD.values())[8:]
    feed = tmp_path / "export.csv"
    feed.write_bytes(("\ufeff" + "\r\n".join([HEADER] + rows) + "\r\n").encode("utf-8"))
    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    summary = Indexer(tiny_encoder, store, batch_size=5).index_feed(feed)

    assert store.count() == summary.added == 6
    stored = store.stored(["g1", "g3", "g4", "g5", "g6"])
    assert stored["g5"].product.title == "" and stored["g6"].product.brand == ""
    assert stored["g6"].product.price is None and stored["g6"].product.currency == ""
    assert stored["g1"].product.title == "Mug, large" and stored["g1"].product.url == ""
    assert stored["g3"].product.title == 'Tote "Classic"' and stored["g3"].product.price == 1200.0
    assert stored["g4"].product.title == "Caf\u00e9 Cap" and not stored["g4"].product.in_stock
    assert len(summary.skipped) == len(BAD) >= 12
    expected_lines = {reason: rows.index(row) + 2 for reason, row in BAD.items()}
    for reason, line in expected_lines.items():
        matching = [s for s in summary.skipped if reason in s.reason]
        assert len(matching) == 1, (reason, [str(s) for s in summary.skipped])
        [skip] = matching
        assert skip.line == line, reason
