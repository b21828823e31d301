"""bench.hosted's hostile visitors: each opens a page in its own browser context and asks for too much (an
over-budget link, a huge image, hostile files, Play in several tabs, a resumed study), and returns one row
per request: its outcome, its time from the browser, and how to find the server's script run that refused
it (``trace``, read by bench.hosted)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAIT_RE = re.compile(r"waiting: (\d+) runs? ahead of yours")


# ---- the hostile mix ---------------------------------------------------------------------------------
HOSTILE_LINKS = [
    "/activations?tab=learn&c_hidden=256,256,256,256,256,256&c_n_seeds=20&c_epochs=500&c_batch_size=1",
    "/digits?hidden=" + ",".join(["256"] * 12) + "&batch_size=1&epochs=2000",
    # six stacks, each under the budget alone: the sweep is priced whole
    "/hyperparameters?sweep=capacity&capacity_values=256,128x128,192,64x64,128,32x32&capacity_seeds=10"
    "&capacity_epochs=300",
]
REFUSED_RE = re.compile(r"this server allows|over this server's cap|megapixels")


def huge_png_file(folder: Path) -> Path:
    """The 190 kB PNG that decodes to 6,300 x 6,300 RGBA (built row by row, see tests/test_images.py)."""
    from tests.test_images import huge_png

    path = folder / "huge.png"
    path.write_bytes(huge_png())
    return path


async def page_state(page) -> dict:
    return await page.evaluate("""() => ({
        text: document.body ? document.body.innerText : '',
        exc: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText)})""")


async def wait_for(page, pattern: re.Pattern, timeout: float) -> tuple[str, float, list[str]]:
    """('refused' | 'shown' | error, seconds, exceptions) once ``pattern`` or an exception appears."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        st = await page_state(page)
        if st["exc"]:
            return "exception", time.monotonic() - t0, st["exc"]
        m = pattern.search(st["text"])
        if m:
            return "refused", time.monotonic() - t0, []
        await asyncio.sleep(0.1)
    return f"nothing in {timeout:.0f} s", time.monotonic() - t0, []


class FrameClock:
    """Times a request at the server from the browser's side of the wire: from the moment it leaves the
    browser (a link: the page's first websocket message, its run request; an upload: the file's upload
    request) to the first websocket message back that carries a refusal (the server's answer)."""

    LINK_REFUSAL = (b"this server allows", b"over this server's cap")
    UPLOAD_REFUSAL = (b"megapixels",)

    def __init__(self, refusal: tuple[bytes, ...] = LINK_REFUSAL, upload: bool = False) -> None:
        self.refusal, self.upload = refusal, upload
        self.sent: float | None = None
        self.refused: float | None = None

    def watch_page(self, page) -> None:
        page.on("websocket", self._watch)
        if self.upload:
            page.on("request", self._request)

    def _watch(self, ws) -> None:
        if "_stcore/stream" not in ws.url:
            return
        if not self.upload:
            ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _request(self, request) -> None:
        if self.sent is None and "upload_file" in request.url and request.method in ("PUT", "POST"):
            self.sent = time.monotonic()

    def _sent(self, payload) -> None:
        if self.sent is None:
            self.sent = time.monotonic()

    def _received(self, payload) -> None:
        data = payload if isinstance(payload, bytes) else str(payload).encode()
        if self.sent is not None and self.refused is None and any(r in data for r in self.refusal):
            self.refused = time.monotonic()

    def refusal_seconds(self) -> float | None:
        if self.sent is None or self.refused is None:
            return None
        return round(self.refused - self.sent, 2)


