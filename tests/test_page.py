"""The page in a real browser: Debian's chromium driven by Playwright."""
import io
import os
import re
import shutil
import zipfile

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from PIL import Image, ImageStat
from playwright.sync_api import expect, sync_playwright

from conftest import ADMIN_PASSWORD, images_in

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page(launched_app):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


# The README's screenshots come from `python tools/screenshots.py` (the demo-world model: results that mean
# something), not from these tests' test model


def _open(page, url):
    page.goto(url)
    # the banner in the language the browser chose last (its notice is translated too)
    banner = page.get_by_text(re.compile("test model with random weights|随机权重的测试模型"))
    expect(banner).to_be_visible(timeout=60_000)


def _upload(page, picture):
    page.locator("#photo-file").set_input_files(str(picture))
    expect(page.locator("#status")).to_contain_text("products", timeout=60_000)
    # the photo is shown from the page's memory: it was never a file on the server
    expect(page.locator("#photo img").first).to_have_attribute("src", re.compile("^data:image/"))


def _captions(page):
    return [c.inner_text() for c in page.locator("#results .caption").all()]


def test_uploading_a_photo_shows_product_cards_with_brand_and_price(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url)
    _upload(page, demo_dir / "images" / "demo-0105.png")
    cards = page.locator("#results .caption")
    expect(cards.first).to_contain_text("Kestrel Red Striped Coffee Mug", timeout=60_000)
    expect(cards.first).to_contain_text("Kestrel · 25.00 USD")
    expect(cards.first).to_contain_text("100% match")
    assert cards.count() == 12
    # the picture loads (naturalWidth stays 0 for a broken one); the caption may be drawn before it has arrived
    page.wait_for_function("() => document.querySelector('#results img')?.naturalWidth > 0", timeout=30_000)
    source = page.locator("#results img").first.get_attribute("src")  # the catalog's own file, not a copy
    assert f"file={demo_dir.resolve()}/images/demo-0105.png" in source
    expect(page.locator("#chips .chip").first).to_be_visible()  # what the photo was read as


def _open_filters(page):
    page.locator("#filters").get_by_text("Filters").first.click()
    expect(page.locator("#brand-filter")).to_be_visible()


def test_brand_filter_and_more_like_this(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url)
    _upload(page, demo_dir / "images" / "demo-0105.png")

    expect(page.locator("#brand-filter")).to_be_hidden()  # the filters are folded away until opened
    _open_filters(page)
    sora = page.locator("#brand-filter label.check", has_text="Sora (")
    unticked = Image.open(io.BytesIO(sora.locator("input").screenshot()))
    sora.click()
    page.wait_for_function("() => [...document.querySelectorAll('#results .caption')]"
                           ".every(c => c.innerText.split('\\n')[1].startsWith('Sora'))", timeout=30_000)
    assert all(c.splitlines()[1].startswith("Sora ·") for c in _captions(page))
    expect(page.locator("#filters")).to_contain_text("Filters (1 on)")
    ticked = Image.open(io.BytesIO(sora.locator("input").screenshot()))
    brightness = [ImageStat.Stat(box.convert("L")).mean[0] for box in (unticked, ticked)]
    assert brightness[1] < brightness[0] - 40, brightness  # filled with the page's colour: a ticked box looks ticked

    first_title = _captions(page)[0].splitlines()[0]
    page.locator("#results .card").first.click()
    expect(page.locator("#details").first).to_contain_text(first_title, timeout=30_000)
    page.locator("#more-like-this").click()
    expect(page.locator("#status")).to_contain_text("More like", timeout=30_000)
    assert first_title not in [c.splitlines()[0] for c in _captions(page)]


