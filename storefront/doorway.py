"""The one doorway every front end goes through: validate → admit against the limits → take one of the search workers
→ call the storefront → a typed answer, or a problem. The shoppers' page's calls, the Tuning page, the named API
endpoints and the MCP tools are thin adapters around `Doorway.answer` (page/); each words the answer and the problem
for its own reader, in the reader's language."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from catalog.errors import UserError
from search.images import Photo, PhotoBytes, data_url_bytes
from search.ranking import Ranking
from storefront.events import OpenEvent, SearchEvent
from storefront.front import ITEM_PRODUCTS, RECENT_COUNT, ProductDetails, ShopResult, Storefront
from storefront.items import ItemsResult
from storefront.protocol import (
    AddressRequest,
    DetailsRequest,
    FacetsRequest,
    FilterChoice,
    HistoryRequest,
    ItemsRequest,
    OpeningRequest,
    Request,
    SearchRequest,
    parse,
)
from storefront.text import language

SEARCH_WORKERS = 2  # searches at once, from every doorway together: the encoder uses every core already
# How long a search waits for a free worker before the reader is asked to retry: each waiting one holds a thread
SEARCH_WAIT_S = 20.0


@dataclass(frozen=True)
class Client:
    """Who asks, as far as the limits care: the doorway, the session (a browser tab, a gradio_client), the address."""

    doorway: str  # "page", "tuning", "api", "mcp"
    session: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class History:
    recent: ShopResult
    inspired: ShopResult


@dataclass(frozen=True)
class ShopOpening:
    banner: str
    model_line: str
    facets: dict[str, list[tuple[str, str]]]
    text_weight: float


def reader_language(asked: Any) -> str:
    """The language to answer in, read before anything else is checked (a problem must be worded in it too)."""
    return language(asked.get("lang")) if isinstance(asked, dict) else "en"


class Doorway:
    """`answer(kind, asked, client)`: the request of `kind` that `asked` holds, answered; raises `UserError`."""

    def __init__(self, storefront: Storefront, wait_s: float = SEARCH_WAIT_S, workers: int = SEARCH_WORKERS) -> None:
        self.storefront = storefront
        self.wait_s = wait_s
        self.stopping = False  # the app is stopping: new searches are told so, running ones finish (`stop`)
        self._workers = threading.BoundedSemaphore(workers)
        self._worker_count = workers
        self._handlers: dict[type[Request], Callable[[Any], Any]] = {
            SearchRequest: self._search, ItemsRequest: self._items, DetailsRequest: self._product,
            HistoryRequest: self._history, AddressRequest: self._address, OpeningRequest: self._opening,
            FacetsRequest: lambda _: self.storefront.facet_counts()}
        self._searches = (SearchRequest, ItemsRequest)

    def answer(self, kind: type[Request], asked: Any, client: Client) -> Any:
        request = parse(kind, asked)
        filters = getattr(request, "filters", None)
        if isinstance(filters, FilterChoice) and filters.known_only:
            self.check_facets(filters)
        if kind not in self._searches:
            with self.storefront.storage_said():
                answered = self._handlers[kind](request)
            if isinstance(request, DetailsRequest) and request.rank is not None:
                self.storefront.events.record(OpenEvent(request.token, answered.product.id, request.rank))
            return answered
        if self.stopping:
            raise UserError("stopping")
        self.admit(client)  # before the photo is read: a capped client costs no decoding
        with self._worker(), self.storefront.storage_said():
            answered = self._handlers[kind](request)
        assert isinstance(request, SearchRequest | ItemsRequest)
        self.storefront.events.record(search_event(request, answered, client))
        return answered

    def stop(self, wait_s: float) -> bool:
        """From now on a search is told the shop is stopping; the searches running are waited for, at most `wait_s`
        seconds in all. True when every one finished."""
        self.stopping = True
        deadline = time.monotonic() + wait_s
        finished = 0
        while finished < self._worker_count and self._workers.acquire(timeout=max(deadline - time.monotonic(), 0)):
            finished += 1
        return finished == self._worker_count

    def admit(self, client: Client) -> None:
        """Counts a search against the deployment's limits; raises `TooManySearches`."""
        limits = self.storefront.limits
        if limits.enabled:
            limits.admit(client.session, client.address)

    @contextmanager
    def _worker(self) -> Iterator[None]:
        """One of the search workers, waited for at most `wait_s`; the problem "busy" past that."""
        if not self._workers.acquire(timeout=self.wait_s):
            raise UserError("busy")
        try:
            yield
        finally:
            self._workers.release()

    def _search(self, request: SearchRequest) -> ShopResult:
        storefront, filters = self.storefront, request.filters.filters()
        ranking = self._ranking(request)
        if request.more_like is not None:
            return storefront.more_like_this(request.more_like.strip(), filters, ranking, request.lang)
        photo = self._photo(request.photo, request.name, request.part)
        if photo is None and not request.text.strip():
            raise UserError("no_query")
        return storefront.search(photo, request.text, filters, ranking, request.lang)

    def _ranking(self, request: SearchRequest) -> Ranking:
        """The saved ranking, with what the request sets; a photo alone is searched by the photo alone, words alone
        by the words alone, whatever the blend."""
        chosen = request.knobs()
        if request.more_like is None and request.photo is None:
            chosen["text_weight"] = 1.0
        elif request.more_like is None and not request.text.strip():
            chosen["text_weight"] = 0.0
        return Ranking.of(**{**self.storefront.settings.ranking.values(), **chosen})

    def _items(self, request: ItemsRequest) -> ItemsResult:
        photo = self._photo(request.photo, request.name)
        if photo is None:
            raise UserError("photo_first")
        return self.storefront.find_items(photo, request.filters.filters(), request.lang,
                                          per_item=request.per_item or ITEM_PRODUCTS)

    def _product(self, request: DetailsRequest) -> ProductDetails:
        return self.storefront.product_details(request.id.strip())

    def _history(self, request: HistoryRequest) -> History:
        viewed = request.viewed[:RECENT_COUNT]
        recent = self.storefront.recently_viewed(viewed, request.lang) if viewed else ShopResult()
        if not recent.cards:
            return History(recent, ShopResult())
        return History(recent, self.storefront.inspired_by(viewed, request.filters.filters(), request.lang))

    def _address(self, request: AddressRequest) -> Photo:
        return self.storefront.load_url(request.url)

    def _opening(self, request: OpeningRequest) -> ShopOpening:
        storefront = self.storefront
        storefront.start()  # a Space's first visitor may come before anything else started it
        return ShopOpening(storefront.banner(request.lang), storefront.model_line(request.lang),
                           storefront.facet_choices(request.lang), storefront.settings.ranking.text_weight)

    def _photo(self, source: str | PhotoBytes | Photo | None, name: str,
               part: tuple[float, float, float, float] | None = None) -> Photo | None:
        """The photo sent, every way a doorway takes one (a data: URL, an http(s) address, an uploaded file), checked
        and upright; or the part of it between two corners given as fractions of its sides."""
        if source is None or source == "":
            return None
        if isinstance(source, Photo):
            photo = source
        elif isinstance(source, str) and source.strip().lower().startswith(("http://", "https://")):
            photo = self.storefront.load_url(source)
        else:
            photo = self.storefront.photo(source if isinstance(source, PhotoBytes) else _data_url(source, name))
        if part is None:
            return photo
        width, height = photo.image.size
        left, top, right, bottom = part
        return self.storefront.crop(photo, (left * width, top * height), (right * width, bottom * height))

    def check_facets(self, filters: FilterChoice) -> None:
        """Unknown brands, categories or colours are a problem for an agent: an empty answer would read as "the
        catalog has none"."""
        counts = self.storefront.facet_counts()
        for kind, chosen in (("brand", filters.brands), ("category", filters.categories),
                             ("colour", filters.colours)):
            unknown = sorted(set(chosen) - set(counts[kind]))
            if unknown:
                known = sorted(counts[kind])
                raise UserError("unknown_facet", kind=kind, names=", ".join(map(repr, unknown)),
                                known=", ".join(known[:12]) + (f" (+{len(known) - 12})" if len(known) > 12 else ""))