async def hostile(browser, url: str, k: int, png: Path, timeout: float) -> list[dict]:
    """One hostile visitor: an over-budget link, then a huge image upload. One row per request; ``trace``
    says which of the server's script runs refused it (see :func:`server_side`)."""
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await ctx.new_page()
    rows = []
    link = HOSTILE_LINKS[k % len(HOSTILE_LINKS)]
    frames, uploads = FrameClock(), FrameClock(FrameClock.UPLOAD_REFUSAL, upload=True)
    frames.watch_page(page)
    uploads.watch_page(page)
    try:
        t0 = time.monotonic()
        await page.goto(url + link, timeout=timeout * 1000)
        reached = time.monotonic() - t0
        outcome, secs, exc = await wait_for(page, REFUSED_RE, timeout)
        rows.append({"visitor": f"hostile {k}", "request": link.split("?")[0] + " over budget",
                     "outcome": outcome, "seconds": round(secs + reached, 2), "exceptions": len(exc),
                     "at server s": frames.refusal_seconds(), "trace": ("query", link.split("?", 1)[1])})
        mark = f"tab=read&bench=hostile{k}"  # this visitor's runs of the Read tab, told apart in the trace
        await page.goto(url + "/digits?" + mark, timeout=timeout * 1000)
        drop = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        await drop.wait_for(state="attached", timeout=timeout * 1000)
        t1 = time.monotonic()
        await drop.set_input_files([str(png)])
        outcome, secs, exc = await wait_for(page, re.compile(r"huge\.png[^\n]*(megapixels|refused|could not)|"
                                                             r"megapixels"), timeout)
        rows.append({"visitor": f"hostile {k}", "request": "upload 6,300x6,300 PNG", "outcome": outcome,
                     "seconds": round(time.monotonic() - t1, 2), "exceptions": len(exc),
                     "at server s": uploads.refusal_seconds(), "trace": ("after", t1, mark, time.monotonic())})
    except Exception as e:  # a navigation failure counts for this visitor
        rows.append({"visitor": f"hostile {k}", "request": "-", "outcome": f"{type(e).__name__}: {str(e)[:60]}",
                     "seconds": None, "exceptions": 0})
    await ctx.close()
    return rows


# ---- hostile files and Play ---------------------------------------------------------------------------
BOUNDED_RE = re.compile(r"this server allows|over this server's cap|megapixels|too many|at most|refused|not read|"
                        r"could not|duplicate|columns|wider than|limit", re.I)


def hostile_files(folder: Path) -> list[tuple[str, str, Path]]:
    """(page path, what, file): a 2 MB CSV of unique column names, an 80 kB one of duplicate names, and a
    0.64 MB model file with wide layers (64-1000-96-10: wider than the hosted width cap)."""
    out = []
    n = 1_950_000 // 13  # header (11 bytes a name) and one row (2 a value): just under 2 MB
    unique = folder / "unique_columns.csv"
    unique.write_text(",".join(f"c{i:09d}" for i in range(n)) + "\n" + ",".join("1" for _ in range(n)) + "\n")
    out.append(("/when-to-use", "CSV 2 MB, unique column names", unique))
    dup = folder / "duplicate_columns.csv"
    m = 80_000 // 4
    dup.write_text(",".join("a" for _ in range(m)) + "\n" + ",".join("1" for _ in range(m)) + "\n")
    out.append(("/when-to-use", "CSV 80 kB, duplicate column names", dup))
    code = ("import sys; from core.engine import TrainConfig, fit; from core.digits import export_model, jobs; "
            "from core import datasets; X, y, Xt, yt = jobs.raw_arrays('digits'); "
            "d = datasets.make_dataset(X, y, Xt, yt, task='multiclass', n_classes=10); "
            "r = fit([TrainConfig(hidden=(1000, 96), epochs=1)], d)[0]; "
            "open(sys.argv[1], 'wb').write(export_model(r))")
    model = folder / "wide.safetensors"
    subprocess.run([sys.executable, "-c", code, str(model)], cwd=ROOT, check=False, timeout=300,
                   capture_output=True)
    if model.exists():
        out.append(("/digits", f"model file {model.stat().st_size / 1e6:.2f} MB, wide layers", model))
    return out


