"""Thin adapters between the page's components and the storefront: component values in, component updates out."""
from __future__ import annotations

from functools import partial

import gradio as gr

from page.inputs import as_jpeg
from page.labels import LABELS
from page.latest import LatestSearch
from search.images import ImageError, PhotoBytes
from search.ranking import Filters
from storefront import ShopResult, Storefront, results
from storefront.admin import Admin, AdminRefused
from storefront.text import language, say
from storefront.tuning import score_histogram, timings_table

UNCHANGED = gr.skip()


def filters(brands, categories, colours, min_price, max_price, in_stock) -> Filters:
    """The page's filters; an empty or zero price box means no limit (gr.Number shows an empty box as 0)."""
    return Filters(tuple(brands or ()), tuple(categories or ()), min_price or None, max_price or None,
                   bool(in_stock), tuple(colours or ()))


def shown(result: ShopResult, min_score: float, lang: str, tuning_open: bool = False) -> tuple:
    """Updates for: gallery, status, shown ids, chips, and (only while the Tuning tab is open: the histogram
    alone costs about 100 ms) its preview, histogram and timings."""
    timing = results.timings_line(result.timings_ms, lang)
    status = f"{result.status} · {timing}" if timing and result.ids else (
        f"{result.status} ({timing})" if timing else result.status)
    chips = [(f"{g.label} · {results.percent(g.probability)}", f"{g.kind}:{g.label}") for g in result.guesses]
    tuning = (result.gallery, score_histogram(result.scores, min_score), timings_table(result.timings_ms)) \
        if tuning_open else (UNCHANGED,) * 3
    return (result.gallery, status, result.ids, gr.update(choices=chips, value=None, visible=bool(chips)),
            *tuning)


def page_search(storefront: Storefront, latest: LatestSearch, from_tuning: bool = False, always_shown: bool = False):
    """Search from the page; nothing happens while there is neither a photo nor a text. `from_tuning`: the
    Tuning tab's own sliders started it, so its charts are on screen whatever the tab state says yet. The results
    are not shown if a newer search of the session started meanwhile, unless `always_shown` (a new photo's: its
    results must follow the photo whatever started after it)."""
    def search(request: gr.Request, photo, text, text_weight, min_score, top_k, rerank_weight, keyword_weight,
               *rest):
        *chosen, lang, tuning_open = rest
        if photo is None and not (text or "").strip():
            return (UNCHANGED,) * 7
        ticket = latest.start(request)
        result = storefront.search(photo, text, text_weight, top_k, min_score, filters(*chosen), rerank_weight,
                                   language(lang), keyword_weight=keyword_weight)
        if not (always_shown or latest.is_newest(request, ticket)):
            return (UNCHANGED,) * 7
        return shown(result, min_score, language(lang), tuning_open or from_tuning)
    return search


def page_more_like_this(storefront: Storefront, latest: LatestSearch):
    def more(request: gr.Request, product_id, min_score, top_k, rerank_weight, keyword_weight, *rest):
        *chosen, lang, tuning_open = rest
        ticket = latest.start(request)
        result = storefront.more_like_this(product_id, top_k, min_score, filters(*chosen), rerank_weight,
                                           language(lang))
        if not latest.is_newest(request, ticket):
            return (UNCHANGED,) * 7
        return shown(result, min_score, language(lang), tuning_open)
    return more


def select_product(storefront: Storefront):
    def select(ids: list[str], lang: str, event: gr.SelectData) -> tuple[str, str, dict]:
        if not ids or event.index is None or event.index >= len(ids):
            return "", "", gr.update(visible=False)
        product_id = ids[event.index]
        return product_id, storefront.details(product_id, language(lang)), gr.update(visible=True)
    return select


def _uncropped(lang: str) -> tuple:
    """Updates for: first corner, crop preview, crop hint, the "whole photo" button."""
    return None, gr.update(value=None, visible=False), say(lang, "crop_hint"), gr.update(visible=False)


def _taken(read_photo, search, search_inputs: tuple, clear_on_error: bool) -> tuple:
    """A photo read by `read_photo` becomes what is shown and searched, whole.
    Updates: photo box, its digest, query photo, whole photo, the four of `_uncropped`, then the search's."""
    lang = language(search_inputs[-2])
    try:
        image = read_photo()
    except ImageError as error:
        problem = shown(ShopResult.problem(str(error)), 0.0, lang)
        kept = (None,) * 4 if clear_on_error else (UNCHANGED,) * 4
        return (*kept, *_uncropped(lang), *problem)
    jpeg = as_jpeg(image)
    return (jpeg, PhotoBytes(jpeg).digest, image, image, *_uncropped(lang), *search(image, *search_inputs))


