"""The storefront page: a shopper's photo in, a ranked gallery of products out; a Tuning tab for the product
team and, with an admin password configured, an Admin tab.

`demo` is built at import (as a Hugging Face Space expects); the model and store load on first use.
`python app.py [--store DIR] [--model NAME] [--port N]` serves it.
"""
from __future__ import annotations

from storefront.freed_memory import limit_heaps

limit_heaps()  # before any import starts a thread that allocates: glibc keeps the heaps made before the limit

import argparse
import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import gradio as gr
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware  # the page's config and scripts compress about 4x; SSE is not

from catalog.errors import UserError
from page import admin as admin_tab
from page import api_inputs, handlers, shopper, team_calls
from page import insights as insights_page
from page import tuning as tuning_tab
from page.agent_tools import add_agent_tools, not_an_mcp_tool
from page.api_inputs import ApiInputs
from page.calm import calm, calm_server
from page.doorways import client_of, listed, positional, problem
from page.inputs import photo_payload
from page.labels import I18N, T
from page.latest import LatestSearch
from page.opening import Opening
from page.wiring import Page
from search.config import ConfigError, Settings, add_common_flags
from search.images import MAX_BYTES
from search.ranking import KNOB, KNOBS
from storefront.admin import Admin
from storefront.doorway import SEARCH_WORKERS, Doorway
from storefront.front import Storefront
from storefront.model_switch import ModelSwitch
from storefront.protocol import SearchRequest
from storefront.team import Team
from storefront.text import LANGUAGES
from storefront.tuning import ThresholdCurve

# The phone's own fonts (Latin and Chinese) instead of 190 KiB of web fonts; labels and hints dark enough to read
# (WCAG AA contrast, which the Soft theme's light indigo labels miss)
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "PingFang SC",
                "Microsoft YaHei", "sans-serif"]
THEME = gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=["ui-monospace", "monospace"]).set(
    block_label_text_color="*primary_700", block_title_text_color="*primary_700", block_info_text_color="*neutral_600",
    body_text_color_subdued="*neutral_600", button_primary_background_fill="*primary_600",
    button_primary_background_fill_hover="*primary_700", checkbox_label_background_fill_selected="*primary_600")
CSS = """
.banner {background: #fff4e5; border: 1px solid #f0b866; border-radius: 8px; padding: 10px 14px;}
.banner p {margin: 0; color: #7a4b00;}
@keyframes shopper-spin {to {transform: rotate(360deg);}}  /* the shoppers' page's own spinner (page/static) */
/* the staff pages' header (the shoppers' page draws its own) */
#header {flex-wrap: wrap; align-items: flex-start;}
#title {flex: 1 1 300px !important; min-width: 0 !important;}
#language {flex: 0 1 auto !important;}
/* galleries as tall as what they hold, not Gradio's fixed 450 px */
#preview .grid-wrap {min-height: 0; max-height: none; height: auto; overflow: visible;}
@media (max-width: 640px) {
  #header > #language {flex: 1 1 100% !important; max-width: none !important;}
  #shop .html-container {padding-left: 0; padding-right: 0;}  /* a phone's narrow screen for the page itself */
}
"""
# Gradio's page bar is hidden: it shows on every page whatever a hidden gr.Navbar says. Hidden from the page's
# <head>, not its CSS: Gradio draws the bar before it applies a page's CSS, and the page jumped as the bar went
# (and Gradio scopes a page's CSS inside its content: its own margins are set from here too, narrower on a phone).
HEAD = """<style>.nav-holder {display: none;}
@media (max-width: 640px) {.gradio-container .main.app {padding-left: 10px; padding-right: 10px;}}</style>"""
# Every search, from every doorway, takes one of the doorway's few workers (storefront/doorway.py): the encoder uses
# every core already, so more at once only interleaves them. Gradio's queue only orders the API's and the Tuning
# page's events, as many at once as the doorway has workers, and is bounded: past QUEUE_MAX waiting, a caller is told
# to retry. Lighter events have queues of their own and never wait behind a row of searches.
SEARCHING: dict[str, Any] = {"concurrency_id": "search"}
# What a staff page fills in as it opens (the banner, the ranking's defaults) is quick and shows no spinner
ON_LOAD: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden", "queue": False}
log = logging.getLogger("app")
QUEUE_MAX = 256
STOP_WAIT_S = 5.0  # on SIGTERM, how long the searches running may take to finish
QUIET_S = 0.5  # and then serves until its queue has been empty this long: the last answers out, late ones told
PHOTO_TTL_S = 3600  # the Tuning page's photo is forgotten an hour after its last use
UPLOAD_SWEEP_S = 60
# Gradio picks the page's language from the browser; the switch changes it in place through Gradio's own
# locale store (the module that owns it is already loaded; importing it again returns the same instance).
SWITCH_LANGUAGE_JS = """async (choice) => {
  const code = choice === '中文' ? 'zh-CN' : 'en';
  const core = performance.getEntriesByType('resource').map(e => e.name).find(n => /\\/core-[^/]*\\.js$/.test(n));
  if (core) { (await import(core)).changeLocale(code); }
  return choice;
}"""
BROWSER_LANGUAGE_JS = """() => (document.documentElement.lang || navigator.language).startsWith('zh')
  ? '中文' : 'English'"""


