"""Search responses as the shopper reads them: a card per product (its fields, and why it matched in the shopper's
language), the status line, product details."""
from __future__ import annotations

from dataclasses import dataclass

from catalog.product import LANGUAGE_SUFFIXES, Product
from search.ranking import Filters, Hit
from search.recognise import Guess
from search.service import SearchResponse
from storefront.text import MESSAGES, say


@dataclass(frozen=True)
class Card:
    """A product as a result shows it: its fields, and why it matched, worded in the shopper's language."""

    id: str
    title: str  # in the shopper's language where the feed gives it; a product without one is named by category and id
    brand: str
    category: str  # the catalog's own value (what a filter matches)
    colour: str
    price: float | None
    currency: str  # ISO 4217
    price_label: str  # the price as the shopper reads it ("$12.00"), "" without a price
    in_stock: bool
    score: float  # cosine similarity, at most 1.0
    why: tuple[str, ...]  # "87% match", "same category (Mugs)", "words: red, mug"
    matched_words: tuple[str, ...]
    picture: str  # the file of the product's picture that matched best
    product_page: str  # the merchant's page, "" where the feed gives none
    stock_label: str = ""  # "out of stock", in the shopper's language; "" when in stock
    pictures: tuple[str, ...] = ()  # every picture's file, the main one first
    other_variants: tuple[str, ...] = ()  # the ids of the other variants of the group it stands for

    @property
    def facts(self) -> str:
        """Brand · price · stock, each only where the product has it."""
        return " · ".join(part for part in (self.brand, self.price_label, self.stock_label) if part)

    @property
    def caption(self) -> str:
        """The card as one text (a Gradio gallery's caption): title, facts, why it matched, one a line."""
        return "\n".join(line for line in (self.title, self.facts, " · ".join(self.why)) if line)


class CardList:
    """What a list of cards answers (a search's results, an item's row): their ids and scores, best first."""

    cards: list[Card]

    @property
    def ids(self) -> list[str]:
        return [card.id for card in self.cards]

    @property
    def scores(self) -> list[float]:
        return [card.score for card in self.cards]

    @property
    def gallery(self) -> list[tuple[str, str]]:
        """(picture, caption) per card, as a Gradio gallery shows them (the Tuning page's, the API's)."""
        return [(card.picture, card.caption) for card in self.cards]


def cards(response: SearchResponse, guesses: list[Guess], lang: str) -> list[Card]:
    """A card a hit. A text searched by its words alone, with no photo, shows the words each product holds and no
    match percentage: its score is their relevance, steeply down for each word missing
    (search/store/keyword_index.py), which read "3% match" on the red backpacks when no product held "leather"."""
    words_alone = bool(response.keywords_only) and response.image_vector is None
    return [card(hit, guesses, lang, with_score=not words_alone) for hit in response.hits]


def card(hit: Hit, guesses: list[Guess], lang: str, with_score: bool = True) -> Card:
    """A hit as its card: why it matched is its score, what it shares with what the photo was read as, the query's
    words it holds, and the other variants it stands for."""
    product = hit.product
    why = [say(lang, "why", score=percent(hit.score))] if with_score else []
    why += shared_with_query(product, guesses, lang)
    if hit.matched:
        why.append(say(lang, "words", words=", ".join(hit.matched)))
    if hit.others:  # the variants this result stands for besides itself, by colour where they have one
        names = dict.fromkeys(variant_name(other, lang) for other in hit.others)
        why.append(say(lang, "variants", names=", ".join(names)))
    return Card(id=product.id, title=display_title(product, lang), brand=product.brand, category=product.category,
                colour=product.colour, price=product.price, currency=product.currency,
                price_label=product.price_label(), in_stock=product.in_stock, score=round(float(hit.score), 4),
                why=tuple(why), matched_words=tuple(hit.matched), picture=hit.picture, pictures=product.pictures,
                other_variants=tuple(other.id for other in hit.others),
                product_page=product.url, stock_label="" if product.in_stock else say(lang, "out_of_stock"))


def variant_name(product: Product, lang: str) -> str:
    """What tells a variant from the others of its group: its colour, or else its title."""
    return product.localized("colour", lang) or display_title(product, lang)


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


STAGES = ("decode", "propose", "encode", "search", "page")  # a search's timings, in the order they run
ITEMS_ONLY = ("propose",)  # finding every product in a photo: its candidate regions


def timings_line(timings_ms: dict[str, float], lang: str) -> str:
    return " · ".join(f"{say(lang, stage)} {ms:.0f} ms" for stage, ms in timings_ms.items())


def run_on(status: str, timing: str) -> str:
    """A status, its timings after it on the same line: the status's last full stop would sit before the dot between
    them ("…reads no text. · decode 3 ms")."""
    return f"{status.rstrip('.。')} · {timing}"


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
