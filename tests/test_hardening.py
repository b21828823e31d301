"""Hosted mode: a visitor's clear_cache BackMsg clears that visitor's session only, never the shared caches.

Audit of the BackMsgs any visitor can send (Streamlit 1.67), and what hosted mode does with each:
rerun_script (priced and queued by the run guard), stop_script and app_heartbeat (this session only),
clear_cache (cleared st.cache_data and st.cache_resource for everyone: guarded, ui/hardening.py),
load_git_info (git subprocesses per message, sends branch and uncommitted file names: guarded),
set_run_on_save (this session's flag; no effect with fileWatcherType "none"), file_urls_request (upload
URLs for this session; uploads bounded by server.maxUploadSize), backend_operation_request (session id
checked; skills install/dismiss refused when server.headless), debug_* (dropped by the websocket handler
unless global.developmentMode or global.e2eTest). hardening warns in the log if one of those settings is off.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from unittest import mock

import pytest
import streamlit as st
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.app_session import AppSession, AppSessionState
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench._ws import rerun_msg, visit
from tests import streamlit_server
from ui import hardening

TRAINING = "networks at once: epoch"  # the XOR Lab's progress line: shown only while a run trains
LINK = "tab=seeds&s_n_seeds=10&s_epochs=300"  # long enough to show its progress line, a few s of CPU
CALLS: list[int] = []


@st.cache_data(show_spinner=False)
def _warm(x: int) -> int:
    CALLS.append(x)
    return x * 2


def _bare_session() -> AppSession:
    """An AppSession with only what the clear_cache path touches (its session state)."""
    s = AppSession.__new__(AppSession)
    s._session_state = mock.Mock()
    s._state = AppSessionState.SHUTDOWN_REQUESTED  # so its __del__ has nothing to shut down
    return s


def _reraise(self, e):  # handle_backmsg swallows errors into the page; a test wants them raised
    raise e


@pytest.fixture
def restored(monkeypatch):
    """AppSession's handlers as Streamlit ships them, put back after the test."""
    for name in hardening.GUARDS:  # a hosted AppTest earlier in this process may have installed the guards
        monkeypatch.setattr(AppSession, name, hardening.SHIPPED.get((AppSession, name), AppSession.__dict__[name]))
    monkeypatch.setattr(AppSession, "handle_backmsg_exception", _reraise)
    return AppSession


def _clear_cache_from_a_visitor(session: AppSession) -> None:
    msg = BackMsg()
    msg.clear_cache = True
    session.handle_backmsg(msg)


def test_a_visitors_clear_cache_keeps_the_shared_cache_and_clears_its_own_session(restored):
    _warm.clear()
    CALLS.clear()
    _warm(3)
    s = _bare_session()
    _clear_cache_from_a_visitor(s)  # as Streamlit ships it: the shared cache is gone for everyone
    _warm(3)
    assert CALLS == [3, 3]
    assert sorted(hardening.harden()) == sorted(hardening.GUARDS)
    s = _bare_session()
    _clear_cache_from_a_visitor(s)
    _warm(3)  # guarded: still served from the shared cache
    assert CALLS == [3, 3]
    s._session_state.clear.assert_called_once()  # and the visitor's own session state is cleared
    msg = BackMsg()
    msg.load_git_info = True
    with mock.patch("streamlit.git_util.GitRepo") as repo:
        s.handle_backmsg(msg)  # guarded: no git subprocess, nothing sent
    repo.assert_not_called()
    assert hardening.harden() == list(hardening.GUARDS)  # idempotent


def test_a_changed_streamlit_is_left_as_it_is_with_a_warning(caplog):
    class Changed:
        def handle_backmsg(self, msg):
            self._handle_git_information_request()

        def _handle_clear_cache_request(self, everyone):  # a new signature
            pass

        def _handle_git_information_request(self):
            pass

    original = Changed.__dict__["_handle_clear_cache_request"]
    with caplog.at_level(logging.WARNING, logger="ui.hardening"):
        done = hardening.harden(Changed)
    assert done == ["_handle_git_information_request"]
    assert Changed.__dict__["_handle_clear_cache_request"] is original
    assert "expected ['self']" in caplog.text

    class Gone:  # no handle_backmsg at all: nothing patched, no crash
        pass

    with caplog.at_level(logging.WARNING, logger="ui.hardening"):
        assert hardening.harden(Gone) == []
    assert "not installed" in caplog.text


def test_a_laptop_is_left_alone(monkeypatch, restored):
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)
    monkeypatch.setattr(hardening, "_installed", None)
    assert hardening.install() == []
    assert AppSession.__dict__["_handle_clear_cache_request"] is not hardening.GUARDS["_handle_clear_cache_request"]


def _run(coro):
    """asyncio.run in a thread of its own: an earlier test (Playwright's sync API) may leave a loop running here."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _attacker(base_url: str, timeout: float = 60) -> int:
    """Visitor B: open Home, send clear_cache, then rerun and read until that run finishes (so the server has
    handled the clear_cache before this returns); the number of runs finished."""
    ws_url = base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
    finished = 0
    async with connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None, close_timeout=2) as ws:
        await ws.send(rerun_msg(base_url, "home", ""))
        clear = BackMsg()
        clear.clear_cache = True
        await ws.send(clear.SerializeToString())
        await ws.send(rerun_msg(base_url, "home", ""))
        while finished < 1:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
            finished += fm.WhichOneof("type") == "script_finished"
    return finished


@pytest.mark.slow
def test_a_hostile_clear_cache_does_not_throw_away_another_visitors_result(tmp_path):
    proc, url = streamlit_server.start(tmp_path, {"NNLAB_HOSTED": "1"})
    try:
        a = _run(visit(url, "xor", LINK, "Solved XOR", timeout=180))  # A trains and warms the memo
        for f in (tmp_path / "cache").glob("*.safetensors"):  # only the shared in-memory memo holds it now
            f.unlink()
        b = _run(_attacker(url))  # B asks the server to clear every cache
        c = _run(visit(url, "xor", LINK, "Solved XOR", timeout=180))  # C opens A's link
    finally:
        streamlit_server.stop(proc)
    assert a.ok and c.ok, (a.errors, c.errors)
    assert b >= 1
    assert any(TRAINING in t for t in a.seen)  # A trained, showing its progress
    assert not any(TRAINING in t for t in c.seen)  # C never trained: served from the memo
    shown = [t for t in a.texts() if t.startswith(("Solved XOR", "Median final loss", "Training time"))]
    assert len(shown) == 3 and shown == [t for t in c.texts() if t in shown]  # A's own training time too
