"""Thin adapters between the page and the storefront, by name: each reads the values it needs (`values["text"]`)
and returns the updates it makes (`{"status": ...}`); `page/wiring.py` ties the names to components. The named
API endpoints keep their documented positional order in `app.py`."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import gradio as gr

from catalog.errors import UserError
from page.inputs import as_jpeg
from page.latest import LatestSearch
from page.opening import FACETS, Opening
from page.wiring import Updates, Values
from search.images import ImageError, Photo, PhotoBytes
from search.ranking import Filters, Ranking
from storefront import results
from storefront.admin import Admin
from storefront.front import ITEM_ROWS, RECENT_COUNT, ShopResult, Storefront
from storefront.items import ItemsResult
from storefront.text import LABELS, language, say
from storefront.tuning import score_histogram, timings_table

Search = Callable[[Values, gr.Request], Updates]  # a search handler, as the pages wire it
RANKING = ("min_score", "top_k", "text_weight", "rerank_weight", "keyword_weight")
FILTERS = ("brands", "categories", "colours", "min_price", "max_price", "in_stock")
# The shopper's page has the blend and the filters; the rest of the ranking is the saved defaults
SEARCH_INPUTS = ("query_photo", "text", "text_weight", *FILTERS, "lang")
RESULTS = ("gallery", "status", "shown_ids", "chips", "items_box")
ITEM_ROWS_NAMES = tuple(f"item_{number}" for number in range(1, ITEM_ROWS + 1))
ITEM_BUTTONS = tuple(f"search_item_{number}" for number in range(1, ITEM_ROWS + 1))
ITEMS = ("items_box", "items_photo", "item_boxes", *ITEM_ROWS_NAMES, *ITEM_BUTTONS, *RESULTS)
# The Tuning page has every ranking slider and no filters; it shows the results' scores and times too
TUNING_INPUTS = ("query_photo", "text", *RANKING, "lang")
CHARTS = ("preview", "status", "histogram", "timings")
CROP = ("query_photo", "first_corner", "crop_preview", "crop_hint", "whole_photo_button")
NEW_PHOTO = ("photo", "shown_digest", "whole_photo", *CROP, *RESULTS)
HEADER = ("banner", "model_line", "text_weight", "brands", "categories", "colours")
TUNING_HEADER = ("banner", "text_weight", "min_score", "top_k", "rerank_weight", "keyword_weight")


def ranking(values: Values, saved: Ranking) -> Ranking:
    """The page's ranking as one value: what it has sliders for, the saved defaults for the rest."""
    return Ranking.of(**{name: values.get(name, getattr(saved, name)) for name in RANKING})


def filters(values: Values) -> Filters:
    """The page's filters (none on the Tuning page); an empty or zero price box means no limit (gr.Number shows an
    empty box as 0)."""
    return Filters.of(*(values.get(name) for name in ("brands", "categories", "min_price", "max_price", "in_stock",
                                                        "colours")))


def active_filters(values: Values) -> int:
    """How many filters narrow the results, for the folded Filters section's name."""
    return sum(bool(values.get(name)) for name in FILTERS)


def filters_label(values: Values, request: gr.Request | None = None) -> Updates:
    count, lang = active_filters(values), language(values["lang"])
    return {"filters_box": gr.update(label=say(lang, "filters_active", count=count) if count else
                                     LABELS[lang]["filters"])}


def status_line(result: ShopResult, lang: str) -> str:
    """What a search found, with the time it took, as the page and the API say it."""
    timing = results.timings_line(result.timings_ms, lang)
    if not timing:
        return result.status
    return f"{result.status} · {timing}" if result.ids else f"{result.status} ({timing})"


def shown(result: ShopResult, min_score: float, lang: str, charts: bool = False) -> Updates:
    """The results on the shopper's page; with `charts`, on the Tuning page: the results with their scores'
    histogram and the time per stage (the histogram alone costs about 100 ms, so the shopper's page never draws
    it)."""
    status = status_line(result, lang)
    if charts:
        return {"preview": result.gallery, "status": status, "histogram": score_histogram(result.scores, min_score),
                "timings": timings_table(result.timings_ms)}
    chips = [(f"{g.label} · {results.percent(g.probability)}", f"{g.kind}:{g.label}") for g in result.guesses]
    return {"gallery": gr.update(value=result.gallery, visible=bool(result.gallery)), "status": status,
            "shown_ids": result.ids, "items_box": gr.update(visible=False),
            "chips": gr.update(choices=chips, value=None, visible=bool(chips))}


