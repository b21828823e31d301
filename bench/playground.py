"""Benchmark: how fast the XOR Lab's Playground plays in a browser.

    python -m bench.playground [--seconds 3] [--repeat 2] [--shots DIR]

Starts ``streamlit run app.py`` on 127.0.0.1 (its own data folder), opens the Playground tab in Debian's
chromium (Playwright, headless) at 1440x1000, presses Play at the default setting (epochs raised to
3000: the default's 500 end inside the window at 100 epochs/s; the pace does not depend on them) and
watches the
page's own record of redraws (``window.__nnlabPlayground.draws``: one entry per frame the view
drew, with its epoch). Over a window of ``--seconds`` it reports epochs shown per second, redraws
per second (draws that show a later epoch) and the server CPU time per redraw (utime + stime from /proc,
divided by the frames drawn). Then it presses Pause and measures the latency: from the click until
the button reads "▶ Play" and no later frame has advanced the epoch (checked for 1 s after).
Rows: the default setting (``--repeat`` times) and the widest layers the config allows (8, 8).
Last line: ``epochs_per_s=<x> redraws_per_s=<y>`` (the default setting's median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _proc  # noqa: E402
from bench._table import table  # noqa: E402
from tests import streamlit_server  # noqa: E402

CHROMIUM = os.environ.get("NNLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PLAY_SHOWN = "() => [...document.querySelectorAll('button')].some(x => x.innerText.includes('▶ Play'))"


def chromium_seconds() -> float:
    """CPU time of the chromium processes this benchmark started (descendants of this process)."""
    return _proc.over_tree(os.getpid(), lambda p: _proc.process_cpu_seconds(p) if _proc.name(p) == "chromium" else 0)


def wait_idle(page, timeout: float = 90_000) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def draws(page) -> list[list[float]]:
    return page.evaluate("() => (window.__nnlabPlayground || {draws: []}).draws.map(d => [d[0], d[1]])")


def measure(page, url: str, label: str, pid: int, seconds: float, shot: Path | None = None) -> dict:
    """Open the Playground at url, play for a while, pause; one row of the table."""
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector('[data-testid="nnlab-pg-diagram"]', timeout=90_000)
    page.wait_for_timeout(500)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    page.evaluate("() => { window.__nnlabPlayground = {draws: []}; }")
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function("() => window.__nnlabPlayground.draws.some(d => d[1] > 0)", timeout=30_000)
    page.wait_for_timeout(300)  # past the first frame's set-up
    c0, b0, t0 = _proc.process_cpu_seconds(pid), chromium_seconds(), time.monotonic()
    d0 = len(draws(page))
    page.wait_for_timeout(seconds * 1000)
    d = draws(page)
    c1, b1, t1 = _proc.process_cpu_seconds(pid), chromium_seconds(), time.monotonic()
    win = d[max(0, d0 - 1):]
    frames = [w for i, w in enumerate(win) if i == 0 or w[1] != win[i - 1][1]]  # redraws that moved on
    span = (frames[-1][0] - frames[0][0]) / 1000 if len(frames) > 1 else float("nan")
    epochs = frames[-1][1] - frames[0][1] if frames else 0
    n_frames = max(1, len(frames) - 1)
    # Pause: click, then wait for the label and for the epoch to stop
    page.evaluate("""() => {
        const b = [...document.querySelectorAll('button')].find(x => x.innerText.includes('Pause'));
        window.__nnlabPauseAt = performance.now(); b.click(); }""")
    page.wait_for_function(PLAY_SHOWN, timeout=30_000)
    label_at = page.evaluate("() => performance.now() - window.__nnlabPauseAt")
    page.wait_for_timeout(1000)
    after = page.evaluate("""() => { const t = window.__nnlabPauseAt, d = window.__nnlabPlayground.draws;
        const before = d.filter(x => x[0] < t); const last = before.length ? before[before.length - 1][1] : 0;
        const moved = d.filter(x => x[0] >= t && x[1] > last);
        return moved.length ? moved[moved.length - 1][0] - t : 0; }""")
    still = draws(page)[-1][1]
    page.wait_for_timeout(500)
    stopped = draws(page)[-1][1] == still
    return {
        "setting": label,
        "epochs/s": f"{epochs / span:.0f}" if span == span else "-",
        "redraws/s": f"{(len(frames) - 1) / span:.1f}" if span == span else "-",
        "server CPU/frame": f"{(c1 - c0) / n_frames * 1000:.0f} ms",
        "server CPU share": f"{(c1 - c0) / (t1 - t0):.0%}",
        "browser CPU share": f"{(b1 - b0) / (t1 - t0):.0%}",
        "load avg": f"{os.getloadavg()[0]:.1f}",
        "pause latency": f"{max(label_at, after) / 1000:.2f} s",
        "stopped": "yes" if stopped else "NO",
        "_eps": epochs / span if span == span else 0.0,
        "_rps": (len(frames) - 1) / span if span == span else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--shots", type=Path, default=None, help="save screenshots (1440 and 1024 px) here")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    data = Path(tempfile.mkdtemp(prefix="nnlab-bench-pg-"))
    proc, base = streamlit_server.start(data)
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = ctx.new_page()
            url = base + "/xor?tab=playground"
            play = url + "&g_epochs=3000"  # the default setting, long enough to play through the window
            if a.shots:
                a.shots.mkdir(parents=True, exist_ok=True)
            for r in range(a.repeat):
                rows.append(measure(page, play, f"default #{r + 1}", proc.pid, a.seconds,
                                    a.shots / "playground-1440.png" if a.shots and r == 0 else None))
            rows.append(measure(page, play + "&g_hidden=8,8", "hidden 8,8", proc.pid, a.seconds,
                                a.shots / "playground-8x8-1440.png" if a.shots else None))
            if a.shots:
                page.set_viewport_size({"width": 1024, "height": 900})
                page.goto(url + "&g_epochs=60")
                wait_idle(page)
                page.wait_for_selector('[data-testid="nnlab-pg-diagram"]', timeout=90_000)
                page.get_by_role("button", name="▶ Play").click()
                page.wait_for_function(PLAY_SHOWN, timeout=60_000)
                wait_idle(page)
                page.wait_for_timeout(800)
                page.screenshot(path=str(a.shots / "playground-1024.png"), full_page=True)
            browser.close()
    finally:
        streamlit_server.stop(proc)
    print(table([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                "Playground in chromium on 127.0.0.1 (goal: >= 60 epochs/s, >= 10 redraws/s, pause < 0.3 s)"))
    defaults = [r for r in rows if r["setting"].startswith("default")]
    print(f"epochs_per_s={statistics.median(r['_eps'] for r in defaults):.0f} "
          f"redraws_per_s={statistics.median(r['_rps'] for r in defaults):.1f}")


if __name__ == "__main__":
    main()
