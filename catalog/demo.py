"""The built-in demo catalog: products and pictures drawn by code, deterministic, no network."""
from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw

from catalog.product import Product

SEED = 20261121
SIZE = 256
_SCALE = 2  # draw at twice the size, then downsample: cheap anti-aliasing
PRODUCTS_PER_CATEGORY = 24

BRANDS = (
    "Northwind", "Alder & Co", "Lumen", "Kestrel", "Mariner", "Oakhaven",
    "Vireo", "Cobalt Lane", "Fjell", "Sora", "Tidewell", "Brightline",
)
COLOURS = {
    "Red": (200, 40, 45), "Navy": (30, 45, 100), "Forest Green": (35, 110, 60), "Mustard": (220, 170, 40),
    "Black": (30, 30, 32), "White": (245, 245, 240), "Grey": (140, 142, 146), "Pink": (240, 140, 175),
    "Orange": (240, 120, 30), "Teal": (20, 140, 140), "Purple": (110, 60, 150), "Beige": (215, 195, 160),
    "Brown": (110, 70, 40), "Sky Blue": (110, 175, 230),
}
PATTERNS = ("Solid", "Striped", "Dotted", "Checked")
MATERIALS = ("cotton", "leather", "ceramic", "steel", "canvas", "recycled polyester", "linen", "glass")
# What each kind of product is made of (a shirt of glass or ceramic sneakers told a customer the catalog is made up)
MADE_OF = {
    "Shirts": ("cotton", "linen", "recycled polyester"), "Mugs": ("ceramic", "glass", "steel"),
    "Sneakers": ("leather", "canvas", "recycled polyester"), "Handbags": ("leather", "canvas", "cotton"),
    "Lamps": ("ceramic", "glass", "steel"), "Caps": ("cotton", "canvas", "recycled polyester"),
    "Watches": ("steel", "leather"), "Backpacks": ("canvas", "leather", "recycled polyester"),
    "Sunglasses": ("steel", "recycled polyester"), "Bottles": ("steel", "glass"),
}
# The words Chinese shoppers type for each: the demo catalog carries them as title_zh, category_zh, colour_zh...
CHINESE = {
    "Red": "红色", "Navy": "藏青色", "Forest Green": "墨绿色", "Mustard": "芥末黄", "Black": "黑色", "White": "白色",
    "Grey": "灰色", "Pink": "粉色", "Orange": "橙色", "Teal": "蓝绿色", "Purple": "紫色", "Beige": "米色",
    "Brown": "棕色", "Sky Blue": "天蓝色",
    "Solid": "纯色", "Striped": "条纹", "Dotted": "波点", "Checked": "格子",
    "cotton": "棉", "leather": "皮革", "ceramic": "陶瓷", "steel": "不锈钢", "canvas": "帆布",
    "recycled polyester": "再生涤纶", "linen": "亚麻", "glass": "玻璃",
    "Shirts": "衬衫", "Mugs": "马克杯", "Sneakers": "运动鞋", "Handbags": "手提包", "Lamps": "台灯",
    "Caps": "棒球帽", "Watches": "手表", "Backpacks": "背包", "Sunglasses": "太阳镜", "Bottles": "水杯",
    "Oxford Shirt": "牛津衬衫", "Coffee Mug": "咖啡马克杯", "Tote Bag": "托特包", "Table Lamp": "台灯",
    "Baseball Cap": "棒球帽", "Analog Watch": "指针手表", "Backpack": "背包", "Water Bottle": "水杯",
}


@dataclass(frozen=True)
class Style:
    colour: str
    accent: str
    pattern: str
    background: tuple[int, int, int]
    jitter: float  # shape variation in [-1, 1]


def _rgb(name: str) -> tuple[int, int, int]:
    return COLOURS[name]


