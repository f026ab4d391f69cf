"""One writer at a time on an embedded store, and an app killed mid-query that opens and answers again."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client, handle_file

from catalog.errors import UserError
from conftest import ROOT, cli_here, free_port, start_app, wait_for_port
from page import handlers
from search.__main__ import stopped_by_signals
from search.config import Settings
from search.indexer import Indexer
from search.store.collection import ProductStore, StoreBusyError
from search.store.writer_lock import WriterLock
from storefront.admin import Admin
from storefront.doorway import Client as Asking
from storefront.doorway import Doorway
from storefront.front import Storefront
from storefront.protocol import SearchRequest

HOLD = textwrap.dedent("""
    import sys, time
    from search.store.writer_lock import writer_lock  # what ProductStore.writing() holds, without loading a model
    with writer_lock(sys.argv[1]).held():
        print("holding", flush=True)
        time.sleep(600)
""")


@pytest.fixture()
def writer(tmp_path, demo_feed):
    """A store filled with the demo catalog, and another process that holds it for writing."""
    store = tmp_path / "store"
    assert cli_here("search", "index", str(demo_feed), "--store", str(store), "--model", "test-tiny").returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    yield store, holder
    holder.kill()
    holder.wait()


def test_a_second_writer_is_refused_at_once_naming_the_first(writer, demo_feed, tiny_encoder):
    store, holder = writer
    started = time.monotonic()
    second = cli_here("search", "index", str(demo_feed), "--store", str(store), "--model", "test-tiny")
    assert second.returncode == 2 and time.monotonic() - started < 60  # an answer, not a wait
    assert f"is being written by another process (pid {holder.pid}, -c {store}" in second.stderr
    deleting = cli_here("search", "delete", "demo-0001", "--store", str(store), "--model", "test-tiny")
    assert deleting.returncode == 2 and "Chroma server" in deleting.stderr
    with pytest.raises(StoreBusyError):
        ProductStore(store, tiny_encoder.info).delete(["demo-0001"])
    reading = cli_here("search", "query", "--text", "mug", "--store", str(store), "--model", "test-tiny")
    assert reading.returncode == 0  # readers are not writers


def test_the_admin_tab_says_the_store_is_busy(writer, demo_feed):
    store, holder = writer
    admin = Admin(Storefront(Settings.of(store=store, model="test-tiny", precision="fp32", admin_password="pw",
                                      demo_dir=demo_feed.parent)))
    said = handlers.admin_handlers(admin)
    assert said["admin_ingest"]("pw", demo_feed, "").startswith(f"⚠️ {demo_feed.name}: the store {store} is being "
                                                                 "written by")
    assert said["admin_delete"]("pw", "demo-0001").startswith(f"⚠️ the store {store} is being written by")


def test_a_killed_writer_frees_the_store(writer, demo_feed):
    store, holder = writer
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    again = cli_here("search", "index", str(demo_feed), "--store", str(store), "--model", "test-tiny")
    assert again.returncode == 0 and "unchanged 240" in again.stdout, again.stderr


def _serve(store, demo_feed, port):
    process = start_app(store, port, demo_feed.parent, store.parent)
    wait_for_port(port, process)
    return process


def test_an_app_killed_mid_query_opens_its_store_and_answers_again_and_stops_gracefully(tmp_path, demo_feed):
    store, port = tmp_path / "store", free_port()
    assert cli_here("search", "index", str(demo_feed), "--store", str(store), "--model", "test-tiny").returncode == 0
    app = _serve(store, demo_feed, port)
    photo = handle_file(str(demo_feed.parent / "images" / "demo-0105.png"))
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    with ThreadPoolExecutor(8) as pool:
        queries = [pool.submit(client.predict, photo, 3, 0.0, [], [], None, None, False, api_name="/search_image")
                   for _ in range(8)]
        time.sleep(0.3)  # the queue is busy with them
        app.send_signal(signal.SIGKILL)
        app.wait()
        assert any(not query.done() or query.exception() for query in queries)  # it died mid-query
    app = _serve(store, demo_feed, port)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        gallery, status = client.predict(photo, 3, 0.0, [], [], None, None, False, api_name="/search_image")
        assert status.startswith("3 products") and gallery[0]["caption"].startswith("Kestrel Red Striped Coffee Mug")
        with ThreadPoolExecutor(8) as pool:  # stopped with SIGTERM mid-query: the searches running finish first
            queries = [pool.submit(client.predict, photo, 3, 0.0, [], [], None, None, False,
                                   api_name="/search_image") for _ in range(8)]
            time.sleep(0.3)
            app.send_signal(signal.SIGTERM)
            assert app.wait(timeout=30) == 0
            answered = [query.result()[1] for query in queries if not query.exception()]
        assert len(answered) >= 2  # at least what the two workers had started
        assert all(status.startswith("3 products") or "the shop is restarting" in status for status in answered)
    finally:
        if app.poll() is None:
            app.terminate()
            app.wait(timeout=30)


def test_threads_of_one_process_share_the_writer_lock_and_give_it_back(tmp_path):
    lock, refused = WriterLock(tmp_path), []

    def write():
        for _ in range(300):
            try:
                with lock.held():
                    pass
            except StoreBusyError as error:
                refused.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []
    with WriterLock(tmp_path).held():  # another holder (a lock of its own, as another process has) gets it
        with pytest.raises(StoreBusyError):
            with lock.held():
                pass


def test_two_stores_on_one_folder_in_one_process_write_without_refusing_each_other(tmp_path, tiny_encoder):
    first = ProductStore(tmp_path, tiny_encoder.info, for_indexing=True)
    second = ProductStore(tmp_path, tiny_encoder.info, collection="another", for_indexing=True)
    with first.writing():
        assert second.delete(["nothing"]) == 0
        with second.writing():
            pass


def test_a_stopping_doorway_lets_running_searches_finish_and_tells_new_ones(tmp_path, monkeypatch):
    shop = Storefront(Settings.of(store=tmp_path / "store", model="offline", demo_dir=tmp_path / "demo"))
    shop.start()
    doorway = Doorway(shop)
    search = shop.search

    def slow(*args, **kwargs):
        time.sleep(1.0)
        return search(*args, **kwargs)
    monkeypatch.setattr(shop, "search", slow)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(doorway.answer, SearchRequest, {"text": "mug"}, Asking("page"))
        time.sleep(0.2)
        began = time.monotonic()
        assert doorway.stop(wait_s=10)
        assert time.monotonic() - began > 0.5 and running.result().cards  # it waited, and the search finished
    with pytest.raises(UserError, match="restarting"):
        doorway.answer(SearchRequest, {"text": "mug"}, Asking("page"))
    assert Doorway(shop).stop(wait_s=0)  # nothing running: stopped at once


def test_an_index_run_asked_to_stop_ends_at_a_batch_and_the_next_run_completes(tmp_path, demo_feed, tiny_encoder):
    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    indexer = Indexer(tiny_encoder, store, batch_size=8)
    stop = threading.Event()
    summary = indexer.index_feed(demo_feed, prune=True, progress=lambda done: stop.set(), stop=stop)
    first = store.count()
    assert summary.stopped and 0 < first < 240 and summary.removed == 0  # nothing pruned: not read to its end
    again = indexer.index_feed(demo_feed, prune=True)
    assert not again.stopped and store.count() == 240
    assert (again.unchanged, again.added) == (first, 240 - first)  # the first run's work kept, not done again
    with stopped_by_signals() as asked:  # the CLI's: SIGTERM and Ctrl-C ask, they do not end the process
        os.kill(os.getpid(), signal.SIGTERM)
        assert asked.wait(5)
