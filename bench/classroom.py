"""Benchmark: a class on one hosted server. N visitors open one page by link at once, each its own setting.

    python -m bench.classroom                    # N = 1, 10, 30; merging off and on; three classes (~10 min)
    python -m bench.classroom --quick            # N = 1, 5
    python -m bench.classroom --classes xor --ns 1,10 --browser 3   # and 3 of the visitors in chromium
    python -m bench.classroom --classes digits --ns 10 --merge on --workers 2   # merged runs in 2 worker processes
    python -m bench.classroom --classes xor --ns 30 --merge on --replicas 2    # 2 servers on one data folder

Each row starts ``streamlit run app.py`` with NNLAB_HOSTED=1 on 127.0.0.1 (a fresh data folder, so no
cache helps; NNLAB_MERGE=0 or 1), opens the class's page once with a setting no visitor uses (the first
script run imports torch; no visitor should pay that), then lets N simulated visitors ask for their links
at the same moment. A visitor speaks Streamlit's websocket protocol (bench/_ws.py): one ``rerun_script``
with its link's query string and page, then ForwardMsgs until the script finishes. Its result has arrived
when the script finished with the class's result text on the page (a metric, a caption) and no
"waiting: k runs ahead" line left; its time runs from asking to that moment.

Classes (each visitor its own link, no two alike; but ``link``):
  xor       XOR Lab ③, 100 seeds (the page also retrains the failed seeds 10x longer): its own lr or epochs
  digits    Digit Recognizer ①, the 8x8 digits: its own lr or dropout
  explorer  Activation Explorer ③, the comparison at ``--explorer-epochs`` (10; the default 50 costs ~8 s
            a visitor, which does not fit ten minutes): its own seed count (1-3) and first seed
  link      the teacher's link, XOR Lab ③ at its defaults, opened by the teacher first (the warm-up): every
            visitor the same link, its result from the cache; what a class waits for is its pages alone

"Alone": every link of the class, one after the other, on an idle server of its own (merging off).
Its "train CPU-s" is the server's CPU seconds for the cold visit minus those of the same link served
from the cache right after (so what the page costs to draw is left out).
Per row: p50 / p95 of (time to result / that visitor's own link alone) over the visitors; "page p95" the
same up to the result text's first appearance; "stored" result files the server wrote (one per trained
result); "runs" = stored minus what merging saved (a visitor whose page says "trained with k others"
shared one run among k+1); merged = share of visitors whose page says so; peak MB of the server's
process tree (RSS, sampled every 0.1 s); refused/errors = visitors shown an error line / an exception or
no result; cores used = the server's CPU seconds over the row's wall time (below the cores: it waited,
or other work on the machine had them); load = the machine's 1-minute load average as the row began.
Per class, the floor without merging: one visitor's time alone (the median link) plus the class's train
CPU-s over the cores, as a ratio to the time alone: what a perfect queue would give the last visitor. And
the pages' floor, which merging cannot lower: alone plus N - 1 times a page's CPU-s (the link served from the
cache: the script, its charts and tables), since every visitor's script runs on the server's one Python lock,
so the last visitor's page waits for the others' even if training cost nothing. And the compute floor, which
no engine can lower: the class's training matmul FLOPs (6 x rows x the layers' weights, per model and epoch
trained, in the merged floor's runs; evaluation and every elementwise op left out) at this machine's own
float32 matmul rate on all its cores (a 1024^3 product, measured as the benchmark starts), as a ratio to the
time alone: a goal below it needs more than these cores can multiply.

Last line (the largest N, merging on):
``visitors=<N> xor_p95_vs_alone=<x> digits_p95_vs_alone=<y> merged=<share> peak_mb=<mb>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _proc  # noqa: E402
from bench._table import table  # noqa: E402
from bench._timing import pct  # noqa: E402
from bench._ws import SHARED_RE, WAIT_RE, Visit, idle_session, visit  # noqa: E402
from tests import streamlit_server  # noqa: E402


@dataclass(frozen=True)
class Klass:
    """A class: one page, one result text, a warm-up link, visitor k's link (a query string), and what a link
    trains (its page's jobs called as the page calls them, for the merged floor; None: nothing, a cached link)."""

    name: str
    page: str
    result: str
    warm: str
    link: Callable[[int], str]
    jobs: Callable[[str], object] | None = None


def _params(query: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(query).items()}


def _xor_jobs(query: str) -> object:
    """The XOR seeds tab's two runs: the study, then its failed seeds 10x longer (app_pages/xor_lab.py)."""
    from core.xor import jobs as xor

    cfg, _ = xor.SeedStudyConfig.from_query(_params(query), "s_")
    return xor.retry_longer(cfg, xor.run_seed_study(cfg))


def _digits_jobs(query: str) -> object:
    """The Digit Recognizer's ① model (app_pages/digit_recognizer.py)."""
    from core.digits import jobs as digits

    cfg, _ = digits.DigitsConfig.from_query(_params(query))
    return digits.compute(cfg)


def _explorer_jobs(query: str) -> object:
    """The Activation Explorer's comparison (app_pages/activation_explorer.py)."""
    from core.explorer import jobs as explorer

    cfg, _ = explorer.CompareConfig.from_query(_params(query), "c_")
    return explorer.run_compare(cfg)


def _xor(k: int) -> str:
    return f"tab=seeds&s_lr={0.1 + 0.01 * (k + 1):g}" if k % 2 == 0 else f"tab=seeds&s_epochs={1000 + 10 * (k + 1)}"


def _digits(k: int) -> str:
    return f"lr={0.005 + 0.0002 * (k + 1):g}" if k % 2 == 0 else f"dropout={0.2 + 0.01 * (k + 1):g}"


def classes(explorer_epochs: int) -> dict[str, Klass]:
    """The four classes (the explorer's at ``explorer_epochs``)."""
    return {
        "xor": Klass("xor", "xor", "Solved XOR", "tab=seeds&s_n_seeds=2&s_epochs=5", _xor, _xor_jobs),
        "digits": Klass("digits", "digits", "Test accuracy", "epochs=2", _digits, _digits_jobs),
        "explorer": Klass("explorer", "activations", "models (", "tab=learn&c_n_seeds=1&c_epochs=1",
                          lambda k: f"tab=learn&c_n_seeds={1 + k % 3}&c_first_seed={1 + k // 3}"
                                    f"&c_epochs={explorer_epochs}", _explorer_jobs),
        # the teacher's own link, opened by the teacher first: every visitor's result comes from the cache, so
        # the class waits only for its pages (its train CPU-s are about 0)
        "link": Klass("link", "xor", "Solved XOR", "tab=seeds", lambda k: "tab=seeds"),
    }


def train_flops(configs: list, data: object, results: list) -> float:
    """Matmul FLOPs the training of ``results`` took: per model, its training step's FLOPs
    (core.engine.cores.model_step_flops: forward and backward, 6 x batch rows x the layers' weights) times its
    steps an epoch times the epochs it trained (``stopped_epoch``). A lower bound: evaluation passes, the
    optimizer and every elementwise op are left out."""
    from core.engine.cores import model_step_flops

    n_rows = len(data.X_train)
    total = 0.0
    for c, r in zip(configs, results):
        rows = n_rows if c.batch_size <= 0 else min(c.batch_size, n_rows)
        total += model_step_flops(c, data) * -(-n_rows // rows) * r.stopped_epoch
    return total


def matmul_rate(threads: int, size: int = 1024) -> float:
    """This machine's float32 matmul rate on ``threads`` threads, FLOP/s: the best of several size^3 products."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(size, size), torch.randn(size, size)
        for _ in range(3):
            a @ b
        best = float("inf")
        for _ in range(7):
            t0 = time.perf_counter()
            for _ in range(5):
                a @ b
            best = min(best, (time.perf_counter() - t0) / 5)
        return 2 * size**3 / best
    finally:
        torch.set_num_threads(before)


def merged_floor(k: Klass, n: int) -> tuple[float, float] | None:
    """Seconds until the last of the class's first n links has trained, each link's jobs on a thread of its own
    (a visitor) and their runs merged by the server's own merger (core.serve.merge, its window and budget as
    hosted) in this process: no server, no page, no other work. The least time to result merging gives the last
    visitor of the class, with pages that cost nothing. With the matmul FLOPs of the merged runs' training
    (:func:`train_flops`). None for a class that trains nothing."""
    if k.jobs is None:
        return None
    os.environ["NNLAB_HOSTED"] = "1"  # the hosted budget and queue (the servers get it too)
    from core.engine.fitting import set_merge_point
    from core.serve import merge

    k.jobs(k.warm)  # torch and the data loaded, not merged (no visitor)
    local = threading.local()
    merger = merge.Merger()  # its window as the server's merger for a class at work
    joined = merge.hook(merger, lambda: getattr(local, "visitor", None))
    flops, count = [0.0], threading.Lock()

    def counted(configs, data, progress, eval_every, deadline, log_every=1):  # the hook, its FLOPs counted
        out = joined(configs, data, progress, eval_every, deadline, log_every)
        if out is not None:
            with count:
                flops[0] += train_flops(list(configs), data, out)
        return out
    set_merge_point(counted)
    errors: list[BaseException] = []

    def visitor(i: int) -> None:
        local.visitor = f"visitor-{i}"
        try:
            k.jobs(k.link(i))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
    try:
        t0 = time.monotonic()
        threads = [threading.Thread(target=visitor, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - t0
    finally:
        set_merge_point(None)
    if errors:
        raise RuntimeError(f"{k.name}: the merged floor's runs failed: {errors[0]!r}")
    return took, flops[0]


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ---- one server ------------------------------------------------------------------------------------
@contextmanager
def server(k: Klass, merge: bool, timeout: float, replicas: int = 1):
    """Fresh hosted server(s) (``replicas`` of them on one data folder, as behind a load balancer with sticky
    sessions), each warmed up on the class's page: (pids, urls, data folder)."""
    with tempfile.TemporaryDirectory(prefix="nnlab-class-") as tmp:
        data = Path(tmp)
        procs, urls = [], []
        try:
            for _ in range(replicas):
                proc, url = streamlit_server.start(data, {"NNLAB_HOSTED": "1", "NNLAB_MERGE": "1" if merge else "0"})
                procs.append(proc)
                urls.append(url)
                w = asyncio.run(visit(url, k.page, k.warm, k.result, timeout))
                if not w.ok:
                    raise RuntimeError(f"warm-up of {k.page}?{k.warm} failed: {w.errors}")
            yield [p.pid for p in procs], urls, data
        finally:
            for proc in procs:
                streamlit_server.stop(proc)


def stored(data: Path) -> int:
    return len(list((data / "cache").glob("*.safetensors")))


def alone(k: Klass, n: int, timeout: float) -> tuple[list[float], list[float], list[float]]:
    """Each of the first n links alone on an idle server: (seconds to result, train CPU-s, page CPU-s) per link
    (page CPU-s: the server's CPU seconds for the link served from the cache). An idle session stays open
    meanwhile, as a class's do, so the page scripts stay compiled (Streamlit drops them when the last session
    disconnects: 0.07 against 0.057 s of a cached XOR page)."""
    async def go(pid: int, url: str) -> tuple[list[float], list[float], list[float]]:
        secs, cpu, page = [], [], []
        async with idle_session(url):
            for i in range(n):
                c0 = _proc.cpu_seconds(pid)
                v = await visit(url, k.page, k.link(i), k.result, timeout)
                c1 = _proc.cpu_seconds(pid)
                hit = await visit(url, k.page, k.link(i), k.result, timeout)  # the same link, from the cache
                c2 = _proc.cpu_seconds(pid)
                if not v.ok or not hit.ok:
                    raise RuntimeError(f"{k.page}?{k.link(i)} alone failed: {v.errors or hit.errors}")
                secs.append(v.done_s)
                cpu.append(max(0.0, (c1 - c0) - (c2 - c1)))
                page.append(c2 - c1)
        return secs, cpu, page

    with server(k, False, timeout) as ((pid,), (url,), _):
        return asyncio.run(go(pid, url))


async def _class(urls: list[str], k: Klass, n: int, timeout: float) -> list[Visit]:
    t0 = time.monotonic()  # visitor i on server i mod replicas (a sticky balancer's even split)
    return list(await asyncio.gather(*[visit(urls[i % len(urls)], k.page, k.link(i), k.result, timeout, t0)
                                       for i in range(n)]))


def row(k: Klass, n: int, merge: bool, solo: list[float], timeout: float,
        replicas: int = 1) -> tuple[dict, list[Visit]]:
    """N visitors at once on fresh server(s): one table row (and the visits)."""
    with server(k, merge, timeout, replicas) as (pids, urls, data):
        before, load = stored(data), os.getloadavg()[0]
        peak = _proc.Peak(pids)
        peak.start()
        c0, t0, me0 = sum(map(_proc.cpu_seconds, pids)), time.monotonic(), time.process_time()
        visits = asyncio.run(_class(urls, k, n, timeout))
        used = (sum(map(_proc.cpu_seconds, pids)) - c0) / (time.monotonic() - t0)
        visitors_cpu = time.process_time() - me0
        peak_mb = peak.stop() / 1e6
        new = stored(data) - before
    ok = [(i, v) for i, v in enumerate(visits) if v.ok]
    ratio = [v.done_s / solo[i] for i, v in ok]
    shown = [v.result_s / solo[i] for i, v in ok if v.result_s is not None]
    merged = [v for v in visits if v.others]
    saved = sum(v.others / (v.others + 1) for v in merged)
    return {
        "class": k.name, "N": n, "merge": "on" if merge else "off", **({"servers": replicas} if replicas > 1 else {}),
        "p50 vs alone": f"{pct(ratio, .5):.2f}", "p95 vs alone": f"{pct(ratio, .95):.2f}",
        "page p95": f"{pct(shown, .95):.2f}",
        "p95 s": f"{pct([v.done_s for _, v in ok], .95):.1f}",
        "waited": sum(v.waited for v in visits), "stored": new, "runs": f"{new - saved:.0f}",
        "merged": f"{len(merged) / n:.2f}", "peak MB": f"{peak_mb:.0f}",
        "refused": sum(bool(v.refusals) for v in visits), "errors": sum(not v.ok for v in visits),
        "cores used": f"{used:.2f}", "visitors CPU-s": f"{visitors_cpu:.1f}", "load": f"{load:.1f}",
    }, visits


# ---- chromium beside the simulation -----------------------------------------------------------------
# the script has finished (Streamlit marks its app element with the script's state; tests/conftest.py)
IDLE_JS = """() => { const a = document.querySelector('[data-testid="stApp"]');
    return !!a && a.dataset.testConnectionState === 'CONNECTED' && a.dataset.testScriptState === 'notRunning'; }"""


def _norm(t: str) -> str:
    """Letters and digits only: markdown marks, list dashes and a metric's "label: value" (in the page
    "label\nvalue") aside, the text the simulation got and the text chromium shows then compare."""
    return re.sub(r"[^0-9A-Za-z]", "", t)


def browser_check(k: Klass, n: int, n_browser: int, timeout: float, shots: Path | None = None) -> list[dict]:
    """A class of n on a server merging runs, ``n_browser`` of them in chromium, the rest simulated; then
    each browser visitor's link once more by the simulation (from the cache): which of the texts the
    simulation sees the browser showed, and whether chromium said the run was shared. ``shots``: a
    folder for each chromium visitor's page at its result (1300 px wide)."""
    from bench.hosted import ARGS, CHROMIUM

    async def go(url: str) -> list[dict]:
        from playwright.async_api import async_playwright

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            t0 = time.monotonic()

            async def in_browser(i: int) -> dict:
                ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
                page = await ctx.new_page()
                seen = {"waited": 0, "done_s": None, "text": ""}
                try:
                    await page.goto(f"{url}/{k.page}?{k.link(i)}", timeout=timeout * 1000)
                    while time.monotonic() - t0 < timeout:
                        txt = await page.evaluate("() => document.body.innerText")
                        m = WAIT_RE.findall(txt)
                        if m:
                            seen["waited"] = max(seen["waited"], 1 + max(int(x) for x in m))
                        if shots is not None and not seen.get("shot") and (m or "Training together" in txt):
                            seen["shot"] = 1  # what the visitor sees while the class trains
                            shots.mkdir(parents=True, exist_ok=True)
                            await page.screenshot(path=str(shots / f"{k.name}-chromium-{i}-waiting.png"))
                        if k.result in txt and not m and await page.evaluate(IDLE_JS):
                            seen["done_s"], seen["text"] = time.monotonic() - t0, txt
                            if shots is not None:
                                shots.mkdir(parents=True, exist_ok=True)
                                await page.screenshot(path=str(shots / f"{k.name}-chromium-{i}.png"), full_page=True)
                            break
                        await asyncio.sleep(0.2)
                finally:
                    await ctx.close()
                return seen

            jobs = [in_browser(i) for i in range(n_browser)]
            jobs += [visit(url, k.page, k.link(i), k.result, timeout, t0) for i in range(n_browser, n)]
            out = await asyncio.gather(*jobs)
            await browser.close()
        rows = []
        for i, b in enumerate(out[:n_browser]):
            sim = await visit(url, k.page, k.link(i), k.result, timeout)
            texts = [t for t in sim.texts() if not t.startswith(("[", "http"))]
            missing = [t for t in texts if _norm(t) not in _norm(b["text"])]
            rows.append({"visitor": f"chromium {i}", "link": k.link(i),
                         "told waiting": f"{b['waited'] - 1} ahead" if b["waited"] else "no",
                         "told shared": (lambda m: f"{m.group(1)} others" if m else "no")(SHARED_RE.search(b["text"])),
                         "result s": f"{b['done_s']:.1f}" if b["done_s"] else "none",
                         "texts (simulation)": len(texts), "shown in chromium": len(texts) - len(missing),
                         "missing": " | ".join(missing).replace("\n", " ")[:70]})
            print("   chromium", i, "missing:", missing, flush=True)
        sims = list(out[n_browser:])
        done = sorted(v.done_s for v in sims if v.ok)
        rows.append({"visitor": f"{len(sims)} simulated", "link": "",
                     "told waiting": f"{sum(v.waited for v in sims)} of {len(sims)}",
                     "told shared": f"{sum(bool(v.others) for v in sims)} of {len(sims)}",
                     "result s": f"{done[0]:.1f}-{done[-1]:.1f}" if done else "none",
                     "texts (simulation)": "", "shown in chromium": "", "missing": ""})
        return rows

    with server(k, True, timeout) as (_, (url,), _):
        return asyncio.run(go(url))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 1, 5")
    ap.add_argument("--ns", default="", help="class sizes, e.g. 1,10,30 (the default)")
    ap.add_argument("--classes", default="xor,digits,explorer,link")
    ap.add_argument("--merge", default="off,on", help="off,on | off | on")
    ap.add_argument("--explorer-epochs", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds any one visitor may wait")
    ap.add_argument("--browser", type=int, default=0, help="also: a class of 10 (merging on), this many in chromium")
    ap.add_argument("--browser-only", action="store_true", help="only the chromium check (of the first class)")
    ap.add_argument("--shots", default="", help="a folder for the chromium visitors' pages at their result")
    ap.add_argument("--replicas", type=int, default=1,
                    help="servers on one data folder, visitor i on server i mod replicas (the class rows only)")
    ap.add_argument("--workers", type=int, default=None,
                    help="NNLAB_TRAIN_WORKERS for the servers (merged runs train in worker processes; 0: off)")
    a = ap.parse_args()
    if a.workers is not None:  # streamlit_server.start passes this process's environment on
        os.environ["NNLAB_TRAIN_WORKERS"] = str(a.workers)
    shots = Path(a.shots) if a.shots else None
    ns = [int(x) for x in a.ns.split(",")] if a.ns else ([1, 5] if a.quick else [1, 10, 30])
    merges = [m == "on" for m in a.merge.split(",")]
    ks = classes(a.explorer_epochs)
    chosen = [ks[c] for c in a.classes.split(",")]
    rows, floors, last = [], [], {}
    t_start = time.monotonic()
    if a.browser_only:
        print(table(browser_check(chosen[0], 10, a.browser or 3, a.timeout, shots),
                    f"{chosen[0].name}: a class of 10, {a.browser or 3} in chromium (texts the simulation saw)"))
        return
    rate = matmul_rate(cores())
    print(f"float32 matmul on {cores()} cores: {rate / 1e9:.0f} GFLOP/s (1024^3)", flush=True)
    for k in chosen:
        solo, cpu, page = alone(k, max(ns), a.timeout)
        t1, p1 = statistics.median(solo), statistics.median(page)
        print(f"{k.name} alone: median {t1:.2f} s, train CPU-s per link {statistics.median(cpu):.2f} "
              f"(sum of {len(cpu)}: {sum(cpu):.1f})", flush=True)
        for n in ns:
            floor = t1 + sum(cpu[:n]) / cores()
            pages = t1 + (n - 1) * p1
            merged, flops = merged_floor(k, n) if n > 1 and True in merges and k.jobs else (None, None)
            compute = None if flops is None else flops / rate
            floors.append({"class": k.name, "N": n, "alone s (median)": f"{t1:.2f}",
                           "train CPU-s": f"{sum(cpu[:n]):.1f}", "floor s": f"{floor:.1f}",
                           "floor vs alone": f"{floor / t1:.2f}",
                           "merged floor s": "" if merged is None else f"{merged:.1f}",
                           "merged floor vs alone": "" if merged is None else f"{merged / t1:.2f}",
                           "train GFLOP": "" if flops is None else f"{flops / 1e9:.1f}",
                           "compute floor s": "" if compute is None else f"{compute:.2f}",
                           "compute floor vs alone": "" if compute is None else f"{compute / t1:.2f}",
                           "page CPU-s": f"{p1:.3f}",
                           "pages floor s": f"{pages:.1f}", "pages floor vs alone": f"{pages / t1:.2f}"})
            for m in merges:  # off and on side by side, each on a fresh server
                r, visits = row(k, n, m, solo, a.timeout, a.replicas)
                rows.append(r)
                print(table([r]).splitlines()[-1], flush=True)
                bad = [v.errors[0] for v in visits if v.errors][:2]
                if bad:
                    print("   errors:", bad, flush=True)
                last[(k.name, n, m)] = (r, visits)
    print()
    print(table(rows, f"Classroom on a {cores()}-core hosted server (time to result / the link alone)"))
    print()
    print(table(floors, "Floor without merging: alone + the class's train CPU-s / cores; with merging, the merged "
                        "floor: the class's runs through the server's merger with no server and no page; the compute "
                        "floor: their training's matmul FLOPs at this machine's matmul rate; and the "
                        "pages' floor: alone + (N - 1) x a page's CPU-s (every visitor's page runs on the server's "
                        "one Python lock)"))
    if a.browser:
        print()
        print(table(browser_check(ks[chosen[0].name], 10, a.browser, a.timeout, shots),
                    f"{chosen[0].name}: a class of 10, {a.browser} in chromium (texts the simulation saw)"))
    print(f"\n({time.monotonic() - t_start:.0f} s)")
    n, m = max(ns), merges[-1]
    got = {c: last.get((c, n, m)) for c in ("xor", "digits", "explorer")}
    vs = [v for x in got.values() if x for v in x[1]]
    share = sum(bool(v.others) for v in vs) / len(vs) if vs else float("nan")
    peak = max((float(x[0]["peak MB"]) for x in got.values() if x), default=float("nan"))

    def p95(c: str) -> str:
        return got[c][0]["p95 vs alone"] if got.get(c) else "nan"

    print(f"visitors={n} xor_p95_vs_alone={p95('xor')} digits_p95_vs_alone={p95('digits')} "
          f"merged={share:.2f} peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()