def build_demo(storefront: Storefront, doorway: Doorway | None = None) -> gr.Blocks:
    """The shoppers' page, and the product team's Tuning and the admins' Admin pages (`/tuning`, `/admin`) apart,
    so a shopper's phone loads only what shoppers use. Handlers only call `storefront` (through `page.handlers` and
    `page.shopper_calls`)."""
    settings, admin, doorway = storefront.settings, Admin(storefront), doorway or Doorway(storefront)
    team = Team(admin)
    switch = ModelSwitch(admin, team)
    # The handlers delete each upload (the Tuning page's, the API's) as they read it; this sweeps any whose search
    # never came (a closed tab).
    with gr.Blocks(title="Visual product search", delete_cache=(UPLOAD_SWEEP_S, UPLOAD_SWEEP_S)) as page:
        opening = Opening.of(storefront)
        shopper.build(doorway, storefront.example_photos(), opening)
    with page.route("Tuning", "/tuning"):
        _tuning_page(page, doorway, admin, team, opening)
        # The named endpoints and the agents' tools are declared on a staff page: on the shoppers' page their
        # hidden components and endpoints cost a phone over half a second as it opens (docs/benchmarks.md); they are
        # the app's endpoints either way
        add_agent_tools(doorway)
        api = api_inputs.build(settings, opening)
        _api_endpoints(doorway, api)
        _save_defaults_endpoint(admin, switch, api)
        _team_endpoints(team)
    if admin.enabled:
        with page.route("Insights", "/insights"):
            _insights_page(page, team, opening)
        with page.route("Admin", "/admin"):
            _admin_page(page, admin, switch, opening)
    page.queue(default_concurrency_limit=SEARCH_WORKERS, max_size=QUEUE_MAX)
    calm(page._queue)  # no polling every millisecond while nobody searches (page/calm.py)
    return page


def _staff_links(admin_enabled: bool) -> None:
    gr.Markdown(T("staff_links" if admin_enabled else "open_staff_links"), elem_id="staff-links")


def _header(storefront: Storefront, banner: str = "") -> tuple[gr.Radio, gr.Markdown]:
    """Every staff page's title and language switch (they wrap on a phone), and the banner under them, which the
    switch words again (Gradio's own i18n words only the fixed labels)."""
    with gr.Row(equal_height=True, elem_id="header"):
        gr.Markdown(T("title"), elem_id="title")
        lang = gr.Radio(list(LANGUAGES), value="English", label=T("language"), elem_id="language", scale=0,
                        min_width=200)
    shown = gr.Markdown(banner, elem_classes="banner", visible=bool(banner))
    lang.change(None, lang, None, js=SWITCH_LANGUAGE_JS, api_visibility="private")
    lang.change(handlers.banner_in(storefront), lang, shown, api_visibility="private", queue=False, preprocess=False)
    return lang, shown


