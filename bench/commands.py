"""How long each command takes from its start to its answer, on the demo catalog, interleaved, against another
checkout (the code before a change, say) in the same run.

    python bench/commands.py [--rounds 5] [--before /path/to/older/checkout] [--clip-query-only]

Each command runs in a fresh interpreter as a user starts it. The store is indexed with the offline encoder
(the model every machine has); `import torch, open_clip` is timed beside them, as what a command that encodes
cannot avoid. A text query with a CLIP (demo-world, the small one in the repository) is timed against importing
torch and open_clip and loading that model, round by round: the difference is the query's own time. Prints the
CPU and the median seconds per command and checkout.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keywords import cpu_flags

ROOT = Path(__file__).resolve().parent.parent


QUERY, LOAD = "search query --text, demo-world", "import torch, open_clip + load demo-world (a CLIP)"
LOAD_CLIP = "import torch, open_clip; from search.encoders import load_encoder; load_encoder('demo-world')"


def commands(store: Path, clip_store: Path, feed: Path) -> dict[str, list[str]]:
    on_store = ["--store", str(store), "--model", "offline"]
    query = ["-m", "search", "query", "--text", "red mug", "--top-k", "3"]
    return {"import torch, open_clip": ["-c", "import torch, open_clip"],
            "catalog validate": ["-m", "catalog", "validate", str(feed)],
            "search stats": ["-m", "search", "stats", *on_store],
            "search delete": ["-m", "search", "delete", "no-such-id", *on_store],
            "search duplicates": ["-m", "search", "duplicates", *on_store],
            "search query --text": [*query, *on_store],
            LOAD: ["-c", LOAD_CLIP],
            QUERY: [*query, "--store", str(clip_store), "--model", "demo-world"]}


def seconds(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout, timed in the same rounds")
    parser.add_argument("--clip-query-only", action="store_true",
                        help="time only the CLIP query and its load, for more rounds in the same time")
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}")
    checkouts = {"this checkout": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    with tempfile.TemporaryDirectory() as folder:
        feed, store = Path(folder) / "demo", Path(folder) / "store"
        subprocess.run([sys.executable, "-m", "catalog", "demo", str(feed)], cwd=ROOT, check=True,
                       capture_output=True)
        clip_store = Path(folder) / "clip-store"
        for model, folder_for in (("offline", store), ("demo-world", clip_store)):
            subprocess.run([sys.executable, "-m", "search", "index", str(feed / "products.csv"), "--store",
                            str(folder_for), "--model", model], cwd=ROOT, check=True, capture_output=True)
        runs = commands(store, clip_store, feed / "products.csv")
        if args.clip_query_only:
            runs = {name: runs[name] for name in (LOAD, QUERY)}
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):  # interleaved: the machine's drift falls on every command alike
            for name, command in runs.items():
                for checkout, root in checkouts.items():
                    times.setdefault((name, checkout), []).append(seconds(command, root))
    print("| command | " + " | ".join(checkouts) + " |")
    print("| --- |" + " --- |" * len(checkouts))
    for name in runs:
        medians = [f"{statistics.median(times[name, checkout]):.1f} s" for checkout in checkouts]
        print(f"| `{name}` | " + " | ".join(medians) + " |")
    for checkout in checkouts:  # what a CLIP query spends beyond torch, open_clip and its model, round by round
        own = [query - load for query, load in zip(times[QUERY, checkout], times[LOAD, checkout])]
        print(f"{checkout}: a CLIP query's own time, median of rounds {statistics.median(own):.2f} s "
              f"({min(own):.2f}-{max(own):.2f})")


if __name__ == "__main__":
    main()