async def hostile_upload(browser, url: str, page_path: str, what: str, path: Path, timeout: float) -> dict:
    """Upload one hostile file on a page's first uploader (When to Use: inside its CSV expander)."""
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await ctx.new_page()
    try:
        await page.goto(url + page_path, timeout=timeout * 1000)
        if page_path == "/when-to-use":
            await page.get_by_text("Your own CSV").first.click(timeout=timeout * 1000)
        drop = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        await drop.wait_for(state="attached", timeout=timeout * 1000)
        before = len(BOUNDED_RE.findall((await page_state(page))["text"]))  # the page's own help text
        t1 = time.monotonic()
        await drop.set_input_files([str(path)])
        outcome, exc = f"nothing in {min(timeout, 60):.0f} s", []
        while time.monotonic() - t1 < min(timeout, 60):
            st = await page_state(page)
            if st["exc"]:
                outcome, exc = "exception", st["exc"]
                break
            if len(BOUNDED_RE.findall(st["text"])) > before:  # a new line: the refusal or the bound
                outcome = "refused"
                break
            await asyncio.sleep(0.1)
        row = {"visitor": "hostile file", "request": what, "outcome": outcome,
               "seconds": round(time.monotonic() - t1, 2), "exceptions": len(exc), "at server s": "",
               "trace": ("after", t1, "", time.monotonic())}
    except Exception as e:  # a navigation failure counts for this visitor
        row = {"visitor": "hostile file", "request": what, "outcome": f"{type(e).__name__}: {str(e)[:60]}",
               "seconds": None, "exceptions": 0}
    await ctx.close()
    return row


async def hostile_play(browser, url: str, k: int, timeout: float, watch_s: float = 20.0) -> dict:
    """One of several tabs pressing Play on a long Playground run: bounded when it trains in a slot (or
    waits in line) and no exception shows."""
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await ctx.new_page()
    try:
        await page.goto(url + "/xor?tab=playground&g_epochs=2000&g_n_seeds=100", timeout=timeout * 1000)
        await page.get_by_role("button", name="▶ Play").first.click(timeout=timeout * 1000)
        t0 = time.monotonic()
        seen_wait, exc = False, []
        while time.monotonic() - t0 < watch_s:
            st = await page_state(page)
            seen_wait = seen_wait or bool(WAIT_RE.search(st["text"]))
            if st["exc"]:
                exc = st["exc"]
                break
            await asyncio.sleep(0.2)
        row = {"visitor": f"play tab {k}", "request": "Play, 100 seeds x 2,000 epochs",
               "outcome": "bounded" if not exc else "exception", "seconds": round(time.monotonic() - t0, 2),
               "exceptions": len(exc), "at server s": "waited in line" if seen_wait else ""}
    except Exception as e:  # a navigation failure counts for this visitor
        row = {"visitor": f"play tab {k}", "request": "Play", "outcome": f"{type(e).__name__}: {str(e)[:60]}",
               "seconds": None, "exceptions": 0}
    await ctx.close()
    return row


STUDY_RESUMED = 100  # trials in all after the resume: 15 min of CPU priced, over the 10 min a study may take


async def hostile_study(browser, url: str, timeout: float) -> dict:
    """A tuning study started small on the Tuner (2 trials of 600 epochs, priced at 19 s), stopped at once,
    then resumed with 100 trials in all: refused when the resume is priced again as all its trials."""
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await ctx.new_page()
    mark = "bench=study"
    try:
        await page.goto(url + "/tuner?" + mark, timeout=timeout * 1000)
        await page.get_by_label("Trials", exact=True).first.fill("2", timeout=timeout * 1000)
        await page.get_by_label("Epochs per trial", exact=True).first.fill("600")
        await page.get_by_role("button", name="Start study").click()
        await page.get_by_role("button", name="Stop").click(timeout=timeout * 1000)
        more = page.get_by_label("Trials in all", exact=True).first
        await more.fill(str(STUDY_RESUMED), timeout=timeout * 1000)
        await more.press("Tab")  # the value is sent with the next rerun
        await asyncio.sleep(1.0)
        t1 = time.monotonic()
        await page.get_by_role("button", name="Resume").click(timeout=timeout * 1000)
        outcome, secs, exc = await wait_for(page, re.compile(r"Not resumed[^\n]*this server allows"), timeout)
        row = {"visitor": "hostile study", "request": f"Tuner study resumed to {STUDY_RESUMED} trials",
               "outcome": outcome, "seconds": round(secs, 2), "exceptions": len(exc), "at server s": "",
               "trace": ("after", t1, mark, time.monotonic())}
    except Exception as e:  # a navigation failure counts for this visitor
        row = {"visitor": "hostile study", "request": "resumed study", "outcome": f"{type(e).__name__}: {str(e)[:60]}",
               "seconds": None, "exceptions": 0}
    await ctx.close()
    return row
