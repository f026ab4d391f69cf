"""Every kind of bad (or merely awkward) query photo, and bad image addresses, through the library, the page's
call, the API of the running app and the CLI: a clear message each, and the next request still served."""
import json
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from gradio_client import Client, handle_file

from bad_photos import accepted_kinds, refused_kinds
from conftest import data_url, shopper_call
from search.__main__ import main as search_cli
from search.config import Settings
from search.images import ImageError, PhotoBytes, load_image
from storefront.front import Storefront

REFUSED, ACCEPTED = refused_kinds(), accepted_kinds()
URL_TIMEOUT = 1.0


def test_there_are_at_least_25_kinds_of_photo():
    assert len(REFUSED) + len(ACCEPTED) >= 25 and len({k.name for k in REFUSED + ACCEPTED}) == len(REFUSED + ACCEPTED)


@pytest.mark.parametrize("kind", REFUSED, ids=str)
def test_a_bad_photo_is_refused_naming_the_file_and_the_reason(kind):
    with pytest.raises(ImageError) as refusal:
        load_image(PhotoBytes(kind.data, kind.filename))
    assert str(refusal.value).startswith(f"{kind.filename}: ") and kind.refused in str(refusal.value)


@pytest.mark.parametrize("kind", ACCEPTED, ids=str)
def test_an_awkward_real_photo_is_read_upright_in_rgb(kind):
    image = load_image(PhotoBytes(kind.data, kind.filename))
    assert image.mode == "RGB" and image.size == kind.size


@pytest.fixture(scope="module")
def storefront(tiny_service, tmp_path_factory):
    home = tmp_path_factory.mktemp("bad-input")
    return Storefront(Settings.of(store=tiny_service.store.location, model="test-tiny", precision="fp32",
                               demo_dir=home / "demo", url_timeout=URL_TIMEOUT))



def test_the_pages_photo_box_says_what_is_wrong_with_each_kind(storefront):
    """The shoppers' page sends a photo its browser cannot read as it is, so the server can say what is wrong."""
    for kind in REFUSED:
        answer = shopper_call(storefront, "search", photo=data_url(kind.data), name=kind.filename)
        assert set(answer) == {"problem"}, kind  # nothing found is shown with it
        assert answer["problem"].startswith(f"⚠️ {escape(kind.filename)}: ") and escape(kind.refused) in \
            answer["problem"], kind
    for kind in ACCEPTED:
        answer = shopper_call(storefront, "search", photo=data_url(kind.data), name=kind.filename)
        assert answer["status"].startswith("12 products"), kind


def test_the_running_app_answers_every_kind_and_goes_on_serving(launched_app, tmp_path):
    url, demo_dir = launched_app
    client = Client(url, verbose=False)
    for kind in REFUSED + ACCEPTED:
        path = tmp_path / kind.filename
        path.write_bytes(kind.data)
        gallery, status = client.predict(handle_file(str(path)), 3, 0.0, [], [], None, None, False,
                                         api_name="/search_image")
        if kind.refused:
            assert gallery == [] and status == f"⚠️ {kind.filename}: " + status.split(": ", 1)[1], kind
            assert kind.refused in status, kind
        else:
            assert len(gallery) == 3 and status.startswith("3 products"), (kind, status)
    gallery, status = client.predict(handle_file(str(demo_dir / "images" / "demo-0105.png")), 1, 0.0, [], [],
                                     None, None, False, api_name="/search_image")
    assert gallery[0]["caption"].startswith("Kestrel Red Striped Coffee Mug")


def _staff_event(url: str, dependency: dict, data: list) -> dict:
    """A staff page's event called as a browser's script calls it (through Gradio's queue), and what it completed
    with."""
    session = f"hostile-{time.monotonic_ns()}"
    joined = httpx.post(f"{url}gradio_api/queue/join", json={"data": data, "fn_index": dependency["id"],
                                                                "session_hash": session}, timeout=30)
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", f"{url}gradio_api/queue/data?session_hash={session}", timeout=120) as events:
        for line in events.iter_lines():
            if '"process_completed"' in line:
                return json.loads(line.removeprefix("data: "))
    raise AssertionError("the event never completed")