def test_a_photo_of_a_products_back_shows_that_picture_on_its_card_and_first_in_its_details(page, launched_app):
    url, demo_dir = launched_app
    back = sorted((demo_dir / "images").glob("*-back.png"))[0]  # a demo product's second picture
    _open(page, url)
    _upload(page, back)
    card_picture = page.locator("#results .card img").first
    expect(card_picture).to_have_attribute("src", re.compile(re.escape(f"/images/{back.name}") + "$"))
    page.locator("#results .card").first.click()
    shown = page.locator("#details-pictures img")
    expect(shown).to_have_count(2, timeout=30_000)  # both of its pictures, the one that matched first
    assert shown.first.get_attribute("src") == card_picture.get_attribute("src")
    assert shown.nth(1).get_attribute("src").endswith(back.name.replace("-back", ""))


def test_a_variants_details_offer_its_other_colours_each_opening_its_own_in_both_languages(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url)
    _upload(page, demo_dir / "images" / "demo-0001.png")  # the red one of the demo's shirt in three colours
    page.locator("#results .card").first.click()
    variants = page.locator("#details-variants .variant")
    expect(page.locator("#details-text")).to_contain_text("Mariner Red Striped Oxford Shirt", timeout=30_000)
    expect(variants).to_have_count(2)
    expect(page.locator("#details-variants")).to_contain_text("Also in")
    assert [v.inner_text().splitlines()[0] for v in variants.all()] == ["Sky Blue", "Navy"]
    assert variants.first.locator("img").get_attribute("src").endswith("/images/demo-0000.png")
    variants.nth(1).click()  # the navy one: its own details, the other two offered
    expect(page.locator("#details-text")).to_contain_text("Mariner Navy Striped Oxford Shirt", timeout=30_000)
    expect(variants.first).to_contain_text("Sky Blue")
    expect(variants.nth(1)).to_contain_text("Red")
    page.locator("#shop-language button[data-lang=zh-CN]").click()
    page.locator("#results .card").first.click()
    expect(page.locator("#details-variants")).to_contain_text("其他款式", timeout=30_000)
    expect(variants.first).to_contain_text("天蓝色")
    page.locator("#shop-language button[data-lang=en]").click()  # the next tests read the page in English
    page.locator("#close-details").click()
    page.locator("#results .card").nth(1).click()  # a product of no group: no list
    expect(page.locator("#details-text h3")).not_to_contain_text("Mariner Red Striped", timeout=30_000)
    expect(page.locator("#details-variants")).to_be_hidden()


def test_the_tuning_page_searches_its_own_query_as_the_sliders_move(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url + "tuning")
    page.locator("#tuning-photo input[type=file]").first.set_input_files(str(demo_dir / "images" / "demo-0105.png"))
    expect(page.locator("#tuning-status")).to_contain_text("12 products", timeout=60_000)
    expect(page.locator("#preview .thumbnail-item")).to_have_count(12)
    expect(page.locator("#histogram")).to_be_visible()
    threshold = page.locator("#min-score input[type=number]")
    threshold.fill("0.999")
    threshold.press("Enter")
    expect(page.locator("#tuning-status")).to_contain_text("2 products", timeout=30_000)  # the photo's own two
    expect(page.locator("#preview .thumbnail-item")).to_have_count(2)  # the preview follows the slider
    threshold.fill("0")
    threshold.press("Enter")
    expect(page.locator("#preview .thumbnail-item")).to_have_count(12, timeout=30_000)
    expect(page.locator("#timings")).to_contain_text("encode")
    expect(page.locator("#curve img")).to_be_visible(timeout=120_000)  # the threshold curve on sample queries
    page.get_by_text("中文").first.click()  # the search again, its status, charts and table in the page's language
    expect(page.locator("#timings")).to_contain_text("合计", timeout=30_000)
    expect(page.locator("#timings")).to_contain_text("编码")
    expect(page.locator("#tuning-status")).to_contain_text("12 件商品")
    expect(page.get_by_role("link", name="商店")).to_be_visible()  # the staff pages' links too