def search_event(request: SearchRequest | ItemsRequest, answered: ShopResult | ItemsResult,
                 client: Client) -> SearchEvent:
    """What is kept of a search: never its photo or its address (storefront/events.py)."""
    if isinstance(answered, ItemsResult):
        cards, nearest = [card for row in answered.rows for card in row.cards], None
    else:
        cards, nearest = answered.cards, answered.nearest
    filters = request.filters.model_dump(exclude_defaults=True, exclude={"known_only"})
    text = request.text.strip() if isinstance(request, SearchRequest) else ""
    source = request.more_like.strip() if isinstance(request, SearchRequest) and request.more_like else None
    return SearchEvent(doorway=client.doorway, lang=request.lang, kind=search_kind(request), words=text or None,
                       source=source, filters=filters, results=len(cards),
                       best=max((card.score for card in cards), default=None), nearest=nearest,
                       timings=answered.timings_ms, shown=[card.id for card in cards], token=request.token)


def search_kind(request: SearchRequest | ItemsRequest) -> str:
    """photo, text, both, crop, more_like or items."""
    if isinstance(request, ItemsRequest):
        return "items"
    if request.more_like is not None:
        return "more_like"
    if request.part is not None:
        return "crop"
    has_photo, has_text = request.photo not in (None, ""), bool(request.text.strip())
    return "both" if has_photo and has_text else "photo" if has_photo else "text"


def _data_url(source: str, name: str) -> PhotoBytes:
    """A data: URL's bytes; any other text is not a photo this doorway takes."""
    if source.strip().startswith("data:"):
        return PhotoBytes(data_url_bytes(source.strip()), name)
    raise UserError("not_an_address", address=source.strip()[:80])
