"""Shopping agents over MCP, and a public deployment's cap on searches, against the app served in this process."""
import asyncio
import base64
import json
from html import escape

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from pydantic import BaseModel

import app
from catalog.errors import UserError
from conftest import free_port, page_values
from page import handlers
from page.agent_tools import TOOL_NAMES
from page.latest import LatestSearch
from search.config import Settings
from storefront.doorway import Doorway
from storefront.front import Storefront
from storefront.protocol import (
    AddressRequest,
    DetailsRequest,
    HistoryRequest,
    ItemsRequest,
    OpeningRequest,
    SearchRequest,
    parse,
)


def _serve(tmp_path, demo_feed, **settings):
    storefront = Storefront(Settings.of(store=tmp_path / "store", model="test-tiny", precision="fp32",
                                     demo_dir=demo_feed.parent, port=free_port(),
                                     saved_settings=tmp_path / "saved.json", **settings))
    page = app.serve(storefront, prevent_thread_lock=True, quiet=True)
    return storefront, page, f"http://127.0.0.1:{storefront.settings.app.port}"


@pytest.fixture(scope="module")
def mcp_app(tmp_path_factory, demo_feed):
    storefront, page, url = _serve(tmp_path_factory.mktemp("mcp"), demo_feed, mcp="1")
    yield url
    page.close()


def _tool_session(url, calls):
    """Runs `calls(session)` in one MCP session against the app; returns what it returns."""
    async def run():
        async with streamablehttp_client(f"{url}/gradio_api/mcp/") as (reading, writing, _):
            async with ClientSession(reading, writing) as session:
                await session.initialize()
                return await calls(session)
    return asyncio.run(run())


def _text(result) -> str:
    return "".join(part.text for part in result.content)


def test_agents_see_only_the_shopping_tools_each_documented(mcp_app):
    async def listing(session):
        return (await session.list_tools()).tools
    tools = _tool_session(mcp_app, listing)
    assert {tool.name for tool in tools} == set(TOOL_NAMES)  # no admin action, no gallery endpoint
    by_name = {tool.name: tool for tool in tools}
    photo = by_name["search_products_by_image"].inputSchema["properties"]["image_address"]
    assert "data: URL" in photo["description"] and "http(s)://" in photo["description"]
    assert "JSON array" in by_name["search_products_by_text"].description


def test_every_tool_answers_with_structured_products(mcp_app, demo_feed):
    picture = (demo_feed.parent / "images" / "demo-0105.png").read_bytes()
    data_url = "data:image/png;base64," + base64.b64encode(picture).decode()

    async def calls(session):
        said = {}
        said["text"] = await session.call_tool("search_products_by_text", {"query": "Kestrel backpack", "top_k": 3})
        said["photo"] = await session.call_tool("search_products_by_image", {"image_address": data_url, "top_k": 3})
        address = json.loads(_text(said["photo"]))[0]["picture"]  # the app's own address of the picture
        said["address"] = await session.call_tool("search_products_by_image", {"image_address": address})
        said["both"] = await session.call_tool("search_products_by_image_and_text", {
            "image_address": data_url, "query": "blue", "image_share": 0.5, "top_k": 4, "categories": ["Mugs"]})
        said["similar"] = await session.call_tool("similar_products", {"product_id": "demo-0105", "top_k": 5,
                                                                       "max_price": 40})
        said["details"] = await session.call_tool("product_details", {"product_id": "demo-0105"})
        said["variant"] = await session.call_tool("product_details", {"product_id": "demo-0001"})  # a shirt's red
        said["facets"] = await session.call_tool("catalog_facets", {})
        said["items"] = await session.call_tool("search_items", {"image_address": data_url, "per_item": 2})
        return said
    said = _tool_session(mcp_app, calls)
    assert not any(result.isError for result in said.values()), {k: _text(v) for k, v in said.items()}
    answers = {name: json.loads(_text(result)) for name, result in said.items()}
    first = answers["text"][0]
    assert (first["brand"], first["category"]) == ("Kestrel", "Backpacks") and first["matched_words"]
    assert set(first) == {"id", "title", "brand", "category", "colour", "price", "currency", "in_stock", "score",
                          "picture", "product_page", "matched_words", "pictures", "other_variants"}
    assert answers["photo"][0]["id"] == "demo-0105" and answers["photo"][0]["score"] > 0.99
    assert answers["photo"][0]["picture"].startswith(mcp_app + "/gradio_api/file=")
    assert answers["address"][0]["id"] == "demo-0105"
    assert len(answers["both"]) == 4 and {p["category"] for p in answers["both"]} == {"Mugs"}
    assert "demo-0105" not in {p["id"] for p in answers["similar"]} and len(answers["similar"]) == 5
    assert all(p["price"] <= 40 for p in answers["similar"])
    details = answers["details"]
    assert details["title"] == "Kestrel Red Striped Coffee Mug" and details["attributes"]["title_zh"]
    assert details["product_page"].endswith("demo-0105") and details["price"] == 25.0
    assert (details["variant_of"], details["other_variants"]) == ("", [])
    variant = answers["variant"]
    assert (variant["variant_of"], variant["other_variants"]) == ("demo-0000-model", ["demo-0000", "demo-0002"])
    facets = answers["facets"]
    assert facets["categories"]["Mugs"] == 24 and facets["products"] == 240
    assert 0 < facets["price_range"]["min"] < facets["price_range"]["max"]
    items = answers["items"]  # what is found is measured with the offline encoder (test_items.py)
    assert items["photo_size"] == [256, 256] and items["regions_compared"] >= 1
    assert all(len(item["products"]) == 2 and len(item["box"]) == 4 for item in items["items"])


