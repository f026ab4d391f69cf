"""Search responses as the page shows them: gallery captions, the status line, product details."""
from __future__ import annotations

from catalog.product import Product
from search.ranking import Filters
from search.recognise import Guess
from search.service import SearchResponse
from search.store import Hit
from storefront.text import say


def gallery(response: SearchResponse, guesses: list[Guess], lang: str) -> list[tuple[str, str]]:
    """(picture, caption) per hit: title, brand, price, stock, match, and why it matched."""
    return [(hit.product.image, caption(hit, guesses, lang)) for hit in response.hits]


def caption(hit: Hit, guesses: list[Guess], lang: str) -> str:
    product = hit.product
    stock = "" if product.in_stock else f" · {say(lang, 'out_of_stock')}"
    lines = [product.title, f"{product.brand} · {product.price_label()}{stock}",
             " · ".join([say(lang, "why", score=percent(hit.score)), *shared_with_query(product, guesses, lang)])]
    return "\n".join(lines)


def shared_with_query(product: Product, guesses: list[Guess], lang: str) -> list[str]:
    """What the product has in common with what the photo was read as (its most likely category and colour)."""
    top = {}
    for guess in guesses:
        top.setdefault(guess.kind, guess.label)
    shared = []
    if top.get("category") and top["category"] == product.category:
        shared.append(say(lang, "same_category", value=product.category))
    if top.get("colour") and product.colour and top["colour"].lower() == product.colour.lower():
        shared.append(say(lang, "same_colour", value=product.colour))
    return shared


def percent(score: float) -> str:
    """Truncated, not rounded, so only an exact match reads 100% (after float32 noise: an identical picture
    scores 0.99999...)."""
    return f"{max(0, int(round(score, 4) * 100))}%"


def status(response: SearchResponse, min_score: float, filters: Filters, lang: str) -> str:
    if not response.hits:
        hint = say(lang, "hint_filter") if filters != Filters() else ""
        threshold = f"{round(min_score * 100, 1):g}%"
        return say(lang, "none_above", threshold=threshold, hint=hint)
    count = len(response.hits)
    return say(lang, "one_result") if count == 1 else say(lang, "results", count=count)


def timings_line(timings_ms: dict[str, float], lang: str) -> str:
    return " · ".join(f"{say(lang, stage)} {ms:.0f} ms" for stage, ms in timings_ms.items())


def details(product: Product, lang: str) -> str:
    """Everything known of a product, as Markdown."""
    stock = say(lang, "in_stock") if product.in_stock else say(lang, "out_of_stock")
    rows = [(say(lang, "Brand"), product.brand), (say(lang, "Category"), product.category),
            (say(lang, "Price"), product.price_label()), (say(lang, "Stock"), stock), (say(lang, "Id"), product.id),
            *sorted((name.replace("_", " ").capitalize(), value) for name, value in product.attributes.items())]
    link = f"\n\n[{say(lang, 'view_page')}]({product.url})" if product.url else ""
    facts = "\n".join(f"- **{name}**: {escape(value)}" for name, value in rows)
    return f"### {escape(product.title)}\n\n{facts}{link}"


def escape(text: str) -> str:
    """Catalog text shown as Markdown: no markup of its own."""
    return "".join(f"\\{ch}" if ch in "\\`*_[]<>#|" else ch for ch in str(text).replace("\n", " "))
