"""The CLIs as users run them: a store written by one process and searched by others through disk; the other
commands through the `main()` their process runs."""
import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

import forked
from alter import alter
from catalog.formats import read_feed
from conftest import ROOT, cli_here
from search.encoders import load_encoder
from search.ranking import Filters, Ranking
from search.service import Query, SearchService
from search.store.collection import ProductStore


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory, demo_feed):
    store = tmp_path_factory.mktemp("cli-store")
    result = forked.run(["-m", "search", "index", str(demo_feed), "--store", str(store), "--model", "test-tiny"],
                        cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "added 240, updated 0, unchanged 0, removed 0, skipped 0" in result.stdout
    return store


def _query(store, *args, run=cli_here):
    return run("search", "query", "--store", str(store), "--model", "test-tiny", "--json", *args)


def _process_of_its_own(*args):
    return forked.run(["-m", *args], cwd=ROOT)


def test_fifty_products_find_themselves_first_from_another_process(tiny_store, demo_feed, tiny_encoder):
    """The store the `index` process wrote, read by this process for fifty products and by two `query` processes:
    each photo finds its own product first, with the details it was indexed with."""
    products = [row.product for row in read_feed(demo_feed)][::4][:50]
    service = SearchService(tiny_encoder, ProductStore(tiny_store, tiny_encoder.info))
    for product in products:
        [best] = service.search(Query(image=demo_feed.parent / product.image), ranking=Ranking(top_k=1)).hits
        assert best.product.id == product.id and best.score >= 0.99
        assert (best.product.brand, best.product.price, best.product.currency) == \
            (product.brand, product.price, product.currency)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda p: _query(tiny_store, "--image", str(demo_feed.parent / p.image),
                                                 "--top-k", "3", run=_process_of_its_own), products[:2]))
    for product, result in zip(products, results):
        assert result.returncode == 0, result.stderr
        best = json.loads(result.stdout)[0]
        assert best["id"] == product.id and best["score"] >= 0.99
        assert (best["brand"], best["price"], best["currency"]) == (product.brand, product.price, product.currency)


def test_query_filters_and_json_fields(tiny_store, demo_feed):
    photo = str(demo_feed.parent / "images" / "demo-0105.png")
    result = _query(tiny_store, "--image", photo, "--brand", "Sora", "--brand", "Lumen", "--max-price", "60",
                    "--in-stock", "--top-k", "50", "--min-score", "0")
    rows = json.loads(result.stdout)
    assert rows and all(r["brand"] in {"Sora", "Lumen"} and r["price"] <= 60 for r in rows)
    assert set(rows[0]) == {"id", "title", "brand", "category", "price", "currency", "score", "matched_words",
                            "picture", "pictures", "variant_of"}
    text = cli_here("search", "query", "--store", str(tiny_store), "--model", "test-tiny", "--json", "--text",
                    "striped mug", "--image", photo, "--text-weight", "0.3", "--top-k", "2")
    assert text.returncode == 0 and len(json.loads(text.stdout)) <= 2
    words = cli_here("search", "query", "--store", str(tiny_store), "--model", "test-tiny", "--json", "--text",
                     "红色 马克杯", "--keyword-weight", "0.7", "--colour", "Red", "--top-k", "3")
    [first, *_] = json.loads(words.stdout)
    assert first["category"] == "Mugs" and first["matched_words"] == ["红色", "马克杯"], words.stdout
    assert "cannot read that language; the `multilingual` preset does" in words.stderr