def test_bad_calls_are_tool_errors_that_say_what_to_change(mcp_app):
    async def calls(session):
        return [await session.call_tool(name, arguments) for name, arguments in (
            ("search_products_by_image", {"image_address": "ftp://example.com/a.jpg"}),
            ("search_products_by_image", {"image_address": f"{mcp_app}/no-such-picture.jpg"}),
            ("search_products_by_image", {"image_address": "data:image/png;base64,bm90IGEgcGljdHVyZQ=="}),
            ("product_details", {"product_id": "demo-9999"}),
            ("similar_products", {"product_id": "demo-9999"}),
            ("search_products_by_text", {"query": "mug", "brands": ["Nobody"]}),
            ("search_products_by_text", {"query": "mug", "min_price": 50, "max_price": 10}),
            ("search_products_by_text", {"query": "mug", "top_k": 500}),
            ("search_items", {"image_address": "data:image/png;base64,bm90IGEgcGljdHVyZQ=="}),
            ("admin_delete", {"password": "", "ids": "demo-0001"}),
        )]
    results = _tool_session(mcp_app, calls)
    assert all(result.isError for result in results)
    said = [_text(result) for result in results]
    assert "is not an image address: give an http(s):// or data: address" in said[0]
    assert "HTTP 404" in said[1]
    assert "not an image format we can read" in said[2]
    assert "product demo-9999 is no longer in the catalog" in said[3]
    assert "no product with id 'demo-9999' in the catalog" in said[4]
    assert "unknown brand 'Nobody': the catalog has Alder & Co" in said[5]
    assert "min_price 50 is above max_price 10" in said[6]
    assert "top_k: must be at most 50" in said[7]  # named as the tool names it
    assert "not an image format we can read" in said[8]
    assert "Unknown tool" in said[9]  # admin actions are never tools
    assert not any("Traceback" in text for text in said)