def _tuning_page(page: gr.Blocks, doorway: Doorway, admin: Admin, team: Team, opening: Opening) -> None:
    """The product team's page: its own query, searched again as each slider moves, with the charts."""
    storefront = doorway.storefront
    _staff_links(admin.enabled)
    lang, banner = _header(storefront, opening.banner)
    tuning = tuning_tab.build(storefront.settings, admin.enabled)
    labelled = tuning.labelled
    parts = Page(lang=lang, banner=banner, curve=tuning.curve, query_photo=gr.State(None, time_to_live=PHOTO_TTL_S),
                 shown_digest=gr.State(None), **tuning.sliders, **{name: getattr(tuning, name) for name in (
                     "photo", "text", "status", "preview", "histogram", "timings", "password", "saved")},
                 labels=labelled.labels, photos=labelled.photos, labelled_figures=labelled.figures,
                 labelled_curves=labelled.curves)
    latest = LatestSearch()
    search = handlers.page_search(doorway, latest)
    searching: dict[str, Any] = {"api_visibility": "private", **SEARCHING}
    parts.on(tuning.photo.change, handlers.tuning_photo(doorway, latest),
             ["photo", "shown_digest", *handlers.TUNING_INPUTS], ["photo", "shown_digest", "query_photo",
                                                                  *handlers.CHARTS], **searching)
    parts.on(tuning.text.submit, search, handlers.TUNING_INPUTS, handlers.CHARTS, **searching)
    parts.on(tuning.find_items.click, handlers.tuning_items(doorway), ["query_photo", "lang"], handlers.CHARTS,
             **searching)
    for slider in tuning.sliders.values():  # live
        parts.on(slider.change, search, handlers.TUNING_INPUTS, handlers.CHARTS,
                 trigger_mode="always_last", show_progress="hidden", **searching)
    parts.on(lang.change, search, handlers.TUNING_INPUTS, handlers.CHARTS, **searching)  # the status line's words
    curve = handlers.threshold_curve(ThresholdCurve(storefront))
    # Drawn once the browser's language is set, then again for its threshold line and its words: one at a time, in
    # order, so a first drawing (seconds: it searches the sample queries) never lands after a later one
    drawing: dict[str, Any] = {"api_visibility": "private", "concurrency_id": "threshold-curve", "concurrency_limit": 1}
    for redrawn in (tuning.sliders["min_score"].release, lang.change):
        parts.on(redrawn, curve, ["min_score", "lang"], ["curve"], **drawing)
    if admin.enabled:  # the page's own saving, in its language (the API's `/save_defaults` is declared apart)
        parts.on(tuning.save.click, handlers.save_from_page(admin), ["password", *handlers.RANKING, "lang"],
                 ["saved"], api_visibility="private")
        parts.on(labelled.evaluate.click, handlers.evaluate_labelled(team),
                 ["password", "labels", "photos", *handlers.RANKING, "lang"], ["labelled_figures", "labelled_curves"],
                 api_visibility="private")
        parts.on(labelled.use_proposal.click, handlers.use_proposal(team), ["lang"],
                 ["labelled_figures", *handlers.RANKING], api_visibility="private")
    parts.on(page.load, handlers.header(storefront, handlers.TUNING_HEADER, drawn=opening), (),
             handlers.TUNING_HEADER, **ON_LOAD)
    parts.on(page.load(None, None, lang, js=BROWSER_LANGUAGE_JS).then, curve, ["min_score", "lang"], ["curve"],
             **drawing)


# The named endpoints' inputs by position, each (its parameter's name, as gradio_client callers may pass it by
# keyword; the protocol's field): a public contract, new inputs only ever come last. The knobs they had when the order
# was set stand where they always stood; a knob added since comes after them all, in KNOBS' order.
FIRST_KNOBS = ("text_weight", "top_k", "min_score", "rerank_weight", "keyword_weight")
RANKED = (("k", "top_k"), ("score", "min_score"))
FILTERS = (("brands", "brands"), ("categories", "categories"), ("low", "min_price"), ("high", "max_price"),
           ("stock", "in_stock"))
