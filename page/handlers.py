"""Thin adapters between the staff pages (Tuning, Admin) and the storefront, by name: each reads the values it
needs (`values["text"]`) and returns the updates it makes (`{"status": ...}`); `page/wiring.py` ties the names to
components. The named API endpoints keep their documented positional order in `app.py`; the shoppers' page has
calls of its own (`page/shopper_calls.py`)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import gradio as gr

from catalog.errors import UserError
from page.doorways import client_of, positional, problem
from page.inputs import as_jpeg, uploaded_file
from page.latest import LatestSearch
from page.opening import Opening
from page.wiring import Updates, Values
from search.choices import InvalidInput
from search.evaluate import curves_figure
from search.images import ImageError, Photo, PhotoBytes
from search.ranking import KNOBS
from storefront.admin import Admin
from storefront.doorway import Doorway
from storefront.front import ShopResult, Storefront
from storefront.items import items_status
from storefront.labelled import comparison_table
from storefront.model_switch import ModelSwitch
from storefront.protocol import ItemsRequest, SearchRequest
from storefront.team import Team
from storefront.text import language, say
from storefront.tuning import ThresholdCurve, curve_words, score_histogram, timings_table

Search = Callable[[Values, gr.Request], Updates]  # a search handler, as the pages wire it
RANKING = tuple(knob.name for knob in KNOBS)
# The Tuning page has every ranking slider and no filters; it shows the results' scores and times too
TUNING_INPUTS = ("query_photo", "text", *RANKING, "lang")
CHARTS = ("preview", "status", "histogram", "timings")
TUNING_HEADER = ("banner", *RANKING)


def ranking(values: Values) -> dict[str, object]:
    """The page's ranking sliders by name, as a request carries them (the saved settings fill in the rest)."""
    return {name: values[name] for name in RANKING if values.get(name) is not None}


def shown(result: ShopResult, min_score: float, lang: str) -> Updates:
    """The results on the Tuning page: with their scores' histogram and the time per stage (the histogram alone
    costs about 100 ms, so the shoppers' page never draws it)."""
    return {"preview": result.gallery, "status": result.status_line(lang),
            "histogram": score_histogram(result.scores, min_score, lang),
            "timings": timings_table(result.timings_ms, lang)}


def tuning_items(doorway: Doorway) -> Callable[[Values, gr.Request], Updates]:
    """The Tuning page's photo searched for every product in it: all items' products, their scores against the
    threshold and the time of each stage (regions proposed, encoded, searched)."""
    def find(values: Values, request: gr.Request) -> Updates:
        lang = language(values["lang"])
        try:
            result = doorway.answer(ItemsRequest, {"photo": values["query_photo"], "lang": lang},
                                    client_of(request, "tuning"))
        except UserError as error:
            return {"status": problem(error, lang)}
        scores = [score for row in result.rows for score in row.scores]
        return {"preview": [shown for row in result.rows for shown in row.gallery],
                "status": items_status(result, lang),
                "histogram": score_histogram(scores, doorway.storefront.settings.ranking.min_score, lang),
                "timings": timings_table(result.timings_ms, lang)}
    return find


def page_search(doorway: Doorway, latest: LatestSearch,
                always_shown: bool = False) -> Callable[[Values, gr.Request], Updates]:
    """The Tuning page's search; nothing happens while there is neither a photo nor a text. The results are not
    shown if a newer search of the session started meanwhile, unless `always_shown` (a new photo's: its results
    must follow the photo whatever started after it)."""
    def search(values: Values, request: gr.Request) -> Updates:
        if values["query_photo"] is None and not (values["text"] or "").strip():
            return {}
        ticket, lang = latest.start(request), language(values["lang"])
        asked = {"photo": values["query_photo"], "text": values["text"] or "", "ranking": ranking(values),
                 "lang": lang}
        result = doorway.answer(SearchRequest, asked, client_of(request, "tuning"))
        if not (always_shown or latest.is_newest(request, ticket)):
            return {}
        return shown(result, values.get("min_score", doorway.storefront.settings.ranking.min_score), lang)
    return shows_problems(search)


