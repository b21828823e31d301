"""bench/_ws.py speaks Streamlit's websocket protocol: one simulated visitor gets its page's result from a
real hosted server (the protocol client of bench.classroom; no timings here)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re

import pytest

from bench._ws import SHARED_RE, WAIT_RE, rerun_msg, visit
from core.serve.queue import wait_message
from tests import streamlit_server

LINK = "tab=seeds&s_n_seeds=2&s_epochs=5"  # the XOR Lab's seed study, 2 seeds x 5 epochs: trains in ms


def test_the_waiting_line_is_the_one_the_server_says():
    for ahead in (0, 1, 7):
        m = WAIT_RE.search(wait_message(ahead, 2, 2))
        assert m and int(m.group(1)) == ahead
    assert wait_message(0, 0, 2).startswith("starting: runs of the same shape")  # a merged run's gathering
    assert not WAIT_RE.search(wait_message(0, 0, 2))
    from core.serve.merge import shared_message

    assert int(SHARED_RE.search(shared_message(7)).group(1)) == 7  # the page's own line, as the page writes it
    assert SHARED_RE.search(shared_message(1)).group(1) == "1"
    assert SHARED_RE.search("Training together with 3 other visitors' runs") is None


def test_the_rerun_message_carries_the_link():
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg.FromString(rerun_msg("http://127.0.0.1:1", "xor", LINK))
    assert msg.WhichOneof("type") == "rerun_script"
    assert (msg.rerun_script.query_string, msg.rerun_script.page_name) == (LINK, "xor")


def _run(coro):
    """asyncio.run in a thread of its own: an earlier test (Playwright's sync API) may leave a loop running here."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.mark.slow
def test_one_visitor_gets_its_result_from_a_hosted_server(tmp_path):
    proc, url = streamlit_server.start(tmp_path, {"NNLAB_HOSTED": "1"})
    try:
        v = _run(visit(url, "xor", LINK, "Solved XOR", timeout=180))
        again = _run(visit(url, "xor", LINK, "Solved XOR", timeout=60))  # a second session, from the cache
    finally:
        streamlit_server.stop(proc)
    assert v.ok, v.errors
    assert v.done_s is not None and v.result_s is not None and v.result_s <= v.done_s
    assert v.finished == 1 and not v.refusals
    texts = v.texts()
    assert texts[0] == "XOR Lab"  # the page's title, then its widgets and results in the page's order
    solved = [t for t in texts if t.startswith("Solved XOR: ")]
    assert len(solved) == 1 and re.fullmatch(r"Solved XOR: \d/2", solved[0])
    assert any(t.endswith(f"/xor?{LINK}") for t in texts)  # the share link: st.context.url is the link opened
    assert again.ok and [t for t in again.texts() if t.startswith("Solved XOR")] == solved
    assert (tmp_path / "cache").is_dir() and any((tmp_path / "cache").glob("*.safetensors"))