ADDED_LATER = (("colours", "colours"), ("rerank", "rerank_weight"), ("keyword_weight", "keyword_weight"),
               *((knob.name, knob.name) for knob in KNOBS if knob.name not in FIRST_KNOBS))  # optional
PHOTO_AND_TEXT = (("image", "photo"), ("text", "text"), ("weight", "text_weight"))
API_INPUTS = {
    "search": (*PHOTO_AND_TEXT, *RANKED, *FILTERS, *ADDED_LATER),
    "search_both": (*PHOTO_AND_TEXT, *RANKED, *FILTERS, *ADDED_LATER),
    "search_image": (("image", "photo"), *RANKED, *FILTERS, *ADDED_LATER),
    "search_text": (("words", "text"), *RANKED, *FILTERS, *ADDED_LATER),
    "more_like_this": (("product_id", "product_id"), *RANKED, *FILTERS, *ADDED_LATER)}


def _api_endpoints(doorway: Doorway, api: ApiInputs) -> None:
    """Named endpoints for gradio_client: search by photo, by text, by both, and more like a product. Each is an
    adapter of the doorway: its positional inputs (`API_INPUTS`) become a request's fields by name, and the answer a
    gallery and a status line."""
    trigger = gr.Button(visible=False)
    components = {"photo": api.photo, "text": api.text, "product_id": api.product_id, "brands": api.brands,
                  "categories": api.categories, "colours": api.colours, "min_price": api.min_price,
                  "max_price": api.max_price, "in_stock": api.in_stock, **api.ranking}
    for name, inputs in API_INPUTS.items():
        fields = tuple(field for _, field in inputs)
        endpoint = positional(_api_search(doorway, fields), tuple(parameter for parameter, _ in inputs),
                              required=len(inputs) - len(ADDED_LATER), defaults={"rerank": 0.0})
        not_an_mcp_tool(endpoint)  # agents have tools of their own
        # unprocessed: the protocol checks every value (a component's own preprocessing answered a wrong type with
        # a bare "the upstream app has raised an exception"); the photo is read as the agents' tools read theirs
        trigger.click(endpoint, [components[field] for field in fields], [api.gallery, api.status], api_name=name,
                      preprocess=False, **SEARCHING)


def _api_search(doorway: Doorway, inputs: tuple[str, ...]) -> Callable[..., tuple]:
    """A named endpoint's function: its values by position, as `inputs` names them (a caller may leave out those
    added last), to a search request."""
    def search(request: gr.Request, *values: Any) -> tuple:
        given = dict(zip(inputs, values))
        # an API search left without a re-ranking weight is not re-ranked, as it never was (the saved one is the page's)
        given["rerank_weight"] = 0.0 if given.get("rerank_weight") is None else given["rerank_weight"]
        filters = {name: given.get(name) for _, name in (*FILTERS, ADDED_LATER[0])}
        asked: dict[str, Any] = {"ranking": {name: given.get(name) for name in KNOB},
                                 "filters": _api_filters(**filters)}
        if "product_id" in given:
            asked["more_like"] = given["product_id"]
        else:
            asked.update(photo=given.get("photo"), text="" if given.get("text") is None else given["text"])
        return _gallery_and_status(doorway, request, asked)
    return search


def _api_filters(brands, categories, min_price, max_price, in_stock, colours) -> dict[str, Any]:
    """The API's filter inputs as the protocol reads them: an empty list or price box is no filter."""
    return {"brands": listed(brands), "categories": listed(categories), "colours": listed(colours),
            "min_price": min_price, "max_price": max_price, "in_stock": False if in_stock is None else in_stock}


