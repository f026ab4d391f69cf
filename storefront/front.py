"""The storefront: the page's view of the search service, created on first use. Errors a user can fix are raised
as `UserError`s; the page turns them into messages (`page/handlers.py`)."""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from catalog.demo import write_demo_catalog
from catalog.errors import UserError
from catalog.product import LANGUAGE_SUFFIXES, Product
from search.config import Settings
from search.encoders.base import EncoderInfo
from search.fetch import ImageFetcher, download_photo
from search.images import ImageError, Photo, crop, prepare_photo
from search.indexer import Indexer, estimate_rows
from search.ranking import Filters, Hit, Ranking
from search.recognise import Guess, Recogniser
from search.service import ItemsResponse, Query, QueryError, SearchResponse, SearchService, build_service
from search.store import crash_probe
from search.store.errors import storage_trouble
from storefront import freed_memory, items, results
from storefront.events import EventLog
from storefront.limits import SearchLimits
from storefront.text import say

ITEM_ROWS = 6  # items shown for one photo, each a row of its best products
ITEM_PRODUCTS = 4
TRANSLATED_FACETS = ("category", "colour")  # a brand is the same in every language
INSPIRED_COUNT = 8  # products suggested from a shopper's recent views
RECENT_COUNT = 12  # recent views a browser keeps
log = logging.getLogger("storefront")


@dataclass
class ShopResult(results.CardList):
    """One search as the shopper reads it: a card per product, best first, and the status line."""

    cards: list[results.Card] = field(default_factory=list)
    status: str = ""
    guesses: list[Guess] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    nearest: float | None = None  # the best candidate's score, before the minimum score (`SearchResponse.nearest`)

    def status_line(self, lang: str) -> str:
        """What the search found, with the time it took, as the pages and the API say it."""
        timing = results.timings_line(self.timings_ms, lang)
        if not timing:
            return self.status
        return results.run_on(self.status, timing) if self.cards else f"{self.status} ({timing})"


@dataclass(frozen=True)
class ProductDetails:
    """A product, and the other variants of its group (its colours or sizes), which its details offer to switch to."""

    product: Product
    other_variants: tuple[Product, ...] = ()


