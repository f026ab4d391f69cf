"""The app on the offline model with a scripted day of shoppers recorded (160 searches from 40 browser tabs: words in
both languages, some filtered, some "more like this", about half followed by an open, most at the first ranks), for
the README's screenshots of `/insights` (admin password "demo"):

    python tools/insights_demo.py [--port 7871] [--home /tmp/insights-demo]
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import app  # noqa: E402  (the project's root first on the path)
from catalog.errors import UserError  # noqa: E402
from search.config import Settings  # noqa: E402
from storefront.doorway import Client, Doorway  # noqa: E402
from storefront.front import Storefront  # noqa: E402
from storefront.protocol import DetailsRequest, SearchRequest  # noqa: E402

WORDS = ("red mug", "navy backpack", "white sneakers", "lamp", "watch", "teal bottle", "sunglasses", "tote bag",
         "红色 杯子", "背包", "leather jacket", "umbrella", "cap", "pink shirt")


def shoppers(doorway: Doorway, searches: int = 160, seed: int = 7) -> None:
    rng = random.Random(seed)
    ids = sorted(doorway.storefront.service().store.ids())
    for number in range(searches):
        token, lang = f"tab-{number // 4}", "zh-CN" if rng.random() < 0.3 else "en"
        asked: dict = {"text": rng.choice(WORDS), "token": token, "lang": lang}
        if rng.random() < 0.2:
            asked["filters"] = {"brands": [rng.choice(["Kestrel", "Sora", "Lumen"])]}
        if rng.random() < 0.15:
            asked = {"more_like": rng.choice(ids), "token": token, "lang": lang}
        try:
            result = doorway.answer(SearchRequest, asked, Client("page", token))
        except UserError as error:
            print(error)
            continue
        if result.cards and rng.random() < 0.5:
            rank = min(int(rng.expovariate(0.6)) + 1, len(result.cards))
            doorway.answer(DetailsRequest, {"id": result.cards[rank - 1].id, "rank": rank, "token": token},
                           Client("page"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=7871)
    parser.add_argument("--home", type=Path, default=Path("/tmp/insights-demo"))
    args = parser.parse_args()
    settings = Settings.of(store=args.home / "store", model="offline", admin_password="demo", port=args.port,
                           saved_settings=args.home / "saved.json")
    storefront = Storefront(settings)
    storefront.start()
    shoppers(Doorway(storefront))
    storefront.events.flush()
    app.serve(storefront)


if __name__ == "__main__":
    main()
