"""The shoppers' page, phone first, as one Gradio HTML component: its markup (drawn here, with what the page shows
on opening, so nothing moves as it loads), its stylesheet and its script (`page/static/`), and the server calls the
script makes (`page/shopper_calls.py`). One component, not thirty: a phone's main thread mounts each Gradio
component in turn as the page opens, and that is what kept the page slow to answer its first tap (see
docs/benchmarks.md)."""
from __future__ import annotations

from html import escape
from pathlib import Path

import gradio as gr

from page.doorways import WARNING
from page.opening import Opening
from page.shopper_calls import ShopperCalls, markdown
from search.ranking import KNOB
from storefront.doorway import Doorway
from storefront.front import RECENT_COUNT
from storefront.text import LABELS, MESSAGES

STATIC = Path(__file__).resolve().parent / "static"
# The script's files, in the order they run as one function (each is linted, type-checked and, for its pure parts,
# unit-tested on its own: page/static/package.json)
SCRIPT = ("pure.js", "state.js", "calls.js", "drawing.js", "events.js")
MAX_SIDE = 1600  # a bigger photo is shrunk in the browser before it travels: a phone's photo is 4000 px and 4 MB
MAX_SENT_BYTES = 1_500_000
LONG_LIST = 12  # choices a filter shows before it offers a box to find one
# The messages the script writes itself (the rest of what it shows comes from the server in the right language)
SCRIPT_MESSAGES = ("crop_hint", "crop_second", "crop_done", "filters_active", "photo_drop")
BLEND = KNOB["text_weight"]  # the shoppers' one ranking knob
FACET_FILTERS = {"brand": "brand-filter", "category": "category-filter", "colour": "colour-filter"}


def labels() -> dict[str, dict[str, str]]:
    """Every word the script shows, by language: the fixed labels and its own messages, the title split into the
    page's heading and its subtitle."""
    words = {}
    for lang, fixed in LABELS.items():
        heading, _, subtitle = fixed["title"].partition("\n")
        words[lang] = {**fixed, **{key: MESSAGES[lang][key] for key in SCRIPT_MESSAGES},
                       "heading": heading.lstrip("# "), "subtitle": subtitle}
    return words


def build(doorway: Doorway, examples: list[str], opening: Opening) -> gr.HTML:
    calls, words, storefront = ShopperCalls(doorway), labels(), doorway.storefront
    return gr.HTML(markup(opening, [calls.picture_url(path) for path in examples],
                          storefront.settings.ranking.text_weight, words["en"]),
                   css_template=(STATIC / "shopper.css").read_text(encoding="utf-8"),
                   js_on_load=script(), server_functions=calls.functions(), labels=words, shop=constants(),
                   elem_id="shop", apply_default_css=False)


def script() -> str:
    return "\n".join((STATIC / "shop" / name).read_text(encoding="utf-8") for name in SCRIPT)


def constants() -> dict[str, object]:
    """What the script takes from Python rather than copying it."""
    return {"history_key": "visual-product-search-history", "language_key": "visual-product-search-language",
            "recent_count": RECENT_COUNT, "long_list": LONG_LIST, "max_side": MAX_SIDE,
            "max_sent_bytes": MAX_SENT_BYTES, "warning": WARNING}


