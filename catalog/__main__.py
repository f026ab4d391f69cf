"""`python -m catalog demo OUT_DIR` writes the demo catalog; `python -m catalog validate FEED` reports on a
feed without touching any store (exit 1 when it has problems, 2 when it cannot be read)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalog.demo import write_demo_catalog
from catalog.errors import UserError
from catalog.feed_flags import add_feed_flags, feed_options
from catalog.formats import read_feed, title_hint
from catalog.validate import validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalog", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="write the demo catalog (products.csv and images/) to OUT_DIR")
    demo.add_argument("out_dir")
    check = commands.add_parser("validate", help="report a feed's row errors, missing images and duplicate ids")
    add_feed_flags(check)
    args = parser.parse_args(argv)
    if args.command == "demo":
        print(f"wrote {write_demo_catalog(args.out_dir)}")
        return 0
    try:
        feed = Path(args.feed)
        options = feed_options(args)
        report = validate(read_feed(feed, **options), Path(args.images_root or feed.parent))
        report.hints += [hint] if (hint := title_hint(feed, options["column_map"])) else []
    except (UserError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