class NoPhotoYet(UserError, ValueError):
    def in_language(self, lang: str) -> str:
        return say(lang, "photo_first")


def find_items(storefront: Storefront) -> Callable[[Values, gr.Request], Updates]:
    """Every product in the shopper's whole photo, each marked on it and with a row of its own."""
    @shows_problems
    def find(values: Values, request: gr.Request) -> Updates:
        if values["whole_photo"] is None:
            raise NoPhotoYet(say("en", "photo_first"))
        admit(storefront, request)
        lang = language(values["lang"])
        return items_shown(storefront.find_items(values["whole_photo"], filters(values), lang), lang)
    return find


def tuning_items(storefront: Storefront) -> Callable[[Values, gr.Request], Updates]:
    """The Tuning page's photo searched for every product in it: all items' products, their scores against the
    threshold and the time of each stage (regions proposed, encoded, searched)."""
    def find(values: Values, request: gr.Request) -> Updates:
        lang = language(values["lang"])
        try:
            if values["query_photo"] is None:
                raise NoPhotoYet(say("en", "photo_first"))
            admit(storefront, request)
            result = storefront.find_items(values["query_photo"], Filters(), lang)
        except UserError as error:
            return {"status": problem(error, lang)}
        scores = [score for row in result.rows for score in row.scores]
        return {"preview": [card for row in result.rows for card in row.cards], "status": _items_status(result, lang),
                "histogram": score_histogram(scores, storefront.settings.ranking.min_score),
                "timings": timings_table(result.timings_ms)}
    return find


def items_shown(result: ItemsResult, lang: str) -> Updates:
    """The marked photo and one row per item (the rows left over hidden), in place of the results' gallery."""
    rows: Updates = {}
    for index, (row_name, button_name) in enumerate(zip(ITEM_ROWS_NAMES, ITEM_BUTTONS)):
        row = result.rows[index] if index < len(result.rows) else None
        rows[row_name] = gr.update(value=row.cards if row else [], label=row.label if row else None,
                                   visible=row is not None)
        rows[button_name] = gr.update(visible=row is not None)
    return {"items_box": gr.update(visible=True), "items_photo": as_jpeg(result.marked), **rows,
            "item_boxes": [row.searched.as_list() for row in result.rows], "status": _items_status(result, lang),
            "gallery": gr.update(value=[], visible=False), "shown_ids": [],
            "chips": gr.update(choices=[], value=None, visible=False)}


def _items_status(result: ItemsResult, lang: str) -> str:
    return f"{result.status} · {results.timings_line(result.timings_ms, lang)}"


def search_item(storefront: Storefront, number: int) -> Callable[[Values, gr.Request], Updates]:
    """An item's row chosen: the search narrows to that item's box, as two clicks on its corners would."""
    def pick(values: Values, request: gr.Request | None = None) -> Updates:
        boxes, whole, lang = values["item_boxes"] or [], values["whole_photo"], language(values["lang"])
        if whole is None or len(boxes) < number:
            return {}
        left, top, right, bottom = boxes[number - 1]
        return _cropped_to(storefront.crop(whole, (left, top), (right, bottom)), lang)
    return pick


def admit(storefront: Storefront, request: gr.Request | None) -> None:
    """Counts a search of the page, the API or an MCP tool against the deployment's limits; raises
    `TooManySearches`. Behind a proxy (a Space) the client's address is the last X-Forwarded-For entry, the one the
    proxy added: the entries before it are whatever the client sent."""
    if request is None or not storefront.limits.enabled:
        return
    # An MCP tool call gets the HTTP request itself, and Gradio's MCP server keeps no session: counted by address
    session = getattr(request, "session_hash", None)
    forwarded = (request.headers.get("x-forwarded-for") or "").split(",")[-1].strip()
    client = getattr(request, "client", None)
    storefront.limits.admit(session, forwarded or (client.host if client else None))


def page_search(storefront: Storefront, latest: LatestSearch, always_shown: bool = False,
                charts: bool = False) -> Callable[[Values, gr.Request], Updates]:
    """Search from the page; nothing happens while there is neither a photo nor a text. The results are not shown
    if a newer search of the session started meanwhile, unless `always_shown` (a new photo's: its results must
    follow the photo whatever started after it). `charts`: the Tuning page's search (see `shown`)."""
    def search(values: Values, request: gr.Request) -> Updates:
        if values["query_photo"] is None and not (values["text"] or "").strip():
            return {}
        admit(storefront, request)
        ticket, lang = latest.start(request), language(values["lang"])
        chosen = ranking(values, storefront.settings.ranking)
        result = storefront.search(values["query_photo"], values["text"], filters(values), chosen, lang)
        if not (always_shown or latest.is_newest(request, ticket)):
            return {}
        return shown(result, chosen.min_score, lang, charts)
    return shows_problems(search, emptied=_problem_charts if charts else _problem_results)