def markup(opening: Opening, examples: list[str], text_weight: float, said: dict[str, str]) -> str:
    """The page as it opens, in English (`said`; the script puts it in the shopper's language before it is
    painted)."""

    def word(key: str) -> str:
        return f'data-l="{key}">{escape(said[key])}'
    return f"""<div class="shop">
<header id="shop-header"><div id="shop-title"><h1 {word("heading")}</h1><p {word("subtitle")}</p></div>
<div id="shop-language" role="group" aria-label="Language / 语言"><button type="button" data-lang="en"
aria-pressed="true">English</button><button type="button" data-lang="zh-CN" aria-pressed="false">中文</button>
</div></header>
<div id="banner" class="banner"{"" if opening.banner else " hidden"}>{markdown(opening.banner)}</div>
<div class="columns"><section id="query">
<div id="photo" class="photo-box" tabindex="0" aria-labelledby="photo-label"><span id="photo-label" class="label"
{word("photo")}</span><img id="photo-shown" alt="" hidden><p class="photo-empty" {word("photo_drop")}</p>
<input type="file" accept="image/*" id="photo-file" class="hidden-input" tabindex="-1" aria-hidden="true"></div>
<div class="photo-actions"><button type="button" id="choose-photo" {word("choose_photo")}</button><button
type="button" id="camera" {word("camera")}</button><button type="button" id="remove-photo" hidden
{word("remove_photo")}</button></div>
<input type="file" accept="image/*" capture="environment" id="camera-file" class="hidden-input" tabindex="-1"
aria-hidden="true">
<div id="camera-box" hidden><video playsinline muted aria-label="Camera"></video><div class="photo-actions"><button
type="button" id="snap" class="primary" {word("take_photo")}</button><button type="button" id="camera-cancel"
{word("cancel")}</button></div></div>
<p id="crop-hint" hidden></p>
<div id="crop-row" hidden><div id="crop-preview"><span class="label" {word("crop")}</span><img alt=""></div>
<button type="button" id="whole-photo" {word("whole_photo")}</button></div>
<label for="query-text" class="label" {word("text")}</label>
<input id="query-text" type="search" enterkeyhint="search" autocomplete="off" placeholder="{
escape(said["text_placeholder"])}" data-placeholder="text_placeholder">
<label for="blend" class="label" {word("knob_text_weight")}</label>
<input id="blend" type="range" min="{BLEND.least}" max="{BLEND.most}" step="{BLEND.step}" value="{text_weight}"
aria-describedby="blend-info">
<small id="blend-info" {word("knob_text_weight_info")}</small>
<button type="button" id="search-button" class="primary" {word("search")}</button>
<button type="button" id="find-items" hidden {word("find_items")}</button>
<details id="more-ways"><summary {word("more_ways")}</summary>
<div class="url-row"><label for="image-url" class="label" {word("url")}</label><input id="image-url" type="url"
inputmode="url" placeholder="{escape(said["url_placeholder"])}" data-placeholder="url_placeholder"><button
type="button" id="load-url" {word("load")}</button></div>
{_examples(examples, said)}</details>
<details id="filters"><summary id="filters-summary">{escape(said["filters"])}</summary>
{_facets(said)}
<div class="prices"><label><span {word("min_price")}</span><input id="min-price" type="number" min="0" step="any"
inputmode="decimal"></label><label><span {word("max_price")}</span><input id="max-price" type="number" min="0"
step="any" inputmode="decimal"></label></div>
<label id="in-stock" class="check"><input type="checkbox"><span {word("in_stock")}</span></label></details>
</section>
<section id="results-column" aria-labelledby="results-heading"><h2 id="results-heading" class="visually-hidden"
{word("results")}</h2>
<div id="chips" hidden><span class="label" {word("recognised")}</span><div class="chip-list"></div></div>
<p id="status" role="status" aria-live="polite" {word("results_here")}</p>
<div id="results" class="grid" hidden></div>
<div id="items" hidden><div id="items-photo"><span class="label" {word("items_photo")}</span><img alt=""></div>
<div id="item-rows"></div></div>
<div id="history" hidden><h2 {word("recently_viewed")}</h2><div id="recent" class="grid small"></div>
<h2 id="inspired-heading" {word("inspired")}</h2><div id="inspired" class="grid"></div>
<button type="button" id="forget-history" {word("forget_history")}</button></div>
<p id="model-line">{markdown(opening.model_line)}</p>
</section></div>
<aside id="details" hidden aria-labelledby="details-heading"><div class="sheet-bar"><h2 id="details-heading"
class="visually-hidden" {word("details")}</h2><button type="button" id="close-details" {word("close")}</button>
</div><div id="details-pictures"></div><div id="details-text"></div>
<div id="details-variants" hidden><h3 {word("other_variants")}</h3><div class="variant-list"></div></div>
<div class="sheet-foot"><button type="button" id="more-like-this" class="primary" {word("more")}</button></div>
</aside></div>"""


def _facets(said: dict[str, str]) -> str:
    """A list of choices per facet (brand, category, colour), each with its product count: filled in by the
    script from the catalog as it stands when the page opens (they are folded away until then); a long list gets
    a box that narrows it to the choices holding what is typed."""
    return "".join(
        f'<fieldset id="{element_id}" data-facet="{facet}"><legend data-l="{facet}">{escape(said[facet])}</legend>'
        f'<input type="search" class="find-choice" hidden data-placeholder="find_choice" aria-label="'
        f'{escape(said["find_choice"])}" placeholder="{escape(said["find_choice"])}"><div class="choices"></div>'
        f'</fieldset>' for facet, element_id in FACET_FILTERS.items())


def _examples(examples: list[str], said: dict[str, str]) -> str:
    if not examples:
        return ""
    pictures = "".join(f'<button type="button" class="example" data-src="{escape(url)}" aria-label="{number}">'
                       f'<img src="{escape(url)}" alt="" loading="lazy" width="72" height="72"></button>'
                       for number, url in enumerate(examples, start=1))
    return f'<p class="label" data-l="examples">{escape(said["examples"])}</p><div id="examples">{pictures}</div>'