def _gallery_and_status(doorway: Doorway, request: gr.Request | None, asked: dict[str, Any]) -> tuple:
    """An API search's gallery and status line; a problem (too many searches among them) is the status line."""
    try:
        if "photo" in asked:  # a file uploaded with the call, read as the tools read theirs
            asked = {**asked, "photo": photo_payload(asked["photo"])}
        result = doorway.answer(SearchRequest, asked, client_of(request, "api"))
    except UserError as error:
        return [], problem(error)
    return result.gallery, result.status_line("en")


def _save_defaults_endpoint(admin: Admin, switch: ModelSwitch, api: ApiInputs) -> None:
    """`/save_defaults`: the password, then the ranking knobs by position, in KNOBS' order (its documented order);
    without an admin password it exists, and refuses."""
    run = not_an_mcp_tool(handlers.admin_handlers(admin, switch)["save_defaults"])
    trigger, password, saved = gr.Button(visible=False), gr.Textbox(visible=False), gr.Markdown(visible=False)
    trigger.click(run, [password, *api.ranking.values()], saved, api_name="save_defaults", preprocess=False)


def _team_endpoints(team: Team) -> None:
    """`/insights` (JSON), `/export_events` (a CSV file), `/replay_events` (JSON) and `/evaluate` (JSON): the password
    first, then the days (YYYY-MM-DD, empty for the last 30) or the labels CSV and its photos' zip; without an admin
    password they exist, and refuse."""
    calls = team_calls.endpoints(team)
    trigger, password = gr.Button(visible=False), gr.Textbox(visible=False)
    first, last = gr.Textbox(visible=False), gr.Textbox(visible=False)
    answer = gr.JSON(visible=False)
    trigger.click(calls["insights"], [password, first, last], answer, api_name="insights")
    trigger.click(calls["export_events"], [password, first, last], gr.File(visible=False), api_name="export_events")
    trigger.click(calls["replay_events"], [password, first, last], answer, api_name="replay_events")
    labels, photos = gr.File(visible=False), gr.File(visible=False)
    trigger.click(calls["evaluate"], [password, labels, photos], answer, api_name="evaluate")


def _insights_page(page: gr.Blocks, team: Team, opening: Opening) -> None:
    _staff_links(admin_enabled=True)
    lang, _ = _header(team.storefront, opening.banner)
    insights_page.wire(insights_page.build(), team, lang)
    page.load(None, None, lang, js=BROWSER_LANGUAGE_JS)


def _admin_page(page: gr.Blocks, admin: Admin, switch: ModelSwitch, opening: Opening) -> None:
    """The admins' page: feed upload with progress, deletion, statistics and the model switch, each also an API
    endpoint that checks the password (inputs positional, in the documented order)."""
    _staff_links(admin.enabled)
    lang, banner = _header(admin.storefront, opening.banner)
    view = admin_tab.build(admin.storefront.settings.model.name)
    run = {name: not_an_mcp_tool(action) for name, action in handlers.admin_handlers(admin, switch).items()}
    parts = Page(banner=banner, lang=lang)
    # unprocessed, as the search endpoints: each handler reads the values as sent and says what is wrong with one
    view.refresh.click(run["admin_stats"], [view.password, lang], view.stats, api_name="admin_stats", preprocess=False)
    for button, name, inputs, result in (  # the page's language last, after the endpoints' documented inputs
            (view.index, "admin_ingest", [view.password, view.feed, view.images_root, lang], view.ingest_result),
            (view.delete, "admin_delete", [view.password, view.delete_ids, lang], view.delete_result),
            (view.switch, "admin_switch_preset", [view.password, view.preset, lang], view.switch_result),
            (view.confirm, "admin_confirm_switch", [view.password, lang], view.switch_result),
            (view.rollback, "admin_rollback", [view.password, lang], view.switch_result),
            (view.remove_previous, "admin_remove_previous", [view.password, lang], view.switch_result)):
        clicked = button.click(run[name], inputs, result, api_name=name, preprocess=False)
        parts.on(clicked.then, handlers.header(admin.storefront, ("banner",)), ["lang"], ["banner"],
                 api_visibility="private")  # in the page's language
    parts.on(page.load, handlers.header(admin.storefront, ("banner",), drawn=opening), (), ["banner"], **ON_LOAD)
    page.load(None, None, lang, js=BROWSER_LANGUAGE_JS)


