"""The storefront page: a shopper's photo in, a ranked gallery of products out.

`demo` is built at import (as a Hugging Face Space expects); the model and store load on first use.
`python app.py [--store DIR] [--model NAME] [--port N]` serves it.
"""
from __future__ import annotations

import argparse
import logging
import threading
from pathlib import Path

import gradio as gr
from tqdm import tqdm

from catalog.demo import write_demo_catalog
from catalog.product import CatalogError
from search.config import ConfigError, Settings, add_common_flags
from search.encoder_types import EncoderError
from search.fetch import ImageFetcher
from search.images import ImageError
from search.indexer import Indexer, estimate_rows
from search.ranking import Filters
from search.service import Query, QueryError, SearchResponse, SearchService, build_service
from search.store import StoreError

log = logging.getLogger("storefront")
FRIENDLY_ERRORS = (ImageError, EncoderError, QueryError, StoreError, CatalogError, ConfigError)
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


class Storefront:
    """The page's view of the search service: created on first use, the demo catalog indexed if empty."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._service: SearchService | None = None
        self._facets: tuple[list[tuple[str, str]], list[tuple[str, str]]] | None = None
        self._lock = threading.Lock()

    def service(self) -> SearchService:
        """Raises `StoreMismatchError` for a store that holds only other models' products: filling it with the
        demo catalog would quietly show shoppers demo products instead of the merchant's."""
        with self._lock:
            if self._service is None:
                self._service = build_service(self.settings)
                if self._service.store.count() == 0:
                    self._index_demo_catalog(self._service)
            return self._service

    def _index_demo_catalog(self, service: SearchService) -> None:
        log.warning("the store is empty: building and indexing the demo catalog in %s", self.settings.demo_dir)
        feed = write_demo_catalog(self.settings.demo_dir)
        indexer = Indexer(service.encoder, service.store, ImageFetcher(self.settings.image_cache),
                          batch_size=self.settings.batch_size)
        with tqdm(total=estimate_rows(feed), unit="product", desc="indexing demo catalog") as bar:
            summary = indexer.index_feed(feed, progress=lambda done: bar.update(done - bar.n))
        log.warning("demo catalog: %s", summary)

    def image_folders(self) -> list[str]:
        """Folders holding the catalog's pictures: the only files the page may serve."""
        folders = {str(Path(p.image).parent) for p in self.service().store.products()}
        return sorted(folders | {str(Path(self.settings.demo_dir).resolve())})

    def banner(self) -> str:
        info = self.service().encoder.info
        return f"⚠️ **{info.notice}**" if info.notice else ""

    def model_line(self) -> str:
        info = self.service().encoder.info
        weights = "pretrained weights" if info.pretrained_weights else "no pretrained weights"
        return f"Model: {info.label} · {weights} · {self.service().store.count()} products"

    def facet_choices(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Brand and category choices labelled with how many products each has, computed once."""
        if self._facets is None:
            facets = self.service().store.facets()
            self._facets = tuple([(f"{name} ({count})", name) for name, count in sorted(facets[kind].items())]
                                 for kind in ("brand", "category"))
        return self._facets

    def search(self, image: str | None, text: str, text_weight: float, top_k: float, min_score: float,
               brands: list[str] | None = None, categories: list[str] | None = None, min_price: float | None = None,
               max_price: float | None = None, in_stock: bool = False) -> Results:
        """Gallery items (picture, caption), a status line and the ids shown; errors become the status line."""
        filters = _filters(brands, categories, min_price, max_price, in_stock)
        try:
            query = Query(image=image, text=text or None, text_weight=text_weight)
            response = self.service().search(query, filters, top_k=int(top_k), min_score=min_score)
        except FRIENDLY_ERRORS as error:
            return [], f"⚠️ {error}", []
        return _results(response, min_score, filters)

    def more_like_this(self, product_id: str | None, top_k: float, min_score: float,
                       brands: list[str] | None = None, categories: list[str] | None = None,
                       min_price: float | None = None, max_price: float | None = None,
                       in_stock: bool = False) -> Results:
        """Products like a shown product, from its stored vector."""
        if not product_id:
            return [], "⚠️ click a product first, then ask for more like it", []
        filters = _filters(brands, categories, min_price, max_price, in_stock)
        try:
            response = self.service().more_like_this(product_id, filters, int(top_k), min_score)
        except FRIENDLY_ERRORS as error:
            return [], f"⚠️ {error}", []
        results = _results(response, min_score, filters)
        return results[0], f"More like {product_id}: " + results[1], results[2]

    def details(self, product_id: str) -> str:
        """Everything known of a product, as Markdown."""
        stored = self.service().store.stored([product_id]).get(product_id)
        if stored is None:
            return f"⚠️ product {product_id} is no longer in the catalog"
        product = stored.product
        rows = [("Brand", product.brand), ("Category", product.category), ("Price", product.price_label()),
                ("Stock", "in stock" if product.in_stock else "out of stock"), ("Id", product.id),
                *sorted((name.replace("_", " ").capitalize(), value) for name, value in product.attributes.items())]
        link = f"\n\n[View the product page ↗]({product.url})" if product.url else ""
        facts = "\n".join(f"- **{name}**: {_escape(value)}" for name, value in rows)
        return f"### {_escape(product.title)}\n\n{facts}{link}"


Results = tuple[list[tuple[str, str]], str, list[str]]


def _filters(brands, categories, min_price, max_price, in_stock) -> Filters:
    """The page's filters; an empty or zero price box means no limit (gr.Number shows an empty box as 0)."""
    return Filters(tuple(brands or ()), tuple(categories or ()), min_price or None, max_price or None,
                   bool(in_stock))


def _escape(text: str) -> str:
    """Catalog text shown as Markdown: no markup of its own."""
    return "".join(f"\\{ch}" if ch in "\\`*_[]<>#|" else ch for ch in str(text).replace("\n", " "))


def _results(response: SearchResponse, min_score: float, filters: Filters) -> Results:
    return _gallery(response), _status(response, min_score, filters), [h.product.id for h in response.hits]


def _gallery(response: SearchResponse) -> list[tuple[str, str]]:
    items = []
    for hit in response.hits:
        product = hit.product
        stock = "" if product.in_stock else " · out of stock"
        caption = f"{product.title}\n{product.brand} · {product.price_label()}{stock} · {_percent(hit.score)} match"
        items.append((product.image, caption))
    return items


def _percent(score: float) -> str:
    """Truncated, not rounded: only an exact match reads 100%."""
    return f"{max(0, int(score * 100))}%"


def _status(response: SearchResponse, min_score: float, filters: Filters = Filters()) -> str:
    timings = " · ".join(f"{stage} {ms:.0f} ms" for stage, ms in response.timings_ms.items())
    if not response.hits:
        hint = " or remove a filter" if filters != Filters() else ""
        threshold = f"{round(min_score * 100, 1):g}%"
        return f"No product scores above the {threshold} match threshold: lower it{hint} to see more. ({timings})"
    return f"{len(response.hits)} products · {timings}"


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
        for change in (photo.upload, text.submit, min_score.release, top_k.release, brands.change,
                       categories.change, min_price.submit, max_price.submit, in_stock.change):
            change(search, inputs, outputs, api_name=False)
        gallery.select(_select(storefront), shown_ids, [selected_id, details, details_box], api_name=False)
        more.click(storefront.more_like_this, [selected_id, top_k, min_score, *filters], outputs,
                   api_name="more_like_this")
        _api_only_endpoints(storefront, photo, text, text_weight, top_k, min_score, filters, outputs)
        page.load(_page_header(storefront), None, [banner, model_line, text, text_weight, brands, categories],
                  api_name=False)
    return page


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