def _pattern_fill(style: Style, size: int) -> Image.Image:
    base, accent = _rgb(style.colour), _rgb(style.accent)
    fill = Image.new("RGB", (size, size), base)
    draw = ImageDraw.Draw(fill)
    step = size // 12
    if style.pattern == "Striped":
        for x in range(0, size, step * 2):
            draw.rectangle([x, 0, x + step - 1, size], fill=accent)
    elif style.pattern == "Dotted":
        for y in range(step // 2, size, step * 2):
            for x in range(step // 2, size, step * 2):
                draw.ellipse([x, y, x + step, y + step], fill=accent)
    elif style.pattern == "Checked":
        for y in range(0, size, step):
            for x in range(0, size, step):
                if (x // step + y // step) % 2:
                    draw.rectangle([x, y, x + step - 1, y + step - 1], fill=accent)
    return fill


# Each shape draws the product's silhouette on a mask (filled with the pattern) and details on top.
Shape = Callable[[ImageDraw.ImageDraw, ImageDraw.ImageDraw, Style, int], None]


def _shirt(mask, top, style, s):
    w = int(s * (0.26 + 0.04 * style.jitter))
    c = s // 2
    body = [(c - w, s * 0.3), (c - w - s * 0.16, s * 0.45), (c - w - s * 0.08, s * 0.55), (c - w, s * 0.5),
            (c - w, s * 0.88), (c + w, s * 0.88), (c + w, s * 0.5), (c + w + s * 0.08, s * 0.55),
            (c + w + s * 0.16, s * 0.45), (c + w, s * 0.3), (c + s * 0.08, s * 0.25), (c - s * 0.08, s * 0.25)]
    mask.polygon(body, fill=255)
    top.polygon([(c - s * 0.08, s * 0.25), (c, s * 0.36), (c + s * 0.08, s * 0.25)], fill=_rgb(style.accent))
    for i in range(4):
        y = s * (0.42 + 0.11 * i)
        top.ellipse([c - s * 0.012, y, c + s * 0.012, y + s * 0.024], fill=(235, 235, 235))


def _mug(mask, top, style, s):
    h = s * (0.46 + 0.05 * style.jitter)
    left, right, y0 = s * 0.24, s * 0.66, s * 0.27
    mask.rounded_rectangle([left, y0, right, y0 + h], radius=int(s * 0.04), fill=255)
    top.ellipse([right - s * 0.05, y0 + h * 0.2, right + s * 0.16, y0 + h * 0.75],
                outline=_rgb(style.colour), width=int(s * 0.045))
    top.ellipse([left, y0 - s * 0.03, right, y0 + s * 0.03], fill=(60, 40, 30))


def _sneaker(mask, top, style, s):
    lift = s * 0.04 * style.jitter
    upper = [(s * 0.14, s * 0.62), (s * 0.2, s * 0.42 + lift), (s * 0.42, s * 0.36 + lift),
             (s * 0.56, s * 0.48), (s * 0.84, s * 0.56), (s * 0.88, s * 0.66), (s * 0.14, s * 0.68)]
    mask.polygon(upper, fill=255)
    top.rounded_rectangle([s * 0.11, s * 0.66, s * 0.9, s * 0.74], radius=int(s * 0.03), fill=_rgb(style.accent))
    for i in range(4):
        x = s * (0.4 + 0.05 * i)
        top.line([(x, s * 0.42 + i * s * 0.02), (x + s * 0.05, s * 0.46 + i * s * 0.02)], fill=(250, 250, 250),
                 width=int(s * 0.012))


def _handbag(mask, top, style, s):
    spread = s * 0.05 * style.jitter
    mask.polygon([(s * 0.2 - spread, s * 0.82), (s * 0.8 + spread, s * 0.82), (s * 0.72, s * 0.42),
                  (s * 0.28, s * 0.42)], fill=255)
    top.arc([s * 0.33, s * 0.2, s * 0.67, s * 0.62], 180, 360, fill=_rgb(style.accent), width=int(s * 0.03))
    top.rectangle([s * 0.46, s * 0.5, s * 0.54, s * 0.56], fill=(212, 175, 55))


def _lamp(mask, top, style, s):
    flare = s * 0.05 * style.jitter
    mask.polygon([(s * 0.3 - flare, s * 0.48), (s * 0.7 + flare, s * 0.48), (s * 0.6, s * 0.16),
                  (s * 0.4, s * 0.16)], fill=255)
    top.rectangle([s * 0.485, s * 0.48, s * 0.515, s * 0.8], fill=_rgb(style.accent))
    top.ellipse([s * 0.34, s * 0.78, s * 0.66, s * 0.86], fill=_rgb(style.accent))


def _cap(mask, top, style, s):
    height = s * (0.26 + 0.04 * style.jitter)
    mask.pieslice([s * 0.22, s * 0.62 - height, s * 0.74, s * 0.62 + height], 180, 360, fill=255)
    top.ellipse([s * 0.5, s * 0.57, s * 0.9, s * 0.68], fill=_rgb(style.accent))
    top.ellipse([s * 0.46, s * 0.62 - height - s * 0.02, s * 0.5 + s * 0.04, s * 0.62 - height + s * 0.02],
                fill=_rgb(style.accent))


def _watch(mask, top, style, s):
    r = s * (0.17 + 0.03 * style.jitter)
    c = s / 2
    mask.rectangle([c - s * 0.09, s * 0.05, c + s * 0.09, s * 0.95], fill=255)
    top.ellipse([c - r - s * 0.02, c - r - s * 0.02, c + r + s * 0.02, c + r + s * 0.02], fill=_rgb(style.accent))
    top.ellipse([c - r, c - r, c + r, c + r], fill=(248, 248, 244))
    top.line([(c, c), (c, c - r * 0.8)], fill=(20, 20, 20), width=int(s * 0.015))
    top.line([(c, c), (c + r * 0.55, c + r * 0.2)], fill=(20, 20, 20), width=int(s * 0.015))


def _backpack(mask, top, style, s):
    w = s * (0.24 + 0.03 * style.jitter)
    mask.rounded_rectangle([s / 2 - w, s * 0.2, s / 2 + w, s * 0.88], radius=int(s * 0.1), fill=255)
    top.rounded_rectangle([s / 2 - w * 0.7, s * 0.58, s / 2 + w * 0.7, s * 0.82], radius=int(s * 0.05),
                          fill=_rgb(style.accent))
    top.arc([s * 0.4, s * 0.1, s * 0.6, s * 0.3], 180, 360, fill=_rgb(style.accent), width=int(s * 0.025))


def _sunglasses(mask, top, style, s):
    r = s * (0.15 + 0.025 * style.jitter)
    for cx in (s * 0.32, s * 0.68):
        mask.ellipse([cx - r, s * 0.5 - r * 0.8, cx + r, s * 0.5 + r * 0.8], fill=255)
    top.arc([s * 0.44, s * 0.42, s * 0.56, s * 0.54], 200, 340, fill=_rgb(style.accent), width=int(s * 0.02))
    top.line([(s * 0.32 - r, s * 0.46), (s * 0.05, s * 0.4)], fill=_rgb(style.accent), width=int(s * 0.02))
    top.line([(s * 0.68 + r, s * 0.46), (s * 0.95, s * 0.4)], fill=_rgb(style.accent), width=int(s * 0.02))


def _bottle(mask, top, style, s):
    w = s * (0.13 + 0.03 * style.jitter)
    mask.rounded_rectangle([s / 2 - w, s * 0.3, s / 2 + w, s * 0.9], radius=int(s * 0.05), fill=255)
    mask.rectangle([s / 2 - w * 0.5, s * 0.18, s / 2 + w * 0.5, s * 0.32], fill=255)
    top.rectangle([s / 2 - w * 0.6, s * 0.1, s / 2 + w * 0.6, s * 0.19], fill=_rgb(style.accent))


def _mug_handle_side(mask, top, style, s):
    """A mug turned with its handle to the camera: the handle a ring across the middle of the body."""
    h = s * (0.46 + 0.05 * style.jitter)
    left, right, y0 = s * 0.27, s * 0.69, s * 0.27
    mask.rounded_rectangle([left, y0, right, y0 + h], radius=int(s * 0.04), fill=255)
    centre = (left + right) / 2
    top.rounded_rectangle([centre - s * 0.07, y0 + h * 0.18, centre + s * 0.07, y0 + h * 0.78], radius=int(s * 0.06),
                          outline=_shade(_rgb(style.colour)), width=int(s * 0.04))
    top.ellipse([left, y0 - s * 0.03, right, y0 + s * 0.03], fill=(60, 40, 30))


def _backpack_back(mask, top, style, s):
    """A backpack from behind: its padded back and two shoulder straps, no front pocket."""
    w = s * (0.24 + 0.03 * style.jitter)
    mask.rounded_rectangle([s / 2 - w, s * 0.2, s / 2 + w, s * 0.88], radius=int(s * 0.1), fill=255)
    top.rounded_rectangle([s / 2 - w * 0.8, s * 0.28, s / 2 + w * 0.8, s * 0.8], radius=int(s * 0.06),
                          outline=_shade(_rgb(style.colour)), width=int(s * 0.02))
    for x in (s / 2 - w * 0.45, s / 2 + w * 0.45):
        top.rounded_rectangle([x - s * 0.035, s * 0.24, x + s * 0.035, s * 0.84], radius=int(s * 0.02),
                              fill=_rgb(style.accent))
    top.arc([s * 0.4, s * 0.1, s * 0.6, s * 0.3], 180, 360, fill=_rgb(style.accent), width=int(s * 0.025))


# A second view some products have (every other one of these categories): the side a shopper may photograph
SECOND_VIEWS: dict[str, Shape] = {"Mugs": _mug_handle_side, "Backpacks": _backpack_back}
VARIANTS = 3  # one shirt in three colours: the first shirt's model, the next two shirts turned into its variants

# category -> (noun in titles, price range in USD, shape)
CATEGORIES: dict[str, tuple[str, tuple[int, int], Shape]] = {
    "Shirts": ("Oxford Shirt", (25, 90), _shirt),
    "Mugs": ("Coffee Mug", (8, 30), _mug),
    "Sneakers": ("Sneakers", (45, 180), _sneaker),
    "Handbags": ("Tote Bag", (40, 320), _handbag),
    "Lamps": ("Table Lamp", (30, 160), _lamp),
    "Caps": ("Baseball Cap", (15, 45), _cap),
    "Watches": ("Analog Watch", (60, 450), _watch),
    "Backpacks": ("Backpack", (35, 150), _backpack),
    "Sunglasses": ("Sunglasses", (20, 240), _sunglasses),
    "Bottles": ("Water Bottle", (12, 45), _bottle),
}


def draw_product(category: str, style: Style, second_view: bool = False) -> Image.Image:
    """Draw one product picture (RGB, SIZE x SIZE) for a category in a style: its front, or its second view."""
    s = SIZE * _SCALE
    shape = SECOND_VIEWS[category] if second_view else CATEGORIES[category][2]
    picture = Image.new("RGB", (s, s), style.background)
    mask = Image.new("L", (s, s), 0)
    ImageDraw.Draw(picture).ellipse([s * 0.12, s * 0.86, s * 0.88, s * 0.96], fill=_shade(style.background))
    shape(ImageDraw.Draw(mask), ImageDraw.Draw(picture), style, s)
    # Details drawn on `picture` first would be covered by the body, so draw the body, then details again.
    picture.paste(_pattern_fill(style, s), (0, 0), mask)
    shape(ImageDraw.Draw(Image.new("L", (s, s))), ImageDraw.Draw(picture), style, s)
    return picture.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _shade(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    red, green, blue = (int(v * 0.85) for v in rgb)
    return red, green, blue


def _styles(rng: random.Random) -> list[Style]:
    """Distinct colour and pattern pairs, so no two products of a category look alike."""
    pairs = [(c, p) for c in COLOURS for p in PATTERNS]
    rng.shuffle(pairs)
    styles = []
    for colour, pattern in pairs[:PRODUCTS_PER_CATEGORY]:
        accent = rng.choice([c for c in COLOURS if c != colour])
        background = tuple(rng.randint(225, 252) for _ in range(3))
        red, green, blue = background
        styles.append(Style(colour, accent, pattern, (red, green, blue), rng.uniform(-1, 1)))
    return styles


def _price(rng: random.Random, low: int, high: int) -> float:
    return round(rng.randint(low, high) - rng.choice([0.01, 0.05, 0.51, 1.0]) + 1, 2)


def demo_products() -> list[tuple[Product, Style]]:
    """Every demo product with the style its picture is drawn in, always the same."""
    rng = random.Random(SEED)
    items = []
    for c_index, (category, (noun, (low, high), _)) in enumerate(CATEGORIES.items()):
        for p_index, style in enumerate(_styles(rng)):
            product_id = f"demo-{c_index:02d}{p_index:02d}"
            pattern = "" if style.pattern == "Solid" else f"{style.pattern} "
            pattern_zh = "" if style.pattern == "Solid" else CHINESE[style.pattern]
            brand = rng.choice(BRANDS)
            product = Product(
                id=product_id,
                title=f"{brand} {style.colour} {pattern}{noun}",
                brand=brand,
                category=category,
                price=_price(rng, low, high),
                currency="USD",
                image=f"images/{product_id}.png",
                url=f"https://shop.example.com/products/{product_id}",
                in_stock=rng.random() < 0.85,
                attributes=_attributes(style, _made_of(category, rng.choice(MATERIALS)),
                                       f"{brand} {CHINESE[style.colour]}{pattern_zh}{CHINESE[noun]}", category),
            )
            items.append((product, style))
    return _with_variants_and_views(items)


def _made_of(category: str, drawn: str) -> str:
    """One of the materials the category is made of, picked by a material drawn from all of them: the draw stays
    the one the catalog always made, so every later draw (brands, prices, stock) is as it always was."""
    materials = MADE_OF[category]
    return materials[MATERIALS.index(drawn) % len(materials)]


def has_second_view(product: Product) -> bool:
    return product.category in SECOND_VIEWS and int(product.id[-2:]) % 2 == 0


def _with_variants_and_views(items: list[tuple[Product, Style]]) -> list[tuple[Product, Style]]:
    """The first shirt's model in three colours: the second and third shirts become its variants (same brand,
    pattern, accent and cut), so that the demo shows a group of variants answered as one; and every other product of
    the categories of SECOND_VIEWS gains its second view."""
    shirts = [n for n, (product, _) in enumerate(items) if product.category == "Shirts"]
    model, model_style = items[shirts[0]]
    looks = {(style.colour, style.pattern) for _, style in (items[n] for n in shirts[VARIANTS:])}
    colours = [model_style.colour, *(c for c in COLOURS if c != model_style.colour
                                     and (c, model_style.pattern) not in looks)][:VARIANTS]  # none like another shirt
    group = f"{model.id}-model"
    for n, colour in zip(shirts, colours):
        product, _ = items[n]
        style = replace(model_style, colour=colour)
        pattern = "" if style.pattern == "Solid" else f"{style.pattern} "
        pattern_zh = "" if style.pattern == "Solid" else CHINESE[style.pattern]
        attributes = _attributes(style, model.attributes["material"],
                                 f"{model.brand} {CHINESE[colour]}{pattern_zh}{CHINESE['Oxford Shirt']}", "Shirts")
        items[n] = (replace(product, title=f"{model.brand} {colour} {pattern}Oxford Shirt", brand=model.brand,
                            attributes=attributes, group=group), style)
    return [(replace(product, extra_images=(f"images/{product.id}-back.png",)) if has_second_view(product)
             else product, style) for product, style in items]


@cache
def demo_ids() -> frozenset[str]:
    return frozenset(product.id for product, _ in demo_products())


def _attributes(style: Style, material: str, title_zh: str, category: str) -> dict[str, str]:
    return {"colour": style.colour, "pattern": style.pattern.lower(), "material": material,
            "title_zh": title_zh, "category_zh": CHINESE[category], "colour_zh": CHINESE[style.colour],
            "pattern_zh": CHINESE[style.pattern], "material_zh": CHINESE[material]}


FEED_COLUMNS = ("id", "title", "brand", "category", "price", "currency", "image", "url", "in_stock", "group",
                "images", "colour", "pattern", "material", "title_zh", "category_zh", "colour_zh", "pattern_zh",
                "material_zh")


def write_demo_catalog(out_dir: Path | str) -> Path:
    """Write `products.csv` and `images/*.png` under `out_dir`; return the feed's path."""
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    feed = out / "products.csv"
    rows = []
    for product, style in demo_products():
        for image, second_view in zip(product.images, (False, True)):
            if not (out / image).exists():  # optimize=True: 3% smaller, 3x slower
                draw_product(product.category, style, second_view).save(out / image)
        rows.append({**{k: getattr(product, k) for k in FEED_COLUMNS[:10]}, "images": "|".join(product.extra_images),
                     **product.attributes})
    partial = feed.with_suffix(".csv.part")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FEED_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(feed)  # the feed appears only once every picture is on disk
    return feed
