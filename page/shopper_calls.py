"""What the shoppers' page asks the server, as JSON: each call takes one dict from the page's script
(`page/static/shopper.js`) and answers one dict. A photo travels as a data URL with every search (the whole photo
and, for a part of it, the part's corners as fractions of its sides), so nothing of a shopper's is kept on the
server, not even in memory. Messages are the storefront's own, in the shopper's language; a `UserError` is a
message (`problem`), never a traceback."""
from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr
from markdown_it import MarkdownIt

from catalog.errors import UserError
from page.handlers import NoPhotoYet, admit, filters, items_status, problem, ranking, status_line
from page.inputs import as_jpeg
from search.images import Photo, PhotoBytes, data_url_bytes
from search.ranking import Filters
from storefront import results
from storefront.front import RECENT_COUNT, Storefront
from storefront.text import language, say

Payload = dict[str, Any]
# Markdown as the storefront writes it (bold, links, code), raw HTML in it escaped: a product's title is the
# merchant's text, not the page's markup
MARKDOWN = MarkdownIt("commonmark", {"html": False})
SEARCH_WORKERS = 2  # searches at once, here and in the API's queue (`app.serve`): the encoder uses every core
# How long a search waits for a free worker before the shopper is asked to retry: the page's calls do not go through
# Gradio's bounded queue, and each waiting one holds one of the server's threads
SEARCH_WAIT_S = 20.0


class ShopBusy(UserError):
    def __init__(self) -> None:
        super().__init__(say("en", "busy"))

    def in_language(self, lang: str) -> str:
        return say(lang, "busy")


def markdown(text: str, inline: bool = True) -> str:
    return MARKDOWN.renderInline(text) if inline else MARKDOWN.render(text)


