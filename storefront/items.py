""""Find every product in this photo" as the page shows it: the photo with a numbered box on each item, and one
row of products per item."""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from search.items import Box
from search.service import ItemsResponse
from storefront import results
from storefront.text import say

MARKER_COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324")


@dataclass
class ItemRow(results.CardList):
    number: int
    box: Box
    label: str  # "1 · its best match's title"
    cards: list[results.Card]

    @property
    def searched(self) -> Box:
        """The part of the photo the row's products matched (the box trimmed: see `search.items.TRIM`), which the
        row's own search searches too."""
        return self.box.trimmed()


@dataclass
class ItemsResult:
    marked: Image.Image  # the photo with a numbered box on each item
    rows: list[ItemRow]
    status: str
    regions: int
    timings_ms: dict[str, float] = field(default_factory=dict)


def shown(photo: Image.Image, response: ItemsResponse, lang: str, limit: int) -> ItemsResult:
    """At most `limit` items, numbered from the best match down."""
    items = response.items[:limit]
    rows = [ItemRow(number, item.box, say(lang, "item_row", number=number,
                                          title=results.display_title(item.hits[0].product, lang)),
                    [results.card(hit, [], lang) for hit in item.hits])
            for number, item in enumerate(items, start=1)]
    return ItemsResult(marked(photo, [row.box for row in rows]), rows, status(len(rows), response.regions, lang),
                       response.regions, response.timings_ms)


def items_status(result: ItemsResult, lang: str) -> str:
    """What finding the items of a photo found, with the time of each stage, as both pages say it."""
    return results.run_on(result.status, results.timings_line(result.timings_ms, lang))


def status(count: int, regions: int, lang: str) -> str:
    if count == 0:
        return say(lang, "no_items")
    return say(lang, "one_item", regions=regions) if count == 1 else say(lang, "items", count=count,
                                                                          regions=regions)


def marked(photo: Image.Image, boxes: list[Box]) -> Image.Image:
    """The photo with each box drawn and numbered (1, 2, ...) in a colour of its own."""
    picture = photo.convert("RGB")
    draw = ImageDraw.Draw(picture)
    side = max(picture.size)
    line, radius = max(2, side // 250), max(10, side // 45)
    font = ImageFont.load_default(size=round(radius * 1.3))
    for number, box in enumerate(boxes, start=1):
        colour = MARKER_COLOURS[(number - 1) % len(MARKER_COLOURS)]
        draw.rectangle(box.as_list(), outline=colour, width=line)
        centre = (box.left + radius + line, box.top + radius + line)
        draw.ellipse([centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius], fill=colour,
                     outline="white", width=max(1, line // 2))
        draw.text(centre, str(number), fill="white", font=font, anchor="mm")
    return picture