def _settings_from_env() -> Settings:
    try:
        return Settings.from_env().with_saved()
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None


demo = build_demo(Storefront(_settings_from_env()))


def main(argv: list[str] | None = None) -> None:
    global demo
    parser = argparse.ArgumentParser(description="Serve the visual product search page.")
    add_common_flags(parser)
    parser.add_argument("--port", type=int, help="port to listen on (env PRODUCT_SEARCH_PORT, default 7860)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),  # a Space sets it
                        help="address to listen on (0.0.0.0 for all; env GRADIO_SERVER_NAME, default 127.0.0.1)")
    parser.add_argument("--mcp", action="store_const", const="1",
                        help="serve the shopping tools to agents over MCP at /gradio_api/mcp/ (env "
                             "PRODUCT_SEARCH_MCP=1)")
    parser.add_argument("--limit-per-session", metavar="RATE", help="at most RATE searches per session, e.g. "
                        "30/minute (env PRODUCT_SEARCH_LIMIT_PER_SESSION; default none)")
    parser.add_argument("--limit-per-address", metavar="RATE", help="at most RATE searches per client address, e.g. "
                        "120/minute (env PRODUCT_SEARCH_LIMIT_PER_ADDRESS; default none)")
    args = parser.parse_args(argv)
    storefront = Storefront(_settings_from_env().with_args(args))
    doorway = Doorway(storefront)
    try:
        demo = serve(storefront, args.host, doorway=doorway, prevent_thread_lock=True)
    except UserError as error:
        raise SystemExit(f"error: {error}") from None
    signal.signal(signal.SIGTERM, lambda *_: _stop(doorway, demo))
    demo.block_thread()


def _stop(doorway: Doorway, page: gr.Blocks) -> None:
    """SIGTERM: new searches are told the shop is restarting, those running finish (up to STOP_WAIT_S in all) and
    their answers are sent, the events queued are written, and the process exits 0."""
    deadline = time.monotonic() + STOP_WAIT_S
    finished = doorway.stop(STOP_WAIT_S)
    queue = page._queue  # what Gradio still holds: answers being sent, searches arriving to be told
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < QUIET_S and time.monotonic() < deadline:
        if len(queue) or any(job is not None for job in queue.active_jobs):
            quiet_since = time.monotonic()
        time.sleep(0.05)
    doorway.storefront.events.flush(timeout_s=max(deadline - time.monotonic(), 1.0))
    log.warning("stopped on SIGTERM%s", "" if finished else f"; searches still running after {STOP_WAIT_S:g} s")
    raise SystemExit(0)


def serve(storefront: Storefront, host: str = "127.0.0.1", doorway: Doorway | None = None, **launch: Any) -> gr.Blocks:
    """Starts the storefront (the model loaded, an empty store filled with the demo catalog) before the first
    shopper arrives, then serves the page on the settings' port; raises `UserError` when it cannot start."""
    storefront.start()
    gr.set_static_paths(storefront.image_folders())  # catalog pictures are served as they are, never copied
    page = build_demo(storefront, doorway)
    settings = storefront.settings
    page.launch(
        server_name=host, server_port=settings.app.port, mcp_server=settings.app.serves_mcp, i18n=I18N, theme=THEME,
        css=CSS, head=HEAD, show_error=False, max_file_size=MAX_BYTES, footer_links=["api", "gradio"],
        run_history=False, enable_monitoring=False,  # the Insights page has the shop's figures (page/calm.py)
        app_kwargs={"middleware": [Middleware(GZipMiddleware, minimum_size=1024)]}, **launch)
    calm_server(page.server)  # uvicorn's ticks slow while nobody is connected (page/calm.py)
    return page


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    main()