def test_the_shoppers_page_loads_no_staff_view_and_staff_pages_have_their_own_address(page, launched_app):
    url, _ = launched_app
    _open(page, url)
    for staff_only in ("#min-score", "#histogram", "#curve", "#preview", "#feed", "#admin-password"):
        expect(page.locator(staff_only)).to_have_count(0)
    expect(page.get_by_role("link", name="Tuning")).to_be_hidden()  # no staff links for shoppers
    _open(page, url + "tuning")
    expect(page.locator("#min-score")).to_be_visible()
    expect(page.locator("#results")).to_have_count(0)
    _open(page, url + "admin")
    expect(page.locator("#admin-password")).to_be_visible()
    expect(page.get_by_role("link", name="Shop")).to_be_visible()  # staff find their way back


def test_two_clicks_on_the_photo_search_just_that_part(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url)
    _upload(page, demo_dir / "images" / "demo-0105.png")
    expect(page.locator("#results .caption").first).to_contain_text("100% match", timeout=30_000)
    box = page.locator("#photo img").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    expect(page.locator("#crop-hint")).to_contain_text("Now click the opposite corner", timeout=30_000)
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7)
    expect(page.locator("#crop-preview img")).to_be_visible(timeout=30_000)
    # the part is not the catalog's own picture any more: no perfect match
    expect(page.locator("#results .caption").first).not_to_contain_text("100% match", timeout=30_000)
    page.locator("#whole-photo").click()
    expect(page.locator("#results .caption").first).to_contain_text("100% match", timeout=30_000)


def test_a_recognised_category_chip_filters_the_results(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url)
    _upload(page, demo_dir / "images" / "demo-0203.png")
    chip = page.locator("#chips .chip").first
    category = chip.inner_text().split(" · ")[0]
    chip.click()
    expect(page.locator("#filters")).to_contain_text("Filters (1 on)", timeout=30_000)
    _open_filters(page)
    expect(page.locator("#category-filter input:checked")).to_have_value(category)
    page.wait_for_function("n => document.querySelectorAll('#results .caption').length <= n", arg=12,
                           timeout=30_000)


def test_switching_to_chinese_translates_the_page_and_the_results(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url)
    _upload(page, demo_dir / "images" / "demo-0105.png")
    page.get_by_text("中文").click()
    expect(page.get_by_text("以图搜商品")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="搜索", exact=True)).to_be_visible()
    expect(page.locator("#filters")).to_contain_text("筛选")
    expect(page.locator("#more-ways")).to_contain_text("图片地址和示例照片")
    expect(page.locator("#model-line")).to_contain_text("件商品")
    expect(page.locator("#status")).to_contain_text("件商品", timeout=30_000)
    expect(page.locator("#results .caption").first).to_contain_text("匹配度")
    expect(page.locator("#results .caption").first).to_contain_text("Kestrel 红色条纹咖啡马克杯")
    expect(page.locator("#photo img").first).to_be_visible()  # the photo box kept its photo through the switch
    _open(page, url)  # a new visit, with no photo: in the language chosen last time, and a text search alone
    expect(page.get_by_text("以图搜商品")).to_be_visible(timeout=30_000)
    expect(page.locator("#photo")).to_contain_text("将照片拖放到此处，或点击选择照片")
    page.locator("#query-text").fill("红色马克杯")
    page.locator("#query-text").press("Enter")
    first = page.locator("#results .caption").first
    expect(first).to_contain_text("关键词：红色, 马克杯", timeout=30_000)
    expect(page.locator("#status")).to_contain_text("仅按关键词搜索")
    page.get_by_text("English").click()
    expect(page.get_by_text("Visual product search")).to_be_visible(timeout=30_000)
    expect(page.locator("#status")).to_contain_text("Searched by its words alone", timeout=30_000)


