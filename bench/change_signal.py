"""How an app could learn that another process wrote its embedded store, and what each way costs while nothing
happens: a process of its own watches a store of the demo catalog for `--seconds` with nobody writing (its CPU time,
from /proc, as a share of one core), then `python -m search delete` removes a product from another process and the
watcher's delay in seeing it is timed (from the moment that process ended). The ways, in turn, `--rounds` times:

- `at each search` (the app's way for an embedded store): no thread at all; a search reads the change signal first
  (`Replica.synced`) when it last did SYNC_S (0.5 s) or more before, so a search sees a write made that long before it.
- `fixed poll`: a thread reads the signal every SYNC_S (0.5 s).
- `backoff`: a thread reads it every SYNC_S after a change, doubling its pause up to FOLLOW_MAX_S (1.8 s) while
  nothing changes (what a server store's thread does, `follow`).
- `notification`: a thread waits on the file system's notifications for the store's folder (watchfiles: inotify on
  Linux), then reads the signal; it waits for more changes for 50 ms (`debounce`) and looks for a stop every 50 ms
  (`step`); watchfiles' defaults, 1.6 s and 50 ms, would make a change wait 1.6 s.

    python bench/change_signal.py [--seconds 60] [--rounds 2]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from idle import cpu_seconds
from keywords import cpu_flags

from catalog.demo import write_demo_catalog
from search.store.chroma_products import embedded_signal  # as the app reads it, without opening Chroma
from search.store.replica import FOLLOW_MAX_S, SYNC_S

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("at each search", "fixed poll", "backoff", "notification")
PRODUCTS = [f"demo-{n:04d}" for n in range(101, 121)]  # one deleted a round


def watch(way: str, store: str) -> None:
    """The watcher process: prints "ready" once it watches, and "seen" when the signal moved; `at each search` never
    looks."""
    seen = embedded_signal(store)
    print("ready", flush=True)

    def moved() -> bool:
        nonlocal seen
        now = embedded_signal(store)
        if now != seen:
            seen = now
            print("seen", flush=True)
            return True
        return False

    if way == "fixed poll":
        while True:
            time.sleep(SYNC_S)
            moved()
    elif way == "backoff":
        pause = SYNC_S
        while True:
            time.sleep(pause)
            pause = SYNC_S if moved() else min(2 * pause, FOLLOW_MAX_S)
    elif way == "notification":
        import watchfiles
        for _ in watchfiles.watch(store, debounce=50, step=50):
            moved()
    else:
        threading.Event().wait()


def measured(way: str, store: str, seconds: float, product: str) -> tuple[float, float | None]:
    """The watcher's share of a core over `seconds` with nobody writing, and its delay in seeing a deletion."""
    watcher = subprocess.Popen([sys.executable, __file__, "--watch", way, "--store", store], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    said: dict[str, list[float]] = {"ready": [], "seen": []}
    reader = threading.Thread(target=lambda: [said[line.split()[0]].append(time.time()) for line in watcher.stdout],
                              daemon=True)
    reader.start()
    try:
        while not said["ready"]:  # its imports done
            time.sleep(0.05)
        time.sleep(1)
        before = cpu_seconds(watcher.pid)
        time.sleep(seconds)
        share = (cpu_seconds(watcher.pid) - before) / seconds
        subprocess.run([sys.executable, "-m", "search", "delete", product, "--store", store, "--model", "offline"],
                       cwd=ROOT, check=True, capture_output=True)
        ended = time.time()
        deadline = time.monotonic() + 5
        while not said["seen"] and time.monotonic() < deadline and way != "at each search":
            time.sleep(0.01)
        return share, (said["seen"][0] - ended if said["seen"] else None)
    finally:
        watcher.kill()
        watcher.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--watch", choices=WAYS, help=argparse.SUPPRESS)  # the watcher process
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.watch:
        watch(args.watch, args.store)
        return
    print(f"CPU flags: {cpu_flags()}")
    with tempfile.TemporaryDirectory() as home:
        store = str(Path(home) / "store")
        feed = write_demo_catalog(Path(home) / "demo")
        subprocess.run([sys.executable, "-m", "search", "index", str(feed), "--store", store, "--model", "offline"],
                       cwd=ROOT, check=True, capture_output=True)
        products = iter(PRODUCTS)
        rows = {way: [] for way in WAYS}
        for _ in range(args.rounds):  # interleaved: these machines drift
            for way in WAYS:
                rows[way].append(measured(way, store, args.seconds, next(products)))
    print(f"\n{args.seconds:.0f} s idle, then a deletion by another process; {args.rounds} rounds, interleaved\n")
    print("| way | idle, share of a core | seen, s after the deleting process ended (negative: before it ended) |")
    print("| --- | --- | --- |")
    for way, results in rows.items():
        shares = ", ".join(f"{share:.3%}" for share, _ in results)
        delays = ", ".join("at the next search" if delay is None and way == "at each search" else
                           "not seen" if delay is None else f"{delay:.2f}" for _, delay in results)
        print(f"| {way} | {shares} | {delays} |")


if __name__ == "__main__":
    main()
