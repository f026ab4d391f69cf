"""Shared fixtures: the demo catalog, the tiny CLIP and offline encoders, and stores in tmp dirs."""
from __future__ import annotations

import base64
import importlib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Float32 everywhere in tests, so results are the same on CPUs with and without bfloat16;
# the bfloat16 path has tests of its own.
os.environ.setdefault("PRODUCT_SEARCH_PRECISION", "fp32")
# a child reading each store first (search/store/crash_probe.py) costs 1 s a process: on in its own tests only
os.environ.setdefault("PRODUCT_SEARCH_CRASH_PROBE", "off")
# an index run run here through its main() would lower the priority of the test process for good
os.environ.setdefault("PRODUCT_SEARCH_NICE", "0")

import gradio as gr
import pytest
from _pytest.nodeid import coerce_node_id
from PIL import Image

import forked
from catalog.demo import write_demo_catalog
from search.config import Settings
from search.encoders import load_encoder
from search.indexer import Indexer
from search.service import SearchService
from search.store.collection import ProductStore
from storefront.front import Storefront

ROOT = Path(__file__).resolve().parent.parent
FASHION = ROOT.parent / "shared" / "data" / "fashion-photos"
ADMIN_PASSWORD = "correct horse battery staple"


# Fixtures that start a process or index a store once per worker: the tests using each go to one worker
# (`--dist loadgroup`), so it starts once per run instead of once per worker (each of the two demo storefronts
# draws and indexes the demo catalog: about 7 s).
STARTED_ONCE = ("launched_app", "server", "tiny_store", "offline_shop", "demo_world_shop")


def pytest_itemcollected(item: pytest.Item) -> None:
    for name in STARTED_ONCE:
        if name in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(name))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """pytest-xdist 3.8 groups a test by writing `name@group` to `item._nodeid`, which pytest 9.2 no longer reads
    (pytest-xdist#1386, fix proposed in #1388): carry it into the id pytest does read."""
    for item in items:
        grouped = item.__dict__.get("_nodeid")
        if grouped and grouped != item.nodeid:
            item._id = coerce_node_id(grouped)


@pytest.fixture(scope="session")
def demo_feed(tmp_path_factory) -> Path:
    return write_demo_catalog(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def tiny_encoder():
    return load_encoder("test-tiny", precision="fp32")


@pytest.fixture(scope="session")
def offline_encoder():
    return load_encoder("offline")


@pytest.fixture(scope="session")
def tiny_service(tmp_path_factory, demo_feed, tiny_encoder) -> SearchService:
    """The whole demo catalog indexed with the tiny CLIP model (read-only for tests)."""
    store = ProductStore(tmp_path_factory.mktemp("tiny-store"), tiny_encoder.info, for_indexing=True)
    Indexer(tiny_encoder, store).index_feed(demo_feed)
    return SearchService(tiny_encoder, store)


def started_storefront(home: Path, model: str) -> Storefront:
    """`python app.py --model MODEL` on an empty store in `home`: the demo catalog drawn and indexed."""
    shop = Storefront(Settings.of(store=home / "store", model=model, demo_dir=home / "demo",
                                  image_cache=home / "cache"))
    shop.start()
    return shop


def page_values(**changes) -> dict:
    """What the pages' searches read, by name, as fresh pages hold it (no photo, no text, no filters; the shoppers'
    page reads no ranking slider but the blend, the Tuning page no filter)."""
    values = {"query_photo": None, "text": "", "min_score": 0.0, "top_k": 12, "text_weight": 0.5,
              "rerank_weight": 0.0, "keyword_weight": 0.5, "brands": [], "categories": [], "colours": [],
              "min_price": None, "max_price": None, "in_stock": False, "lang": "English"}
    return {**values, **changes}


def shopper_call(storefront: Storefront, function: str, /, **asked) -> dict:
    """A call of the shoppers' page's script (`server.<name>({...})`), as Gradio runs it, in English unless asked."""
    from page.shopper_calls import ShopperCalls
    from storefront.doorway import Doorway
    call = {call.__name__: call for call in ShopperCalls(Doorway(storefront)).functions()}[function]
    asked.setdefault("lang", "English")
    return call(asked, gr.Request(headers={}, session_hash="shopper"))


def data_url(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode("ascii")


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A file system of `size` of its own at `folder` (a tmpfs: CI runs as root), to fill; skips where mounting is
    refused."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def cli_here(module: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m module args` run through its `main()` in this process, for tests where a process of its own would
    prove nothing more (a Chroma server between them, or a store written by another process already)."""
    main = importlib.import_module(f"{module}.__main__").main
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess([module, *args], code, out.getvalue(), err.getvalue())


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `python -m ...` in a fresh interpreter, as a user would."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | forked.Forked, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)  # each app start waits at most this long past the moment it listens
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def start_app(store: Path | str, port: int, demo_dir: Path, folder: Path, **env: str) -> forked.Forked:
    """`python app.py` with the tiny model on 127.0.0.1:`port` in a process of its own, not yet listening (see
    `wait_for_port`); Gradio's uploads go to `folder`/uploads (tests check none is kept) and its log to
    `folder`/app-PORT.log."""
    env = {**os.environ, "PRODUCT_SEARCH_DEMO_DIR": str(demo_dir), "PRODUCT_SEARCH_MODEL": "test-tiny",
           "GRADIO_TEMP_DIR": str(folder / "uploads"),
           **env}
    return forked.start(["app.py", "--store", str(store), "--port", str(port)], cwd=ROOT, env=env,
                        stderr=folder / f"app-{port}.log")


@pytest.fixture(scope="session")
def launched_app(tmp_path_factory):
    """`python app.py` with the tiny model on an empty store: it builds and indexes the demo catalog."""
    home = tmp_path_factory.mktemp("app")
    port = free_port()
    process = start_app(home / "store", port, home / "demo", home, PRODUCT_SEARCH_ADMIN_PASSWORD=ADMIN_PASSWORD,
                        PRODUCT_SEARCH_SAVED_SETTINGS=str(home / "saved-settings.json"))
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/", home / "demo"
    finally:
        process.terminate()
        process.wait(timeout=30)


def images_in(folder: Path) -> list[Path]:
    """Every file under `folder` that Pillow opens as a picture."""
    found = []
    for path in (p for p in folder.rglob("*") if p.is_file()):
        try:
            with Image.open(path):
                found.append(path)
        except OSError:
            pass
    return found
