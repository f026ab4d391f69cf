"""The shopper's page, phone first: the photo (two clicks or taps crop it), a text and the search button, then the
results; the image address, the example photos and the filters fold away, and a product's details open over the
results on a phone (beside them on a wide screen)."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from page.inputs import PhotoInput
from page.labels import T
from page.opening import Opening
from search.config import Settings
from storefront.front import ITEM_ROWS
from storefront.text import LABELS, say

# The rear camera where the browser offers one (a phone's front camera shows the shopper, not the product),
# unmirrored, at the resolution Gradio asks for by default
REAR_CAMERA = gr.WebcamOptions(mirror=False, constraints={"video": {"facingMode": {"ideal": "environment"},
                                                                    "width": {"ideal": 1920},
                                                                    "height": {"ideal": 1440}}})


@dataclass
class ShopView:
    photo: PhotoInput
    crop_hint: gr.Markdown
    crop_preview: PhotoInput
    whole_photo: gr.Button
    url: gr.Textbox
    url_button: gr.Button
    text: gr.Textbox
    text_weight: gr.Slider
    button: gr.Button
    find_items: gr.Button
    filters_box: gr.Accordion
    brands: gr.Dropdown
    categories: gr.Dropdown
    colours: gr.Dropdown
    min_price: gr.Number
    max_price: gr.Number
    in_stock: gr.Checkbox
    model_line: gr.Markdown
    chips: gr.Radio
    status: gr.Markdown
    gallery: gr.Gallery
    history_box: gr.Group
    recent: gr.Gallery
    inspired: gr.Gallery
    forget: gr.Button
    items_box: gr.Group
    items_photo: PhotoInput
    item_rows: list[gr.Gallery]
    item_buttons: list[gr.Button]
    details_box: gr.Group
    details: gr.Markdown
    more: gr.Button
    close_details: gr.Button


def build(settings: Settings, examples: list[str], opening: Opening) -> ShopView:
    """The shoppers' page, drawn with what it shows on opening, so nothing moves as the page loads."""
    with gr.Row(elem_id="shop"):
        with gr.Column(scale=1, min_width=300):
            photo = PhotoInput(sources=["upload", "webcam", "clipboard"], type="filepath", label=T("photo"),
                               height=260, elem_id="photo", webcam_options=REAR_CAMERA,
                               placeholder=say("en", "photo_drop"))  # Gradio's own is English in every language
            crop_hint = gr.Markdown(say("en", "crop_hint"), elem_id="crop-hint")
            with gr.Row(equal_height=True):
                crop_preview = PhotoInput(label=T("crop"), visible=False, height=120, interactive=False,
                                          elem_id="crop-preview", buttons=[])
                whole_photo = gr.Button(T("whole_photo"), size="sm", visible=False, elem_id="whole-photo")
            text = gr.Textbox(label=T("text"), placeholder=T("text_placeholder"), elem_id="query-text")
            text_weight = gr.Slider(0, 1, value=settings.text_weight, step=0.05, label=T("blend"),
                                    info=T("blend_info"), elem_id="blend")
            button = gr.Button(T("search"), variant="primary", elem_id="search-button")
            find_items = gr.Button(T("find_items"), size="sm", elem_id="find-items")
            with gr.Accordion(T("more_ways"), open=False, elem_id="more-ways"):
                with gr.Row(equal_height=True):
                    url = gr.Textbox(label=T("url"), placeholder=T("url_placeholder"), scale=4,
                                     elem_id="image-url")
                    url_button = gr.Button(T("load"), scale=1, min_width=70, elem_id="load-url")
                if examples:
                    gr.Examples([[p] for p in examples], inputs=[photo], label=T("examples"), examples_per_page=10)
            with gr.Accordion(T("filters"), open=False, elem_id="filters") as filters_box:
                brands = gr.Dropdown(opening.facets.get("brand", []), multiselect=True, label=T("brand"),
                                     elem_id="brand-filter", allow_custom_value=True)
                categories = gr.Dropdown(opening.facets.get("category", []), multiselect=True, label=T("category"),
                                         elem_id="category-filter", allow_custom_value=True)
                colours = gr.Dropdown(opening.facets.get("colour", []), multiselect=True, label=T("colour"),
                                      elem_id="colour-filter", allow_custom_value=True)
                with gr.Row():
                    min_price = gr.Number(None, label=T("min_price"), info=T("any"), minimum=0, elem_id="min-price",
                                          min_width=120)
                    max_price = gr.Number(None, label=T("max_price"), info=T("any"), minimum=0, elem_id="max-price",
                                          min_width=120)
                in_stock = gr.Checkbox(label=T("in_stock"), elem_id="in-stock")
        with gr.Column(scale=2, min_width=300, elem_id="results-column"):
            chips = gr.Radio([], label=T("recognised"), visible=False, elem_id="chips")
            # plain text, not Gradio's i18n: Gradio puts an i18n value back on every language switch, over the
            # results' status line if the switch's new search answered first (`handlers.relabel` translates it)
            status = gr.Markdown(LABELS["en"]["results_here"], elem_id="status")
            # shown with the first results: Gradio's gallery brings 500 KB of video player (hls.js) with it
            gallery = gr.Gallery(label=T("results"), show_label=False, columns=4, height="auto",
                                 object_fit="contain", elem_id="results", allow_preview=False, visible=False)
            items_box, items_photo, item_rows, item_buttons = _items_found()
            with gr.Group(visible=False, elem_id="details") as details_box:
                close_details = gr.Button(T("close"), size="sm", elem_id="close-details", min_width=60)
                details = gr.Markdown(elem_id="details-text")
                more = gr.Button(T("more"), variant="primary", elem_id="more-like-this")
            # a shopper's history, kept in their browser only (BrowserState), never on the server
            with gr.Group(visible=False, elem_id="history") as history_box:
                recent = gr.Gallery(label=T("recently_viewed"), columns=6, height="auto", object_fit="contain",
                                    elem_id="recent", allow_preview=False, visible=False)
                inspired = gr.Gallery(label=T("inspired"), columns=4, height="auto", object_fit="contain",
                                      elem_id="inspired", allow_preview=False, visible=False)
                forget = gr.Button(T("forget_history"), size="sm", elem_id="forget-history")
            model_line = gr.Markdown(opening.model_line, elem_id="model-line")
    return ShopView(photo=photo, crop_hint=crop_hint, crop_preview=crop_preview, whole_photo=whole_photo, url=url,
                    url_button=url_button, text=text, text_weight=text_weight, button=button, find_items=find_items,
                    filters_box=filters_box, brands=brands, categories=categories, colours=colours,
                    min_price=min_price, max_price=max_price, in_stock=in_stock, model_line=model_line, chips=chips,
                    status=status, gallery=gallery, items_box=items_box, items_photo=items_photo,
                    item_rows=item_rows, item_buttons=item_buttons, details_box=details_box, details=details, more=more,
                    close_details=close_details, history_box=history_box, recent=recent, inspired=inspired,
                    forget=forget)


def _items_found() -> tuple[gr.Group, PhotoInput, list[gr.Gallery], list[gr.Button]]:
    """Every product found in the photo: the photo with a numbered box on each, then a row of products per item,
    with a button searching that item alone. Hidden until asked for (a gallery brings Gradio's video player)."""
    with gr.Group(visible=False, elem_id="items") as items_box:
        # the marked photo travels as a data URL, as the shopper's own does: never a file on the server
        items_photo = PhotoInput(label=T("items_photo"), interactive=False, elem_id="items-photo", buttons=[],
                                 height=360)
        rows, buttons = [], []
        for number in range(1, ITEM_ROWS + 1):
            rows.append(gr.Gallery(columns=4, height="auto", object_fit="contain", allow_preview=False,
                                   visible=False, elem_id=f"item-{number}", elem_classes="item-row"))
            buttons.append(gr.Button(T("search_item"), size="sm", visible=False, elem_id=f"search-item-{number}"))
    return items_box, items_photo, rows, buttons
