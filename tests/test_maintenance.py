"""Storage trouble said plainly, and a store checked, backed up and restored: a damaged database, a full disk, a
backup taken while the app serves and an index runs."""
import os
import shutil
import subprocess
import threading

import chromadb
import numpy as np
import pytest

import forked
from catalog.errors import UserError
from catalog.product import Product
from conftest import ROOT, cli_here, tmpfs
from search.config import Settings
from search.encoders import load_encoder
from search.encoders.base import unit_rows
from search.indexer import Indexer
from search.recorded import open_recorded
from search.store import versions
from search.store.chroma_products import space_metadata
from search.store.collection import MIN_FREE_BYTES, Encoded, ProductStore
from search.store.maintenance import VECTORS, backup, check, read_backup
from storefront.front import Storefront


def _index(feed, store):
    return cli_here("search", "index", str(feed), "--store", str(store), "--model", "offline")


@pytest.fixture(scope="module")
def good_store(tmp_path_factory, demo_feed):
    store = tmp_path_factory.mktemp("maintenance") / "store"
    assert _index(demo_feed, store).returncode == 0
    return store


def _overwrite_middle(path):
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\x00damaged" * 4000)


def _truncate(path):
    os.truncate(path, path.stat().st_size // 3)


@pytest.mark.parametrize("damage", [_overwrite_middle, _truncate])
def test_a_damaged_store_is_one_message_everywhere_check_finds_it_and_a_backup_restores_it(
        good_store, tmp_path, demo_feed, damage):
    assert cli_here("search", "backup", str(tmp_path / "backup"), "--store", str(good_store)).returncode == 0
    store = tmp_path / "store"
    shutil.copytree(good_store, store)
    damage(store / "chroma.sqlite3")
    for command in (("stats",), ("query", "--text", "mug", "--model", "offline")):
        said = cli_here("search", *command, "--store", str(store))
        assert said.returncode == 2 and "Traceback" not in said.stderr
        assert f"error: the store {store} is damaged (" in said.stderr and "search restore BACKUP" in said.stderr
    checked = cli_here("search", "check", "--store", str(store))
    assert checked.returncode == 1 and "PROBLEM: " in checked.stdout
    app = Storefront(Settings.of(store=store, model="offline", demo_dir=demo_feed.parent))
    with pytest.raises(UserError, match=f"the store {store} is damaged"):
        app.start()  # `python app.py` says it and exits: see app.main
    restored = tmp_path / "restored"
    assert cli_here("search", "restore", str(tmp_path / "backup"), "--store", str(restored)).returncode == 0
    again = cli_here("search", "check", "--store", str(restored))
    assert again.returncode == 0 and "PROBLEM" not in again.stdout and "240 products" in again.stdout
    found = cli_here("search", "query", "--image", str(demo_feed.parent / "images" / "demo-0105.png"), "--store",
                     str(restored), "--model", "offline", "--json")
    assert '"id": "demo-0105"' in found.stdout.split("}")[0]


def test_a_backup_taken_while_the_app_serves_and_an_index_runs_restores_whole(tmp_path, demo_feed):
    shop = Storefront(Settings.of(store=tmp_path / "store", model="offline", demo_dir=demo_feed.parent))
    shop.start()  # serving the demo catalog
    service = shop.service()
    more = tmp_path / "more.csv"  # a second catalog of the same pictures, indexed meanwhile
    more.write_text("\n".join(line.replace("demo-", "more-", 1) if number else line for number, line in
                              enumerate((demo_feed.read_text()).splitlines())) + "\n")
    indexing = threading.Thread(target=lambda: Indexer(service.encoder, service.store, batch_size=8).index_feed(
        more, demo_feed.parent))
    indexing.start()
    store, _ = open_recorded(shop.settings)
    manifest = backup(store.chroma, tmp_path / "backup")
    assert shop.search(None, "mug").cards  # the shop answers meanwhile
    indexing.join()
    assert 240 <= manifest["products"] <= 480
    _, vectors, records = read_backup(tmp_path / "backup")
    assert len(vectors) == len(records) == manifest["rows"] and np.isfinite(vectors).all()
    restoring = cli_here("search", "restore", str(tmp_path / "backup"), "--store", str(tmp_path / "restored"))
    assert restoring.returncode == 0
    restored, _ = open_recorded(Settings.of(store=tmp_path / "restored", model="offline"))
    report = check(restored)
    assert report.ok and report.products == manifest["products"]
    assert cli_here("search", "backup", str(tmp_path / "backup"), "--store", str(tmp_path / "store")).returncode == 2


def test_a_damaged_backup_is_refused_and_nothing_is_restored(good_store, tmp_path):
    assert cli_here("search", "backup", str(tmp_path / "backup"), "--store", str(good_store)).returncode == 0
    with open(tmp_path / "backup" / VECTORS, "r+b") as handle:
        handle.seek(400)
        handle.write(b"\x01\x02\x03\x04")
    said = cli_here("search", "restore", str(tmp_path / "backup"), "--store", str(tmp_path / "restored"))
    assert said.returncode == 2 and "backup" in said.stderr and "is damaged (vectors.npy differs from its checksum)" \
        in said.stderr and not (tmp_path / "restored").exists()
    said = cli_here("search", "restore", str(tmp_path / "backup"), "--store", str(good_store))
    assert said.returncode == 2


@pytest.fixture()
def small_disk(tmp_path):
    with tmpfs(tmp_path / "disk", "48m") as disk:
        yield disk


def test_a_disk_that_fills_during_an_index_run_is_said_and_a_run_after_freeing_it_completes(small_disk, demo_feed):
    """Chroma (1.5) waits for ever in a write once its disk is full: a batch that would leave less than the store
    keeps free is refused first, and the store stays as it was before it."""
    store = small_disk / "store"
    assert _index(demo_feed, store).returncode == 0  # the store made
    assert cli_here("search", "delete", *[f"demo-{n:04d}" for n in range(1, 11)] + [f"demo-{n:04d}" for n in
                    range(101, 111)], "--store", str(store)).returncode in (0, 1)
    before = open_recorded(Settings.of(store=store, model="offline"))[0].count()
    filler = small_disk / "filler"  # the disk filled by something else, to just above what the store keeps free
    filler.write_bytes(b"\x00" * (shutil.disk_usage(small_disk).free - MIN_FREE_BYTES - 2**16))
    said = _index(demo_feed, store)
    assert said.returncode == 2 and "Traceback" not in said.stderr
    assert f"error: the disk holding the store {store} is full" in said.stderr and "free some space" in said.stderr
    assert open_recorded(Settings.of(store=store, model="offline"))[0].count() == before  # as it was
    filler.unlink()
    assert _index(demo_feed, store).returncode == 0
    stored, _ = open_recorded(Settings.of(store=store, model="offline"))
    report = check(stored)
    assert report.ok and report.products == 240  # every product once


def test_a_read_only_store_is_said_and_once_writable_again_is_used(good_store, tmp_path, demo_feed):
    """Mounted read-only (a bind mount: as root, file permissions alone do not stop a write)."""
    source, store = tmp_path / "source", tmp_path / "store"
    shutil.copytree(good_store, source)
    store.mkdir()
    if subprocess.run(["mount", "--bind", str(source), str(store)], capture_output=True).returncode != 0:
        pytest.skip("a bind mount is refused here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(store)], check=True, capture_output=True)
        for command in (("stats",), ("index", str(demo_feed), "--model", "offline")):
            said = cli_here("search", *command, "--store", str(store))
            assert said.returncode == 2 and "Traceback" not in said.stderr
            assert f"error: the store {store} cannot be written (" in said.stderr and "mount it read-write" in \
                said.stderr
        subprocess.run(["mount", "-o", "remount,rw,bind", str(store)], check=True, capture_output=True)
        assert _index(demo_feed, store).returncode == 0
        assert "products:    240" in cli_here("search", "stats", "--store", str(store)).stdout
    finally:
        subprocess.run(["umount", "-l", str(store)], check=False)


@pytest.fixture(scope="module")
def flushed_store(tmp_path_factory):
    """A store of the offline model's space whose vectors Chroma has moved from its log into its vector files (HNSW),
    and some still in its log, as an index run leaves it: made with a small sync threshold, so that a few hundred
    products are enough (by default it takes a thousand), written 8 at a time as the indexer writes."""
    store = tmp_path_factory.mktemp("vector-files") / "store"
    info = load_encoder("offline").info
    client = chromadb.PersistentClient(path=str(store), settings=chromadb.Settings(anonymized_telemetry=False))
    client.create_collection("products-" + info.space_id, embedding_function=None,
                             configuration={"hnsw": {"space": "cosine", "sync_threshold": 100, "batch_size": 100}},
                             metadata=space_metadata(info, schema=versions.SCHEMA))
    client.clear_system_cache()
    products = [Product(f"p{n:03d}", f"Mug {n}", "Lumen", "Mugs", 10.0, "USD", f"/pics/{n}.png") for n in range(400)]
    vectors = unit_rows(np.random.default_rng(0).normal(size=(400, info.dim)).astype(np.float32))
    writing = ProductStore(store, info)
    for start in range(0, 400, 8):
        writing.upsert(Encoded.each(products[start:start + 8], vectors[start:start + 8], ["f"] * 8))
    assert next(store.glob("*/data_level0.bin")).stat().st_size > 100 * info.dim * 4
    return store


def _garble_links(segment):
    path = segment / "data_level0.bin"
    with open(path, "r+b") as handle:
        handle.seek(path.stat().st_size // 4)
        handle.write(np.random.default_rng(1).bytes(path.stat().st_size // 2))


def _truncate_vectors(segment):
    _truncate(segment / "data_level0.bin")


def _garble_header(segment):
    (segment / "header.bin").write_bytes(b"\xff" * 100)


def _remove_segment(segment):
    shutil.rmtree(segment)


@pytest.mark.parametrize("damage", [_truncate_vectors, _garble_header, _remove_segment])
def test_damaged_vector_files_are_one_message_and_check_finds_them(flushed_store, tmp_path, damage):
    store = tmp_path / "store"
    shutil.copytree(flushed_store, store)
    damage(next(path for path in store.iterdir() if path.is_dir()))
    for command, code in ((("query", "--text", "mug", "--model", "offline"), 2), (("check",), 1)):
        said = _probing(*command, "--store", str(store))
        assert said.returncode == code and "Traceback" not in said.stderr + said.stdout, command
        assert f"the store {store} is damaged (" in said.stderr + said.stdout, (command, said.stderr)


def _probing(*args: str) -> subprocess.CompletedProcess:
    """`python -m search ARGS` in a process of its own (forked, its imports done), the crash probe on: Chroma's
    reader may crash on damaged vector files (it did, in a test process, on a truncated one), and only the probe, a
    fresh interpreter, survives it."""
    return forked.run(["-m", "search", *args], cwd=ROOT, env={**os.environ, "PRODUCT_SEARCH_CRASH_PROBE": "on"},
                      timeout=120)


def test_vector_files_that_crash_chromas_reader_are_said_not_crashed_on_and_a_backup_restores_them(
        flushed_store, tmp_path):
    """Garbled links crash Chroma's Rust reader (a segmentation fault, exit 139 and not a word, before the probe):
    each command's child probe takes the crash; the command says what it is."""
    assert cli_here("search", "backup", str(tmp_path / "backup"), "--store", str(flushed_store)).returncode == 0
    store = tmp_path / "store"
    shutil.copytree(flushed_store, store)
    _garble_links(next(path for path in store.iterdir() if path.is_dir()))
    for command, code in ((("stats",), 2), (("check",), 1)):
        said = _probing(*command, "--store", str(store))
        assert said.returncode == code, (command, said.returncode, said.stderr[-500:])
        assert f"the store {store} is damaged (Chroma's reader crashed on its vector files (SIGSEGV))" in \
            said.stderr + said.stdout and "search restore BACKUP" in said.stderr + said.stdout
    restored = tmp_path / "restored"
    assert cli_here("search", "restore", str(tmp_path / "backup"), "--store", str(restored)).returncode == 0
    again = cli_here("search", "check", "--store", str(restored))
    assert again.returncode == 0 and "400 products" in again.stdout and "PROBLEM" not in again.stdout
