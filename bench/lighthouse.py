"""Lighthouse (mobile preset) on the shoppers' page and on a bare Gradio Blocks page, in one run, interleaved.

    python bench/lighthouse.py [--runs 3] [--model offline]

Lighthouse 12.2.3 comes from npm (`bench/lighthouse/package.json`; installed there on first use, Node 20) and
drives Debian's chromium (CHROME_PATH, default /usr/bin/chromium). Both pages are served by `python app.py` and
`bench/lighthouse/bare_page.py` in processes of their own on this machine; each run of Lighthouse throttles the
network and the CPU as its mobile preset says, so the figures compare pages, not machines. Prints the CPU, each
run, and a table of medians for docs/benchmarks.md, with the audits that failed on the shoppers' page.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keywords import cpu_flags

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIGHTHOUSE = HERE / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
METRICS = {"total-blocking-time": ("TBT", "ms"), "largest-contentful-paint": ("LCP", "ms"),
           "first-contentful-paint": ("FCP", "ms"), "speed-index": ("SI", "ms"),
           "cumulative-layout-shift": ("CLS", "x1000"), "total-byte-weight": ("weight", "KiB")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the page's process exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"nothing listened on port {port} within {timeout} s")


def serve(folder: Path, model: str) -> dict[str, tuple[str, subprocess.Popen]]:
    """The shoppers' page (on the demo catalog, as `python app.py` ships) and the bare page, started."""
    shop_port, bare_port = free_port(), free_port()
    env = {**os.environ, "PRODUCT_SEARCH_DEMO_DIR": str(folder / "demo"), "PRODUCT_SEARCH_MODEL": model,
           "PRODUCT_SEARCH_SAVED_SETTINGS": str(folder / "saved.json"),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    logs = open(folder / "pages.log", "w")
    pages = {
        "shoppers' page": (f"http://127.0.0.1:{shop_port}/", subprocess.Popen(
            [sys.executable, "app.py", "--store", str(folder / "store"), "--port", str(shop_port)], cwd=ROOT, env=env,
            stdout=logs, stderr=logs)),
        "bare Gradio Blocks page": (f"http://127.0.0.1:{bare_port}/", subprocess.Popen(
            [sys.executable, str(HERE / "lighthouse" / "bare_page.py"), str(bare_port)], env=env, stdout=logs,
            stderr=logs))}
    for url, process in pages.values():
        wait_for(int(url.rsplit(":", 1)[1].strip("/")), process)
    return pages


def lighthouse(url: str, report: Path) -> dict:
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    subprocess.run([str(LIGHTHOUSE), url, "--quiet", f"--only-categories={','.join(CATEGORIES)}",
                    "--chrome-flags=--headless=new --no-sandbox", "--output=json", f"--output-path={report}"],
                   check=True, env={**os.environ, "CHROME_PATH": chrome})
    return json.loads(report.read_text())


def figures(result: dict) -> dict[str, float]:
    scores = {name: 100 * result["categories"][name]["score"] for name in CATEGORIES}
    audits = result["audits"]
    scale = {"KiB": 1 / 1024, "ms": 1, "x1000": 1000}
    metrics = {label: audits[key]["numericValue"] * scale[unit] for key, (label, unit) in METRICS.items()}
    return {**scores, **metrics}


def failed_audits(result: dict) -> list[str]:
    """The weighted audits below a full score, each with the elements it names."""
    lines = []
    for category in ("accessibility", "best-practices"):
        for ref in result["categories"][category]["auditRefs"]:
            audit = result["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                lines.append(f"- {category}: `{ref['id']}` {audit['title']}")
                for item in (audit.get("details") or {}).get("items", [])[:8]:
                    node = item.get("node") or {}
                    lines.append(f"  - `{node.get('selector', '')}`: `{node.get('snippet', '')[:120]}`")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each page, interleaved (default 3)")
    parser.add_argument("--model", default="offline", help="the shoppers' page's model (default offline: the "
                        "built-in encoder, so the figures need no weights)")
    parser.add_argument("--keep", type=Path, help="a folder to keep each run's Lighthouse report in")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=HERE / "lighthouse", check=True)
    print(f"CPU: {cpu_flags()}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        pages = serve(folder, args.model)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
        last: dict[str, dict] = {}
        try:
            for run in range(args.runs):
                for name, (url, _) in pages.items():
                    last[name] = lighthouse(url, folder / "report.json")
                    if args.keep:
                        (args.keep / f"{name.split()[0].strip(chr(39))}-{run + 1}.json").write_text(
                            json.dumps(last[name]))
                    runs[name].append(figures(last[name]))
                    print(f"run {run + 1} {name}: " + ", ".join(f"{k} {v:.0f}" for k, v in runs[name][-1].items()))
        finally:
            for _, process in pages.values():
                process.terminate()
    columns = [*CATEGORIES, *(f"{label} ({unit})" for label, unit in METRICS.values())]
    print(f"\nMedians of {args.runs} runs, Lighthouse 12.2.3 mobile preset:\n")
    print("| page | " + " | ".join(columns) + " |\n|" + " --- |" * (len(columns) + 1))
    for name, results in runs.items():
        medians = [statistics.median(r[key] for r in results) for key in results[0]]
        print(f"| {name} | " + " | ".join(f"{value:.0f}" for value in medians) + " |")
    print("\nAudits below a full score on the shoppers' page (last run):")
    print("\n".join(failed_audits(last["shoppers' page"])) or "- none")


if __name__ == "__main__":
    main()
