"""The shopping tools agents call: named API endpoints built from typed, documented functions (`gr.api`), which
Gradio also serves as MCP tools when the app runs with `--mcp`. Their docstrings are what an agent reads."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import gradio as gr
from gradio import route_utils

from catalog.errors import UserError
from page.doorways import client_of, listed
from page.inputs import photo_payload
from storefront import agents
from storefront.doorway import Doorway
from storefront.protocol import (
    DetailsRequest,
    FacetsRequest,
    ItemsRequest,
    Request,
    SearchRequest,
)

TOOL_NAMES = ("search_products_by_image", "search_products_by_text", "search_products_by_image_and_text",
              "search_items", "similar_products", "product_details", "catalog_facets")


# The protocol's fields as the tools name them, so a problem names the argument the agent gave
ARGUMENTS = {"photo": "image_address", "text": "query", "more_like": "product_id", "id": "product_id",
             "ranking.top_k": "top_k", "per_item": "per_item", "ranking.text_weight": "image_share",
             **{f"filters.{name}": name for name in ("brands", "categories", "colours", "min_price", "max_price")},
             "filters.in_stock": "in_stock_only"}


def add_agent_tools(doorway: Doorway) -> None:
    """The tools, as endpoints of the Blocks being built (call inside `with gr.Blocks()`)."""
    for tool in agent_tools(doorway):
        gr.api(tool, api_name=tool.__name__, queue=False)  # unqueued: MCP calls them with the caller's request


def not_an_mcp_tool(fn: Callable) -> Callable:
    """Gradio offers every public endpoint as an MCP tool; its `gr.mcp` decorators record a function's kind in
    `_mcp_type`, and a kind that is neither tool, resource nor prompt keeps the function off MCP's lists. The page's
    gallery endpoints and the admin actions are not for agents."""
    fn._mcp_type = "not-for-agents"  # type: ignore[attr-defined]
    return fn


def agent_tools(doorway: Doorway) -> list[Callable]:
    def answer(request: gr.Request | None, kind: type[Request], asked: dict[str, Any],
               shape: Callable[[Any, Callable[[str], str]], Any]) -> str:
        """The tool's answer as JSON text (what MCP carries); a problem as a tool error saying what to change."""
        try:
            if "photo" in asked:
                asked = {**asked, "photo": photo_payload(asked["photo"])}
            found = doorway.answer(kind, asked, client_of(request, "mcp"))
            return json.dumps(shape(found, _picture_address(request)), ensure_ascii=False)
        except UserError as error:
            raise gr.Error(str(error.renamed(ARGUMENTS)), print_exception=False) from None

    def search_products_by_image(image_address: str, top_k: int = 10, brands: list[str] | None = None,
                                 categories: list[str] | None = None, colours: list[str] | None = None,
                                 min_price: float | None = None, max_price: float | None = None,
                                 in_stock_only: bool = False, request: gr.Request | None = None) -> str:
        """Find the catalog's products that look like a photo.

        Args:
            image_address: the photo: an http(s):// address of a JPEG, PNG, WebP, GIF, BMP or TIFF (at most 25 MiB, answering within 8 s), or a data: URL (data:image/jpeg;base64,...).
            top_k: how many products to return, 1 to 50.
            brands: only these brands (exact names from catalog_facets); empty for any.
            categories: only these categories (exact names from catalog_facets); empty for any.
            colours: only these colours (exact names from catalog_facets); empty for any.
            min_price: lowest price, in the product's own currency; products without a price are left out.
            max_price: highest price, in the product's own currency; products without a price are left out.
            in_stock_only: only products in stock.

        Returns:
            A JSON array, the best matches first, each with id, title, brand, category, colour, price (a number or null),
            currency (ISO 4217), in_stock, score (cosine similarity, at most 1.0, higher is closer), picture (an
            address of its picture that matched best), pictures (all of them), product_page (the merchant's page, or
            ""), matched_words and other_variants (ids of the other colours or sizes this result stands for).
        """
        asked = {"photo": image_address, "ranking": {"top_k": top_k},
                 "filters": _filters(brands, categories, colours, min_price, max_price, in_stock_only)}
        return answer(request, SearchRequest, asked, agents.found_products)

    def search_products_by_text(query: str, top_k: int = 10, brands: list[str] | None = None,
                                categories: list[str] | None = None, colours: list[str] | None = None,
                                min_price: float | None = None, max_price: float | None = None,
                                in_stock_only: bool = False, request: gr.Request | None = None) -> str:
        """Find the catalog's products described by words, in English or Chinese ("red striped mug", "红色 马克杯"),
        brand names and model numbers included.

        Args:
            query: what the shopper wants, in a few words.
            top_k: how many products to return, 1 to 50.
            brands: only these brands (exact names from catalog_facets); empty for any.
            categories: only these categories (exact names from catalog_facets); empty for any.
            colours: only these colours (exact names from catalog_facets); empty for any.
            min_price: lowest price, in the product's own currency; products without a price are left out.
            max_price: highest price, in the product's own currency; products without a price are left out.
            in_stock_only: only products in stock.

        Returns:
            A JSON array, the best matches first, each with id, title, brand, category, colour, price, currency, in_stock, score
            (higher is closer), picture, pictures, product_page, matched_words (the query's words the product holds)
            and other_variants.
        """
        asked = {"text": query, "ranking": {"top_k": top_k},
                 "filters": _filters(brands, categories, colours, min_price, max_price, in_stock_only)}
        return answer(request, SearchRequest, asked, agents.found_products)

    def search_products_by_image_and_text(image_address: str, query: str, image_share: float = 0.5, top_k: int = 10,
                                          brands: list[str] | None = None, categories: list[str] | None = None,
                                          colours: list[str] | None = None, min_price: float | None = None,
                                          max_price: float | None = None, in_stock_only: bool = False,
                                          request: gr.Request | None = None) -> str:
        """Find products like a photo, changed by words ("this bag, but in navy").

        Args:
            image_address: the photo, as an http(s):// address or a data: URL (see search_products_by_image).
            query: the words that change or narrow the photo's match.
            image_share: 0 to 1, how much the photo counts against the words (1: the photo alone, 0: the words alone).
            top_k: how many products to return, 1 to 50.
            brands: only these brands (exact names from catalog_facets); empty for any.
            categories: only these categories (exact names from catalog_facets); empty for any.
            colours: only these colours (exact names from catalog_facets); empty for any.
            min_price: lowest price, in the product's own currency.
            max_price: highest price, in the product's own currency.
            in_stock_only: only products in stock.

        Returns:
            A JSON array, the best matches first, as search_products_by_image returns them.
        """
        asked = {"photo": image_address, "text": query,
                 "ranking": {"top_k": top_k, "text_weight": _complement(image_share)},
                 "filters": _filters(brands, categories, colours, min_price, max_price, in_stock_only)}
        return answer(request, SearchRequest, asked, agents.found_products)

    def search_items(image_address: str, per_item: int = 4, brands: list[str] | None = None,
                     categories: list[str] | None = None, colours: list[str] | None = None,
                     min_price: float | None = None, max_price: float | None = None, in_stock_only: bool = False,
                     request: gr.Request | None = None) -> str:
        """Find every product in a photo that holds several (an outfit, a desk, a shelf): where each item is, and the catalog's best matches for it.

        Args:
            image_address: the photo, as an http(s):// address or a data: URL (see search_products_by_image).
            per_item: how many products to return for each item found, 1 to 10.
            brands: only these brands; empty for any.
            categories: only these categories; empty for any.
            colours: only these colours; empty for any.
            min_price: lowest price, in the product's own currency.
            max_price: highest price, in the product's own currency.
            in_stock_only: only products in stock.

        Returns:
            A JSON object: photo_size ([width, height] of the photo as searched: its longer side at most 1024 px), regions_compared,
            and items, the strongest match first, each with box ([left, top, right, bottom] in photo_size's pixels) and products
            (as search_products_by_image returns them). No item found: an empty list.
        """
        asked = {"photo": image_address, "per_item": per_item,
                 "filters": _filters(brands, categories, colours, min_price, max_price, in_stock_only)}
        return answer(request, ItemsRequest, asked, agents.found_items)

    def similar_products(product_id: str, top_k: int = 10, brands: list[str] | None = None,
                         categories: list[str] | None = None, colours: list[str] | None = None,
                         min_price: float | None = None, max_price: float | None = None,
                         in_stock_only: bool = False, request: gr.Request | None = None) -> str:
        """Find products that look like a product of the catalog (the product itself left out).

        Args:
            product_id: the id of a product, as a search returned it.
            top_k: how many products to return, 1 to 50.
            brands: only these brands; empty for any.
            categories: only these categories; empty for any.
            colours: only these colours; empty for any.
            min_price: lowest price, in the product's own currency.
            max_price: highest price, in the product's own currency.
            in_stock_only: only products in stock.

        Returns:
            A JSON array, the closest products first, as search_products_by_image returns them.
        """
        asked = {"more_like": product_id, "ranking": {"top_k": top_k},
                 "filters": _filters(brands, categories, colours, min_price, max_price, in_stock_only)}
        return answer(request, SearchRequest, asked, agents.found_products)

    def product_details(product_id: str, request: gr.Request | None = None) -> str:
        """Everything the catalog holds about one product.

        Args:
            product_id: the id of a product, as a search returned it.

        Returns:
            A JSON object: id, title, brand, category, colour, price, currency, in_stock, picture, pictures (every picture
            of it), variant_of (its group of variants, if it is one), other_variants (the ids of the group's other colours
            or sizes), product_page and attributes (the feed's other fields, such as material, pattern or size, and their
            Chinese versions *_zh).
        """
        return answer(request, DetailsRequest, {"id": product_id}, agents.product_details)

    def catalog_facets(request: gr.Request | None = None) -> str:
        """What the catalog holds, to choose filters from, as a JSON object: its brands, categories and colours, each with its number
        of products, the number of products, and the price range (min and max; null when no product has a price).
        """
        return answer(request, FacetsRequest, {}, lambda counts, _: agents.facets(counts, doorway.storefront))

    return [search_products_by_image, search_products_by_text, search_products_by_image_and_text, search_items,
            similar_products, product_details, catalog_facets]


