"""Every picture of a product is encoded and searched, and each product (or group of variants) answers once, by the
picture that matched best; feeds give several pictures and variants; a product is written whole."""
import json
import os
import re
import signal

import numpy as np
import pandas
import pytest
from PIL import Image, ImageDraw
from test_indexer import CountingEncoder

import forked
from catalog.formats import read_feed
from conftest import ROOT, cli_here
from search.duplicates import find_duplicates
from search.indexer import Indexer
from search.ranking import Filters, Ranking
from search.service import Query, SearchService
from search.store.collection import ProductStore, row_id
from search.store.maintenance import check
from storefront.results import card

HEADER = "id,title,brand,category,price,currency,colour,group,image,images\n"
# Each picture a colour with a stripe of another across it, distinct enough for the tiny CLIP to tell apart
DRAWN = {"red": ("red", "white"), "blue-back": ("navy", "yellow"), "green": ("green", "black"),
         "yellow": ("yellow", "blue"), "purple": ("purple", "orange"), "shirt-red": ("crimson", "gray"),
         "shirt-blue": ("royalblue", "gray"), "shirt-white": ("ivory", "gray"), "lamp": ("orange", "teal")}
ROWS = ["mug,Mug,Lumen,Mugs,10,USD,Red,,images/red.png,images/blue-back.png",
        "cap,Cap,Sora,Caps,12,USD,Green,,images/green.png,",
        "bag,Bag,Sora,Bags,30,USD,Yellow,,images/yellow.png,images/purple.png|images/yellow.png",
        "shirt-r,Shirt,Fjell,Shirts,20,USD,Red,shirt,images/shirt-red.png,",
        "shirt-b,Shirt,Fjell,Shirts,22,USD,Blue,shirt,images/shirt-blue.png,",
        "shirt-w,Shirt,Fjell,Shirts,24,USD,White,shirt,images/shirt-white.png,",
        "lamp,Lamp,Lumen,Lamps,40,USD,Orange,,images/lamp.png,"]


def _draw(folder, name, colours, shift=0):
    picture = Image.new("RGB", (96, 96), colours[0])
    ImageDraw.Draw(picture).rectangle((0, 36 + shift, 95, 60 + shift), fill=colours[1])
    picture.save(folder / f"{name}.png")


@pytest.fixture
def shop(tmp_path, tiny_encoder):
    (tmp_path / "images").mkdir()
    for name, colours in DRAWN.items():
        _draw(tmp_path / "images", name, colours)
    feed = tmp_path / "feed.csv"
    feed.write_text(HEADER + "\n".join(ROWS) + "\n")
    encoder = CountingEncoder(tiny_encoder)
    store = ProductStore(tmp_path / "store", encoder.info, for_indexing=True)
    summary = Indexer(encoder, store).index_feed(feed)
    assert summary.added == len(ROWS) and not summary.skipped and not summary.left_out
    return tmp_path, encoder, store, feed


def _like(folder, name):
    """A shopper's photo of the picture `name`: re-saved as a JPEG, as a camera would have it."""
    photo = folder / f"photo-{name}.jpg"
    Image.open(folder / "images" / f"{name}.png").save(photo, quality=70)
    return photo


def test_a_photo_like_only_a_products_second_picture_finds_that_product_first(shop):
    folder, encoder, store, _ = shop
    assert (store.count(), store.pictures_count()) == (7, 9)  # the bag lists its main picture twice: stored once
    service = SearchService(encoder.inner, store)
    [first, *others] = service.search(Query(image=_like(folder, "blue-back")), ranking=Ranking(top_k=7)).hits
    assert first.product.id == "mug" and first.shot == 1
    assert first.picture == str(folder / "images" / "blue-back.png")  # the card shows the picture that matched
    assert first.product.pictures == (str(folder / "images" / "red.png"), str(folder / "images" / "blue-back.png"))
    assert "mug" not in {hit.product.id for hit in others}


def test_no_product_and_no_group_twice_in_any_answer(shop):
    folder, encoder, store, _ = shop
    grouped = SearchService(encoder.inner, store)
    apart = SearchService(encoder.inner, store, variants_apart=True)
    every = Ranking(top_k=20, min_score=-1.0)  # the tiny CLIP's random weights score some pictures below 0
    for query in (Query(image=_like(folder, "yellow")), Query(image=_like(folder, "shirt-blue"), text="shirt"),
                  Query(text="shirt bag mug")):
        ids = [hit.product.id for hit in grouped.search(query, ranking=every).hits]
        assert len(ids) == len(set(ids)) == 5 and sum(i.startswith("shirt") for i in ids) == 1
        ids = [hit.product.id for hit in apart.search(query, ranking=every).hits]
        assert len(ids) == len(set(ids)) == 7
    beyond_memory = ProductStore(store.location, encoder.info, exact_limit=1)  # Chroma's own index answers
    ids = [hit.product.id for hit in SearchService(encoder.inner, beyond_memory).search(
        Query(image=_like(folder, "blue-back")), ranking=every).hits]
    assert beyond_memory.replica.exact() is None and ids[0] == "mug" and len(ids) == len(set(ids)) == 5
    more = grouped.more_like_this("bag", ranking=every).hits
    assert "bag" not in {hit.product.id for hit in more} and len(more) == len({hit.product.id for hit in more})
    items = grouped.find_items(_like(folder, "purple"), regions=4, min_score=-1.0, per_item=6)
    assert all(len({hit.product.id for hit in item.hits}) == len(item.hits) for item in items.items)


