"""Search responses as the page shows them: gallery captions, the status line, product details."""
from __future__ import annotations

from catalog.product import LANGUAGE_SUFFIXES, Product
from search.ranking import Filters, Hit
from search.recognise import Guess
from search.service import SearchResponse
from storefront.text import MESSAGES, say


def gallery(response: SearchResponse, guesses: list[Guess], lang: str) -> list[tuple[str, str]]:
    """(picture, caption) per hit: title, brand, price, stock, match, and why it matched."""
    return [(hit.product.shown_picture, caption(hit, guesses, lang)) for hit in response.hits]


def caption(hit: Hit, guesses: list[Guess], lang: str) -> str:
    """Title, then brand · price · stock (each only where the product has it), then why it matched."""
    product = hit.product
    stock = "" if product.in_stock else say(lang, "out_of_stock")
    facts = " · ".join(part for part in (product.brand, product.price_label(), stock) if part)
    why = [say(lang, "why", score=percent(hit.score)), *shared_with_query(product, guesses, lang)]
    if hit.matched:
        why.append(say(lang, "words", words=", ".join(hit.matched)))
    return "\n".join(line for line in (display_title(product, lang), facts, " · ".join(why)) if line)


def display_title(product: Product, lang: str) -> str:
    """The title in the shopper's language; a product without one is named by its category and id."""
    title = product.localized("title", lang)
    if title:
        return title
    category = product.localized("category", lang)
    return f"{category} {product.id}" if category else product.id


def shared_with_query(product: Product, guesses: list[Guess], lang: str) -> list[str]:
    """What the product has in common with what the photo was read as (its most likely category and colour)."""
    top: dict[str, str] = {}
    for guess in guesses:
        top.setdefault(guess.kind, guess.label)
    shared = []
    if top.get("category") and top["category"] == product.category:
        shared.append(say(lang, "same_category", value=product.localized("category", lang)))
    if top.get("colour") and product.colour and top["colour"].lower() == product.colour.lower():
        shared.append(say(lang, "same_colour", value=product.localized("colour", lang)))
    return shared


def percent(score: float) -> str:
    """Truncated, not rounded, so only an exact match reads 100% (after float32 noise: an identical picture
    scores 0.99999...)."""
    return f"{max(0, int(round(score, 4) * 100))}%"


def status(response: SearchResponse, min_score: float, filters: Filters, lang: str) -> str:
    why_words = say(lang, f"keywords_{response.keywords_only}") if response.keywords_only else ""
    return " · ".join(part for part in (_count(response, min_score, filters, lang), why_words) if part)


def _count(response: SearchResponse, min_score: float, filters: Filters, lang: str) -> str:
    if not response.hits and response.keywords_only:
        return say(lang, "no_words")
    if not response.hits:
        hint = say(lang, "hint_filter") if filters != Filters() else ""
        threshold = f"{round(min_score * 100, 1):g}%"
        return say(lang, "none_above", threshold=threshold, hint=hint)
    count = len(response.hits)
    return say(lang, "one_result") if count == 1 else say(lang, "results", count=count)


def timings_line(timings_ms: dict[str, float], lang: str) -> str:
    return " · ".join(f"{say(lang, stage)} {ms:.0f} ms" for stage, ms in timings_ms.items())


def details(product: Product, lang: str) -> str:
    """Everything known of a product, as Markdown, in the shopper's language where the feed gives it; fields the
    product has no value for are left out."""
    stock = say(lang, "in_stock") if product.in_stock else say(lang, "out_of_stock")
    rows = [(say(lang, "Brand"), product.brand), (say(lang, "Category"), product.localized("category", lang)),
            (say(lang, "Price"), product.price_label()), (say(lang, "Stock"), stock), (say(lang, "Id"), product.id),
            *sorted((attribute_label(name, lang), product.localized(name, lang)) for name in product.attributes
                    if not _is_translation(name))]
    link = f"\n\n[{say(lang, 'view_page')}]({product.url})" if product.url else ""
    facts = "\n".join(f"- **{name}**: {escape(value)}" for name, value in rows if value)
    return f"### {escape(display_title(product, lang))}\n\n{facts}{link}"


def attribute_label(name: str, lang: str) -> str:
    """A feed column's name as a label: translated where it is a common one (colour, material...)."""
    label = name.replace("_", " ").capitalize()
    return say(lang, label) if label in MESSAGES["en"] else label


def _is_translation(name: str) -> bool:
    """`title_zh`, `colour_zh`...: shown in place of the field they translate, not as rows of their own."""
    base, _, suffix = name.rpartition("_")
    return bool(base) and suffix in LANGUAGE_SUFFIXES.values()


def escape(text: str) -> str:
    """Catalog text shown as Markdown: no markup of its own."""
    return "".join(f"\\{ch}" if ch in "\\`*_[]<>#|" else ch for ch in str(text).replace("\n", " "))