class Storefront:
    """The page's view of the search service. `start()` makes it ready for shoppers (the app calls it before it
    listens, the page on load); every other method only uses what is there."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._service: SearchService | None = None
        self._recogniser: Recogniser | None = None
        self._facets: dict[str, Counter] | None = None
        self._facet_names: dict[str, dict[str, dict[str, str]]] = {}  # by language: see facet_names
        self._lock = threading.Lock()
        self._started = False
        self.limits = SearchLimits(settings.limits.per_session, settings.limits.per_address)
        events = settings.events
        self.events = EventLog(events.path(settings.store.location), events.retention_days, events.max_mb,
                               events.keeps_words)

    def start(self) -> SearchService:
        """The start-up step, once: the model and store loaded, an empty store filled with the demo catalog, the
        in-memory indexes built. Raises `StoreMismatchError` for a store that holds only other models' products:
        filling it with the demo catalog would quietly show shoppers demo products instead of the merchant's."""
        with self._lock, self.storage_said():
            service = self._loaded()
            if not self._started:
                if service.store.count() == 0:
                    self._index_demo_catalog(service)
                service.store.warm()  # start-up's walks over the catalog then read memory, not Chroma
                freed_memory.keep_handing_back()
                self._started = True
            return service

    @contextmanager
    def storage_said(self) -> Iterator[None]:
        """A damaged store, a full disk or a read-only one raised as the problem it is, naming the store."""
        try:
            yield
        except UserError:
            raise
        except Exception as error:
            trouble = storage_trouble(error, self.settings.store.location)
            if trouble is None:
                raise
            log.error("%s", trouble)
            raise trouble from error

    @property
    def started(self) -> bool:
        return self._started

    def service(self) -> SearchService:
        """The model and store, loaded once (nothing is indexed here: see `start`)."""
        with self._lock:
            return self._loaded()

    def _loaded(self) -> SearchService:
        if self._service is None:
            if self.settings.store.probes_crashes:
                crash_probe.enable(self.settings.store.location)  # read in a child while the model loads
            self._service = build_service(self.settings)
        return self._service

    def replace_service(self, service: SearchService, settings: Settings) -> None:
        """Serve from another model's complete collection from now on (the admin's preset switch)."""
        service.store.warm()
        with self._lock:
            self._service, self.settings = service, settings
        self.catalog_changed()

    def catalog_changed(self) -> None:
        """Forget what was computed from the catalog (facet counts, recognition labels)."""
        self._facets = None
        self._facet_names = {}
        self._recogniser = None

    def _index_demo_catalog(self, service: SearchService) -> None:
        log.warning("the store is empty: building and indexing the demo catalog in %s", self.settings.store.demo_dir)
        feed = write_demo_catalog(self.settings.store.demo_dir)
        indexer = self.indexer(service)
        with tqdm(total=estimate_rows(feed), unit="product", desc="indexing demo catalog") as bar:
            summary = indexer.index_feed(feed, progress=lambda done: bar.update(done - bar.n))
        log.warning("demo catalog: %s", summary)

    def indexer(self, service: SearchService) -> Indexer:
        """An indexer into `service`'s store, with these settings' image cache, batch size and pictures a product."""
        return Indexer(service.encoder, service.store, ImageFetcher(self.settings.store.image_cache),
                       batch_size=self.settings.store.batch_size, max_pictures=self.settings.store.max_pictures)

    def example_photos(self, count: int = 5) -> list[str]:
        """Catalog pictures to try, one per category, from the store (whatever catalog it holds)."""
        if self._service is None:
            return []  # not loaded yet (the page built at import): no examples rather than a slow import
        first_of_category: dict[str, str] = {}
        for product in self.service().store.products():
            if Path(product.shown_picture).is_file():
                first_of_category.setdefault(product.category, product.shown_picture)
            if len(first_of_category) == count:
                break
        return list(first_of_category.values())

    def image_folders(self) -> list[str]:
        """Folders holding the catalog's pictures: the only files the page may serve."""
        folders = {str(Path(picture).resolve().parent) for product in self.service().store.products()
                   for picture in product.pictures}
        store = self.settings.store
        return sorted(folders | {str(Path(store.demo_dir).resolve()), str(store.image_cache.resolve())})

    def banner(self, lang: str = "en") -> str:
        """What shoppers must know of the model's results, in their language: why it stands in for the model asked
        for, or what its results mean; "" for none."""
        notice = self.service().encoder.info.notice_in(lang)
        return f"⚠️ **{notice}**" if notice else ""

    def model_line(self, lang: str = "en") -> str:
        info = self.service().encoder.info
        weights = say(lang, "weights" if info.pretrained_weights else "no_weights")
        arithmetic = f" · {self._arithmetic(info, lang)} · {info.device}" if info.kind == "clip" else ""
        label = info.spec.labelled(info.pretrained, lang)
        return say(lang, "model_line", label=label, weights=weights, arithmetic=arithmetic,
                   count=self.service().store.count())

    @staticmethod
    def _arithmetic(info: EncoderInfo, lang: str) -> str:
        """The arithmetic the model runs in, and what `auto` measured of it."""
        if info.measured is None:
            return info.precision
        if info.measured.chosen == "fp32":
            return say(lang, "fp32_fastest")
        return say(lang, "measured_gain", precision=info.precision, gain=info.measured.gain)

    def facet_counts(self) -> dict[str, Counter]:
        """How many products each brand, category and colour has, computed once per catalog change."""
        if self._facets is None:
            self._facets = self.service().store.facets()
        return self._facets

    def facet_choices(self, lang: str = "en") -> dict[str, list[tuple[str, str]]]:
        """Brand, category and colour choices labelled with how many products each has, in the shopper's language
        where the catalog gives it (the value, what a filter matches, stays the catalog's own)."""
        names = self.facet_names(lang)
        return {kind: [(f"{names.get(kind, {}).get(name, name)} ({count})", name)
                       for name, count in sorted(counts.items())]
                for kind, counts in self.facet_counts().items()}

    def facet_names(self, lang: str) -> dict[str, dict[str, str]]:
        """Each category's and colour's name in `lang` where the catalog has one (its `category_zh`... columns),
        learnt in one walk over the catalog per change; nothing to learn for the catalog's own language."""
        if LANGUAGE_SUFFIXES.get(lang) is None:
            return {}
        if lang not in self._facet_names:
            names: dict[str, dict[str, str]] = {kind: {} for kind in TRANSLATED_FACETS}
            for product in self.service().store.products():
                for kind, known in names.items():
                    value = getattr(product, kind)
                    if value and value not in known and product.localized(kind, lang) != value:
                        known[value] = product.localized(kind, lang)
            self._facet_names[lang] = names
        return self._facet_names[lang]

    def recogniser(self) -> Recogniser:
        if self._recogniser is None:
            facets = self.facet_choices()
            self._recogniser = Recogniser(self.service().encoder, [name for _, name in facets["category"]],
                                          [name for _, name in facets["colour"]])
        return self._recogniser

    def load_url(self, url: str) -> Photo:
        """The picture at a shopper's image URL, in memory only; raises `ImageError` saying what is wrong."""
        url = (url or "").strip()
        if not url:
            raise ImageError("no_address")
        return prepare_photo(download_photo(url, self.settings.app.url_timeout))

    def photo(self, source: Any) -> Photo:
        """A shopper's photo, checked, turned upright and keyed, once; raises `ImageError` saying what is wrong."""
        return prepare_photo(source)

    def crop(self, photo: Photo, first: tuple[float, float], second: tuple[float, float]) -> Photo:
        """The part of the shopper's photo (as `photo` gave it and the page shows it) between two clicked
        corners; raises `ImageError`."""
        return crop(photo, (first, second))

    def search(self, image: Any, text: str = "", filters: Filters = Filters(), ranking: Ranking | None = None,
               lang: str = "en") -> ShopResult:
        """A search by photo, text or both, as the page shows it (ranked as the settings say unless `ranking`
        is given); raises a `UserError` saying what is wrong with the query."""
        ranking = ranking or self.settings.ranking
        response = self.service().search(Query(image=image, text=text or None), filters, ranking)
        return self._shown(response, ranking.min_score, filters, lang)

    def find_items(self, photo: Photo, filters: Filters = Filters(), lang: str = "en",
                   per_item: int = ITEM_PRODUCTS) -> items.ItemsResult:
        """Every product the photo seems to hold (up to ITEM_ROWS), each with its best `per_item` matches."""
        return items.shown(photo.image, self.items_in(photo, filters, per_item), lang, ITEM_ROWS)

    def items_in(self, photo: Photo, filters: Filters, per_item: int, ranking: Ranking | None = None) -> ItemsResponse:
        """The items of a photo as the settings bound them (regions encoded, the match an item needs), each with
        `per_item` products above the ranking's threshold (the settings' unless `ranking` is given)."""
        settings = self.settings
        return self.service().find_items(photo, filters, ranking or settings.ranking, regions=settings.app.item_regions,
                                         min_score=settings.app.item_min_score, per_item=per_item)

    def more_like_this(self, product_id: str | None, filters: Filters = Filters(), ranking: Ranking | None = None,
                       lang: str = "en") -> ShopResult:
        """Products like a shown product, from its stored vector."""
        if not product_id:
            raise QueryError("pick_first")
        ranking = ranking or self.settings.ranking
        response = self.service().more_like_this(product_id, filters, ranking)
        shown = self._shown(response, ranking.min_score, filters, lang)
        shown.status = say(lang, "more_like", id=product_id) + shown.status
        return shown

    def _shown(self, response: SearchResponse, min_score: float, filters: Filters, lang: str) -> ShopResult:
        start = time.perf_counter()
        vector = response.image_vector
        guesses = self.recogniser().read(vector) if vector is not None else []
        shown = ShopResult(results.cards(response, guesses, lang), results.status(response, min_score, filters, lang),
                           guesses, nearest=response.nearest)
        shown.timings_ms = {**response.timings_ms, "page": round((time.perf_counter() - start) * 1000, 2)}
        return shown

    def recently_viewed(self, product_ids: list[str], lang: str = "en") -> ShopResult:
        """A shopper's recent views (kept in their browser, never here) as cards, newest first; products since
        deleted are left out quietly."""
        stored = self.service().store.stored(product_ids)
        products = [stored[i].product for i in product_ids if i in stored]
        return ShopResult([results.card(Hit(product, 1.0), [], lang, with_score=False) for product in products])

    def inspired_by(self, product_ids: list[str], filters: Filters = Filters(), lang: str = "en",
                    count: int = INSPIRED_COUNT) -> ShopResult:
        """Products like a shopper's recent views, none of them, within the active filters."""
        ranking = replace(self.settings.ranking, top_k=count)
        response = self.service().inspired_by(product_ids, filters, ranking)
        return ShopResult(results.cards(response, [], lang))

    def product(self, product_id: str) -> Product:
        """A product of the catalog; `UserError` "gone" when it is no longer there (a shopper's old link)."""
        stored = self.service().store.stored([product_id]).get(product_id)
        if stored is None:
            raise UserError("gone", id=product_id)
        return stored.product

    def product_details(self, product_id: str) -> ProductDetails:
        """A product of the catalog and the other variants of its group; `UserError` "gone" as `product`."""
        product = self.product(product_id)
        return ProductDetails(product, self.service().store.other_variants([product]).get(product.id, ()))
