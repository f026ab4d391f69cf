"""The page in a real browser: Debian's chromium driven by Playwright."""
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page(launched_app):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


def test_uploading_a_photo_shows_product_cards_with_brand_and_price(page, launched_app, tmp_path):
    url, demo_dir = launched_app
    page.goto(url)
    expect(page.get_by_text("test model with random weights")).to_be_visible(timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(demo_dir / "images" / "demo-0105.png"))
    cards = page.locator("#results .caption-label")
    expect(cards.first).to_contain_text("Kestrel Red Striped Coffee Mug", timeout=60_000)
    expect(cards.first).to_contain_text("Kestrel · 25.00 USD · 100% match")
    assert cards.count() == 12
    assert page.locator("#results img").first.evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(tmp_path / "shopper.png"), full_page=True)
