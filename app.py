"""The storefront page: a shopper's photo in, a ranked gallery of products out.

`demo` is built at import (as a Hugging Face Space expects); the model and store load on first use.
`python app.py [--store DIR] [--model NAME] [--port N]` serves it.
"""
from __future__ import annotations

import argparse
import logging

import gradio as gr

from search.config import ConfigError, Settings, add_common_flags
from storefront import FRIENDLY_ERRORS, Storefront

CSS = """
.banner {background: #fff4e5; border: 1px solid #f0b866; border-radius: 8px; padding: 10px 14px;}
.banner p {margin: 0; color: #7a4b00;}
#details {padding: 4px 14px 12px; border-radius: 8px;}
#results .grid-wrap {max-height: none; height: auto; overflow: visible;}
#results .thumbnail-item {display: flex; flex-direction: column; aspect-ratio: auto; height: auto;
                          background: #fff;}
#results .thumbnail-item img {height: 190px; width: 100%; object-fit: contain;}
#results .caption-label {position: static; transform: none; max-width: 100%; white-space: pre-line;
                         text-align: left; background: none; border: none; box-shadow: none;
                         padding: 8px 10px 10px; font-size: 0.9rem; line-height: 1.35; overflow: visible;}
"""


class PhotoInput(gr.Image):
    """gr.Image that hands over the uploaded file untouched: `load_image` checks it and explains what is wrong,
    where gr.Image's own decoding would fail with a generic error, and no re-encoded copy is written."""

    def preprocess(self, payload):  # type: ignore[override]
        return payload.path if payload is not None else None

    def get_block_name(self) -> str:
        return "image"  # render with gr.Image's own front end


def build_demo(storefront: Storefront) -> gr.Blocks:
    """The page. Handlers only call `storefront`."""
    settings = storefront.settings
    with gr.Blocks(title="Visual product search") as page:
        gr.Markdown("# Visual product search\nUpload, snap or paste a photo to find the most similar products.")
        banner = gr.Markdown(elem_classes="banner", visible=False)
        shown_ids = gr.State([])
        selected_id = gr.Textbox(visible=False, label="Product id")  # a real input, so the API can name a product
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                photo = PhotoInput(sources=["upload", "webcam", "clipboard"], type="filepath", label="Your photo",
                                   height=300)
                text = gr.Textbox(label="Describe it (optional)", placeholder="e.g. red leather handbag")
                text_weight = gr.Slider(0, 1, value=settings.text_weight, step=0.05, label="Photo ↔ text blend",
                                        info="0 = photo only, 1 = text only")
                button = gr.Button("Search", variant="primary")
                _examples(storefront, photo)
                with gr.Accordion("Filters", open=True):
                    brands = gr.Dropdown(multiselect=True, label="Brand", elem_id="brand-filter",
                                         allow_custom_value=True)
                    categories = gr.Dropdown(multiselect=True, label="Category", elem_id="category-filter",
                                             allow_custom_value=True)
                    with gr.Row():
                        min_price = gr.Number(None, label="Min price", info="0 = any", minimum=0,
                                              elem_id="min-price")
                        max_price = gr.Number(None, label="Max price", info="0 = any", minimum=0,
                                              elem_id="max-price")
                    in_stock = gr.Checkbox(label="In stock only")
                top_k = gr.Slider(1, 48, value=settings.top_k, step=1, label="How many results")
                min_score = gr.Slider(0, 1, value=settings.min_score, step=0.01, label="Minimum match",
                                      elem_id="min-score")
                model_line = gr.Markdown()
            with gr.Column(scale=2):
                status = gr.Markdown("Results appear here.", elem_id="status")
                gallery = gr.Gallery(label="Most similar products", show_label=False, columns=4, height="auto",
                                     object_fit="contain", elem_id="results", allow_preview=False)
                with gr.Group(visible=False, elem_id="details") as details_box:
                    details = gr.Markdown()
                    more = gr.Button("More like this", variant="primary", elem_id="more-like-this")
        filters = [brands, categories, min_price, max_price, in_stock]
        inputs = [photo, text, text_weight, top_k, min_score, *filters]
        outputs = [gallery, status, shown_ids]
        search = storefront.search
        button.click(search, inputs, outputs, api_name="search")
        photo.change(_unless_cleared(search), inputs, outputs, api_name=False)  # upload, snapshot, paste, example
        for change in (text.submit, min_score.release, top_k.release, brands.change, categories.change,
                       min_price.submit, max_price.submit, in_stock.change):
            change(search, inputs, outputs, api_name=False)
        gallery.select(_select(storefront), shown_ids, [selected_id, details, details_box], api_name=False)
        more.click(storefront.more_like_this, [selected_id, top_k, min_score, *filters], outputs,
                   api_name="more_like_this")
        _api_only_endpoints(storefront, photo, text, text_weight, top_k, min_score, filters, outputs)
        page.load(_page_header(storefront), None, [banner, model_line, text, text_weight, brands, categories],
                  api_name=False)
    return page


