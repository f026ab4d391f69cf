"""The README's screenshots. The shopper (a photo, and a photo of a product's back), Chinese, Tuning and phone ones
(before a search, a photo's results, a shirt's details with its other colours) are taken with the `demo-world`
model, whose results mean something without downloaded weights: `python app.py --model demo-world` on a fresh store,
in Chromium. Those of the offline encoder: a keyword query, every product in a photo on a wide screen and on a
phone.

    python tools/screenshots.py [--out docs]

The photos are drawn fresh (a pose and background the catalog's own pictures do not have), so the results are
the model's reading of a new photo, not a picture finding itself.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect, sync_playwright

from catalog.demo import Style, demo_products, draw_product, has_second_view
from catalog.scenes import compose_scene

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
BANNER = "trained only on the demo catalog's drawings"


def serve(home: Path, model: str) -> tuple[str, subprocess.Popen]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PRODUCT_SEARCH_MODEL": model, "PRODUCT_SEARCH_DEMO_DIR": str(home / "demo"),
           "PRODUCT_SEARCH_SAVED_SETTINGS": str(home / "saved.json"),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    app = subprocess.Popen([sys.executable, "app.py", "--store", str(home / "store"), "--port", str(port)],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"http://127.0.0.1:{port}/", app
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the app did not start")


def photos(home: Path) -> dict[str, Path]:
    back_of = next(style for product, style in demo_products() if has_second_view(product)
                   and product.category == "Backpacks")  # a backpack the catalog shows from behind too
    shirt = next(style for product, style in demo_products() if product.group)  # the shirt made in three colours
    drawn = {"mug": draw_product("Mugs", Style("Red", "Mustard", "Striped", (236, 232, 226), 0.4)),
             "shirt": draw_product("Shirts", replace(shirt, background=(232, 236, 230), jitter=-shirt.jitter)),
             "backpack": draw_product("Backpacks", Style("Navy", "Orange", "Solid", (228, 234, 238), -0.3)),
             "backpack-back": draw_product("Backpacks", replace(back_of, background=(226, 230, 236)), second_view=True)}
    paths = {}
    for name, picture in drawn.items():
        paths[name] = home / f"{name}.jpg"
        picture.rotate(6, fillcolor=picture.getpixel((2, 2))).save(paths[name], quality=88)
    return paths


def take(url: str, pictures: dict[str, Path], out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        expect(page.get_by_text(BANNER).first).to_be_visible(timeout=120_000)
        page.locator("#photo-file").set_input_files(str(pictures["mug"]))
        expect(page.locator("#results .caption").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "shopper.png"), full_page=True)
        page.goto(url)
        expect(page.get_by_text(BANNER).first).to_be_visible(timeout=60_000)
        page.get_by_text("中文").click()
        page.locator("#query-text").fill("藏青色 背包")
        page.locator("#query-text").press("Enter")
        expect(page.locator("#status")).to_contain_text("件商品", timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "shopper-zh.png"), full_page=True)
        page.get_by_text("English").click()  # the language a page opens in next time is the one chosen last
        page.goto(url + "tuning")
        page.locator("#tuning-photo input[type=file]").first.set_input_files(str(pictures["backpack"]))
        expect(page.locator("#tuning-status")).to_contain_text("products", timeout=60_000)
        page.wait_for_timeout(4000)  # the threshold curve is drawn after the page opens
        page.screenshot(path=str(out / "tuning.png"), full_page=True)
        page.goto(url)  # last: opening a product makes it a recent view, which the pages above would show
        page.locator("#photo-file").set_input_files(str(pictures["backpack-back"]))  # a photo of its back
        expect(page.locator("#results .caption").first).to_be_visible(timeout=60_000)
        page.locator("#results .card").first.click()
        expect(page.locator("#details-pictures img").nth(1)).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "second-picture.png"), full_page=True)
        browser.close()


def take_phone(url: str, pictures: dict[str, Path], out: Path) -> None:
    """The page on a phone: before a search, the results of a photo of the mug, and a shirt's details with the other
    colours it is made in."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True).new_page()
        phone.goto(url)
        expect(phone.get_by_text(BANNER).first).to_be_visible(timeout=120_000)
        phone.wait_for_timeout(1000)
        phone.screenshot(path=str(out / "phone-start.png"))
        phone.locator("#photo-file").set_input_files(str(pictures["mug"]))
        expect(phone.locator("#results .caption").first).to_be_visible(timeout=60_000)
        phone.wait_for_timeout(1500)  # the page scrolls the results into view
        phone.screenshot(path=str(out / "phone-results.png"))
        phone.locator("#photo-file").set_input_files(str(pictures["shirt"]))
        expect(phone.locator("#results .caption").first).to_contain_text("Oxford Shirt", timeout=60_000)
        phone.locator("#results .card").first.tap()
        expect(phone.locator("#details-variants .variant").first).to_be_visible(timeout=60_000)
        phone.wait_for_timeout(500)
        phone.locator("#details-variants").evaluate("list => list.scrollIntoView({block: 'center'})")  # its colours
        phone.wait_for_timeout(500)
        phone.screenshot(path=str(out / "phone-details.png"))
        browser.close()


def take_offline(url: str, home: Path, out: Path) -> None:
    """A keyword query, and every product of a composed photo found: on a wide screen, and on a phone in Chinese."""
    pictures = {path.stem: Image.open(path) for path in sorted((home / "demo" / "images").glob("demo-01*.png"))}
    scene = home / "scene.jpg"
    compose_scene(pictures, "textured", seed=4, count=3).image.save(scene, quality=92)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.locator("#query-text").fill("red leather backpack")
        page.locator("#query-text").press("Enter")
        expect(page.locator("#results .caption").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "offline-keywords.png"), full_page=True)
        page.locator("#photo-file").set_input_files(str(scene))
        expect(page.locator("#results .caption").first).to_be_visible(timeout=60_000)
        page.locator("#find-items").click()
        expect(page.locator("#item-1 .caption").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "items.png"), full_page=True)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True).new_page()
        phone.goto(url)
        phone.get_by_text("中文").tap()
        phone.locator("#photo-file").set_input_files(str(scene))
        expect(phone.locator("#results .caption").first).to_be_visible(timeout=60_000)
        phone.locator("#find-items").tap()
        expect(phone.locator("#item-1 .caption").first).to_be_visible(timeout=60_000)
        phone.wait_for_timeout(1500)
        phone.screenshot(path=str(out / "phone-items.png"))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    for model, shoot in (("demo-world", lambda url, home: take(url, photos(home), Path(args.out))),
                         ("demo-world", lambda url, home: take_phone(url, photos(home), Path(args.out))),
                         ("offline", lambda url, home: take_offline(url, home, Path(args.out)))):
        with tempfile.TemporaryDirectory() as folder:
            home = Path(folder)
            url, app = serve(home, model)
            try:
                shoot(url, home)
            finally:
                app.terminate()
                app.wait(timeout=30)
    print(f"shopper.png, second-picture.png, shopper-zh.png, tuning.png, phone-start.png, phone-results.png, "
          f"phone-details.png, offline-keywords.png, items.png and phone-items.png written to {args.out}")


if __name__ == "__main__":
    main()