def test_a_group_shows_its_best_variant_and_a_colour_filter_the_variant_of_that_colour(shop):
    folder, encoder, store, _ = shop
    service = SearchService(encoder.inner, store)
    photo = Query(image=_like(folder, "shirt-blue"))
    [shirt] = [hit for hit in service.search(photo).hits if hit.product.group == "shirt"]
    assert (shirt.product.id, shirt.product.colour, shirt.product.price) == ("shirt-b", "Blue", 22.0)
    assert sorted(other.id for other in shirt.others) == ["shirt-r", "shirt-w"]  # the card names the others
    assert "also in Red, White" in card(shirt, [], "en").why and "还有 Red, White" in card(shirt, [], "zh-CN").why
    assert card(shirt, [], "en").other_variants == ("shirt-r", "shirt-w")  # for the API's and the agents' answers
    assert not SearchService(encoder.inner, store, variants_apart=True).search(photo).hits[0].others
    [red] = service.search(photo, Filters(colours=("Red",), categories=("Shirts",))).hits
    assert red.product.id == "shirt-r" and red.picture.endswith("shirt-red.png")


def test_a_merchant_xml_item_with_three_additional_images_stores_four_pictures(tmp_path, tiny_encoder):
    (tmp_path / "images").mkdir()
    for n, name in enumerate(["front", "back", "side", "top"]):
        _draw(tmp_path / "images", name, ("gray", "black"), shift=n * 8)
    extra = "".join(f"<g:additional_image_link>images/{name}.png</g:additional_image_link>"
                    for name in ("back", "side", "top"))
    (tmp_path / "feed.xml").write_text(
        '<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>boot-1</g:id>'
        "<g:title>Boot</g:title><g:price>80.00 EUR</g:price><g:image_link>images/front.png</g:image_link>"
        f"{extra}<g:item_group_id>boot</g:item_group_id></item></channel></rss>")
    [row] = read_feed(tmp_path / "feed.xml")
    assert row.product.images == tuple(f"images/{name}.png" for name in ("front", "back", "side", "top"))
    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    Indexer(tiny_encoder, store).index_feed(tmp_path / "feed.xml")
    assert (store.count(), store.pictures_count()) == (1, 4)
    stored = store.stored(["boot-1"])["boot-1"]
    assert len(stored.fingerprints) == 4 and stored.product.group == "boot"
    assert [os.path.basename(p) for p in stored.product.pictures] == ["front.png", "back.png", "side.png", "top.png"]


def test_changing_one_picture_re_encodes_that_picture_alone(shop):
    folder, encoder, store, feed = shop
    before = encoder.encoded
    _draw(folder / "images", "purple", ("purple", "lime"))  # the bag's second picture, changed
    feed.write_text(feed.read_text().replace("images/purple.png|images/yellow.png", "images/purple.png"))
    summary = Indexer(encoder, store).index_feed(feed)
    assert (summary.updated, summary.unchanged, summary.pictures_encoded) == (1, 6, 1)
    assert encoder.encoded - before == 1
    moved = feed.read_text().replace("images/yellow.png,images/purple.png", "images/purple.png,images/yellow.png")
    feed.write_text(moved)  # the same two pictures, the other first: nothing to encode
    summary = Indexer(encoder, store).index_feed(feed)
    assert (summary.updated, summary.pictures_encoded) == (1, 0)
    assert store.stored(["bag"])["bag"].product.picture.endswith("purple.png")
    feed.write_text(moved.replace("images/purple.png,images/yellow.png", "images/purple.png,"))
    Indexer(encoder, store).index_feed(feed)  # one picture fewer: its row goes
    assert store.pictures_count() == 8 and row_id("bag", 1) not in store.chroma.all_ids()
    assert store.delete(["mug"]) == 1 and store.pictures_count() == 6  # both of the mug's pictures
    assert check(store).ok


