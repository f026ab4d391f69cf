"""Duplicate listings: the same product uploaded twice under different ids."""
import csv
import io
import json
import shutil

from PIL import Image, ImageEnhance

from conftest import cli_here

PLANTED = {  # original id -> how its second listing's picture was made
    "demo-0001": lambda im: im,
    "demo-0107": lambda im: _jpeg(im, 92),
    "demo-0415": lambda im: im.resize((243, 243)),
    "demo-0608": lambda im: ImageEnhance.Brightness(im).enhance(1.03),
    "demo-0911": lambda im: _jpeg(im.resize((270, 270)), 95),
}


def _jpeg(image, quality):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_planted_duplicates_are_reported_and_distinct_products_are_not(tmp_path, demo_feed):
    shutil.copytree(demo_feed.parent / "images", tmp_path / "images")
    rows = list(csv.DictReader(demo_feed.open(encoding="utf-8")))
    by_id = {row["id"]: row for row in rows}
    for original, change in PLANTED.items():
        copy_id = f"{original}-again"
        change(Image.open(tmp_path / by_id[original]["image"]).convert("RGB")).save(tmp_path / f"images/{copy_id}.png")
        rows.append({**by_id[original], "id": copy_id, "image": f"images/{copy_id}.png", "group": ""})  # no variant
    feed = tmp_path / "products.csv"
    with feed.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    store = str(tmp_path / "store")
    indexed = cli_here("search", "index", str(feed), "--store", store, "--model", "offline",
                      "--report", str(tmp_path / "report.json"))
    assert indexed.returncode == 0, indexed.stderr
    expected = sorted([original, f"{original}-again"] for original in PLANTED)
    assert f"{len(PLANTED)} groups of listings with near-identical pictures" in indexed.stdout
    assert sorted(json.loads((tmp_path / "report.json").read_text())["duplicates"]) == expected

    listed = cli_here("search", "duplicates", "--store", store, "--model", "offline")
    groups = sorted(line.strip().split(", ") for line in listed.stdout.splitlines()[1:])
    assert groups == expected
