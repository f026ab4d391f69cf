"""Thin adapters between the staff pages (Tuning, Admin) and the storefront, by name: each reads the values it
needs (`values["text"]`) and returns the updates it makes (`{"status": ...}`); `page/wiring.py` ties the names to
components. The named API endpoints keep their documented positional order in `app.py`; the shoppers' page has
calls of its own (`page/shopper_calls.py`)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import gradio as gr

from catalog.errors import UserError
from page.inputs import as_jpeg
from page.latest import LatestSearch
from page.opening import Opening
from page.wiring import Updates, Values
from search.images import ImageError, Photo, PhotoBytes
from search.ranking import Filters, Ranking
from storefront import results
from storefront.admin import Admin
from storefront.front import ShopResult, Storefront
from storefront.items import ItemsResult
from storefront.text import language, say
from storefront.tuning import score_histogram, timings_table

Search = Callable[[Values, gr.Request], Updates]  # a search handler, as the pages wire it
RANKING = ("min_score", "top_k", "text_weight", "rerank_weight", "keyword_weight")
# The Tuning page has every ranking slider and no filters; it shows the results' scores and times too
TUNING_INPUTS = ("query_photo", "text", *RANKING, "lang")
CHARTS = ("preview", "status", "histogram", "timings")
TUNING_HEADER = ("banner", "text_weight", "min_score", "top_k", "rerank_weight", "keyword_weight")


def ranking(values: Values, saved: Ranking) -> Ranking:
    """The page's ranking as one value: what it has sliders for, the saved defaults for the rest."""
    return Ranking.of(**{name: values.get(name, getattr(saved, name)) for name in RANKING})


def filters(values: Values) -> Filters:
    """The page's filters (none on the Tuning page); an empty or zero price box means no limit (gr.Number shows an
    empty box as 0)."""
    return Filters.of(*(values.get(name) for name in ("brands", "categories", "min_price", "max_price", "in_stock",
                                                        "colours")))


def status_line(result: ShopResult, lang: str) -> str:
    """What a search found, with the time it took, as the page and the API say it."""
    timing = results.timings_line(result.timings_ms, lang)
    if not timing:
        return result.status
    return f"{result.status} · {timing}" if result.ids else f"{result.status} ({timing})"


def shown(result: ShopResult, min_score: float, lang: str) -> Updates:
    """The results on the Tuning page: with their scores' histogram and the time per stage (the histogram alone
    costs about 100 ms, so the shoppers' page never draws it)."""
    return {"preview": result.gallery, "status": status_line(result, lang),
            "histogram": score_histogram(result.scores, min_score), "timings": timings_table(result.timings_ms)}


class NoPhotoYet(UserError, ValueError):
    def in_language(self, lang: str) -> str:
        return say(lang, "photo_first")


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
        return {"preview": [card for row in result.rows for card in row.cards], "status": items_status(result, lang),
                "histogram": score_histogram(scores, storefront.settings.ranking.min_score),
                "timings": timings_table(result.timings_ms)}
    return find


def items_status(result: ItemsResult, lang: str) -> str:
    """What finding the items of a photo found, with the time of each stage, as both pages say it."""
    return f"{result.status} · {results.timings_line(result.timings_ms, lang)}"


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


def page_search(storefront: Storefront, latest: LatestSearch,
                always_shown: bool = False) -> Callable[[Values, gr.Request], Updates]:
    """The Tuning page's search; nothing happens while there is neither a photo nor a text. The results are not
    shown if a newer search of the session started meanwhile, unless `always_shown` (a new photo's: its results
    must follow the photo whatever started after it)."""
    def search(values: Values, request: gr.Request) -> Updates:
        if values["query_photo"] is None and not (values["text"] or "").strip():
            return {}
        admit(storefront, request)
        ticket, lang = latest.start(request), language(values["lang"])
        chosen = ranking(values, storefront.settings.ranking)
        result = storefront.search(values["query_photo"], values["text"], filters(values), chosen, lang)
        if not (always_shown or latest.is_newest(request, ticket)):
            return {}
        return shown(result, chosen.min_score, lang)
    return shows_problems(search)


def _shown_back(photo: Photo) -> Updates:
    """A photo put back in its box from memory (a data URL, the upload being deleted), with the digest that
    recognises the box reporting it as a change."""
    jpeg = as_jpeg(photo.image)
    return {"photo": jpeg, "shown_digest": PhotoBytes(jpeg).digest}


def tuning_photo(storefront: Storefront, latest: LatestSearch) -> Callable[[Values, gr.Request], Updates]:
    """The Tuning page's photo: read once, shown back from memory (its upload deleted, as on the shoppers' page),
    and searched with the page's sliders; the box reporting what the page put in it is recognised and ignored."""
    search = page_search(storefront, latest, always_shown=True)

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


def header(storefront: Storefront, names: tuple[str, ...],
           drawn: Opening = Opening()) -> Callable[[Values, gr.Request], Updates]:
    """On page load, of the page's `names`: the banner and the ranking settings as they stand now, where they
    differ from what the page was `drawn` with (nothing was drawn into a page built before the start: it gets them
    all)."""
    def update(values: Values, request: gr.Request | None = None) -> Updates:
        storefront.start()  # a Space's first visitor may come before anything else started it
        changed = Opening.of(storefront).changed(since=drawn)
        return {name: _opening_update(name, changed[name]) for name in names if name in changed}
    return update


def _opening_update(name: str, value: object) -> object:
    if name == "banner":
        return gr.update(value=value, visible=bool(value))
    return value


def problem(error: UserError, lang: str = "en") -> str:
    """How the page and the API say what went wrong: one line, never a traceback; in the shopper's language where
    the error has the words for it."""
    return f"⚠️ {error.in_language(lang)}"


def _problem_charts(error: UserError, lang: str = "en") -> Updates:
    return {"preview": [], "status": problem(error, lang)}


def shows_problems(handler: Search) -> Search:
    """A Tuning search handler whose `UserError` (a bad photo, no query, too many searches...) becomes the status
    line, with the results emptied."""
    @wraps(handler)
    def run(values: Values, request: gr.Request) -> Updates:
        try:
            return handler(values, request)
        except UserError as error:
            return _problem_charts(error, language(values.get("lang")))
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