def test_pictures_beyond_the_limit_or_unreadable_are_reported_and_the_rest_indexed(tmp_path, tiny_encoder):
    (tmp_path / "images").mkdir()
    for n in range(4):
        _draw(tmp_path / "images", f"p{n}", ("gray", "black"), shift=n * 8)
    feed = tmp_path / "feed.csv"
    feed.write_text("id,title,image,images\n"
                    "a,Vase,images/p0.png,images/missing.png|images/p1.png|images/p2.png|images/p3.png\n"
                    "b,Bowl,images/gone.png,images/missing.png\n")
    checked = cli_here("catalog", "validate", str(feed))  # each picture checked, before any store
    assert "valid products: 2, with 7 pictures" in checked.stdout and "images/missing.png not found" in checked.stdout
    assert "images/gone.png not found" in checked.stdout
    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    summary = Indexer(tiny_encoder, store, max_pictures=3).index_feed(feed)
    said = [str(row) for row in summary.left_out]
    assert said[0] == "line 2 (id a): has 5 pictures: the first 3 are indexed (setting max_pictures, " \
                      "PRODUCT_SEARCH_MAX_PICTURES)"
    assert said[1].startswith("line 2 (id a): picture 2 of 5 (images/missing.png) is left out: images/missing.png: "
                              "file not found")
    assert [str(row) for row in summary.skipped][0].startswith("line 3 (id b): not one of its 2 pictures can be read")
    assert (store.count(), store.pictures_count()) == (1, 2)
    assert [os.path.basename(p) for p in store.stored(["a"])["a"].product.pictures] == ["p0.png", "p1.png"]


def test_duplicates_across_products_but_not_within_one_nor_among_variants(shop):
    folder, encoder, store, feed = shop
    assert find_duplicates(store, threshold=0.999) == []  # the bag's two pictures, the shirts' shared look: none
    feed.write_text(feed.read_text() + "copy,Copy,Lumen,Mugs,10,USD,Red,,images/green.png,images/purple.png\n")
    Indexer(encoder, store).index_feed(feed)
    assert find_duplicates(store, threshold=0.999) == [["bag", "cap", "copy"]]


def test_a_run_killed_half_way_through_a_products_pictures_leaves_no_half_product(shop, monkeypatch):
    folder, encoder, store, feed = shop
    fresh = folder / "fresh-store"
    killed = forked.run(["tests/kill_at.py", "chromadb.api.models.Collection:Collection.upsert", "1", "half", "--",
                         "index", str(feed), "--store", str(fresh), "--model", "test-tiny"], cwd=ROOT)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    cut = ProductStore(fresh, encoder.info)
    report = check(cut)  # the 9 rows cut after the 4th: the bag's second picture lost
    assert not report.ok and "1 products whose pictures' rows do not match" in "; ".join(report.problems)
    assert cut.stored(["bag"])["bag"].fingerprints == ()  # not whole: written again by the next run
    again = cli_here("search", "index", str(feed), "--store", str(fresh), "--model", "test-tiny")
    assert again.returncode == 0, again.stderr
    assert re.search(r"added 4, updated 1, unchanged 2", again.stdout), again.stdout
    whole = ProductStore(fresh, encoder.info)
    assert check(whole).ok and (whole.count(), whole.pictures_count()) == (7, 9)


def test_a_stores_rows_say_which_product_and_picture_they_are(shop):
    _, _, store, _ = shop
    rows = store.chroma.metadata_of([row_id("mug", 0), row_id("mug", 1)])
    assert [(m["product"], m["shot"]) for m in rows.values()] == [("mug", 0), ("mug", 1)]
    assert json.loads(rows["mug"]["fingerprints"]) == [m["fingerprint"] for m in rows.values()]
    assert np.isclose(np.linalg.norm(store.picture_vectors(["mug"])["mug"], axis=1), 1).all()


def _feed(folder, name, text, column_map=None):
    (folder / name).write_text(text)
    return [item.product for item in read_feed(folder / name, column_map)]


def test_every_feed_format_gives_a_products_pictures_in_order(tmp_path):
    csv = _feed(tmp_path, "feed.csv", "id,title,image,images\na,Vase,v0.jpg,v1.jpg| v2.jpg\n")
    jsonl = _feed(tmp_path, "feed.jsonl", json.dumps({"id": "a", "title": "Vase", "images": ["v0.jpg", "v1.jpg",
                                                                                                "v2.jpg"]}) + "\n")
    merchant = _feed(tmp_path, "merchant.tsv", "id\ttitle\tprice\timage_link\tadditional_image_link\titem_group_id\n"
                                               "a\tVase\t9.00 USD\tv0.jpg\tv1.jpg,v2.jpg\tvases\n")
    mapped = _feed(tmp_path, "mapped.csv", "id,title,main,gallery\na,Vase,v0.jpg,v1.jpg|v2.jpg\n",
                   {"images": "gallery", "image": "main"})
    pandas.DataFrame({"id": ["a"], "title": ["Vase"], "images": [["v0.jpg", "v1.jpg", "v2.jpg"]]}).to_parquet(
        tmp_path / "feed.parquet")
    parquet = [item.product for item in read_feed(tmp_path / "feed.parquet")]
    for products in (csv, jsonl, merchant, mapped, parquet):
        assert [p.images for p in products] == [("v0.jpg", "v1.jpg", "v2.jpg")]
    assert merchant[0].group == "vases" and csv[0].group == ""


