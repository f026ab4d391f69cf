"""The shoppers' page on a phone: Debian's chromium with a phone's screen (390 x 844 CSS pixels) and touch."""
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture()
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def _open(page, url):
    page.goto(url)
    expect(page.get_by_text("test model with random weights")).to_be_visible(timeout=60_000)


def _upload(page, picture, found="products"):
    page.locator("#photo-file").set_input_files(str(picture))
    expect(page.locator("#status")).to_contain_text(found, timeout=60_000)


def _results_scrolled_into_view(page):
    page.wait_for_function("() => { const r = document.querySelector('#results .card')"
                           "?.getBoundingClientRect(); return r && r.top >= 0 && r.bottom <= innerHeight; }",
                           timeout=10_000)


def _on_screen(page, locator) -> bool:
    """Whether the element is wholly within the phone's screen as it is scrolled now."""
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


def test_the_header_wraps_and_after_a_photo_the_results_are_on_screen_in_two_columns(phone, launched_app):
    url, demo_dir = launched_app
    _open(phone, url)
    title = phone.get_by_role("heading", name="Visual product search")
    assert title.bounding_box()["width"] > 250 and title.bounding_box()["height"] < 60  # one line, not a column
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    expect(phone.locator("#brand-filter")).to_be_hidden()  # filters, address and examples folded away
    expect(phone.locator("#image-url")).to_be_hidden()
    _upload(phone, demo_dir / "images" / "demo-0105.png")
    cards = phone.locator("#results .card")
    expect(cards.first).to_contain_text("Kestrel Red Striped Coffee Mug", timeout=30_000)
    _results_scrolled_into_view(phone)  # without the shopper scrolling
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first["y"] == second["y"] and second["x"] > first["x"] + first["width"] - 1  # side by side
    assert cards.nth(2).bounding_box()["y"] > first["y"]  # the third starts the next row


def test_the_filters_open_say_how_many_are_on_and_close(phone, launched_app):
    url, demo_dir = launched_app
    _open(phone, url)
    _upload(phone, demo_dir / "images" / "demo-0105.png")
    filters = phone.locator("#filters").get_by_text("Filters").first
    filters.tap()
    expect(phone.locator("#brand-filter")).to_be_visible()
    phone.locator("#in-stock input").tap()
    expect(phone.locator("#filters")).to_contain_text("Filters (1 on)", timeout=30_000)
    phone.locator("#filters").get_by_text("Filters (1 on)").tap()
    expect(phone.locator("#brand-filter")).to_be_hidden()
    phone.locator("#filters").get_by_text("Filters (1 on)").tap()
    phone.locator("#in-stock input").tap()
    expect(phone.locator("#filters")).not_to_contain_text("on)", timeout=30_000)  # none on: plain "Filters"


def test_two_taps_crop_the_photo(phone, launched_app):
    url, demo_dir = launched_app
    _open(phone, url)
    _upload(phone, demo_dir / "images" / "demo-0105.png")
    _results_scrolled_into_view(phone)
    picture = phone.locator("#photo img").first
    picture.scroll_into_view_if_needed()
    phone.wait_for_timeout(200)  # scrolled
    box = picture.bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    expect(phone.locator("#crop-hint")).to_contain_text("Now click the opposite corner", timeout=30_000)
    phone.touchscreen.tap(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7)
    expect(phone.locator("#crop-preview img")).to_be_visible(timeout=30_000)
    expect(phone.locator("#results .caption").first).not_to_contain_text("100% match", timeout=30_000)


def test_a_products_details_open_on_screen_and_close(phone, launched_app):
    url, demo_dir = launched_app
    _open(phone, url)
    _upload(phone, demo_dir / "images" / "demo-0105.png")
    card = phone.locator("#results .card").nth(3)
    title = card.locator(".caption").inner_text().splitlines()[0]
    card.tap()
    details = phone.locator("#details").first
    expect(details).to_contain_text(title, timeout=30_000)
    phone.wait_for_timeout(300)  # the sheet has its final size
    assert _on_screen(phone, details) and _on_screen(phone, phone.locator("#more-like-this"))
    phone.locator("#close-details").tap()
    expect(details).to_be_hidden(timeout=30_000)


def test_the_phone_page_switches_to_chinese(phone, launched_app):
    url, demo_dir = launched_app
    _open(phone, url)
    phone.get_by_text("中文").tap()
    expect(phone.get_by_text("以图搜商品")).to_be_visible(timeout=30_000)
    expect(phone.locator("#filters")).to_contain_text("筛选")
    _upload(phone, demo_dir / "images" / "demo-0105.png", found="件商品")
    expect(phone.locator("#results .caption").first).to_contain_text("匹配度", timeout=30_000)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_camera_opens_the_rear_one(browser, launched_app):
    """On a phone the camera button opens the phone's own camera, the rear one (`capture="environment"`); on a
    computer it asks the browser for a live camera, the rear one where there is a choice (recorded, then refused:
    this machine has no camera, and the page says so)."""
    phone = browser.new_context(**PHONE)
    computer = browser.new_context(viewport={"width": 1280, "height": 900})
    computer.add_init_script("""navigator.mediaDevices.getUserMedia = async (constraints) => {
        window.askedForCamera = constraints;
        throw new DOMException('no camera here', 'NotFoundError'); };""")
    try:
        page = phone.new_page()
        _open(page, launched_app[0])
        with page.expect_file_chooser() as chooser:
            page.locator("#camera").tap()
        assert chooser.value.element.get_attribute("capture") == "environment"
        page = computer.new_page()
        _open(page, launched_app[0])
        page.locator("#camera").click()
        page.wait_for_function("() => window.askedForCamera", timeout=30_000)
        assert page.evaluate("window.askedForCamera.video")["facingMode"] == {"ideal": "environment"}
        expect(page.locator("#status")).to_contain_text("The camera could not be opened (no camera here)")
    finally:
        phone.close()
        computer.close()
