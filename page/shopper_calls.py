"""What the shoppers' page asks the server, as JSON: each call takes one object from the page's script
(`page/static/shop/`), goes through the one doorway (`storefront.doorway`) and answers one object, drawn here for
the script. A photo travels as a data URL with every search (the whole photo and, for a part of it, the part's
corners as fractions of its sides), so nothing of a shopper's is kept on the server, not even in memory. A problem is
`{"problem": ...}` in the shopper's language, never a traceback."""
from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr
from markdown_it import MarkdownIt

from catalog.errors import UserError
from page.doorways import client_of, problem
from page.inputs import as_jpeg
from search.images import Photo
from storefront import results
from storefront.doorway import Doorway, History, ShopOpening, reader_language
from storefront.front import ProductDetails, ShopResult
from storefront.items import ItemsResult, items_status
from storefront.protocol import (
    AddressRequest,
    DetailsRequest,
    HistoryRequest,
    ItemsRequest,
    OpeningRequest,
    Request,
    SearchRequest,
)

Payload = dict[str, Any]
# Markdown as the storefront writes it (bold, links, code), raw HTML in it escaped: a product's title is the
# merchant's text, not the page's markup
MARKDOWN = MarkdownIt("commonmark", {"html": False})


def markdown(text: str, inline: bool = True) -> str:
    return MARKDOWN.renderInline(text) if inline else MARKDOWN.render(text)


class ShopperCalls:
    """The calls, through one doorway; `functions()` are what `gr.HTML(server_functions=...)` takes."""

    def __init__(self, doorway: Doorway) -> None:
        self.doorway = doorway
        self._served: set[str] = set()

    def functions(self) -> list[Callable[..., Payload]]:
        # named by their __name__, as the page's script calls them: server.search({...}); Gradio passes each the
        # HTTP request (by its annotation), which the searches count against the deployment's limits
        def opening(asked: Any, request: gr.Request) -> Payload:
            return self._call(OpeningRequest, asked, request, self._opening)

        def search(asked: Any, request: gr.Request) -> Payload:
            return self._call(SearchRequest, asked, request, self._results)

        def find_items(asked: Any, request: gr.Request) -> Payload:
            return self._call(ItemsRequest, asked, request, self._items)

        def load_url(asked: Any, request: gr.Request) -> Payload:
            return self._call(AddressRequest, asked, request, lambda photo, _: {"photo": photo_url(photo)})

        def details(asked: Any, request: gr.Request) -> Payload:
            return self._call(DetailsRequest, asked, request, self._details)

        def history(asked: Any, request: gr.Request) -> Payload:
            return self._call(HistoryRequest, asked, request, self._history)
        return [opening, search, find_items, load_url, details, history]

    def _call(self, kind: type[Request], asked: Any, request: gr.Request | None,
              draw: Callable[[Any, str], Payload]) -> Payload:
        lang = reader_language(asked)
        try:
            return draw(self.doorway.answer(kind, asked, client_of(request, "page")), lang)
        except UserError as error:
            return {"problem": escape(problem(error, lang))}  # plain words, whatever the file's name holds

    def _opening(self, opening: ShopOpening, lang: str) -> Payload:
        """What the page shows as it opens: the banner, the model line, the filters' choices and the blend."""
        return {"banner": markdown(opening.banner), "model_line": markdown(opening.model_line),
                "facets": opening.facets, "text_weight": opening.text_weight}

    def _results(self, result: ShopResult, lang: str) -> Payload:
        names = self.doorway.storefront.facet_names(lang)  # a chip reads in the shopper's language, filters by value
        chips = [{"label": f"{names.get(g.kind, {}).get(g.label, g.label)} · {results.percent(g.probability)}",
                  "kind": g.kind, "value": g.label} for g in result.guesses]
        return {"status": markdown(result.status_line(lang)), "cards": self.cards(result.cards), "chips": chips}

    def _items(self, found: ItemsResult, lang: str) -> Payload:
        """The photo marked with a numbered box on each item, and a row per item whose box (as fractions of the
        photo's sides) narrows the search to it."""
        width, height = found.marked.size
        rows = [{"label": row.label, "cards": self.cards(row.cards),
                 "part": [edge / side for edge, side in zip(row.searched.as_list(), (width, height) * 2)]}
                for row in found.rows]
        return {"status": markdown(items_status(found, lang)), "marked": data_url(as_jpeg(found.marked)),
                "rows": rows}

    def _details(self, details: ProductDetails, lang: str) -> Payload:
        """A product's facts, its every picture, and its group's other variants (each by its colour, picture and
        price), which the details offer to switch to."""
        product = details.product
        variants = [{"id": other.id, "name": results.variant_name(other, lang), "price": other.price_label(),
                     "picture": self.picture_url(other.shown_picture)} for other in details.other_variants]
        return {"html": markdown(results.details(product, lang), inline=False),
                "title": results.display_title(product, lang),
                "pictures": [self.picture_url(picture) for picture in product.pictures], "variants": variants}

    def _history(self, history: History, lang: str) -> Payload:
        """A shopper's recent views (sent by their browser, which keeps them) and products like them."""
        return {"recent": self.cards(history.recent.cards), "inspired": self.cards(history.inspired.cards)}

    def cards(self, cards: Iterable[results.Card]) -> list[Payload]:
        """Cards as the script draws them: the catalog's own picture (served where it is, never copied), the title,
        the facts (brand, price, stock) and why it matched."""
        return [{"id": card.id, "picture": self.picture_url(card.picture), "title": card.title, "facts": card.facts,
                 "why": " · ".join(card.why)} for card in cards]

    def picture_url(self, picture: str) -> str:
        folder = str(Path(picture).resolve().parent)
        if folder not in self._served:  # a catalog ingested since the start has pictures elsewhere
            gr.set_static_paths([folder])
            self._served.add(folder)
        return f"gradio_api/file={quote(str(Path(picture).resolve()))}"


def photo_url(photo: Photo) -> str:
    """A photo as the page holds it: a data URL of its JPEG."""
    return data_url(as_jpeg(photo.image))


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