class ShopperCalls:
    """The calls, bound to one storefront; `functions()` are what `gr.HTML(server_functions=...)` takes."""

    def __init__(self, storefront: Storefront, wait_s: float = SEARCH_WAIT_S) -> None:
        self.storefront = storefront
        self.wait_s = wait_s
        self._searching = threading.BoundedSemaphore(SEARCH_WORKERS)
        self._served: set[str] = set()

    def functions(self) -> list[Callable[..., Payload]]:
        # named by their __name__, as the page's script calls them: server.search({...}); Gradio passes each the
        # HTTP request (by its annotation), which only the searches count against the deployment's limits
        def opening(asked: Payload, request: gr.Request) -> Payload:
            return self._guarded(asked, self.opening)  # the start may refuse a store of another model

        def search(asked: Payload, request: gr.Request) -> Payload:
            return self._guarded(asked, lambda lang: self.search(asked, lang, request))

        def find_items(asked: Payload, request: gr.Request) -> Payload:
            return self._guarded(asked, lambda lang: self.find_items(asked, lang, request))

        def load_url(asked: Payload, request: gr.Request) -> Payload:
            return self._guarded(asked, lambda lang: self.load_url(asked.get("url") or ""))

        def details(asked: Payload, request: gr.Request) -> Payload:
            return self._guarded(asked, lambda lang: self.details(str(asked.get("id") or ""), lang))

        def history(asked: Payload, request: gr.Request) -> Payload:
            return self._guarded(asked, lambda lang: self.history(asked, lang))
        return [opening, search, find_items, load_url, details, history]

    def _guarded(self, asked: Payload, call: Callable[[str], Payload]) -> Payload:
        lang = language(asked.get("lang"))
        try:
            return call(lang)
        except UserError as error:
            return {"problem": escape(problem(error, lang))}  # plain words, whatever the file's name holds

    def opening(self, lang: str) -> Payload:
        """What the page shows as it opens: the banner, the model line, the filters' choices and the blend."""
        storefront = self.storefront
        storefront.start()  # a Space's first visitor may come before anything else started it
        return {"banner": markdown(storefront.banner(lang)), "model_line": markdown(storefront.model_line(lang)),
                "facets": storefront.facet_choices(lang), "text_weight": storefront.settings.ranking.text_weight}

    def search(self, asked: Payload, lang: str, request: gr.Request | None) -> Payload:
        """A search by the photo (or the part of it), the text or both, or for more like a product."""
        storefront, narrowed = self.storefront, chosen_filters(asked)
        chosen = ranking({"text_weight": asked.get("text_weight")} if asked.get("text_weight") is not None else {},
                         storefront.settings.ranking)
        admit(storefront, request)  # before the photo is read: a capped client costs no decoding
        photo = self._photo(asked)
        with self._worker():
            if asked.get("more_like"):
                result = storefront.more_like_this(str(asked["more_like"]), narrowed, chosen, lang)
            else:
                result = storefront.search(photo, asked.get("text") or "", narrowed, chosen, lang)
        names = storefront.facet_names(lang)  # a chip reads in the shopper's language, and filters by the value
        chips = [{"label": f"{names.get(g.kind, {}).get(g.label, g.label)} · {results.percent(g.probability)}",
                  "kind": g.kind, "value": g.label} for g in result.guesses]
        return {"status": markdown(status_line(result, lang)), "cards": self.cards(result.gallery, result.ids),
                "chips": chips}

    def find_items(self, asked: Payload, lang: str, request: gr.Request | None) -> Payload:
        """Every product in the whole photo: the photo marked with a numbered box on each, and a row per item
        whose box (as fractions of the photo's sides) narrows the search to it."""
        if not asked.get("photo"):
            raise NoPhotoYet(say("en", "photo_first"))
        admit(self.storefront, request)
        whole = self._whole_photo(asked)
        with self._worker():
            found = self.storefront.find_items(whole, chosen_filters(asked), lang)
        width, height = whole.image.size
        rows = [{"label": row.label, "cards": self.cards(row.cards, row.ids),
                 "part": [edge / side for edge, side in zip(row.searched.as_list(), (width, height) * 2)]}
                for row in found.rows]
        return {"status": markdown(items_status(found, lang)),
                "marked": data_url(as_jpeg(found.marked)), "rows": rows}

    @contextmanager
    def _worker(self) -> Iterator[None]:
        """One of the SEARCH_WORKERS, waited for at most SEARCH_WAIT_S; `ShopBusy` past that."""
        if not self._searching.acquire(timeout=self.wait_s):
            raise ShopBusy()
        try:
            yield
        finally:
            self._searching.release()

    def load_url(self, url: str) -> Payload:
        """The picture at a shopper's address, as the page will hold it (a data URL); nothing is searched yet."""
        return {"photo": data_url(as_jpeg(self.storefront.load_url(url).image))}

    def details(self, product_id: str, lang: str) -> Payload:
        return {"html": markdown(self.storefront.details(product_id, lang), inline=False)}

    def history(self, asked: Payload, lang: str) -> Payload:
        """A shopper's recent views (sent by their browser, which keeps them) and products like them within the
        active filters."""
        viewed = [str(i) for i in (asked.get("viewed") or [])][:RECENT_COUNT]
        recent = self.storefront.recently_viewed(viewed, lang) if viewed else None
        if recent is None or not recent.ids:
            return {"recent": [], "inspired": []}
        inspired = self.storefront.inspired_by(viewed, chosen_filters(asked), lang)
        return {"recent": self.cards(recent.gallery, recent.ids),
                "inspired": self.cards(inspired.gallery, inspired.ids)}

    def _photo(self, asked: Payload) -> Photo | None:
        """The photo sent (checked, upright), or the part of it between the corners sent; `ImageError` says what
        is wrong with it."""
        if not asked.get("photo"):
            return None
        photo = self._whole_photo(asked)
        part = asked.get("part")
        if not part:
            return photo
        width, height = photo.image.size
        left, top, right, bottom = (float(v) for v in part)
        return self.storefront.crop(photo, (left * width, top * height), (right * width, bottom * height))

    def _whole_photo(self, asked: Payload) -> Photo:
        return self.storefront.photo(PhotoBytes(data_url_bytes(str(asked["photo"])), str(asked.get("name") or "photo")))

    def cards(self, gallery: Iterable[tuple[str, str]], ids: Iterable[str]) -> list[Payload]:
        """Cards as the page draws them: the catalog's own picture (served where it is, never copied), the
        caption's lines (title; brand and price; why it matched) and the product's id."""
        return [{"id": product_id, "picture": self.picture_url(picture), "lines": caption.splitlines()}
                for (picture, caption), product_id in zip(gallery, ids)]

    def picture_url(self, picture: str) -> str:
        folder = str(Path(picture).resolve().parent)
        if folder not in self._served:  # a catalog ingested since the start has pictures elsewhere
            gr.set_static_paths([folder])
            self._served.add(folder)
        return f"gradio_api/file={quote(str(Path(picture).resolve()))}"


def chosen_filters(asked: Payload) -> Filters:
    """The filters the page sent, by the names the Tuning page's values use."""
    return filters(asked.get("filters") or {})


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