def test_the_staff_pages_events_refuse_a_value_of_the_wrong_type_by_name(launched_app):
    """Each event of the Tuning page that reads the threshold slider (the live search and the threshold curve), sent
    a word for it as a hostile browser may: refused by its name, in the page's language, and answered again after."""
    url, _ = launched_app
    config = httpx.get(f"{url}config", timeout=30).json()
    ids = {component["id"]: component.get("props", {}).get("elem_id") for component in config["components"]}
    reading = [d for d in config["dependencies"] if "min-score" in [ids[i] for i in d["inputs"]]
               and "language" in [ids[i] for i in d["inputs"]]]
    assert len(reading) >= 3  # the live search, the curve on release and on a change of language at least

    def sent(dependency: dict, threshold: object, lang: str) -> list:
        fields = {"min-score": threshold, "language": lang, "top-k": 12, "text-weight": 0.5, "rerank-weight": 0.0,
                  "keyword-weight": 0.5, "tuning-text": "mug"}
        return [fields.get(ids[i]) for i in dependency["inputs"]]
    refused = {"English": "⚠️ min_score: is not a value it takes", "中文": "⚠️ min_score：不是可接受的值"}
    for dependency in reading:
        for lang, said in refused.items():
            answer = _staff_event(url, dependency, sent(dependency, "a word", lang))
            assert not answer["success"] and answer["output"]["error"] == said, answer
        assert _staff_event(url, dependency, sent(dependency, 0.0, "English"))["success"]  # and it goes on answering
    evaluating = next(d for d in config["dependencies"] if "labels-file" in [ids[i] for i in d["inputs"]])
    for labels in ({"x": 1}, 5, "labels.csv"):  # a file box too (a FileData of a server path Gradio refuses itself)
        fields = {"labels-file": labels, "language": "中文", "top-k": 12, "min-score": 0.0, "text-weight": 0.5,
                  "rerank-weight": 0.0, "keyword-weight": 0.5}
        given = [fields.get(ids[i]) for i in evaluating["inputs"]]
        answer = _staff_event(url, evaluating, given)
        assert answer["output"]["error"] == "⚠️ labels：不是可接受的值", answer


def test_the_cli_says_what_is_wrong_and_exits_2(tiny_service, tmp_path, capsys):
    store = ["--store", tiny_service.store.location, "--model", "test-tiny", "--precision", "fp32"]
    for kind in REFUSED + ACCEPTED:
        path = tmp_path / kind.filename
        path.write_bytes(kind.data)
        code = search_cli(["query", "--image", str(path), "--top-k", "2", *store])
        out, err = capsys.readouterr()
        if kind.refused:
            error = err.splitlines()[-1]  # after the warning that the test model's weights are random
            assert code == 2 and error.startswith(f"error: {path}: ") and kind.refused in error, (kind, err)
        else:
            assert code == 0 and len(out.splitlines()) == 2, (kind, err)


def test_the_cli_checks_its_filters_and_knobs_as_every_front_end_does(tiny_service, capsys):
    """The same types and words as the page's, the API's and the tools' (search/choices.py), the input named as the
    CLI names it."""
    store = ["--store", tiny_service.store.location, "--model", "test-tiny", "--precision", "fp32", "--text", "mug"]
    for flags, told in ((["--min-price", "-5"], "error: --min-price: must be at least 0"),
                        (["--min-price", "50", "--max-price", "10"], "error: min_price 50.0 is above max_price 10.0"),
                        (["--top-k", "500"], "error: top_k = 500 cannot be used: it must be between 1 and 50"),
                        (["--brand", "x" * 400], "error: --brand.0: must be at most 300 characters")):
        assert search_cli(["query", *flags, *store]) == 2
        assert capsys.readouterr().err.splitlines()[-1].startswith(told), flags


class Addresses(BaseHTTPRequestHandler):
    """/slow never answers in time, /page is a web page, /photo.jpg is a photo."""

    photo = ACCEPTED[0].data

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        if self.path == "/slow":
            time.sleep(URL_TIMEOUT * 3)
        kind, body = ("image/jpeg", self.photo) if self.path == "/photo.jpg" else ("text/html", b"<html></html>")
        try:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # /slow: the client stopped waiting, as it should

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def addresses():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Addresses)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _bad_addresses(base):
    return [(f"{base}/slow", f"no answer within {URL_TIMEOUT:.0f} s"),
            (f"{base}/page", "the server sent text/html, not an image"),
            ("file:///etc/passwd", "only http:// and https:// image addresses are accepted, not file://"),
            ("ftp://example.com/a.jpg", "not ftp://")]


def test_bad_image_addresses_get_a_message_on_the_page(storefront, addresses):
    for address, reason in _bad_addresses(addresses):
        answer = shopper_call(storefront, "load_url", url=address)
        assert set(answer) == {"problem"}  # the photo the shopper had stays
        assert answer["problem"].startswith(f"⚠️ {address}: ") and reason in answer["problem"], answer
    loaded = shopper_call(storefront, "load_url", url=f"{addresses}/photo.jpg")["photo"]
    assert shopper_call(storefront, "search", photo=loaded)["status"].startswith("12 products")


def test_bad_image_addresses_get_a_message_from_the_cli(tiny_service, addresses, capsys, monkeypatch):
    monkeypatch.setenv("PRODUCT_SEARCH_URL_TIMEOUT", str(URL_TIMEOUT))
    store = ["--store", tiny_service.store.location, "--model", "test-tiny", "--precision", "fp32"]
    for address, reason in _bad_addresses(addresses):
        assert search_cli(["query", "--image", address, *store]) == 2
        error = capsys.readouterr().err.splitlines()[-1]
        assert error.startswith(f"error: {address}: ") and reason in error, error
    assert search_cli(["query", "--image", f"{addresses}/photo.jpg", "--top-k", "2", *store]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