def _examples(storefront: Storefront, photo: gr.Image) -> None:
    """A few catalog pictures to try, one per category, when the demo catalog is on disk."""
    pictures = storefront.example_photos()
    if pictures:
        gr.Examples([[p] for p in pictures], inputs=[photo], label="Or try one of these", examples_per_page=10)


def _unless_cleared(handler):
    """Search when a photo arrives; leave the results as they are when it is removed."""
    def run(image, *rest):
        return handler(image, *rest) if image else (gr.skip(), gr.skip(), gr.skip())
    return run


def _api_only_endpoints(storefront, photo, text, text_weight, top_k, min_score, filters, outputs) -> None:
    """Named endpoints for search by photo, by text and by both (for gradio_client), on hidden triggers."""
    trigger = gr.Button(visible=False)

    def by_photo(image, k, score, *chosen):
        return storefront.search(image, "", 0.0, k, score, *chosen)

    def by_text(words, k, score, *chosen):
        return storefront.search(None, words, 1.0, k, score, *chosen)

    trigger.click(by_photo, [photo, top_k, min_score, *filters], outputs, api_name="search_image")
    trigger.click(by_text, [text, top_k, min_score, *filters], outputs, api_name="search_text")
    trigger.click(storefront.search, [photo, text, text_weight, top_k, min_score, *filters], outputs,
                  api_name="search_both")


def _select(storefront: Storefront):
    def select(ids: list[str], event: gr.SelectData) -> tuple[str, str, dict]:
        if not ids or event.index is None or event.index >= len(ids):
            return "", "", gr.update(visible=False)
        product_id = ids[event.index]
        return product_id, storefront.details(product_id), gr.update(visible=True)
    return select


def _page_header(storefront: Storefront):
    """The banner, the model line, the filter choices, and the text inputs only where the encoder reads text."""
    def header() -> tuple:
        text = storefront.banner()
        reads_text = storefront.service().encoder.info.supports_text
        brand_choices, category_choices = storefront.facet_choices()
        return (gr.update(value=text, visible=bool(text)), storefront.model_line(),
                gr.update(visible=reads_text), gr.update(visible=reads_text),
                gr.update(choices=brand_choices), gr.update(choices=category_choices))
    return header


def _settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None


demo = build_demo(Storefront(_settings_from_env()))


def main(argv: list[str] | None = None) -> None:
    global demo
    parser = argparse.ArgumentParser(description="Serve the visual product search page.")
    add_common_flags(parser)
    parser.add_argument("--port", type=int, help="port to listen on (env PRODUCT_SEARCH_PORT, default 7860)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)")
    args = parser.parse_args(argv)
    storefront = Storefront(_settings_from_env().with_args(args))
    try:
        storefront.service()  # load the model and fill an empty store before the first shopper arrives
    except FRIENDLY_ERRORS as error:
        raise SystemExit(f"error: {error}") from None
    demo = build_demo(storefront)
    demo.queue(default_concurrency_limit=2).launch(
        server_name=args.host, server_port=storefront.settings.port, allowed_paths=storefront.image_folders(),
        theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, show_error=False)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    main()