def _shoppers_page_call(url: str, name: str, asked: dict, address: str) -> dict:
    url = url.rstrip("/") + "/"
    config = httpx.get(f"{url}config").json()
    page = next(c for c in config["components"] if "search" in c.get("props", {}).get("server_fns", ()))
    answer = httpx.post(f"{url}gradio_api/component_server/", headers={"X-Forwarded-For": address},
                        json={"data": {**asked, "lang": "English"}, "component_id": page["id"], "fn_name": name,
                              "session_hash": "a-browser-tab"}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def test_a_burst_is_capped_per_session_and_address_while_other_clients_are_served(tmp_path, demo_feed):
    storefront, page, url = _serve(tmp_path, demo_feed, mcp="1", limit_per_session="4/minute",
                                   limit_per_address="6/minute")
    try:
        bursting = Client(url, verbose=False, headers={"X-Forwarded-For": "10.0.0.1"})
        statuses = [bursting.predict("mug", 3, 0.0, [], [], None, None, False, api_name="/search_text")[1]
                    for _ in range(6)]
        assert all(s.startswith("3 products") for s in statuses[:4]), statuses
        assert statuses[4].startswith("⚠️ too many searches: wait ") and statuses[4].endswith(" s and try again")
        assert 1 <= int(statuses[4].split("wait ")[1].split(" s")[0]) <= 60
        other = Client(url, verbose=False, headers={"X-Forwarded-For": "10.0.0.2"})
        assert other.predict("mug", 3, 0.0, [], [], None, None, False, api_name="/search_text")[1].startswith("3 ")
        same_address = Client(url, verbose=False, headers={"X-Forwarded-For": "10.0.0.1"})  # a new session
        again = [same_address.predict("mug", 3, 0.0, [], [], None, None, False, api_name="/search_text")[1]
                 for _ in range(3)]
        assert [s.startswith("3 products") for s in again] == [True, True, False]  # 6 a minute for the address

        page_search = handlers.page_search(Doorway(storefront), LatestSearch())
        shopper = dict(headers={"x-forwarded-for": "10.0.0.3"}, session_hash="a-browser-tab")
        shown = [page_search(page_values(text="mug"), gr.Request(**shopper))["status"] for _ in range(5)]
        assert "too many searches" not in shown[3] and shown[4].startswith("⚠️ too many searches: wait")
        in_chinese = page_search(page_values(text="mug", lang="中文"), gr.Request(**shopper))["status"]
        assert in_chinese.startswith("⚠️ 搜索太频繁：请等待 ") and in_chinese.endswith(" 秒后再试")  # in its language
        # the shoppers' page's script, through Gradio's component server as a browser calls it: by address
        searched = [_shoppers_page_call(url, "search", {"text": "mug"}, "10.0.0.4") for _ in range(7)]
        assert all("problem" not in answer and answer["cards"] for answer in searched[:6]), searched
        assert searched[6]["problem"].startswith("⚠️ too many searches: wait ")
        opened = _shoppers_page_call(url, "opening", {}, "10.0.0.4")  # what is not a search is not counted
        assert "problem" not in opened and opened["model_line"]

        async def burst(session):
            return [await session.call_tool("search_products_by_text", {"query": "mug"}) for _ in range(7)]
        tool_results = _tool_session(url, burst)  # from 127.0.0.1, an address no call above came from
        assert [r.isError for r in tool_results] == [False] * 6 + [True]  # Gradio's MCP keeps no session: by address
        assert "too many searches: wait" in _text(tool_results[6])
    finally:
        page.close()


# Values a hostile or buggy client may send in any field: wrong types, wrong shapes, NaN and infinity, empty, huge,
# nested
BAD_VALUES = [5, -1.5, float("nan"), float("inf"), "", "x" * 5_000, [], {}, [[{"deep": [1, {"deeper": None}]}]], True,
              None]
# A tool's argument goes through the MCP library's check of its schema first: fewer kinds of value tell it apart
TOOL_VALUES = [5, float("nan"), "x" * 5_000, {}, [[{"deep": [1, {"deeper": None}]}]], None]
REQUIRED = {DetailsRequest: {"id": "demo-0105"}}  # what a request must have, so each other field is what is wrong
PAGE_CALLS = {"opening": OpeningRequest, "search": SearchRequest, "find_items": ItemsRequest,
              "load_url": AddressRequest, "details": DetailsRequest, "history": HistoryRequest}


def _malformed(kind) -> list[tuple[str, dict]]:
    """Each input of a request of `kind` (its filters' and ranking's too) given each bad value, generated from the
    protocol's own fields rather than listed by hand."""
    cases = []
    for name, field in kind.model_fields.items():
        if name in ("lang", "kind"):
            continue
        nested = field.annotation if isinstance(field.annotation, type) and issubclass(field.annotation,
                                                                                        BaseModel) else None
        for inner in (nested.model_fields if nested else ()):
            cases += [(f"{name}.{inner}", {name: {inner: value}}) for value in BAD_VALUES]
        cases += [(name, {name: value}) for value in BAD_VALUES]
    return cases


def test_every_page_call_answers_every_malformed_input_with_what_it_takes(mcp_app):
    """Through Gradio's component server, as a browser's script calls them: never an HTTP 500, and wherever the
    protocol refuses a value, the very words it refuses it with (the input's name and what it takes)."""
    config = httpx.get(f"{mcp_app}/config").json()
    page = next(c for c in config["components"] if "search" in c.get("props", {}).get("server_fns", ()))
    refused = set()
    with httpx.Client(base_url=mcp_app, timeout=60) as http:
        for function, kind in PAGE_CALLS.items():
            for field, asked in _malformed(kind):
                asked = {**REQUIRED.get(kind, {}), **asked}
                body = json.dumps({"data": {**asked, "lang": "en"}, "component_id": page["id"], "fn_name": function,
                                   "session_hash": "a-hostile-tab"})  # NaN and Infinity as JavaScript writes them
                response = http.post("/gradio_api/component_server/", content=body,
                                     headers={"content-type": "application/json"})
                assert response.status_code == 200, (function, asked, response.text[:300])
                answer = response.json()
                assert isinstance(answer, dict) and "Traceback" not in json.dumps(answer), (function, asked)
                try:
                    parse(kind, asked)
                except UserError as error:
                    assert answer == {"problem": escape(f"⚠️ {error}")}, (function, asked, answer)
                    refused.add(field)
                    assert field.split(".")[-1] in answer["problem"] or error.code in ("price_order",), answer
    assert {"photo", "part", "text", "filters.brands", "filters.min_price", "ranking.text_weight", "per_item", "id",
            "viewed", "url"} <= refused
    searched = _shoppers_page_call(mcp_app, "search", {"text": "mug"}, "10.9.9.9")  # and the next search answers
    assert searched["cards"], searched


def test_every_tool_answers_every_malformed_argument_without_a_traceback(mcp_app):
    async def calls(session):
        tools = (await session.list_tools()).tools
        answered = []
        for tool in tools:
            for argument in tool.inputSchema.get("properties", {}):
                for value in TOOL_VALUES:
                    arguments = {"query": "mug", "product_id": "demo-0105", argument: value}
                    if tool.name not in ("search_products_by_text", "search_products_by_image_and_text"):
                        arguments.pop("query")
                    if tool.name not in ("similar_products", "product_details"):
                        arguments.pop("product_id", None)
                    answered.append((tool.name, argument, value, await session.call_tool(tool.name, arguments)))
        return answered
    answered = _tool_session(mcp_app, calls)
    assert len(answered) > 200
    for tool, argument, value, result in answered:
        text = _text(result)
        assert "Traceback" not in text and "upstream" not in text.lower(), (tool, argument, value, text)
        if result.isError and isinstance(value, (dict, list)) and argument not in ("brands", "categories", "colours"):
            # the argument as the tool names it, or the MCP library's own check of the tool's schema, before it
            assert argument in text or text.startswith("Input validation error: "), (tool, argument, value, text)

    async def after(session):
        return await session.call_tool("search_products_by_text", {"query": "mug"})
    assert json.loads(_text(_tool_session(mcp_app, after)))  # and the next search answers


def test_every_image_input_answers_the_same_photo_alike_as_a_file_an_address_and_a_data_url(mcp_app, demo_feed):
    """`/search_items` given `handle_file(photo)` raised AttributeError once: every image input takes a photo every
    way the others do."""
    picture = (demo_feed.parent / "images" / "demo-0105.png").resolve()
    ways = {"file": handle_file(str(picture)), "address": f"{mcp_app}/gradio_api/file={picture}",
            "data URL": "data:image/png;base64," + base64.b64encode(picture.read_bytes()).decode()}
    client = Client(mcp_app, verbose=False)
    by_image = {way: [p["id"] for p in json.loads(client.predict(
        image_address=photo, top_k=5, api_name="/search_products_by_image"))] for way, photo in ways.items()}
    items = {way: json.loads(client.predict(image_address=photo, per_item=2, api_name="/search_items"))
             for way, photo in ways.items()}
    both = {way: [p["id"] for p in json.loads(client.predict(
        image_address=photo, query="mug", top_k=5, api_name="/search_products_by_image_and_text"))]
        for way, photo in ways.items()}
    assert by_image["file"][0] == "demo-0105" and len(set(map(tuple, by_image.values()))) == 1, by_image
    assert len({json.dumps(answer, sort_keys=True) for answer in items.values()}) == 1, items
    assert len(set(map(tuple, both.values()))) == 1, both
    # the gallery endpoints' photo: a file, a FileData of a data: URL (README), or an address as text
    inline = {"url": ways["data URL"], "orig_name": "mug.png", "meta": {"_type": "gradio.FileData"}}
    galleries = {way: client.predict(photo, 5, 0.0, [], [], None, None, False, api_name="/search_image")
                 for way, photo in (("file", ways["file"]), ("data URL", inline), ("address", ways["address"]))}
    assert all(status.startswith("5 products") for _, status in galleries.values()), galleries
    assert len({tuple(item["caption"] for item in gallery) for gallery, _ in galleries.values()}) == 1
    assert "Kestrel Red Striped Coffee Mug" in galleries["file"][0][0]["caption"]
    from page.inputs import photo_payload  # a FileData a client writes by hand never names a file of the server's
    with pytest.raises(UserError, match="hostname: a file must be uploaded with the request, not named by a path"):
        photo_payload({"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}, "orig_name": "hostname"})


def test_every_named_endpoint_answers_every_malformed_input_with_what_it_takes(mcp_app):
    """Through gradio_client, each search endpoint's every positional input given a number, true, an object and a
    nested list of objects (gradio_client sends no NaN; the page's calls get every kind, above): always a gallery
    and a status line, never an exception; an object or a list of objects is refused naming the input as the
    protocol names it."""
    from app import API_INPUTS
    protocol_name = {"photo": "photo", "text": "text", "product_id": "more_like",
                     **{name: f"filters.{name}" for name in ("brands", "categories", "colours", "min_price",
                                                             "max_price", "in_stock")}}
    valid = {"photo": None, "text": "mug", "product_id": "demo-0105", "brands": [], "categories": [], "colours": [],
             "min_price": None, "max_price": None, "in_stock": False}
    client = Client(mcp_app, verbose=False)
    values = [5, True, {}, [[{"deep": [1, {"deeper": None}]}]]]  # each a wrong type for some input, none for all
    calls = []
    for endpoint, named in API_INPUTS.items():
        if endpoint == "search_both":
            continue  # /search's function and inputs under another name
        inputs = [field for _, field in named]
        for position, field in enumerate(inputs):
            for value in values:
                args = [valid.get(name) for name in inputs]
                args[position] = value
                calls.append((endpoint, field, value, client.submit(*args, api_name=f"/{endpoint}")))
    for endpoint, field, value, job in calls:  # submitted at once, answered as the queue takes them
        gallery, status = job.result(timeout=120)
        assert isinstance(status, str) and "Traceback" not in status, (endpoint, field, value, status)
        if isinstance(value, (dict, list)):
            name = protocol_name.get(field, f"ranking.{field}")
            assert status.startswith(f"⚠️ {name}"), (endpoint, field, value, status)
    assert len(calls) == len(values) * sum(len(named) for name, named in API_INPUTS.items() if name != "search_both")
    gallery, status = client.predict("mug", 3, 0.0, [], [], None, None, False, api_name="/search_text")
    assert status.startswith("3 products") and len(gallery) == 3  # and the next search answers


def test_the_named_endpoints_keep_their_documented_parameters(mcp_app):
    """Their order and names are a contract (gradio_client callers pass them by position or by keyword): the one
    doorway behind them changed neither."""
    endpoints = Client(mcp_app, verbose=False).view_api(return_format="dict", print_info=False)["named_endpoints"]
    later = ["brands", "categories", "low", "high", "stock", "colours", "rerank", "keyword_weight"]
    names = {name: [p["parameter_name"] for p in endpoints[f"/{name}"]["parameters"]] for name in (
        "search", "search_image", "search_text", "more_like_this", "save_defaults")}
    assert names["search"] == ["image", "text", "weight", "k", "score", *later]
    assert names["search_image"] == ["image", "k", "score", *later]
    assert names["search_text"] == ["words", "k", "score", *later]
    assert names["more_like_this"] == ["product_id", "k", "score", *later]
    assert names["save_defaults"] == ["password", "top_k", "min_score", "text_weight", "rerank_weight",
                                      "keyword_weight"]
    rerank = endpoints["/search_text"]["parameters"][9]
    assert rerank["parameter_has_default"] and rerank["parameter_default"] == 0.0


def test_every_doorway_records_its_searches_and_never_the_clients_address(tmp_path, demo_feed):
    storefront, page, url = _serve(tmp_path, demo_feed, mcp="1", events_file=tmp_path / "events.sqlite")
    try:
        shopper = "10.7.7.7"
        assert _shoppers_page_call(url, "search", {"text": "mug", "token": "tab-9"}, shopper)["cards"]
        Client(url, verbose=False, headers={"X-Forwarded-For": shopper}).predict(
            "mug", 3, 0.0, [], [], None, None, False, api_name="/search_text")

        async def search(session):
            return await session.call_tool("search_products_by_text", {"query": "red mug", "top_k": 2})
        assert not _tool_session(url, search).isError
    finally:
        page.close()
    storefront.events.flush()
    import sqlite3
    with sqlite3.connect(tmp_path / "events.sqlite") as connection:
        rows = connection.execute("SELECT doorway, kind, words, token, results FROM searches ORDER BY id").fetchall()
    assert rows == [("page", "text", "mug", "tab-9", rows[0][4]), ("api", "text", "mug", None, 3),
                    ("mcp", "text", "red mug", None, rows[2][4])]
    assert 1 <= rows[2][4] <= 2  # at most the top_k asked
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("events.sqlite*"))
    assert shopper.encode() not in stored and b"127.0.0.1" not in stored