def new_photo(storefront: Storefront, latest: LatestSearch):
    """An upload, snapshot, paste or example is checked, shown back from memory and searched. The photo box also
    reports as changed what this page put in it: that is recognised by its digest and ignored."""
    search = page_search(storefront, latest, always_shown=True)

    def take(request: gr.Request, upload: PhotoBytes | None, shown_digest: str | None, query, *search_inputs) -> tuple:
        if (upload is None and query is None) or (upload is not None and upload.digest == shown_digest):
            return (UNCHANGED,) * 15
        if upload is None:  # the shopper cleared the photo
            return (UNCHANGED, None, None, None, *_uncropped(language(search_inputs[-2])),
                    *search(request, None, *search_inputs))
        return _taken(lambda: storefront.photo(upload), partial(search, request), search_inputs, clear_on_error=True)
    return take


def load_url(storefront: Storefront, latest: LatestSearch):
    """The picture at a shopper's address goes into the photo box (where it can be cropped) and is searched; a bad
    address leaves the current photo as it is."""
    search = page_search(storefront, latest, always_shown=True)

    def load(request: gr.Request, url: str, *search_inputs) -> tuple:
        return _taken(lambda: storefront.load_url(url), partial(search, request), search_inputs, clear_on_error=False)
    return load


def whole_photo(whole, lang: str) -> tuple:
    """Back from a crop to the whole photo. Updates: query photo, then those of `_uncropped`."""
    return whole, *_uncropped(language(lang))


def click_corner(storefront: Storefront):
    """Two clicks on the photo, at opposite corners of an item, crop the search to that item.
    Updates: query photo, first corner, crop preview, crop hint, the "whole photo" button."""
    def click(whole, first: list | None, lang: str, event: gr.SelectData) -> tuple:
        if whole is None or not event.index:
            return (UNCHANGED,) * 5
        corner = tuple(event.index)
        if first is None:
            return UNCHANGED, corner, UNCHANGED, say(lang, "crop_second"), UNCHANGED
        try:
            part = storefront.crop(whole, tuple(first), corner)
        except ImageError as error:
            return UNCHANGED, None, UNCHANGED, f"⚠️ {error}", UNCHANGED
        return (part, None, gr.update(value=as_jpeg(part), visible=True), say(lang, "crop_done"),
                gr.update(visible=True))
    return click


def unless_half_cropped(search):
    """The search after a click on the photo, skipped after the first of the two corners."""
    def run(request: gr.Request, first_corner, *inputs):
        return (UNCHANGED,) * 7 if first_corner is not None else search(request, *inputs)
    return run


def apply_chip(chip: str | None, categories: list[str] | None, colours: list[str] | None) -> tuple:
    """A clicked chip ("category:Mugs" or "colour:Red") becomes that filter."""
    if not chip or ":" not in chip:
        return UNCHANGED, UNCHANGED
    kind, label = chip.split(":", 1)
    if kind == "category":
        return sorted({*(categories or ()), label}), UNCHANGED
    return UNCHANGED, sorted({*(colours or ()), label})


def relabel(storefront: Storefront, tab_keys: list[str]):
    """After a language switch: the tabs' names, the crop hint and the model line in the new language."""
    def run(lang: str) -> tuple:
        code = language(lang)
        return (*(gr.update(label=LABELS[code][key]) for key in tab_keys), say(code, "crop_hint"),
                storefront.model_line(code))
    return run


def header(storefront: Storefront):
    """On page load: the banner, the model line, the filter choices, and the text and ranking settings as they
    stand now (an admin may have saved new defaults since the start). The text box is always there: a model that
    reads no text still searches the text's words."""
    def update() -> tuple:
        text, settings = storefront.banner(), storefront.settings
        facets = storefront.facet_choices()
        return (gr.update(value=text, visible=bool(text)), storefront.model_line(),
                gr.update(visible=True), gr.update(visible=True, value=settings.text_weight),
                *(gr.update(choices=facets[kind]) for kind in ("brand", "category", "colour")),
                settings.min_score, settings.top_k, settings.rerank_weight, settings.keyword_weight)
    return update


def guarded(admin: Admin, call, catalog_changes: bool = False) -> str:
    """Run an admin action; a refusal (no or wrong password) is a message, never a traceback."""
    try:
        message = call()
    except AdminRefused as error:
        return f"⚠️ {error}"
    if catalog_changes:
        gr.set_static_paths(admin.storefront.image_folders())  # new pictures can be served at once
    return message


def admin_handlers(admin: Admin) -> dict:
    """The admin tab's handlers, by the name of their API endpoint."""
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
