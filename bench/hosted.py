"""Benchmark: 8 visitors start a training at the same moment on a hosted NN Lab server.

    python -m bench.hosted [--sessions 8] [--modes hosted,unlimited] [--timeout 240]

For each mode it starts ``streamlit run app.py`` with NNLAB_HOSTED=1 on 127.0.0.1 (a fresh data folder,
so no cache helps), warms it up with one visit, then opens N browser contexts at once in Debian's
chromium (Playwright), each on the XOR Lab's seed study with its own setting (epochs 1000+k, so every
visitor trains a different run). It records per visitor: whether and for how long it was told
"waiting: k runs ahead of yours", the largest k, the time to its result ("Solved XOR" shown), and any
exception element; and samples the server process tree's RSS from /proc every 0.1 s.

Modes: ``hosted`` = the hosted default (NNLAB_MAX_CONCURRENT unset: 2 at a time, a fair queue);
``unlimited`` = hosted caps but NNLAB_MAX_CONCURRENT=0 (every visitor trains at once), for contrast.
Last line: hosted: <ok>/<n> finished, errors=<e>, p50=<s> p95=<s>, peak=<MB> MB (goal < 1500 MB): PASS|FAIL
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import table  # noqa: E402
from tests import streamlit_server  # noqa: E402

CHROMIUM = os.environ.get("NNLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-quic", "--no-first-run", "--disable-sync"]
GOAL_MB = 1500
WAIT_RE = re.compile(r"waiting: (\d+) runs? ahead of yours")


# ---- the server and its memory ------------------------------------------------------------------------
def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.stop_flag = pid, every, 0, threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            time.sleep(self.every)


# ---- one visitor ----------------------------------------------------------------------------------
async def visitor(browser, url: str, k: int, timeout: float, t_start: float) -> dict:
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await ctx.new_page()
    row = {"session": k, "told_waiting": False, "max_ahead": "", "wait_s": 0.0, "result_s": None, "error": ""}
    wait_from = wait_to = None
    try:
        await page.goto(url, timeout=timeout * 1000)
        while time.monotonic() - t_start < timeout:
            state = await page.evaluate("""() => ({
                text: document.body ? document.body.innerText : '',
                exc: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText)})""")
            now = time.monotonic()
            m = WAIT_RE.findall(state["text"])
            if m:
                row["told_waiting"] = True
                row["max_ahead"] = max(int(x) for x in m + ([row["max_ahead"]] if row["max_ahead"] != "" else []))
                wait_from = wait_from or now
                wait_to = None
            elif wait_from is not None and wait_to is None:
                wait_to = now
            if state["exc"]:
                row["error"] = state["exc"][0].splitlines()[0][:80]
                break
            if "Solved XOR" in state["text"] and not m:
                row["result_s"] = round(now - t_start, 2)
                break
            await asyncio.sleep(0.1)
        else:
            row["error"] = f"no result in {timeout:.0f} s"
    except Exception as e:  # a navigation failure counts as an error for this visitor
        row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:70]}"
    if wait_from is not None:
        row["wait_s"] = round((wait_to or time.monotonic()) - wait_from, 2)
    await ctx.close()
    return row


async def burst(url: str, n: int, timeout: float, epochs0: int) -> tuple[list[dict], float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        # warm-up: the first script run imports torch, pandas, altair; a visitor should not pay that
        ctx = await browser.new_context()
        page = await ctx.new_page()
        await page.goto(url + "/xor?tab=seeds&s_n_seeds=2&s_epochs=5", timeout=120_000)
        await page.get_by_text("Solved XOR").first.wait_for(timeout=120_000)
        await ctx.close()
        t0 = time.monotonic()
        rows = await asyncio.gather(*[
            visitor(browser, f"{url}/xor?tab=seeds&s_n_seeds=100&s_epochs={epochs0 + k}",
                    k, timeout, t0)
            for k in range(n)])
        wall = time.monotonic() - t0
        await browser.close()
    return list(rows), wall


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def run_mode(mode: str, n: int, timeout: float, epochs0: int) -> tuple[dict, list[dict]]:
    env = {"NNLAB_HOSTED": "1"}
    if mode == "unlimited":
        env["NNLAB_MAX_CONCURRENT"] = "0"
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-") as tmp:
        proc, url = streamlit_server.start(Path(tmp), env)
        sampler = RssSampler(proc.pid)
        sampler.start()
        try:
            idle = tree_rss(proc.pid)
            rows, wall = asyncio.run(burst(url, n, timeout, epochs0))
        finally:
            sampler.stop_flag.set()
            sampler.join(2)
            streamlit_server.stop(proc)
    done = [r["result_s"] for r in rows if r["result_s"] is not None]
    waits = [r["wait_s"] for r in rows if r["told_waiting"]]
    summary = {
        "mode": mode + (" (2 at a time)" if mode == "hosted" else " (all at once)"),
        "sessions": n,
        "finished": len(done),
        "told waiting": sum(r["told_waiting"] for r in rows),
        "errors": sum(bool(r["error"]) for r in rows),
        "wait p50 s": f"{pct(waits, .5):.1f}" if waits else "-",
        "wait max s": f"{max(waits):.1f}" if waits else "-",
        "result p50 s": f"{pct(done, .5):.1f}",
        "result p95 s": f"{pct(done, .95):.1f}",
        "wall s": f"{wall:.1f}",
        "idle MB": f"{idle / 1e6:.0f}",
        "peak MB": f"{sampler.peak / 1e6:.0f}",
    }
    return summary, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--modes", default="hosted,unlimited")
    ap.add_argument("--timeout", type=float, default=240, help="seconds each visitor may take (bounded)")
    ap.add_argument("--epochs", type=int, default=1000, help="visitor k trains epochs+k (distinct runs)")
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found (apt-get install chromium)")
    n = max(1, min(a.sessions, 32))
    summaries, details = [], {}
    for mode in a.modes.split(","):
        s, rows = run_mode(mode.strip(), n, min(a.timeout, 900), a.epochs)
        summaries.append(s)
        details[mode] = rows
    for mode, rows in details.items():
        print(table(rows, f"\n{mode}: each visitor (time from the moment all {n} opened the link)"))
    print(table(summaries, f"\n{n} visitors start a seed study (100 XOR nets, 1000+k epochs each) at once"))
    h = next((s for s in summaries if s["mode"].startswith("hosted")), summaries[0])
    ok = h["finished"] == n and h["errors"] == 0 and float(h["peak MB"]) < GOAL_MB
    print(f"{h['mode'].split()[0]}: {h['finished']}/{n} finished, errors={h['errors']}, p50={h['result p50 s']} s "
          f"p95={h['result p95 s']} s, peak={h['peak MB']} MB (goal < {GOAL_MB} MB): {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