def test_each_command_imports_only_what_it_uses(tiny_store, demo_feed):
    """`stats` and `delete` import neither torch nor open_clip, `duplicates` no open_clip (its scan is torch's):
    they start in about 2 s instead of 8, and work where the model's weights are not. `query` loads its model in
    a child process (this one imports Chroma meanwhile) and answers exactly as a query in one process does."""
    store, photo = str(tiny_store), str(demo_feed.parent / "images" / "demo-0105.png")
    asked = ["--precision", "fp32", "--top-k", "5", "--text", "striped mug", "--image", photo]
    query = ["query", "--store", store, "--model", "test-tiny", "--json", *asked]
    code = (
        "import contextlib, io, json, sys; from search.__main__ import main\n"
        "def loaded(): return [m for m in ('torch', 'open_clip') if m in sys.modules]\n"
        f"codes = [main([command, *extra, '--store', {store!r}, '--model', 'test-tiny'])\n"
        "         for command, extra in (('stats', []), ('delete', ['ghost']))]\n"
        "light = loaded()\n"
        "answer = io.StringIO()\n"
        "with contextlib.redirect_stdout(answer):\n"
        f"    codes.append(main({query!r}))\n"
        "after_query = loaded()\n"
        f"codes.append(main(['duplicates', '--store', {store!r}, '--model', 'test-tiny']))\n"
        "print(json.dumps({'codes': codes, 'light': light, 'after_query': after_query,\n"
        "                  'duplicates': loaded(), 'hits': json.loads(answer.getvalue())}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    said = json.loads(result.stdout.splitlines()[-1])
    hits = said.pop("hits")
    assert said == {"codes": [0, 1, 0, 0], "light": [], "after_query": ["torch"],
                    "duplicates": ["torch"]}, result.stderr
    assert "products:    " in result.stdout and "deleted 0 of 1 products" in result.stdout
    in_one_process = json.loads(_query(tiny_store, *asked).stdout)
    assert [hit["id"] for hit in hits] == [hit["id"] for hit in in_one_process] and hits[0]["id"] == "demo-0105"
    assert [hit["score"] for hit in hits] == pytest.approx([hit["score"] for hit in in_one_process], abs=1e-5)


def test_a_reading_command_says_which_model_the_store_holds(tiny_store, tmp_path):
    other = cli_here("search", "stats", "--store", str(tiny_store), "--model", "offline")
    assert other.returncode == 0 and "model:       test-tiny (random-seed-1234), 64-d" in other.stdout
    assert other.stderr == "note: the store holds products of test-tiny (random-seed-1234), 64-d only, not of " \
                           "offline: these are shown\n"
    missing = cli_here("search", "delete", "demo-0001", "--store", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and not (tmp_path / "nowhere").exists()
    assert missing.stderr == f"error: there is no store at {tmp_path / 'nowhere'}: index a catalog into it first\n"


def test_an_unknown_device_is_refused_in_one_line(tiny_store):
    refused = cli_here("search", "query", "--text", "mug", "--store", str(tiny_store), "--model", "test-tiny",
                       "--device", "tpu")
    assert refused.returncode == 2 and refused.stderr == "error: device 'tpu': use auto, cpu, cuda, cuda:N or mps\n"


def test_stats_and_delete(tiny_store):
    stats = cli_here("search", "stats", "--store", str(tiny_store), "--model", "test-tiny")
    assert "products:    240" in stats.stdout and "64-d, clip, no pretrained weights" in stats.stdout
    assert "categories:  " in stats.stdout
    deleted = cli_here("search", "delete", "demo-0000", "ghost", "--store", str(tiny_store), "--model", "test-tiny")
    assert deleted.returncode == 1 and "deleted 1 of 2 products" in deleted.stdout


def test_errors_exit_non_zero_with_one_clear_line(tiny_store, tmp_path):
    bad = tmp_path / "photo.jpg"
    bad.write_text("not a photo")
    result = _query(tiny_store, "--image", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: {bad}: not an image format we can read " \
                                                      "(JPEG, PNG, WebP, GIF, BMP, TIFF)"
    assert "Traceback" not in result.stderr
    mismatch = cli_here("search", "query", "--store", str(tiny_store), "--model", "offline", "--image", str(bad))
    assert mismatch.returncode == 2
    assert "test-tiny (random-seed-1234), 64-d" in mismatch.stderr and "offline (colour-shape-v2)" in mismatch.stderr


def test_offline_model_finds_altered_photos(tmp_path, demo_feed):
    store_dir = tmp_path / "offline-store"
    result = cli_here("search", "index", str(demo_feed), "--store", str(store_dir), "--model", "offline")
    assert result.returncode == 0, result.stderr
    encoder = load_encoder("offline")
    service = SearchService(encoder, ProductStore(store_dir, encoder.info))
    rng = random.Random(7)
    products = [row.product for row in read_feed(demo_feed)][:200]
    found = 0
    for product in products:
        photo = alter(Image.open(demo_feed.parent / product.image), rng)
        hits = service.search(Query(image=photo), Filters(), ranking=Ranking(top_k=1)).hits
        found += hits[0].product.id == product.id
    assert found / len(products) >= 0.95
