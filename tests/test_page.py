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


def _captions(page):
    return [c.inner_text() for c in page.locator("#results .caption-label").all()]


def test_brand_filter_threshold_and_more_like_this(page, launched_app, tmp_path):
    url, demo_dir = launched_app
    page.goto(url)
    expect(page.get_by_text("test model with random weights")).to_be_visible(timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(demo_dir / "images" / "demo-0105.png"))
    expect(page.locator("#results .caption-label").first).to_contain_text("Kestrel", timeout=60_000)

    page.locator("#brand-filter input").click()
    page.get_by_role("option", name="Sora (").click()
    page.keyboard.press("Escape")
    expect(page.locator("#status")).to_contain_text("products", timeout=30_000)
    page.wait_for_function("() => [...document.querySelectorAll('#results .caption-label')]"
                           ".every(c => c.innerText.split('\\n')[1].startsWith('Sora'))", timeout=30_000)
    sora_count = len(_captions(page))
    assert sora_count > 0 and all(c.splitlines()[1].startswith("Sora ·") for c in _captions(page))

    slider = page.locator("#min-score input[type=number]")
    slider.fill("0.999")
    slider.press("Enter")
    page.locator("#min-score input[type=range]").dispatch_event("pointerup")
    expect(page.locator("#status")).to_contain_text("No product scores above", timeout=30_000)
    assert len(_captions(page)) < sora_count

    slider.fill("0")
    slider.press("Enter")
    page.locator("#min-score input[type=range]").dispatch_event("pointerup")
    expect(page.locator("#results .caption-label").first).to_be_visible(timeout=30_000)
    page.get_by_text("Upload, snap or paste").click()  # leave the slider's box, as a shopper's next click does
    page.wait_for_timeout(1000)
    first_title = _captions(page)[0].splitlines()[0]
    page.locator("#results .thumbnail-item").first.click()
    expect(page.locator("#details").first).to_contain_text(first_title, timeout=30_000)
    page.screenshot(path=str(tmp_path / "details.png"), full_page=True)
    page.locator("#more-like-this").click()
    expect(page.locator("#status")).to_contain_text("More like", timeout=30_000)
    assert first_title not in [c.splitlines()[0] for c in _captions(page)]


def test_an_example_photo_searches_at_once(page, launched_app):
    url, _ = launched_app
    page.goto(url)
    expect(page.get_by_text("Or try one of these")).to_be_visible(timeout=60_000)
    page.locator("img[src*='demo-']").nth(1).click()
    expect(page.locator("#status")).to_contain_text("12 products", timeout=30_000)
    assert page.locator("#results .caption-label").count() == 12