def page_more_like_this(storefront: Storefront, latest: LatestSearch) -> Callable[[Values, gr.Request], Updates]:
    @shows_problems
    def more(values: Values, request: gr.Request) -> Updates:
        admit(storefront, request)
        ticket, lang = latest.start(request), language(values["lang"])
        chosen = ranking(values, storefront.settings.ranking)
        result = storefront.more_like_this(values["selected_id"], filters(values), chosen, lang)
        if not latest.is_newest(request, ticket):
            return {}
        return shown(result, chosen.min_score, lang)
    return more


def select_product(storefront: Storefront) -> Callable[[Values, gr.SelectData], Updates]:
    def select(values: Values, event: gr.SelectData) -> Updates:
        ids = values["shown_ids"]
        if not ids or event.index is None or event.index >= len(ids):
            return {"selected_id": "", "details": "", "details_box": gr.update(visible=False)}
        product_id = ids[event.index]
        viewed = [product_id, *(i for i in values["history"] or [] if i != product_id)][:RECENT_COUNT]
        return {"selected_id": product_id, "details": storefront.details(product_id, language(values["lang"])),
                "details_box": gr.update(visible=True), "history": viewed}
    return select


HISTORY = ["history_box", "recent", "inspired"]


def show_history(storefront: Storefront) -> Callable[[Values, gr.Request], Updates]:
    """The shopper's recent views (read from their browser) and products like them within the active filters."""
    def show(values: Values, request: gr.Request) -> Updates:
        viewed, lang = list(values["history"] or []), language(values["lang"])
        recent = storefront.recently_viewed(viewed, lang) if viewed else []
        if not recent:
            return _no_history()
        inspired = storefront.inspired_by(viewed, filters(values), lang)
        return {"history_box": gr.update(visible=True), "recent": gr.update(value=recent, visible=True),
                "inspired": gr.update(value=inspired.gallery, visible=bool(inspired.gallery))}
    return show


def restore_history(storefront: Storefront) -> Callable[[Values, gr.Request], Updates]:
    """The history as the page opens; nothing to do for a shopper without one: its galleries are drawn hidden."""
    show = show_history(storefront)

    def restore(values: Values, request: gr.Request) -> Updates:
        return show(values, request) if values["history"] else {}
    return restore


def _no_history() -> Updates:
    """The history's galleries hidden, not empty: a gallery on the page brings Gradio's video player along."""
    return {"history_box": gr.update(visible=False), "recent": gr.update(value=[], visible=False),
            "inspired": gr.update(value=[], visible=False)}


def close_details(values: Values, request: gr.Request | None = None) -> Updates:
    return {"details_box": gr.update(visible=False)}


def forget_history(values: Values, request: gr.Request) -> Updates:
    return {"history": [], **_no_history()}


def _uncropped(lang: str) -> Updates:
    return {"first_corner": None, "crop_preview": gr.update(value=None, visible=False),
            "crop_hint": say(lang, "crop_hint"), "whole_photo_button": gr.update(visible=False)}


def _shown_back(photo: Photo) -> Updates:
    """A photo put back in its box from memory (a data URL, the upload being deleted), with the digest that
    recognises the box reporting it as a change."""
    jpeg = as_jpeg(photo.image)
    return {"photo": jpeg, "shown_digest": PhotoBytes(jpeg).digest}


def _taken(read_photo: Callable[[], Photo], search: Callable[[Values], Updates], values: Values,
           clear_on_error: bool) -> Updates:
    """A photo read by `read_photo` becomes what is shown and searched, whole."""
    lang = language(values["lang"])
    try:
        photo = read_photo()
    except ImageError as error:
        kept = dict.fromkeys(("photo", "shown_digest", "query_photo", "whole_photo")) if clear_on_error else {}
        return {**kept, **_uncropped(lang), **_problem_results(error, lang)}
    return {**_shown_back(photo), "query_photo": photo, "whole_photo": photo, **_uncropped(lang),
            **search({**values, "query_photo": photo})}


