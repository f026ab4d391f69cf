"""Server mode: the CLIs and the app on a real `chroma run` server instead of the embedded store."""
import dataclasses
import json
import re
import shutil
import subprocess
import time

import chromadb
import numpy as np
import pytest
from gradio_client import Client, handle_file

from catalog.product import Product
from conftest import ROOT, cli_here, free_port, start_app, wait_for_port
from search.encoders import load_encoder
from search.store.collection import COLLECTION_PREFIX, Encoded, ProductStore

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


def _products(count: int, dim: int, seed: int = 7) -> tuple[list[Product], np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(count, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    brands = ["Sora", "Kestrel", "Lumen"]
    return [Product(f"r{i}", f"Item {i}", brands[i % 3], "Mugs", float(i % 50), "USD", "/x.png")
            for i in range(count)], vectors


def test_a_server_store_is_searched_exactly_filtered_or_not(server, tiny_encoder):
    products, vectors = _products(1500, tiny_encoder.info.dim)
    writer = ProductStore(server, tiny_encoder.info, "exactness-check")
    writer.upsert(Encoded.each(products, vectors, ["f"] * len(products)))
    reader = ProductStore(server, tiny_encoder.info, "exactness-check")  # another app process, started later
    assert reader.replica.exact() is not None and len(reader.replica.exact()) == len(products)
    queries = np.random.default_rng(8).normal(size=(20, tiny_encoder.info.dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    cheap_kestrel = np.array([p.brand == "Kestrel" and p.price <= 10 for p in products])
    where = {"$and": [{"brand": {"$in": ["Kestrel"]}}, {"price": {"$lte": 10.0}}]}
    for query in queries:
        scores = vectors @ query
        assert [h.product.id for h in reader.query(query, 10)] == [f"r{i}" for i in np.argsort(-scores)[:10]]
        filtered = np.where(cheap_kestrel, scores, -np.inf)
        assert [h.product.id for h in reader.query(query, 10, where)] == \
            [f"r{i}" for i in np.argsort(-filtered)[:10]]


def test_an_update_and_a_deletion_by_one_process_are_seen_by_another_within_two_seconds(server, tiny_encoder):
    products, vectors = _products(30, tiny_encoder.info.dim, seed=9)
    writer = ProductStore(server, tiny_encoder.info, "freshness-check")
    writer.upsert(Encoded.each(products, vectors, ["f"] * len(products)))
    reader = ProductStore(server, tiny_encoder.info, "freshness-check")
    assert reader.query(vectors[4], 1)[0].product.price == 4.0
    loaded = reader.replica.generation
    writer.update_metadata([dataclasses.replace(products[4], title="Brass Lantern", price=99.0)], [("g",)])
    writer.delete(["r5"])
    began = time.monotonic()
    while reader.query(vectors[4], 1)[0].product.price != 99.0 or reader.query(vectors[5], 1)[0].product.id == "r5":
        assert time.monotonic() - began < 2.0, "a change was not seen within 2 s"
        time.sleep(0.05)
    assert [hit.product.id for hit in reader.keyword_search("lantern", 3)] == ["r4"]
    assert reader.replica.generation == loaded  # the changed rows and the ids were fetched, not the whole store


def _cli(*args, store):
    return cli_here("search", *args, "--store", store, "--model", "test-tiny")


def _server_count(server):
    """The products the server holds: the rows of their main pictures."""
    port = int(server.rsplit(":", 1)[1])
    [collection] = [c for c in chromadb.HttpClient(host="127.0.0.1", port=port).list_collections()
                    if c.name.startswith(COLLECTION_PREFIX)]
    return len(collection.get(where={"shot": 0}, include=[])["ids"])


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
    assert store.replica.keywords().ids() == set(store.ids()) and "demo-0105" not in store.replica.keywords().ids()
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
        deleted = time.monotonic()
        for client in clients:
            while True:
                gallery, _ = client.predict(photo, 2, 0.0, [], [], None, None, False, api_name="/search_image")
                if not gallery[0]["caption"].startswith("Alder & Co Red Sneakers\n"):
                    break
                assert time.monotonic() - deleted < 2.0, "the deletion was not seen within 2 s"
    finally:
        for app in apps:
            app.terminate()
            app.wait(timeout=30)
    assert _server_count(server) == 239 and not (ROOT / "http:").exists()
