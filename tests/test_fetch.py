"""Image URLs served by a local HTTP server the test starts on 127.0.0.1."""
import io
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from search.fetch import ImageFetcher
from search.indexer import Indexer
from search.store.collection import ProductStore


def _png(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), colour).save(buffer, "PNG")
    return buffer.getvalue()


HITS = Counter()
FLAKY_FAILURES = 1


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        HITS[self.path] += 1
        if self.path == "/missing.png":
            return self._send(404, "text/plain", b"nope")
        if self.path == "/slow.png":
            time.sleep(2)
        if self.path == "/page.jpg":
            return self._send(200, "text/html", b"<html>a shop page</html>")
        if self.path == "/huge.png":
            return self._send(200, "image/png", b"\x89PNG" + b"0" * (2 * 2**20))
        if self.path == "/fake.png":
            return self._send(200, "image/png", b"not really a png")
        if self.path == "/flaky.png" and HITS[self.path] <= FLAKY_FAILURES:
            return self._send(503, "text/plain", b"busy")
        colour = {"/good.png": "red", "/flaky.png": "blue", "/slow.png": "green"}.get(self.path, "black")
        self._send(200, "image/png", _png(colour))

    def _send(self, status, kind, body):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_good_images_are_indexed_and_bad_urls_reported(server, tmp_path, tiny_encoder):
    names = ["good", "missing", "slow", "page", "huge", "fake", "flaky"]
    ext = {"page": "jpg"}
    rows = [f"{n},{n.title()} item,Lumen,Mugs,9,USD,{server}/{n}.{ext.get(n, 'png')}" for n in names]
    feed = tmp_path / "feed.csv"
    feed.write_text("id,title,brand,category,price,currency,image\n" + "\n".join(rows) + "\n")
    fetcher = ImageFetcher(tmp_path / "cache", timeout=0.5, retries=1, max_bytes=2**20)
    store = ProductStore(tmp_path / "store", tiny_encoder.info, for_indexing=True)
    summary = Indexer(tiny_encoder, store, fetcher).index_feed(feed)

    assert sorted(store.stored(names)) == ["flaky", "good"]
    reasons = {skip.product_id: skip.reason for skip in summary.skipped}
    assert "HTTP 404 Not Found" in reasons["missing"]
    assert "no answer within 0 s" in reasons["slow"] or "took longer" in reasons["slow"]
    assert "sent text/html, not an image" in reasons["page"]
    assert "over the 1 MiB limit" in reasons["huge"]
    assert "not an image format" in reasons["fake"]
    good = store.stored(["good"])["good"].product
    assert good.image == f"{server}/good.png" and good.picture.startswith(str(tmp_path / "cache"))
    assert "image_url" not in good.attributes  # no address hidden among the details

    hits_before = HITS.copy()
    again = Indexer(tiny_encoder, store, fetcher).index_feed(feed)
    assert again.unchanged == 2
    assert HITS["/good.png"] == hits_before["/good.png"] and HITS["/flaky.png"] == hits_before["/flaky.png"]
