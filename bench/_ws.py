"""A visitor without a browser: Streamlit's own websocket protocol, spoken with the protobufs streamlit ships.

What the frontend does when a link is opened, and no more: connect to ``/_stcore/stream`` (subprotocol
``streamlit``; no session id, so the server makes a new session; no Origin header, which the server allows
for a non-browser client), send one ``rerun_script`` BackMsg carrying the link's query string and page
(its url path, which ``st.navigation`` resolves like the browser's address), then read ForwardMsgs. Each
delta lands at its ``metadata.delta_path``, replacing what was there (a waiting line cleared by
``st.empty()`` is replaced by an empty element), so ``texts()`` is what the page shows at that moment.

    v = await visit("http://127.0.0.1:8501", "xor", "tab=seeds&s_lr=0.2", result="Solved XOR", timeout=60)
    v.done_s, v.waited, v.others, v.errors
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from core.serve.merge import SHARED_RE  # noqa: F401 - the page's own line, read back

WAIT_RE = re.compile(r"waiting: (\d+) runs? ahead of yours")
FINISHED = ForwardMsg.ScriptFinishedStatus
ERROR = Alert.Format.ERROR


def element_text(el) -> str:
    """The visible text of one Element (its kind in brackets when it has none we read)."""
    kind = el.WhichOneof("type")
    sub = getattr(el, kind) if kind else None
    if kind in ("markdown", "text", "heading"):
        return sub.body
    if kind == "alert":
        return ("[error] " if sub.format == ERROR else "") + sub.body
    if kind == "metric":
        return f"{sub.label}: {sub.body}"
    if kind == "progress":
        return sub.text
    if kind == "exception":
        return f"[exception] {sub.type}: {sub.message}"
    if kind == "code":
        return sub.code_text
    if kind == "empty" or kind is None:
        return ""
    return f"[{kind}]"


@dataclass
class Visit:
    """What one simulated visitor saw, timed from the moment it asked for the page."""

    page: str
    query: str
    done_s: float | None = None  # the run finished with the result shown and no waiting line left
    result_s: float | None = None  # the result text first appeared
    first_s: float | None = None  # the first message back
    waited: bool = False  # told "waiting: k runs ahead of yours" at some point
    max_ahead: int = 0
    others: int | None = None  # "trained with N others" shown at any time (None: never said)
    errors: list[str] = field(default_factory=list)  # exception elements shown, or why the visit failed
    refusals: list[str] = field(default_factory=list)  # error lines shown (a refused request says why in one)
    finished: int = 0  # script runs finished (reruns included)
    elements: dict[tuple[int, ...], str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)  # every text shown, in order (progress lines included)

    def texts(self) -> list[str]:
        """Every non-empty text on the page now, in delta-path order."""
        return [t for _, t in sorted(self.elements.items()) if t]

    @property
    def ok(self) -> bool:
        return self.done_s is not None and not self.errors


def idle_session(base_url: str):
    """An open session that asks for nothing (``async with``): while any session is open, Streamlit keeps its
    compiled page scripts (it drops them when the last one disconnects), as during a class."""
    ws_url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    return connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None, close_timeout=2)


def rerun_msg(base_url: str, page: str, query: str) -> bytes:
    """The BackMsg a browser sends when it opens ``base_url/page?query``."""
    msg = BackMsg()
    cs = msg.rerun_script
    cs.query_string = query
    cs.page_name = page
    cs.context_info.url = f"{base_url}/{page}" + (f"?{query}" if query else "")
    cs.context_info.timezone = "UTC"
    cs.context_info.locale = "en-US"
    return msg.SerializeToString()


async def visit(base_url: str, page: str, query: str, result: str, timeout: float = 120.0,
                t0: float | None = None) -> Visit:
    """Open ``page?query`` as a new session and read until the script finishes with ``result`` (a
    substring of some element's text) shown and no waiting line left; times are from ``t0`` (default:
    now). Never raises: a failure is in ``errors`` and ``done_s`` stays None."""
    t0 = time.monotonic() if t0 is None else t0
    v = Visit(page, query)
    deadline = t0 + timeout
    ws_url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    try:
        async with connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                           open_timeout=max(1.0, deadline - time.monotonic()), close_timeout=2) as ws:
            await ws.send(rerun_msg(base_url, page, query))
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    v.errors.append(f"no result in {timeout:.0f} s")
                    break
                raw = await asyncio.wait_for(ws.recv(), left)
                now = time.monotonic() - t0
                if v.first_s is None:
                    v.first_s = now
                fm = ForwardMsg()
                fm.ParseFromString(raw)
                kind = fm.WhichOneof("type")
                if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    path = tuple(fm.metadata.delta_path)
                    text = element_text(fm.delta.new_element)
                    v.elements[path] = text
                    if text and (not v.seen or v.seen[-1] != text):
                        v.seen.append(text)
                    m = WAIT_RE.search(text)
                    if m:
                        v.waited = True
                        v.max_ahead = max(v.max_ahead, int(m.group(1)))
                    if text.startswith("[exception]"):
                        v.errors.append(text[:200])
                    if text.startswith("[error]"):
                        v.refusals.append(text[8:200])
                    if result in text and v.result_s is None:
                        v.result_s = now
                elif kind == "script_finished":
                    v.finished += 1
                    if fm.script_finished in (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_WITH_COMPILE_ERROR):
                        shown = v.texts()
                        if any(result in t for t in shown) and not any(WAIT_RE.search(t) for t in shown):
                            v.done_s = now
                        elif not v.errors:
                            v.errors.append("the run finished without the result: " + " | ".join(shown)[-300:])
                        break
                elif kind == "page_not_found":
                    v.errors.append(f"page not found: {page}")
                    break
    except Exception as e:  # noqa: BLE001 (a visitor's failure is data: refused, reset, timed out)
        v.errors.append(f"no result in {timeout:.0f} s" if isinstance(e, TimeoutError)
                        else f"{type(e).__name__}: {e}"[:200])
    for t in v.seen:  # the line may be the waiting line's, cleared once the run is done
        m = SHARED_RE.search(t)
        if m:
            v.others = max(v.others or 0, int(m.group(1)))
    return v
