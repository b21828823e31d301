"""How long a visitor waits for Home's first chart: on a just-started server and on a warm one.

For each checkout given (default: this one), alternating round by round so both see the same load:
  1. start ``streamlit run app.py`` on 127.0.0.1 with an empty data folder (no disk cache) and wait
     until its health check answers ("server up");
  2. open Home in a fresh headless chromium context and time from navigation to the first drawn chart
     (a Vega-Lite chart with its canvas or svg): "first visit";
  3. open Home again in another fresh context (a new visitor, the server now warm): "warm visitor".

Prints a table per round and the medians. A benchmark, not a timed test: the machine is shared.

    python bench/first_paint.py                               # this checkout, 3 rounds
    python bench/first_paint.py --rounds 3 /work/main .       # before (main) and after, alternating
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import table  # noqa: E402
from tests.streamlit_server import start, stop  # noqa: E402

CHROMIUM = os.environ.get("NNLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHART = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'


def start_server(root: Path, data: Path, timeout: float = 120) -> tuple[subprocess.Popen, str, float]:
    """``streamlit run app.py`` from ``root`` on a free port; returns (process, url, seconds until healthy)."""
    t0 = time.perf_counter()
    proc, url = start(data, timeout=timeout, root=root, poll=0.1)
    return proc, url, time.perf_counter() - t0


def first_chart(browser, url: str, timeout_s: float = 120) -> float:
    """Seconds from opening ``url`` in a fresh browser context to the first drawn chart."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(CHART, state="attached", timeout=timeout_s * 1000)
        return time.perf_counter() - t0
    finally:
        ctx.close()


def one_round(browser, root: Path) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="nnlab-paint-") as d:
        proc, url, up = start_server(root, Path(d))
        try:
            cold = first_chart(browser, url)
            warm = first_chart(browser, url)
            warm2 = first_chart(browser, url)
        finally:
            stop(proc)
    return {"checkout": str(root), "server up s": f"{up:.2f}", "first visit s": f"{cold:.2f}",
            "warm visitor s": f"{warm:.2f}", "next visitor s": f"{warm2:.2f}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roots", nargs="*", default=[str(Path(__file__).resolve().parents[1])],
                    help="checkouts to compare (each holds app.py); alternated round by round")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    roots = [Path(r).resolve() for r in a.roots]
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, str]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for i in range(a.rounds):
            for root in roots:
                row = {"round": str(i + 1), **one_round(browser, root)}
                rows.append(row)
                print(table([row]), flush=True)
        browser.close()
    print()
    print(table(rows, "Home: seconds to the first drawn chart (server started with an empty data folder)"))
    med = []
    for root in roots:
        mine = [r for r in rows if r["checkout"] == str(root)]
        med.append({"checkout": str(root), **{k: f"{statistics.median(float(r[k]) for r in mine):.2f}"
                                              for k in ("server up s", "first visit s", "warm visitor s",
                                                        "next visitor s")}})
    print()
    print(table(med, f"Medians over {a.rounds} rounds (goals: first visit < 4 s, warm visitor < 1.5 s)"))


if __name__ == "__main__":
    main()