def _shown_back(photo: Photo) -> Updates:
    """A photo put back in its box from memory (a data URL, the upload being deleted), with the digest that
    recognises the box reporting it as a change."""
    jpeg = as_jpeg(photo.image)
    return {"photo": jpeg, "shown_digest": PhotoBytes(jpeg).digest}


def tuning_photo(doorway: Doorway, latest: LatestSearch) -> Callable[[Values, gr.Request], Updates]:
    """The Tuning page's photo: read once, shown back from memory (its upload deleted, as on the shoppers' page),
    and searched with the page's sliders; the box reporting what the page put in it is recognised and ignored."""
    search = page_search(doorway, latest, always_shown=True)

    def take(values: Values, request: gr.Request) -> Updates:
        upload: PhotoBytes | None = values["photo"]
        if upload is not None and upload.digest == values["shown_digest"]:
            return {}
        if upload is None:
            return {"shown_digest": None, "query_photo": None, **search({**values, "query_photo": None}, request)}
        try:
            photo = doorway.storefront.photo(upload)
        except ImageError as error:
            return {"photo": None, "shown_digest": None, "query_photo": None, "preview": [],
                    "status": problem(error, language(values["lang"]))}
        return {**_shown_back(photo), "query_photo": photo, **search({**values, "query_photo": photo}, request)}
    return take


def header(storefront: Storefront, names: tuple[str, ...],
           drawn: Opening = Opening()) -> Callable[[Values, gr.Request], Updates]:
    """On page load (or after an admin's action), of the page's `names`: the banner and the ranking settings as they
    stand now, in the page's language when it sends one, where they differ from what the page was `drawn` with
    (nothing was drawn into a page built before the start: it gets them all)."""
    def update(values: Values, request: gr.Request | None = None) -> Updates:
        storefront.start()  # a Space's first visitor may come before anything else started it
        changed = Opening.of(storefront, language(values.get("lang"))).changed(since=drawn)
        return {name: _opening_update(name, changed[name]) for name in names if name in changed}
    return update


def threshold_curve(curve: ThresholdCurve) -> Callable[[Values, gr.Request | None], Updates]:
    """The Tuning page's threshold curve, its threshold drawn, in the page's language."""
    def draw(values: Values, request: gr.Request | None = None) -> Updates:
        return {"curve": curve.figure(values["min_score"], values["lang"])}
    return draw


def banner_in(storefront: Storefront) -> Callable[[object], str]:
    """A staff page's banner in the language its switch chose (the switch's value, of any type a client sends)."""
    def banner(choice: object) -> str:
        return storefront.banner(language(choice))
    return banner


def _opening_update(name: str, value: object) -> object:
    if name == "banner":
        return gr.update(value=value, visible=bool(value))
    return value


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


def guarded(admin: Admin, call: Callable[[], str], catalog_changes: bool = False, lang: str = "en") -> str:
    """Run an admin action; a refusal (no or wrong password) or a mistake is a message in the admin's language,
    never a traceback."""
    try:
        message = call()
    except UserError as error:
        return problem(error, lang)
    if catalog_changes:
        gr.set_static_paths(admin.storefront.image_folders())  # new pictures can be served at once
    return message


def _authorised(admin: Admin, password: object, action: Callable[[], str]) -> str:
    """`action` once the password is right: a caller without it learns nothing of what else was wrong."""
    admin.check(password if isinstance(password, str) else None)
    return action()


