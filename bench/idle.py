"""What the app costs doing nothing: `python app.py` on the demo catalog (the offline encoder unless `--model`) in a
process of its own, left alone after it started and served one search, its CPU time (the process and its threads,
from /proc) over `--seconds`, as a share of one core; and with `--threads`, which of its threads spent it. With
`--server`, the store is on a `chroma run` server of its own, whose CPU time is reported beside the app's.

    python bench/idle.py [--seconds 60] [--settle 10] [--model offline] [--threads] [--server]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keywords import cpu_flags
from lighthouse import free_port, wait_for
from server import start_chroma  # a bench's app started and waited for, as lighthouse.py does

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The process's user and system time so far (its threads' included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def threads(pid: int) -> dict[str, float]:
    """Each thread's CPU time so far, by its name and id."""
    spent = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        spent[f"{name} ({task.name})"] = (int(fields[11]) + int(fields[12])) / TICKS
    return spent


def deletion_seen(port: int, store: str, product: str = "demo-0105") -> float:
    """Seconds from another process's deletion of `product` until the app's "more like this" says it is gone."""
    from gradio_client import Client
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    subprocess.run([sys.executable, "-m", "search", "delete", product, "--store", store, "--model",
                    "offline"], cwd=ROOT, check=True, capture_output=True)
    deleted = time.monotonic()
    while "no product" not in client.predict(product, 12, 0.0, [], [], None, None, False,
                                             api_name="/more_like_this")[1]:
        time.sleep(0.05)
    return time.monotonic() - deleted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds left alone after the search before "
                        "measuring (the queue looks for work less often after 30 s: page/calm.py)")
    parser.add_argument("--model", default="offline")
    parser.add_argument("--threads", action="store_true", help="say which threads spent the time")
    parser.add_argument("--server", action="store_true", help="the store on a `chroma run` server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home, port = Path(folder), free_port()
        env = {**os.environ, "PRODUCT_SEARCH_DEMO_DIR": str(home / "demo"), "GRADIO_ANALYTICS_ENABLED": "False"}
        server, store = start_chroma(home / "server") if args.server else (None, str(home / "store"))
        process = subprocess.Popen([sys.executable, "app.py", "--store", store, "--model", args.model,
                                    "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            wait_for(port, process)
            from gradio_client import Client
            Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
                "red mug", 12, 0.0, [], [], None, None, False, api_name="/search_text")
            time.sleep(args.settle)  # what the search and the client's visit started has settled
            before, before_threads, start = cpu_seconds(process.pid), threads(process.pid), time.monotonic()
            server_before = cpu_seconds(server.pid) if server else 0.0
            time.sleep(args.seconds)
            spent, elapsed = cpu_seconds(process.pid) - before, time.monotonic() - start
            server_spent = cpu_seconds(server.pid) - server_before if server else 0.0
            after_threads = threads(process.pid)
            seen_after = deletion_seen(port, store)
        finally:
            process.terminate()
            process.wait(timeout=30)
            if server:
                server.terminate()
                server.wait(timeout=30)
    print(f"CPU: {cpu_flags()}")
    print(f"idle app ({args.model}, {elapsed:.0f} s from {args.settle:.0f} s after a search): {spent:.2f} CPU "
          f"seconds, {spent / elapsed:.2%} of a core")
    if server:
        print(f"the Chroma server meanwhile: {server_spent:.2f} CPU seconds, {server_spent / elapsed:.2%} of a core")
    print(f"a product deleted by another process (`search delete`) was gone from the idle app's answers "
          f"{seen_after:.2f} s after that process ended")
    if args.threads:
        busiest = sorted(((after_threads[name] - before_threads.get(name, 0.0), name) for name in after_threads),
                         reverse=True)
        for seconds, name in busiest[:8]:
            if seconds > 0:
                print(f"  {name}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