def _filters(brands: Any, categories: Any, colours: Any, min_price: Any, max_price: Any,
             in_stock_only: Any) -> dict[str, Any]:
    """The tool's filters as the protocol reads them (an absent list is an empty one); an unknown brand, category
    or colour is a problem for an agent, where a shopper's page only offers known ones."""
    return {"brands": listed(brands), "categories": listed(categories), "colours": listed(colours),
            "min_price": min_price, "max_price": max_price, "in_stock": in_stock_only, "known_only": True}


def _complement(share: Any) -> Any:
    """The words' share of a blend from the photo's (`image_share`), where it is a number: the protocol says what
    anything else should be."""
    return 1.0 - share if isinstance(share, (int, float)) and not isinstance(share, bool) else share


def _picture_address(request: gr.Request | None) -> Callable[[str], str]:
    """A stored picture's address on this server (Gradio serves the catalog's picture folders as static files)."""
    root = ""
    http = getattr(request, "request", request)  # an MCP call gets the HTTP request itself, unwrapped
    if http is not None:  # behind a proxy: its X-Forwarded-Host and X-Forwarded-Proto
        root = str(route_utils.get_request_origin(http, http.url.path)).rstrip("/")
    return lambda path: f"{root}/gradio_api/file={quote(path)}" if path else ""
