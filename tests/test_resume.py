"""Ingestion that survives being killed, and keeps the store in step with the feed."""
import functools
import os
import re
import signal
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

import forked
from catalog.formats import read_feed
from conftest import ROOT, cli_here
from search.encoders import load_encoder
from search.ranking import Ranking
from search.service import Query, SearchService
from search.store.collection import ProductStore

ROWS = 240  # the demo catalog


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def url_feed(demo_feed, tmp_path_factory):
    """The demo catalog with every picture at an http address, so a run downloads, decodes, encodes and writes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietFiles, directory=str(demo_feed.parent)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed = tmp_path_factory.mktemp("url-feed") / "products.csv"
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    feed.write_text(demo_feed.read_text().replace(",images/", f",{base}images/"))
    yield feed
    server.shutdown()


def _index(feed, store, cache, kill_at):
    """`search index` in a process of its own (tests/forked.py), killed at `kill_at` (see tests/kill_at.py)."""
    command = ["tests/kill_at.py", *kill_at, "--", "index", str(feed), "--store", str(store),
               "--model", "test-tiny", "--batch-size", "8"]
    env = {**os.environ, "PRODUCT_SEARCH_IMAGE_CACHE": str(cache)}
    return forked.run(command, cwd=ROOT, env=env)


# Where a crash hurts: (function, its call that dies, before/after/half way through it), each late enough that
# some of the killed run's work was written (every 4 batches of 8)
KILL_POINTS = {
    "mid-download": ("search.fetch:ImageFetcher._get", 60, "before"),
    "mid-decode": ("search.indexer:load_image", 50, "before"),
    "after encoding, before the write": ("search.encoders.clip:ClipEncoder.encode_prepared", 6, "after"),
    "half of a Chroma write done": ("chromadb.api.models.Collection:Collection.upsert", 3, "half"),
    "after the write, before the bookkeeping": ("search.store.collection:ProductStore.upsert", 5, "after"),
}


@pytest.mark.parametrize("point", KILL_POINTS, ids=str)
def test_a_run_killed_anywhere_is_completed_by_running_again(tmp_path, url_feed, point, monkeypatch):
    store_dir, cache = tmp_path / "store", tmp_path / "image-cache"
    target, nth, when = KILL_POINTS[point]
    killed = _index(url_feed, store_dir, cache, kill_at=(target, str(nth), when))
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    monkeypatch.setenv("PRODUCT_SEARCH_IMAGE_CACHE", str(cache))  # the re-run here, the killed run apart
    again = cli_here("search", "index", str(url_feed), "--store", str(store_dir), "--model", "test-tiny",
                     "--batch-size", "8")
    assert again.returncode == 0, again.stderr
    added, unchanged = map(int, re.search(r"added (\d+), updated 0, unchanged (\d+)", again.stdout).groups())
    assert added + unchanged == ROWS and unchanged > 0  # the killed run's work was kept, not redone

    encoder = load_encoder("test-tiny", precision="fp32")
    store = ProductStore(store_dir, encoder.info)
    catalog = [row.product for row in read_feed(url_feed)]
    assert store.count() == ROWS and sorted(store.ids()) == sorted(p.id for p in catalog)  # each exactly once
    assert store.replica.keywords().ids() == set(store.ids())  # the keyword index holds what the store holds
    picture = store.stored([catalog[-1].id])[catalog[-1].id].product.picture  # the downloaded copy
    hits = SearchService(encoder, store).search(Query(image=picture), ranking=Ranking(top_k=1)).hits
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
    assert store.replica.keywords().ids() == set(store.ids())
    gone = lines[-1].split(",")[0]
    store.delete([lines[1].split(",")[0]])
    assert store.replica.keywords().ids() == set(store.ids()) and len(store.replica.keywords().ids()) == 229
    assert gone not in {hit.product.id for hit in store.keyword_search(gone, 5)}  # found by its id no more
