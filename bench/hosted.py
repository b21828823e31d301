"""Benchmark: a hosted NN Lab server under a hostile mix, and the price of each page's default run.

    python -m bench.hosted                       # the hostile mix + price vs measured (the default)
    python -m bench.hosted --mix burst [--sessions 8] [--modes hosted,unlimited] [--timeout 240]
    python -m bench.hosted --calibrate           # only price vs measured, each default run in its own process

Hostile mix (``--mix hostile``): on one hosted server (NNLAB_HOSTED=1, a fresh data folder), while 6
ordinary visitors each start a training (the XOR Lab's seed study, each its own epochs), 3 hostile
visitors each open an over-budget link (an Activation Explorer comparison of 20 seeds x 6 layers of 256
at batch 1 for 500 epochs; a Digit Recognizer model of twelve 256-wide layers at batch 1 for 2,000
epochs; a Hyperparameter Effects sweep of six stacks, each under the budget alone: all within every
per-field cap) and upload a 190 kB PNG that decodes to 6,300 x 6,300 RGBA.
Then, one after the other, hostile files (When to Use: a 2 MB CSV of unique column names, an 80 kB one of
duplicate names; Digit Recognizer: a 0.64 MB model file with wide layers), Play in 3 tabs at once (the
Playground, 100 seeds x 2,000 epochs: bounded when no exception shows; the queue holds their slots), and
a Tuner study started small, stopped and resumed with 100 trials (priced again as all its trials).
Per visitor: the outcome and its time; the server's peak memory (process tree RSS); exceptions shown.
A link's time is given twice: from navigation ("seconds": the browser boots Streamlit's frontend first,
which on this 2-core machine, with 8 browser contexts opening at once beside 6 trainings, takes most of
it) and at the server ("at server s": from the page's first websocket message, its run request, to the
first message back carrying the refusal). An upload's time runs from handing the file to the uploader;
at the server, from its upload request to the refusal. The server's own view of each refusal comes from
inside it (bench/_server_trace: this benchmark's server alone wraps Streamlit's script runner): the wall
and CPU seconds of the script run that refused it ("server s", "server CPU s"). A hostile request counts
as refused when it was refused and its run spent at most REFUSAL_CPU_S of CPU (priced before any heavy
work); wall time is shown, not judged (see REFUSAL_CPU_S). A refused file does not stop its page (When to
Use goes on to draw its tabs): it counts when its line shows.
Last line: ``ordinary=<ok>/<n> hostile_refused=<r>/<m> tracebacks=<t> peak_mb=<mb>``.

Price vs measured (bench/hosted_price.py): each page's default run and its most expensive link within the
caps, each in a fresh process (CPU seconds, peak RSS growth), beside :func:`core.serve.price.request_price`
of its request (likely_seconds: early stopping assumed at 3 x patience + 5 epochs).

Burst (``--mix burst``, the earlier benchmark):
For each mode it starts ``streamlit run app.py`` with NNLAB_HOSTED=1 on 127.0.0.1 (a fresh data folder,
so no cache helps), warms it up with one visit, then opens N browser contexts at once in Debian's
chromium (Playwright), each on the XOR Lab's seed study with its own setting (epochs 1000+k, so every
visitor trains a different run). It records per visitor: whether and for how long it was told
"waiting: k runs ahead of yours", the largest k, the time to its result ("Solved XOR" shown), and any
exception element; and samples the server process tree's RSS from /proc every 0.1 s.

Modes: ``hosted`` = the hosted default (NNLAB_MAX_CONCURRENT unset: 2 at a time, a fair queue);
``unlimited`` = hosted caps but NNLAB_MAX_CONCURRENT=0 (every visitor trains at once), for contrast.
Its last line: hosted: <ok>/<n> finished, errors=<e>, p50=<s> p95=<s>, peak=<MB> MB (goal < 1500 MB): PASS|FAIL
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _proc  # noqa: E402
from bench._table import table  # noqa: E402
from bench._timing import pct  # noqa: E402
from bench.hosted_price import RUNS, price_table  # noqa: E402
from bench.hosted_visitors import (  # noqa: E402
    WAIT_RE,
    hostile,
    hostile_files,
    hostile_play,
    hostile_study,
    hostile_upload,
    huge_png_file,
)
from tests import streamlit_server  # noqa: E402

CHROMIUM = os.environ.get("NNLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-quic", "--no-first-run", "--disable-sync"]
GOAL_MB = 1500


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


def run_mode(mode: str, n: int, timeout: float, epochs0: int) -> tuple[dict, list[dict]]:
    env = {"NNLAB_HOSTED": "1"}
    if mode == "unlimited":
        env["NNLAB_MAX_CONCURRENT"] = "0"
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-") as tmp:
        proc, url = streamlit_server.start(Path(tmp), env)
        sampler = _proc.Peak(proc.pid)
        sampler.start()
        try:
            idle = _proc.rss(proc.pid)
            rows, wall = asyncio.run(burst(url, n, timeout, epochs0))
        finally:
            sampler.stop()
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


async def hostile_mix(url: str, n_ordinary: int, n_hostile: int, png: Path, timeout: float, epochs0: int,
                      files: list[tuple[str, str, Path]] = (), n_play: int = 3):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        ctx = await browser.new_context()  # warm-up: imports, and the Read tab's default model (cached after)
        page = await ctx.new_page()
        await page.goto(url + "/xor?tab=seeds&s_n_seeds=2&s_epochs=5", timeout=120_000)
        await page.get_by_text("Solved XOR").first.wait_for(timeout=120_000)
        await page.goto(url + "/digits?tab=read", timeout=120_000)
        await page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.wait_for(state="attached",
                                                                                          timeout=240_000)
        await ctx.close()
        t0 = time.monotonic()
        jobs = [visitor(browser, f"{url}/xor?tab=seeds&s_n_seeds=100&s_epochs={epochs0 + k}", k, timeout, t0)
                for k in range(n_ordinary)]
        jobs += [hostile(browser, url, k, png, timeout) for k in range(n_hostile)]
        out = await asyncio.gather(*jobs)
        # then, beside nothing else: hostile files one after the other, and Play in several tabs at once
        extra = [await hostile_upload(browser, url, p, w, f, timeout) for p, w, f in files]
        extra += await asyncio.gather(*[hostile_play(browser, url, k, timeout) for k in range(n_play)])
        extra.append(await hostile_study(browser, url, timeout))
        await browser.close()
    return out[:n_ordinary], [r for rows in out[n_ordinary:] for r in rows] + list(extra)


# A refusal is cheap when the script run that refused spent at most this much CPU of its own thread: the
# hostile requests ask for 82 s to 2 h, and on a quiet server a refusal's run costs 0.03-0.1 s. Wall time at
# the server is shown beside it, never judged: with 9 visitors arriving at once beside 8 browsers on 2 cores,
# a run that needs 0.05 s of CPU waits 1-2 s for the GIL and a core (the same three links: 0.85-1.81 s at
# the server's clock, 0.97-3.45 s from the browser, in two runs back to back).
REFUSAL_CPU_S = 0.5
TRACE_DIR = Path(__file__).resolve().parent / "_server_trace"


def read_trace(path: Path) -> list[dict]:
    """The server's script runs (see bench/_server_trace/sitecustomize.py), in start order."""
    if not path.exists():
        return []
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return sorted(runs, key=lambda r: r["start"])


