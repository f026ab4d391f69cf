"""Server mode: the CLIs and the app on a real `chroma run` server instead of the embedded store."""
import json
import re
import shutil
import subprocess
import time

import chromadb
import pytest
from gradio_client import Client, handle_file

from conftest import ROOT, cli_here, free_port, start_app, wait_for_port
from search.encoders import load_encoder
from search.store.collection import ProductStore

CHROMA = shutil.which("chroma")
if CHROMA is None:
    pytest.skip("the chroma command (installed with chromadb) is not on PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen([CHROMA, "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port",
                                str(port)], stdout=open(folder / "server.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            break
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((folder / "server.log").read_text()) from None
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


def _cli(*args, store):
    return cli_here("search", *args, "--store", store, "--model", "test-tiny")


def _server_count(server):
    port = int(server.rsplit(":", 1)[1])
    [collection] = chromadb.HttpClient(host="127.0.0.1", port=port).list_collections()
    return collection.count()


def test_index_query_and_delete_through_a_chroma_server(server, demo_feed):
    indexed = _cli("index", str(demo_feed), store=server)
    assert indexed.returncode == 0 and "added 240" in indexed.stdout, indexed.stderr
    assert _server_count(server) == 240  # in the server, not in a folder named after its address
    assert not (ROOT / "http:").exists()
    picture = demo_feed.parent / "images" / "demo-0105.png"
    found = _cli("query", "--image", str(picture), "--top-k", "3", store=server)
    assert found.returncode == 0 and found.stdout.splitlines()[0].split()[2] == "demo-0105"
    again = _cli("index", str(demo_feed), store=server)
    assert "added 0, updated 0, unchanged 240" in again.stdout  # resumable on a server too
    deleted = _cli("delete", "demo-0105", "demo-nope", store=server)
    assert deleted.returncode == 1 and "deleted 1 of 2 products" in deleted.stdout  # 1: one id was unknown
    stats = _cli("stats", store=server)
    assert re.search(r"products:\s+239\b", stats.stdout) and _server_count(server) == 239, stats.stdout
    assert _cli("query", "--image", str(picture), store=server).stdout.split()[2] != "demo-0105"
    store = ProductStore(server, load_encoder("test-tiny", precision="fp32").info)
    assert store.keyword_ids() == set(store.ids()) and "demo-0105" not in store.keyword_ids()
    brand_query = _cli("query", "--text", "Kestrel backpack", "--top-k", "1", "--json", store=server)
    [first] = json.loads(brand_query.stdout)
    assert first["brand"] == "Kestrel" and first["category"] == "Backpacks", brand_query.stdout


def test_two_apps_serve_one_server_store_and_see_each_others_changes(server, demo_feed, tmp_path):
    _cli("index", str(demo_feed), store=server)  # whatever an earlier test deleted is back
    ports = [free_port(), free_port()]
    apps = [start_app(server, port, demo_feed.parent, tmp_path) for port in ports]
    try:
        for app, port in zip(apps, ports):
            wait_for_port(port, app)
        photo = handle_file(str(demo_feed.parent / "images" / "demo-0203.png"))
        clients = [Client(f"http://127.0.0.1:{port}/", verbose=False) for port in ports]
        for client in clients:
            gallery, status = client.predict(photo, 2, 0.0, [], [], None, None, False, api_name="/search_image")
            assert status.startswith("2 products") and gallery[0]["caption"].startswith("Alder & Co Red Sneakers")
        assert _cli("delete", "demo-0203", store=server).returncode == 0  # a third process changes the catalog
        for client in clients:
            gallery, _ = client.predict(photo, 2, 0.0, [], [], None, None, False, api_name="/search_image")
            assert not gallery[0]["caption"].startswith("Alder & Co Red Sneakers\n")
    finally:
        for app in apps:
            app.terminate()
            app.wait(timeout=30)
    assert _server_count(server) == 239 and not (ROOT / "http:").exists()