def _text(name: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(name, "takes_text")
    return value


def save_from_page(admin: Admin) -> Callable[[Values, gr.Request | None], Updates]:
    """The Tuning page's saving of its sliders as everyone's defaults, answered in the page's language."""
    def save(values: Values, request: gr.Request | None = None) -> Updates:
        lang = language(values["lang"])
        knobs = {name: values[name] for name in RANKING}
        return {"saved": guarded(admin, lambda: admin.save_defaults(values["password"], lang=lang, **knobs),
                                 lang=lang)}
    return save


def evaluate_labelled(team: Team) -> Callable[[Values, gr.Request | None], Updates]:
    """The Tuning page's labelled set: its figures for the sliders, the saved settings and the replay's proposal side
    by side, and their threshold curves."""
    def run(values: Values, request: gr.Request | None = None) -> Updates:
        lang = language(values["lang"])
        try:
            evaluation = team.evaluate(values["password"], values["labels"], values["photos"], ranking(values), lang)
        except UserError as error:
            return {"labelled_figures": problem(error, lang), "labelled_curves": None}
        return {"labelled_figures": f"**{evaluation.labelled.name}** · {comparison_table(evaluation.reports, lang)}",
                "labelled_curves": curves_figure(evaluation.reports, values["min_score"], curve_words(lang))}
    return run


def use_proposal(team: Team) -> Callable[[Values, gr.Request | None], Updates]:
    """The sliders moved to the replay's proposal (saving it is the team's own step)."""
    def run(values: Values, request: gr.Request | None = None) -> Updates:
        if team.proposed is None:
            return {"labelled_figures": say(language(values["lang"]), "no_proposal")}
        return {name: getattr(team.proposed, name) for name in RANKING}
    return run


def admin_handlers(admin: Admin, switch: ModelSwitch | None = None) -> dict[str, Callable[..., str]]:
    """The admin tab's handlers, by the name of their API endpoint (whose positional order is documented); `switch`
    holds a model switch's state between its steps (the app's one, or one of their own)."""
    switch = switch or ModelSwitch(admin, Team(admin))
    # The Admin page sends its language last (the endpoints' documented inputs come first); English without it
    def stats(password, lang=None):
        code = language(lang)
        return guarded(admin, lambda: admin.stats(password, code), lang=code)

    # Each value arrives as the page or a client sent it (the endpoints skip Gradio's preprocessing, which answered a
    # wrong type with a bare "the upstream app has raised an exception"): read here once the password is right, or
    # refused by name
    def ingest(password, feed, images_root, lang=None, progress=gr.Progress()):
        code = language(lang)
        def run() -> str:
            return admin.ingest(password, uploaded_file(feed, "feed"), _text("images_root", images_root),
                                progress=progress, lang=code)
        return guarded(admin, lambda: _authorised(admin, password, run), True, code)

    def delete(password, ids, lang=None):  # a deletion brings no new picture folder
        code = language(lang)
        return guarded(admin, lambda: _authorised(admin, password, lambda: admin.delete(password, _text("ids", ids),
                                                                                         code)), lang=code)

    def switch_preset(password, preset, lang=None, progress=gr.Progress()):  # indexed and compared, not serving yet
        code = language(lang)
        return guarded(admin, lambda: _authorised(admin, password, lambda: switch.prepare(
            password, _text("preset", preset), progress=progress, lang=code)), lang=code)

    def serving(action: Callable[..., str]) -> Callable[..., str]:
        """A model switch's step that changes what serves (its pictures' folders with it)."""
        def run(password, lang=None):
            code = language(lang)
            return guarded(admin, lambda: action(password, lang=code), True, code)
        return run

    def save(password, *knobs):  # the knobs by position, in KNOBS' order (one added later is last, and optional)
        return guarded(admin, lambda: admin.save_defaults(password, **dict(zip(RANKING, knobs))))
    save_defaults = positional(save, ("password", *RANKING), required=5, request=False)

    return {"admin_stats": stats, "admin_ingest": ingest, "admin_delete": delete,
            "admin_switch_preset": switch_preset, "admin_confirm_switch": serving(switch.confirm),
            "admin_rollback": serving(switch.rollback), "admin_remove_previous": serving(switch.remove_previous),
            "save_defaults": save_defaults}
