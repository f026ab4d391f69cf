"""Ingestion that survives being killed, and keeps the store in step with the feed."""
import os
import re
import signal
import subprocess
import sys

import pytest

from catalog.formats import read_feed
from conftest import ROOT, run_cli
from search.encoder import load_encoder
from search.service import Query, SearchService
from search.store import ProductStore


def _index_until(feed, store, rows_done):
    """Start `search index` and SIGKILL it once its progress bar has passed `rows_done` rows."""
    process = subprocess.Popen([sys.executable, "-m", "search", "index", str(feed), "--store", str(store),
                                "--model", "test-tiny", "--batch-size", "8"], cwd=ROOT, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL)
    seen = b""
    while process.poll() is None:
        seen += os.read(process.stderr.fileno(), 256)
        counts = [int(n) for n in re.findall(rb"\| *(\d+)/240", seen)]
        if counts and max(counts) >= rows_done:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    return process.returncode


@pytest.mark.parametrize("rows_done", [8, 120])
def test_a_killed_run_is_completed_by_running_again(tmp_path, demo_feed, rows_done):
    store_dir = tmp_path / "store"
    assert _index_until(demo_feed, store_dir, rows_done) == -signal.SIGKILL
    result = run_cli("search", "index", str(demo_feed), "--store", str(store_dir), "--model", "test-tiny")
    assert result.returncode == 0, result.stderr
    added, unchanged = map(int, re.search(r"added (\d+), updated 0, unchanged (\d+)", result.stdout).groups())
    assert added + unchanged == 240 and unchanged >= rows_done - 8

    encoder = load_encoder("test-tiny", precision="fp32")
    store = ProductStore(store_dir, encoder.info)
    catalog = [row.product for row in read_feed(demo_feed)]
    assert store.count() == 240 and sorted(store.ids()) == sorted(p.id for p in catalog)
    hits = SearchService(encoder, store).search(Query(image=demo_feed.parent / catalog[-1].image), top_k=1).hits
    assert hits[0].product.id == catalog[-1].id


def test_prune_removes_only_what_the_feed_no_longer_lists(tmp_path, demo_feed, tiny_encoder):
    from search.indexer import Indexer

    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    indexer = Indexer(tiny_encoder, store)
    indexer.index_feed(demo_feed)
    lines = demo_feed.read_text().splitlines()
    smaller = tmp_path / "smaller.csv"
    broken = lines[3].replace(",USD,", ",XXX,")  # still listed, but invalid today: must be kept
    smaller.write_text("\n".join(lines[:3] + [broken] + lines[4:-10]) + "\n")
    summary = indexer.index_feed(smaller, images_root=demo_feed.parent, prune=True)
    assert summary.removed == 10 and store.count() == 230
    assert lines[3].split(",")[0] in set(store.ids())
