"""`python -m catalog demo OUT_DIR`: write the built-in demo catalog."""
from __future__ import annotations

import argparse
import sys

from catalog.demo import write_demo_catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalog", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="write the demo catalog (products.csv and images/) to OUT_DIR")
    demo.add_argument("out_dir")
    args = parser.parse_args(argv)
    feed = write_demo_catalog(args.out_dir)
    print(f"wrote {feed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
