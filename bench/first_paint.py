"""How long a visitor waits for Home's first chart: on a just-started server and on a warm one.

For each checkout given (default: this one), alternating round by round so both see the same load:
  1. start ``streamlit run app.py`` on 127.0.0.1 with an empty data folder (no disk cache) and wait
     until its health check answers ("server up");
  2. open Home in a fresh headless chromium context and time from navigation to the first drawn chart
     (a Vega-Lite chart with its canvas or svg): "first visit";
  3. a second fresh visitor at once (the server's background warm-up may still be importing torch);
  4. wait until the server process is idle (warm-up done); once every side's server is up and idle,
     ``--warm-visitors`` (3) fresh visitors per side, the sides alternating visit by visit: "warm server" is
     their median (the issue's "a fresh visitor on a warm server"), "warm best" their minimum.
The same protocol runs on a one-chart Streamlit app with this checkout's .streamlit/config.toml ("floor":
what Streamlit itself costs a fresh browser context on this machine: JS boot, websocket, one chart).

Prints a table per round, the medians, and the summary line
``first_visit=<s> warm_first_chart=<s> floor=<s>`` (goals: first visit < 4 s, warm < 1.5 s).
A benchmark, not a timed test: the machine is shared.

    python bench/first_paint.py                               # this checkout, 3 rounds
    python bench/first_paint.py --rounds 3 /work/main .       # before (main) and after, alternating
    python -m bench.first_paint --rounds 3 --warm-visitors 7 BEFORE AFTER   # more warm visitors: less noise
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
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


FLOOR_APP = """import altair as alt, pandas as pd, streamlit as st
st.set_page_config(page_title="floor", layout="wide")
st.title("One chart")
st.altair_chart(alt.Chart(pd.DataFrame({"x": [0, 1, 2], "y": [0, 2, 1]})).mark_line().encode(x="x", y="y"),
                width="content")
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (from /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, idle_share: float = 0.05, limit_s: float = 60) -> float:
    """Wait until the server used under ``idle_share`` of a core for a whole second; returns seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        c0 = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - c0 < idle_share:
            break
    return time.perf_counter() - t0


def one_round(browser, sides: list[tuple[Path, str]], warm_visitors: int = 3) -> list[dict[str, str]]:
    """One round over every side: each server started, visited twice and left to settle in turn (one warms up
    while no other is measured); then ``warm_visitors`` fresh visitors per side, alternating the sides visit
    by visit, so a load spike on the shared machine hits all of them alike."""
    with ExitStack() as stack:
        servers, rows = [], []
        for root, label in sides:
            d = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nnlab-paint-")))
            proc, url, up = start_server(root, d)
            stack.callback(stop, proc)
            cold = first_chart(browser, url)
            second = first_chart(browser, url)
            settle(proc.pid)
            servers.append(url)
            rows.append({"checkout": label, "server up s": f"{up:.2f}", "first visit s": f"{cold:.2f}",
                         "second visitor s": f"{second:.2f}"})
        warm: list[list[float]] = [[] for _ in sides]
        for _ in range(warm_visitors):
            for k, url in enumerate(servers):
                warm[k].append(first_chart(browser, url))
        for row, w in zip(rows, warm):
            row.update({"warm server s": f"{statistics.median(w):.2f}", "warm best s": f"{min(w):.2f}"})
        return rows


def floor_root(folder: Path, config_from: Path) -> Path:
    """A one-chart app in ``folder`` with ``config_from``'s .streamlit/config.toml."""
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(FLOOR_APP)
    cfg = config_from / ".streamlit" / "config.toml"
    if cfg.exists():
        (folder / ".streamlit" / "config.toml").write_text(cfg.read_text())
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roots", nargs="*", default=[str(Path(__file__).resolve().parents[1])],
                    help="checkouts to compare (each holds app.py); alternated round by round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-floor", action="store_true", help="skip the one-chart Streamlit app")
    ap.add_argument("--warm-visitors", type=int, default=3,
                    help="fresh visitors per side on the warm servers, alternating the sides (median and best)")
    a = ap.parse_args()
    roots = [Path(r).resolve() for r in a.roots]
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, str]] = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="nnlab-floor-") as fd:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        sides = [(r, str(r)) for r in roots]
        if not a.no_floor:
            sides.append((floor_root(Path(fd), roots[-1]), "floor"))
        for i in range(a.rounds):
            for row in one_round(browser, sides, a.warm_visitors):
                rows.append({"round": str(i + 1), **row})
                print(table([rows[-1]]), flush=True)
        browser.close()
    print()
    print(table(rows, "Home: seconds to the first drawn chart (server started with an empty data folder)"))
    med = []
    for label in dict.fromkeys(r["checkout"] for r in rows):
        mine = [r for r in rows if r["checkout"] == label]
        med.append({"checkout": label, **{k: f"{statistics.median(float(r[k]) for r in mine):.2f}"
                                          for k in ("server up s", "first visit s", "second visitor s",
                                                    "warm server s", "warm best s")}})
    print()
    print(table(med, f"Medians over {a.rounds} rounds (goals: first visit < 4 s, warm server < 1.5 s)"))
    last = next(m for m in med if m["checkout"] == str(roots[-1]))
    floor = next((m["warm server s"] for m in med if m["checkout"] == "floor"), "-")
    print(f"first_visit={last['first visit s']} warm_first_chart={last['warm server s']} floor={floor}")


if __name__ == "__main__":
    main()
