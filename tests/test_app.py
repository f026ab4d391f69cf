import re
import subprocess
import sys

import pytest
from gradio_client import Client, handle_file

from app import _page_header
from storefront import Storefront
from conftest import ROOT
from search.config import Settings


@pytest.fixture(scope="module")
def storefront(tmp_path_factory):
    home = tmp_path_factory.mktemp("storefront")
    return Storefront(Settings(store=home / "store", model="test-tiny", demo_dir=home / "demo", precision="fp32"))


def test_first_use_fills_an_empty_store_with_the_demo_catalog(storefront):
    assert storefront.service().store.count() == 240
    assert "test model with random weights" in storefront.banner()
    assert storefront.model_line().endswith("no pretrained weights · fp32 · 240 products")


def test_search_gives_cards_with_brand_price_and_match(storefront):
    photo = storefront.settings.demo_dir / "images" / "demo-0105.png"
    gallery, status, ids = storefront.search(str(photo), "", 0.5, 6, 0.0)
    assert len(gallery) == 6 and status.startswith("6 products") and ids[0] == "demo-0105"
    picture, caption = gallery[0]
    assert picture.endswith("demo-0105.png")
    assert re.fullmatch(r"Kestrel Red Striped Coffee Mug\nKestrel · 25\.00 USD · 100% match", caption)


def test_bad_input_becomes_a_message_not_a_traceback(storefront, tmp_path):
    bad = tmp_path / "cat.jpg"
    bad.write_bytes(b"<html>not an image</html>")
    assert storefront.search(str(bad), "", 0.5, 6, 0.0) == ([], f"⚠️ {bad}: not an image format we can read "
                                                               "(JPEG, PNG, WebP, GIF, BMP, TIFF)", [])
    assert storefront.search(None, "", 0.5, 6, 0.0)[1] == "⚠️ give a photo, a text, or both to search with"


def test_a_threshold_above_every_score_explains_the_empty_result(storefront):
    photo = storefront.settings.demo_dir / "images" / "demo-0105.png"
    gallery, status, _ = storefront.search(str(photo), "", 0.5, 6, 1.01)
    assert gallery == [] and "No product scores above the 101% match threshold" in status


def test_gradio_client_named_endpoints(launched_app):
    url, demo_dir = launched_app
    client = Client(url, verbose=False)
    photo = handle_file(str(demo_dir / "images" / "demo-0105.png"))
    by_photo, status = client.predict(photo, 3, 0.0, ["Kestrel", "Sora"], [], None, None, False,
                                      api_name="/search_image")
    assert status.startswith("3 products") and by_photo[0]["caption"].startswith("Kestrel Red Striped Coffee Mug")
    assert all(item["caption"].splitlines()[1].split(" · ")[0] in {"Kestrel", "Sora"} for item in by_photo)
    by_text, status = client.predict("striped mug", 2, 0.0, [], [], None, None, False, api_name="/search_text")
    assert len(by_text) <= 2 and not status.startswith("⚠️")  # random test weights: text scores may be below 0
    both, status = client.predict(photo, "in blue", 0.3, 2, 0.0, [], [], None, None, False,
                                  api_name="/search_both")
    assert len(both) <= 2 and not status.startswith("⚠️")
    similar, status = client.predict("demo-0105", 3, 0.0, [], [], None, None, False, api_name="/more_like_this")
    assert len(similar) == 3 and status.startswith("More like demo-0105")


def test_gradio_client_image_search_returns_brand_and_price(launched_app):
    url, demo_dir = launched_app
    client = Client(url, verbose=False)
    gallery, status = client.predict(handle_file(str(demo_dir / "images" / "demo-0203.png")), "", 0.5, 4, 0.0,
                                     [], [], None, None, False, api_name="/search")
    assert status.startswith("4 products")
    assert gallery[0]["caption"].startswith("Alder & Co Red Sneakers\nAlder & Co · 113.49 USD")
    assert all(re.search(r" · \d+\.\d\d USD", item["caption"]) for item in gallery)


def test_text_inputs_are_hidden_when_the_encoder_cannot_read_text(storefront, tmp_path):
    offline = Storefront(Settings(store=tmp_path / "store", model="offline", demo_dir=storefront.settings.demo_dir))
    banner, _, text, weight, _, _ = _page_header(offline)()
    assert banner["visible"] is False and text["visible"] is False and weight["visible"] is False
    assert _page_header(storefront)()[2]["visible"] is True


def test_a_store_of_another_model_is_refused_not_filled_with_the_demo(storefront, tmp_path):
    result = subprocess.run([sys.executable, "app.py", "--store", str(storefront.settings.store), "--model",
                             "offline", "--port", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: the store {storefront.settings.store} was "
                                                             "built with test-tiny")


def test_filters_apply_in_the_store_and_the_empty_state_says_what_to_change(storefront):
    photo = storefront.settings.demo_dir / "images" / "demo-0105.png"
    gallery, status, ids = storefront.search(str(photo), "", 0.5, 48, -1.0, ["Sora"], None, 20, 60, True)
    assert ids and all(" · Sora · " in f" · {caption.splitlines()[1]}" for _, caption in gallery)
    stored = storefront.service().store.stored(ids)
    assert all(p.product.brand == "Sora" and 20 <= p.product.price <= 60 and p.product.in_stock
               for p in stored.values())
    assert storefront.search(str(photo), "", 0.5, 6, 0.999, ["Sora"])[1].startswith(
        "No product scores above the 99.9% match threshold: lower it or remove a filter")


def test_brand_choices_carry_honest_counts(storefront):
    brands, categories = storefront.facet_choices()
    assert sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label, _ in brands) == 240
    assert ("Mugs (24)", "Mugs") in categories


def test_details_and_more_like_this(storefront):
    details = storefront.details("demo-0105")
    assert "### Kestrel Red Striped Coffee Mug" in details and "- **Price**: 25.00 USD" in details
    assert "[View the product page ↗](https://shop.example.com/products/demo-0105)" in details
    assert "- **Colour**: Red" in details
    gallery, status, ids = storefront.more_like_this("demo-0105", 5, -1.0)
    assert len(ids) == 5 and "demo-0105" not in ids and status.startswith("More like demo-0105: 5 products")
    assert storefront.more_like_this(None, 5, 0.0)[1].startswith("⚠️ click a product first")


def test_examples_are_one_picture_per_category(storefront):
    pictures = storefront.example_photos()
    stored = {p.image: p.category for p in storefront.service().store.products()}
    assert len(pictures) == 5 and len({stored[p] for p in pictures}) == 5