def new_photo(storefront: Storefront, latest: LatestSearch) -> Callable[[Values, gr.Request], Updates]:
    """An upload, snapshot, paste or example is checked, shown back from memory and searched. The photo box also
    reports as changed what this page put in it: that is recognised by its digest and ignored."""
    search = page_search(storefront, latest, always_shown=True)

    def take(values: Values, request: gr.Request) -> Updates:
        upload: PhotoBytes | None = values["photo"]
        if (upload is None and values["query_photo"] is None) or (upload and upload.digest == values["shown_digest"]):
            return {}
        if upload is None:  # the shopper cleared the photo
            cleared = {**values, "query_photo": None}
            return {"shown_digest": None, "query_photo": None, "whole_photo": None,
                    **_uncropped(language(values["lang"])), **search(cleared, request)}
        return _taken(lambda: storefront.photo(upload), lambda v: search(v, request), values, clear_on_error=True)
    return take


def tuning_photo(storefront: Storefront, latest: LatestSearch) -> Callable[[Values, gr.Request], Updates]:
    """The Tuning page's photo: read once, shown back from memory (its upload deleted, as on the shoppers' page),
    and searched with the page's sliders; the box reporting what the page put in it is recognised and ignored."""
    search = page_search(storefront, latest, always_shown=True, charts=True)

    def take(values: Values, request: gr.Request) -> Updates:
        upload: PhotoBytes | None = values["photo"]
        if upload is not None and upload.digest == values["shown_digest"]:
            return {}
        if upload is None:
            return {"shown_digest": None, "query_photo": None, **search({**values, "query_photo": None}, request)}
        try:
            photo = storefront.photo(upload)
        except ImageError as error:
            return {"photo": None, "shown_digest": None, "query_photo": None, "preview": [],
                    "status": problem(error, language(values["lang"]))}
        return {**_shown_back(photo), "query_photo": photo, **search({**values, "query_photo": photo}, request)}
    return take


def load_url(storefront: Storefront, latest: LatestSearch) -> Callable[[Values, gr.Request], Updates]:
    """The picture at a shopper's address goes into the photo box (where it can be cropped) and is searched; a bad
    address leaves the current photo as it is."""
    search = page_search(storefront, latest, always_shown=True)

    def load(values: Values, request: gr.Request) -> Updates:
        return _taken(lambda: storefront.load_url(values["url"]), lambda v: search(v, request), values,
                      clear_on_error=False)
    return load


def whole_photo(values: Values, request: gr.Request | None = None) -> Updates:
    """Back from a crop to the whole photo."""
    return {"query_photo": values["whole_photo"], **_uncropped(language(values["lang"]))}


def click_corner(storefront: Storefront) -> Callable[[Values, gr.SelectData], Updates]:
    """Two clicks on the photo, at opposite corners of an item, crop the search to that item."""
    def click(values: Values, event: gr.SelectData) -> Updates:
        whole, first, lang = values["whole_photo"], values["first_corner"], language(values["lang"])
        if whole is None or not event.index:
            return {}
        corner = tuple(event.index)
        if first is None:
            return {"first_corner": corner, "crop_hint": say(lang, "crop_second")}
        try:
            part = storefront.crop(whole, tuple(first), corner)
        except ImageError as error:
            return {"first_corner": None, "crop_hint": problem(error, lang)}
        return _cropped_to(part, lang)
    return click


def _cropped_to(part: Photo, lang: str) -> Updates:
    """The search narrowed to a part of the photo, shown beside it with the way back to the whole photo."""
    return {"query_photo": part, "first_corner": None,
            "crop_preview": gr.update(value=as_jpeg(part.image), visible=True),
            "crop_hint": say(lang, "crop_done"), "whole_photo_button": gr.update(visible=True)}


def unless_half_cropped(search: Callable[[Values, gr.Request], Updates]) -> Callable[[Values, gr.Request], Updates]:
    """The search after a click on the photo, skipped after the first of the two corners."""
    def run(values: Values, request: gr.Request) -> Updates:
        return {} if values["first_corner"] is not None else search(values, request)
    return run


def apply_chip(values: Values, request: gr.Request | None = None) -> Updates:
    """A clicked chip ("category:Mugs" or "colour:Red") becomes that filter."""
    chip = values["chips"]
    if not chip or ":" not in chip:
        return {}
    kind, label = chip.split(":", 1)
    name = "categories" if kind == "category" else "colours"
    return {name: sorted({*(values[name] or ()), label})}