def test_the_chinese_page_says_its_problems_in_chinese(page, launched_app, tmp_path):
    """An empty search, a damaged photo and a product no longer in the catalog, each in the shopper's language."""
    url, demo_dir = launched_app
    _open(page, url)
    page.get_by_text("中文").click()
    expect(page.get_by_text("以图搜商品")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.locator("#status")).to_have_text("⚠️ 请提供照片、文字或两者来搜索", timeout=30_000)
    damaged = tmp_path / "holiday.jpg"
    damaged.write_bytes((demo_dir / "images" / "demo-0105.png").read_bytes()[:300])
    page.locator("#photo-file").set_input_files(str(damaged))
    expect(page.locator("#status")).to_contain_text("holiday.jpg：图片数据损坏或不完整", timeout=30_000)
    page.locator("#remove-photo").click()
    page.locator("#query-text").fill("马克杯")
    page.locator("#query-text").press("Enter")
    expect(page.locator("#results .card").first).to_be_visible(timeout=30_000)
    page.locator("#results .card").first.evaluate("card => { card.dataset.id = 'demo-gone-0001'; }")  # deleted since
    page.locator("#results .card").first.click()
    expect(page.locator("#details")).to_contain_text("商品 demo-gone-0001 已不在目录中", timeout=30_000)
    page.get_by_role("button", name="关闭").click()
    page.get_by_text("English").click()  # the browser remembers the language: the next tests read English
    expect(page.get_by_text("Visual product search")).to_be_visible(timeout=30_000)


def test_an_example_photo_searches_at_once(page, launched_app):
    url, _ = launched_app
    _open(page, url)
    page.locator("#more-ways").get_by_text("Image address and example photos").click()
    expect(page.get_by_text("Or try one of these")).to_be_visible(timeout=30_000)
    page.locator("#examples button").nth(1).click()
    expect(page.locator("#status")).to_contain_text("12 products", timeout=30_000)
    expect(page.locator("#results .caption")).to_have_count(12)  # drawn a moment after the status line


def test_a_shoppers_photo_and_its_crop_are_never_kept_on_disk(page, launched_app, tmp_path):
    url, demo_dir = launched_app
    photo = tmp_path / "my-own-photo.jpg"  # not a catalog file
    Image.open(demo_dir / "images" / "demo-0105.png").convert("RGB").rotate(3).save(photo, quality=85)
    _open(page, url)
    _upload(page, photo)
    box = page.locator("#photo img").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    expect(page.locator("#crop-hint")).to_contain_text("Now click the opposite corner", timeout=30_000)
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8)
    expect(page.locator("#crop-preview img")).to_be_visible(timeout=30_000)
    for shown in (page.locator("#photo img").first, page.locator("#crop-preview img").first):
        assert shown.evaluate("img => img.naturalWidth") > 0  # still on screen: from memory
        assert shown.get_attribute("src").startswith("data:image/jpeg;base64,")
    uploads = demo_dir.parent / "uploads"  # Gradio's upload folder: the photo is never uploaded as a file
    assert not uploads.exists() or images_in(uploads) == []


def test_a_broken_upload_is_explained_and_the_next_photo_searched(page, launched_app, tmp_path):
    url, demo_dir = launched_app
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes((demo_dir / "images" / "demo-0105.png").read_bytes()[:300])
    _open(page, url)
    page.locator("#photo-file").set_input_files(str(broken))
    expect(page.locator("#status")).to_contain_text("holiday.jpg: image data is damaged or truncated",
                                                    timeout=60_000)
    assert page.locator("#results .caption").count() == 0
    _upload(page, demo_dir / "images" / "demo-0203.png")
    expect(page.locator("#results .caption").first).to_contain_text("Alder & Co Red Sneakers",
                                                                          timeout=30_000)