def server_side(row: dict, runs: list[dict]) -> dict | None:
    """The script run that refused a request: a link's is the run of its query string; an upload's or a
    button's, the costliest run (CPU) of its page between the request and the refusal seen."""
    how = row.pop("trace", None)
    if how is None:
        return None
    if how[0] == "query":
        return next((r for r in runs if r["query"] == how[1]), None)
    _, t0, mark, t1 = how
    inside = [r for r in runs if t0 <= r["start"] <= t1 and mark in r["query"]]
    return max(inside, key=lambda r: r["cpu"], default=None)


def judged(row: dict, runs: list[dict]) -> bool:
    """Refused before any heavy work (its run's CPU within REFUSAL_CPU_S), or bounded (Play). A refused
    file does not stop its page (When to Use goes on to draw its tabs), so its run's CPU is shown, not
    judged: the file is refused when its line shows."""
    run = server_side(row, runs)
    row["server s"] = run["wall"] if run else ""
    row["server CPU s"] = run["cpu"] if run else ""
    if row["outcome"] == "bounded" or (row["visitor"] == "hostile file" and row["outcome"] == "refused"):
        return True
    return row["outcome"] == "refused" and run is not None and run["cpu"] <= REFUSAL_CPU_S


def run_hostile(n_ordinary: int, n_hostile: int, timeout: float, epochs0: int) -> str:
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-") as tmp:
        png = huge_png_file(Path(tmp))
        files = hostile_files(Path(tmp))
        data = Path(tmp) / "data"
        data.mkdir()
        trace = Path(tmp) / "trace.jsonl"
        path = os.pathsep.join(p for p in (str(TRACE_DIR), os.environ.get("PYTHONPATH", "")) if p)
        proc, url = streamlit_server.start(data, {"NNLAB_HOSTED": "1", "PYTHONPATH": path,
                                                  "NNLAB_BENCH_TRACE": str(trace)})
        sampler = _proc.Peak(proc.pid)
        sampler.start()
        try:
            ordinary, hostile_rows = asyncio.run(hostile_mix(url, n_ordinary, n_hostile, png, timeout, epochs0,
                                                             files))
        finally:
            sampler.stop()
            streamlit_server.stop(proc)
        log = (data / "streamlit.log").read_text(errors="replace")
        runs = read_trace(trace)
    rows = [{"visitor": f"ordinary {r['session']}", "request": "XOR seed study",
             "outcome": "result" if r["result_s"] is not None else (r["error"] or "no result"),
             "seconds": r["result_s"], "exceptions": int(bool(r["error"] and "Exception" in r["error"])),
             "at server s": "", "server s": "", "server CPU s": ""}
            for r in ordinary]
    refused = sum(judged(r, runs) for r in hostile_rows)
    print(table(rows + hostile_rows, "\nhostile mix: each visitor's requests (seconds from its request; at server: "
                "from the browser's request to the refusal; server s and CPU s: the refusing script run)"))
    ok = sum(r["result_s"] is not None for r in ordinary)
    tracebacks = sum(r["exceptions"] for r in rows + hostile_rows) + log.count("Traceback (most recent call last)")
    return (f"ordinary={ok}/{len(ordinary)} hostile_refused={refused}/{len(hostile_rows)} "
            f"tracebacks={tracebacks} peak_mb={sampler.peak / 1e6:.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--modes", default="hosted,unlimited")
    ap.add_argument("--timeout", type=float, default=240, help="seconds each visitor may take (bounded)")
    ap.add_argument("--epochs", type=int, default=1000, help="visitor k trains epochs+k (distinct runs)")
    ap.add_argument("--mix", default="hostile", choices=("hostile", "burst"))
    ap.add_argument("--ordinary", type=int, default=6)
    ap.add_argument("--hostile", type=int, default=3)
    ap.add_argument("--calibrate", action="store_true", help="only the price vs measured table")
    ap.add_argument("--no-price", action="store_true", help="skip the price vs measured table")
    a = ap.parse_args()
    if a.calibrate or (a.mix == "hostile" and not a.no_price):
        rows = price_table(RUNS)
        print(table(rows, "\nprice vs measured: each page's default run and its most expensive link within the caps, "
                          "each in a fresh process (bench/hosted_price.py)"))
        print(f"price rows within 2x both ways: {sum(r.get('within 2x') == 'yes' for r in rows)}/{len(rows)}")
        if a.calibrate:
            return
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found (apt-get install chromium)")
    if a.mix == "hostile":
        print(run_hostile(max(1, a.ordinary), max(1, a.hostile), min(a.timeout, 900), a.epochs))
        return
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