def relabel(storefront: Storefront) -> Callable[[Values, gr.Request], Updates]:
    """After a language switch on the shopper's page: the crop hint, the model line, the filters' name and the
    status line while it still says where results will appear, in the new language (Gradio translates the fixed
    labels itself; a search's status line is written again by the search the switch starts)."""
    waiting = {labels["results_here"] for labels in LABELS.values()}

    def run(values: Values, request: gr.Request) -> Updates:
        code = language(values["lang"])
        placeholder = {"status": LABELS[code]["results_here"]} if values["status"] in waiting else {}
        banner = storefront.banner(code)
        return {"crop_hint": say(code, "crop_hint"), "model_line": storefront.model_line(code),
                "banner": gr.update(value=banner, visible=bool(banner)),
                "photo": gr.update(placeholder=say(code, "photo_drop")), **filters_label(values), **placeholder}
    return run


def header(storefront: Storefront, names: tuple[str, ...] = HEADER,
           drawn: Opening = Opening()) -> Callable[[Values, gr.Request], Updates]:
    """On page load, of the page's `names`: the banner, the model line, the filter choices and the ranking settings
    as they stand now, where they differ from what the page was `drawn` with (nothing was drawn into a page built
    before the start: it gets them all)."""
    def update(values: Values, request: gr.Request | None = None) -> Updates:
        storefront.start()  # a Space's first visitor may come before anything else started it
        changed = Opening.of(storefront).changed(since=drawn)
        return {name: _opening_update(name, changed[name]) for name in names if name in changed}
    return update


def _opening_update(name: str, value: object) -> object:
    if name == "banner":
        return gr.update(value=value, visible=bool(value))
    if name in FACETS:
        return gr.update(choices=value)
    return value


def problem(error: UserError, lang: str = "en") -> str:
    """How the page and the API say what went wrong: one line, never a traceback; in the shopper's language where
    the error has the words for it."""
    return f"⚠️ {error.in_language(lang)}"


def _problem_charts(error: UserError, lang: str = "en") -> Updates:
    """The Tuning page's results emptied: it has no gallery, chips or items of the shoppers' page."""
    return {"preview": [], "status": problem(error, lang)}


def _problem_results(error: UserError, lang: str = "en") -> Updates:
    return {"gallery": gr.update(value=[], visible=False), "status": problem(error, lang), "shown_ids": [],
            "chips": gr.update(choices=[], value=None, visible=False), "items_box": gr.update(visible=False)}


def shows_problems(handler: Search, emptied: Callable[[UserError, str], Updates] = _problem_results) -> Search:
    """A search handler whose `UserError` (a bad photo, no query, a product gone, too many searches...) becomes the
    status line, with the results emptied: the shoppers' page's, or those `emptied` names (the Tuning page's)."""
    @wraps(handler)
    def run(values: Values, request: gr.Request) -> Updates:
        try:
            return handler(values, request)
        except UserError as error:
            return emptied(error, language(values.get("lang")))
    return run


def guarded(admin: Admin, call: Callable[[], str], catalog_changes: bool = False) -> str:
    """Run an admin action; a refusal (no or wrong password) or a mistake is a message, never a traceback."""
    try:
        message = call()
    except UserError as error:
        return problem(error)
    if catalog_changes:
        gr.set_static_paths(admin.storefront.image_folders())  # new pictures can be served at once
    return message


def admin_handlers(admin: Admin) -> dict[str, Callable[..., str]]:
    """The admin tab's handlers, by the name of their API endpoint (whose positional order is documented)."""
    def stats(password):
        return guarded(admin, lambda: admin.stats(password))

    def ingest(password, feed, images_root, progress=gr.Progress()):
        return guarded(admin, lambda: admin.ingest(password, feed, images_root, progress=progress), True)

    def delete(password, ids):
        return guarded(admin, lambda: admin.delete(password, ids))  # a deletion brings no new picture folder

    def switch_preset(password, preset, progress=gr.Progress()):
        return guarded(admin, lambda: admin.switch_preset(password, preset, progress=progress), True)

    def save_defaults(password, top_k, min_score, text_weight, rerank_weight, keyword_weight=None):
        return guarded(admin, lambda: admin.save_defaults(password, top_k, min_score, text_weight, rerank_weight,
                                                          keyword_weight))

    return {"admin_stats": stats, "admin_ingest": ingest, "admin_delete": delete,
            "admin_switch_preset": switch_preset, "save_defaults": save_defaults}