def _files(folder):
    """Every file under `folder` with its size and modification time: Gradio's upload folder left out, and the
    product team's record of searches and opens (what it keeps, and never the photo: tests/test_events.py)."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file() and "uploads" not in p.relative_to(folder).parts and not p.name.startswith("events.")}


def test_recent_views_live_in_the_browser_and_inspire_suggestions(page, launched_app):
    url, demo_dir = launched_app
    _open(page, url)
    page.evaluate("localStorage.clear()")  # whatever this module's other tests opened
    _open(page, url)
    expect(page.locator("#history").first).to_be_hidden()
    _upload(page, demo_dir / "images" / "demo-0105.png")
    server_files = _files(demo_dir.parent)  # the store, the demo catalog, the logs, the saved settings
    opened = []
    for index in (0, 3, 1):
        card = page.locator("#results .card").nth(index)
        opened.append(card.locator(".caption").inner_text().splitlines()[0])
        card.click()
        expect(page.locator("#details").first).to_contain_text(opened[-1], timeout=30_000)
    _open(page, url)  # a return visit
    recent = page.locator("#recent .caption")
    expect(recent).to_have_count(3, timeout=30_000)
    assert [text.splitlines()[0] for text in recent.all_inner_texts()] == opened[::-1]  # newest first
    suggested = page.locator("#inspired .caption")
    expect(suggested.first).to_be_visible()
    assert not {text.splitlines()[0] for text in suggested.all_inner_texts()} & set(opened)
    page.get_by_role("button", name="Forget my history").click()
    expect(page.locator("#history").first).to_be_hidden(timeout=30_000)
    _open(page, url)
    expect(page.locator("#model-line")).to_contain_text("products")
    expect(page.locator("#history").first).to_be_hidden()
    assert page.evaluate("JSON.stringify(localStorage)").count("demo-") == 0
    assert _files(demo_dir.parent) == server_files  # nothing about the visit was written on the server


def test_every_product_in_a_photo_is_marked_with_a_row_that_searches_it(page, launched_app, tmp_path):
    from catalog.scenes import compose_scene
    url, demo_dir = launched_app
    pictures = {path.stem: Image.open(path) for path in sorted((demo_dir / "images").glob("demo-01*.png"))}
    scene = tmp_path / "scene.jpg"
    compose_scene(pictures, "textured", seed=4, count=3).image.save(scene, quality=92)
    _open(page, url)
    _upload(page, scene)
    page.locator("#find-items").click()
    expect(page.locator("#items-photo img")).to_be_visible(timeout=60_000)
    # the marked photo is the shopper's photo: shown from memory, never written to the server's disk
    expect(page.locator("#items-photo img")).to_have_attribute("src", re.compile("^data:image/jpeg"))
    expect(page.locator("#status")).to_contain_text("found in the photo", timeout=30_000)
    expect(page.locator("#item-1 .caption").first).to_be_visible()
    expect(page.locator("#results")).to_be_hidden()
    page.locator("#search-item-1").click()
    expect(page.locator("#crop-preview img")).to_be_visible(timeout=30_000)
    expect(page.locator("#results .caption").first).to_be_visible(timeout=30_000)
    expect(page.locator("#items")).to_be_hidden()


def test_an_older_search_answering_last_does_not_replace_a_newer_ones_results(page, launched_app):
    """The page's script shows only its newest search's answer: a photo's search held back by the network until a
    text search has answered must not overwrite it when it comes."""
    url, demo_dir = launched_app
    _open(page, url)
    held = []

    def hold_the_first_search(route):
        if '"fn_name":"search"' in (route.request.post_data or "").replace(" ", "") and not held:
            held.append(route)
        else:
            route.continue_()
    page.route("**/component_server/", hold_the_first_search)
    try:
        page.locator("#photo-file").set_input_files(str(demo_dir / "images" / "demo-0105.png"))
        page.wait_for_function("() => document.querySelector('#status').textContent.includes('Searching')")
        assert len(held) == 1
        page.locator("#query-text").fill("backpack")
        page.locator("#query-text").press("Enter")
        expect(page.locator("#status")).to_contain_text("products", timeout=30_000)
        newer = (page.locator("#status").inner_text(), _captions(page))
        with page.expect_response(lambda response: "component_server" in response.url):
            held[0].continue_()
        page.wait_for_timeout(500)  # the older answer has arrived and been read
        assert (page.locator("#status").inner_text(), _captions(page)) == newer
    finally:
        page.unroute("**/component_server/")


def test_a_long_list_of_choices_narrows_to_what_is_typed(page, launched_app):
    url, _ = launched_app
    _open(page, url)
    _open_filters(page)
    colours = page.locator("#colour-filter")
    expect(page.locator("#category-filter .find-choice")).to_be_hidden()  # ten categories: short enough to scan
    colours.locator(".find-choice").fill("nav")  # fourteen colours
    expect(colours.locator(".choices label:visible")).to_have_count(1)
    expect(colours.locator(".choices label:visible")).to_contain_text("Navy (")
    colours.locator(".find-choice").fill("")
    expect(colours.locator(".choices label:visible")).to_have_count(14)


def test_the_insights_page_shows_what_shoppers_searched_and_opened_in_charts_in_both_languages(
        page, launched_app, tmp_path):
    url, demo_dir = launched_app
    _open(page, url)
    _upload(page, demo_dir / "images" / "demo-0105.png")
    second = page.locator("#results .card").nth(1)
    title = second.locator(".caption").inner_text().splitlines()[0]
    second.click()  # an open at rank 2
    # its details answered by the server, which records the open (the sheet opens before: leaving then cut the call)
    expect(page.locator("#details").first).to_contain_text(title, timeout=30_000)
    page.goto(url + "insights")
    page.locator("#insights-password input").fill(ADMIN_PASSWORD)
    page.locator("#show-insights").click()
    summary = page.locator("#insights-summary")
    expect(summary).to_contain_text("searches", timeout=30_000)
    searches = int(re.search(r"(\d+) searches", summary.inner_text()).group(1))
    opens = int(re.search(r"(\d+) opens of a result", summary.inner_text()).group(1))
    assert searches >= 1 and opens >= 1
    for chart in ("#per-day", "#per-language", "#by-rank", "#stage-times"):
        expect(page.locator(f"{chart} svg .mark-rect path").first).to_be_attached(timeout=30_000)  # bars drawn
    expect(page.locator("#most-opened table")).to_be_visible()
    page.locator("#export-events").click()
    expect(page.locator("#events-csv")).to_contain_text(".csv", timeout=30_000)
    page.screenshot(path=str(tmp_path / "insights.png"), full_page=True)
    page.get_by_text("中文").click()
    expect(summary).to_contain_text("次搜索", timeout=30_000)
    expect(page.locator("#per-day")).to_contain_text("每日搜索次数")
    page.locator("#replay").click()
    expect(page.locator("#replayed")).to_contain_text("重放", timeout=60_000)
    page.screenshot(path=str(tmp_path / "insights-zh.png"), full_page=True)
    page.get_by_text("English").click()  # as the other tests expect the page
    expect(summary).to_contain_text("searches", timeout=30_000)


def test_the_tuning_page_saves_its_sliders_and_evaluates_the_teams_labelled_set(page, launched_app, tmp_path):
    url, demo_dir = launched_app
    shutil.copy(demo_dir / "images" / "demo-0105.png", tmp_path / "mug.png")
    (tmp_path / "labels.csv").write_text("image,text,relevant_ids,relevant_category\nmug.png,,demo-0105,\n"
                                         ",coffee mug,,Mugs\n")
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.write(tmp_path / "mug.png", "mug.png")
    _open(page, url + "tuning")
    page.locator("#tuning-password input").fill(ADMIN_PASSWORD)
    page.locator("#save-defaults").click()
    expect(page.locator("#saved")).to_contain_text("Saved as everyone's defaults", timeout=30_000)
    page.locator("#labels-file input[type=file]").set_input_files(str(tmp_path / "labels.csv"))
    page.locator("#labels-photos input[type=file]").set_input_files(str(tmp_path / "photos.zip"))
    uploaded = page.locator("#labels-photos").get_by_role("row", name=re.compile(r"photos\.zip"))  # its text may
    expect(uploaded).to_be_visible(timeout=30_000)  # read "photos .zip": Gradio sets a name's stem and suffix apart
    page.locator("#evaluate").click()
    figures = page.locator("#labelled-figures")
    expect(figures).to_contain_text("2 labelled queries", timeout=60_000)
    expect(figures.locator("th").nth(1)).to_have_text("current sliders")
    expect(figures).to_contain_text("recall@10")
    expect(page.locator("#labelled-curves img")).to_be_visible(timeout=30_000)
