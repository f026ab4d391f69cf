"""What the page does, as plain functions of the search service: no Gradio here, so every handler is
tested directly. Errors the shopper can fix come back as a message, never as a traceback."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from tqdm import tqdm

from catalog.demo import write_demo_catalog
from catalog.product import CatalogError
from search.config import ConfigError, Settings
from search.encoder_types import EncoderError
from search.fetch import ImageFetcher
from search.images import ImageError
from search.indexer import Indexer, estimate_rows
from search.ranking import Filters
from search.service import Query, QueryError, SearchResponse, SearchService, build_service
from search.store import StoreError

log = logging.getLogger("storefront")
FRIENDLY_ERRORS = (ImageError, EncoderError, QueryError, StoreError, CatalogError, ConfigError)


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

    def example_photos(self, count: int = 5) -> list[str]:
        """Catalog pictures to try, one per category, from the store (whatever catalog it holds)."""
        if self._service is None:
            return []  # not loaded yet (the page built at import): no examples rather than a slow import
        first_of_category: dict[str, str] = {}
        for product in self.service().store.products():
            if Path(product.image).is_file():
                first_of_category.setdefault(product.category, product.image)
            if len(first_of_category) == count:
                break
        return list(first_of_category.values())

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
        arithmetic = f" · {info.precision}" if info.kind == "clip" else ""
        return f"Model: {info.label} · {weights}{arithmetic} · {self.service().store.count()} products"

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
