"""Storage trouble said plainly, and a store checked, backed up and restored: a damaged database, a full disk, a
backup taken while the app serves and an index runs."""
import os
import shutil
import subprocess
import threading

import numpy as np
import pytest

from catalog.errors import UserError
from conftest import cli_here, tmpfs
from search.config import Settings
from search.indexer import Indexer
from search.recorded import open_recorded
from search.store.collection import MIN_FREE_BYTES
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
    assert len(vectors) == len(records) == manifest["products"] and np.isfinite(vectors).all()
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