def test_a_shopify_export_gives_its_pictures_by_position_and_each_variant_its_own_first(tmp_path):
    header = "Handle,Title,Vendor,Type,Variant SKU,Option1 Name,Option1 Value,Variant Price,Variant Image," \
             "Image Src,Image Position\n"
    rows = ["tee,Tee,Fjell,Shirts,T-R,Color,Red,20,red.jpg,back.jpg,2",
            "tee,,,,T-B,,Blue,22,blue.jpg,red.jpg,1",
            "tee,,,,,,,,,blue.jpg,3"]
    (tmp_path / "shop.csv").write_text(header + "\n".join(rows) + "\n")
    [product] = [item.product for item in read_feed(tmp_path / "shop.csv")]
    assert product.images == ("red.jpg", "back.jpg", "blue.jpg") and product.group == ""
    variants = [item.product for item in read_feed(tmp_path / "shop.csv", shopify_variants=True)]
    assert [(v.id, v.group, v.colour, v.images) for v in variants] == [
        ("tee--T-R", "tee", "Red", ("red.jpg", "back.jpg", "blue.jpg")),
        ("tee--T-B", "tee", "Blue", ("blue.jpg", "red.jpg", "back.jpg"))]


def test_a_backup_reads_again_whole_a_product_written_between_two_of_its_pages(shop):
    from search.store.maintenance import _whole_rows

    _, _, store, _ = shop
    [page] = list(store.chroma.pages())
    torn = [dict(m, fingerprints='["older"]') if m["product"] == "mug" and m["shot"] == 1 else m
            for m in page.metadatas]  # as if the mug's second row were read before a write, its first after
    rows = _whole_rows(store.chroma, type(page)(page.ids, page.vectors, torn))
    assert sorted(rows.ids) == sorted(page.ids) and rows.metadatas[-2:] == list(
        store.chroma.metadata_of([row_id("mug", 0), row_id("mug", 1)]).values())


def test_the_cli_indexes_pictures_up_to_its_limit_and_shows_variants_together_or_apart(shop):
    folder, _, _, feed = shop
    store = str(folder / "cli-store")
    indexed = cli_here("search", "index", str(feed), "--store", store, "--model", "test-tiny", "--max-pictures", "1")
    assert indexed.returncode == 0 and "indexed without a picture: feed.csv" not in indexed.stdout
    assert "line 2 (id mug): has 2 pictures: the first 1 are indexed" in indexed.stdout
    stats = cli_here("search", "stats", "--store", store, "--model", "test-tiny")
    assert re.search(r"products:\s+7\b", stats.stdout) and re.search(r"pictures:\s+7\b", stats.stdout)
    photo = str(_like(folder, "shirt-white"))
    found = {}
    for variants in ("together", "apart"):
        said = cli_here("search", "query", "--image", photo, "--store", store, "--model", "test-tiny", "--json",
                        "--variants", variants)
        found[variants] = json.loads(said.stdout)
    assert [row["id"] for row in found["together"]].count("shirt-w") == 1 and len(found["together"]) == 5
    assert found["together"][0]["variant_of"] == "shirt" and found["together"][0]["picture"].endswith("white.png")
    assert {"shirt-r", "shirt-b", "shirt-w"} <= {row["id"] for row in found["apart"]} and len(found["apart"]) == 7


def test_the_index_keeps_each_groups_products_as_rows_change(shop):
    _, encoder, store, feed = shop
    exact = store.replica.exact()
    assert sorted(m["product"] for m in exact.groups(["shirt"])) == ["shirt-b", "shirt-r", "shirt-w"]
    beyond_memory = ProductStore(store.location, encoder.info, exact_limit=1)  # Chroma's `where` finds them
    assert [p.id for p in beyond_memory.variants(["shirt", "none"])["shirt"]] == ["shirt-b", "shirt-r", "shirt-w"]
    feed.write_text(feed.read_text().replace("shirt-w,Shirt,Fjell,Shirts,24,USD,White,shirt,",
                                             "shirt-w,Shirt,Fjell,Shirts,24,USD,White,,"))  # no longer a variant
    Indexer(encoder, store).index_feed(feed)
    store.delete(["shirt-r"])
    assert [m["product"] for m in exact.groups(["shirt"])] == ["shirt-b"] and exact.groups(["none"]) == []
    assert {g: [p.id for p in ps] for g, ps in store.variants(["shirt"]).items()} == {"shirt": ["shirt-b"]}
