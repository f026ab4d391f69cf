"""Shop the look: how many products of a composed photo are found, per background, and how long finding them
takes with the offline encoder and with ViT-B-32.

    python bench/items.py [--scenes 30] [--skip-clip]

Quality: the demo catalog indexed with the offline encoder; photos of 2 to 5 demo products pasted at random
positions, sizes and tilts (catalog/scenes.py) on each kind of background, and, where ../shared/data/fashion-photos
is present, 40 real product photos indexed beside the demo catalog and pasted the same way. A product is found when a
marker's box overlaps it at IoU >= 0.5 and that product is first in the marker's row; a false marker overlaps no
pasted product. Also: how many pasted products each proposal method's first regions hold.

Speed: one 1,024 x 768 photo, each encoder's `find_items` taken in turn (interleaved), medians per stage. ViT-B-32
has random weights (none can be downloaded here): its arithmetic, so its speed, is the pretrained model's.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from keywords import cpu_flags
from PIL import Image

from catalog.demo import demo_products, draw_product
from catalog.scenes import BACKGROUNDS, compose_scene
from search.config import Settings
from search.encoders.base import EncoderInfo
from search.images import Photo
from search.indexer import Indexer
from search.items import Box, _foreground, _plausible, _selective_search, propose_regions
from search.service import SearchService
from search.store.collection import ProductStore
from storefront.front import Storefront

FASHION = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-photos"
REGION_LIMITS = (16, 32, 48)
SPEED_ROUNDS = 5


def offline_storefront(home: Path) -> Storefront:
    shop = Storefront(Settings.of(store=home / "store", model="offline", demo_dir=home / "demo",
                               image_cache=home / "cache"))
    shop.start()
    return shop


def scored(service: SearchService, scenes, regions: int, min_score: float) -> tuple[int, int, int]:
    """(found, pasted, false markers) over the scenes."""
    found = pasted = false = 0
    for scene in scenes:
        items = service.find_items(Photo.of(scene.image), regions=regions, min_score=min_score).items
        for placed in scene.items:
            on_it = [item for item in items if item.box.iou(Box(*placed.box)) >= 0.5]
            found += bool(on_it) and on_it[0].hits[0].product.id == placed.product_id
        pasted += len(scene.items)
        false += sum(not any(item.box.iou(Box(*p.box)) >= 0.5 for p in scene.items) for item in items)
    return found, pasted, false


def proposal_recall(scenes, limit: int) -> dict[str, float]:
    """Share of pasted products that each method's first `limit` plausible regions hold (IoU >= 0.5)."""
    def first(boxes: list[Box], size) -> list[Box]:
        return [box for box in boxes if _plausible(box, size)][:limit]
    methods = {"foreground": lambda image: first(_foreground(image), image.size),
               "selective search": lambda image: first(_selective_search(image), image.size),
               "both (shipped)": lambda image: propose_regions(image, limit)}
    recall = {}
    for name, method in methods.items():
        held = total = 0
        began = time.perf_counter()
        for scene in scenes:
            boxes = method(scene.image)
            held += sum(any(box.iou(Box(*p.box)) >= 0.5 for box in boxes) for p in scene.items)
            total += len(scene.items)
        recall[name] = (held / total, (time.perf_counter() - began) / len(scenes) * 1000)
    return recall


def quality(shop: Storefront, pictures: dict[str, Image.Image], scenes_per_kind: int, label: str,
            seed: int) -> None:
    settings = shop.settings
    print(f"\n### {label}: {scenes_per_kind} photos per background, minimum match {settings.app.item_min_score}\n")
    print("| background | regions encoded | products found and first | false markers per photo |")
    print("| --- | --- | --- | --- |")
    for background in BACKGROUNDS:
        scenes = [compose_scene(pictures, background, seed=seed + i) for i in range(scenes_per_kind)]
        for regions in REGION_LIMITS:
            found, pasted, false = scored(shop.service(), scenes, regions, settings.app.item_min_score)
            print(f"| {background} | {regions} | {found} of {pasted} ({found / pasted:.0%}) | "
                  f"{false / len(scenes):.2f} |")
        if label.startswith("demo"):
            recall = proposal_recall(scenes, settings.app.item_regions)
            print("| | proposals, first " + str(settings.app.item_regions) + ": " + "; ".join(
                f"{name} hold {share:.0%} in {ms:.0f} ms" for name, (share, ms) in recall.items()) + " | | |")


def real_photos(home: Path, shop: Storefront) -> dict[str, Image.Image]:
    photos = sorted((FASHION / "images").glob("*.jpg"))[:40]
    feed = home / "fashion.csv"
    feed.write_text("id,title,image\n" + "".join(f"f{p.stem},Photo {p.stem},{p.name}\n" for p in photos))
    service = shop.service()
    Indexer(service.encoder, service.store).index_feed(feed, images_root=FASHION / "images")
    shop.catalog_changed()
    return {f"f{p.stem}": Image.open(p).convert("RGB") for p in photos}


def speed(home: Path, pictures: dict[str, Image.Image], offline: Storefront, with_clip: bool) -> None:
    from search.encoders.clip import ClipEncoder  # torch and open_clip only when ViT-B-32 is measured
    photo = Photo.of(compose_scene(pictures, "photo-like", seed=1, count=4).image)
    services = {"offline encoder": offline.service()}
    if with_clip:
        feed = Path(offline.settings.store.demo_dir) / "products.csv"
        for precision in ("auto", "fp32"):
            info = EncoderInfo("ViT-B-32", "random-weights-benchmark", 0, "clip", False, True)
            encoder = ClipEncoder("ViT-B-32", None, info, precision=precision)
            store = ProductStore(home / f"vit-{precision}", encoder.info, for_indexing=True)
            Indexer(encoder, store).index_feed(feed)
            services[f"ViT-B-32, {encoder.info.precision}"] = SearchService(encoder, store)
    timings: dict[str, list[dict[str, float]]] = {name: [] for name in services}
    for service in services.values():
        service.find_items(photo)  # warm up
    for turn in range(SPEED_ROUNDS):
        for name in list(services)[::1 if turn % 2 == 0 else -1]:
            began = time.perf_counter()
            stages = services[name].find_items(photo).timings_ms
            timings[name].append({**stages, "total": (time.perf_counter() - began) * 1000})
    print(f"\n### Time to find the items of a {photo.size[0]} x {photo.size[1]} photo (32 regions), median of "
          f"{SPEED_ROUNDS}, interleaved\n")
    print("| encoder | propose | encode | search | total |\n| --- | --- | --- | --- | --- |")
    for name, runs in timings.items():
        median = {stage: statistics.median(run[stage] for run in runs) for stage in runs[0]}
        print(f"| {name} | {median['propose']:.0f} ms | {median['encode']:.0f} ms | {median['search']:.0f} ms | "
              f"**{median['total']:.0f} ms** |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=30, help="photos per background")
    parser.add_argument("--skip-clip", action="store_true", help="time the offline encoder only")
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}")
    pictures = {product.id: draw_product(product.category, style) for product, style in demo_products()}
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        shop = offline_storefront(home)
        quality(shop, pictures, args.scenes, "demo products", seed=10_000)
        speed(home, pictures, shop, with_clip=not args.skip_clip)
        if FASHION.is_dir():
            quality(shop, real_photos(home, shop), args.scenes, "real product photos (fashion set)", seed=20_000)


if __name__ == "__main__":
    main()
