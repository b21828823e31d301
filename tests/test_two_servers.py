"""Past one machine: two `streamlit run` servers on one data folder (one result cache, one study database).

A result one server trains, the other serves without training; two processes writing one entry at once
never leave a torn file nor give a reader meta from one write and tensors from another.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from bench._ws import visit
from core.serve.cache import DiskCache
from tests import streamlit_server
from tests.conftest import ROOT

TRAINING = "networks at once: epoch"  # the XOR Lab's progress line: shown only while a run trains


def entries(folder: Path) -> dict[str, int]:
    """Cache entry name -> inode (a store renames a new file in, so a new inode: a training stored)."""
    return {p.name: p.stat().st_ino for p in folder.glob("*.safetensors")}


@pytest.mark.slow
def test_a_result_trained_by_one_server_is_served_by_the_other(tmp_path):
    shared = tmp_path / "shared"  # NNLAB_DATA_DIR of both: cache/ and tuning.db
    shared.mkdir()
    servers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()  # each server's own log
            servers.append(streamlit_server.start(tmp_path / name, {"NNLAB_HOSTED": "1",
                                                                    "NNLAB_DATA_DIR": str(shared)}))
        (pa, url_a), (pb, url_b) = servers
        # as tests/test_hardening.py's LINK: each trains long enough to show its progress line
        link_a, link_b = "tab=seeds&s_n_seeds=10&s_epochs=300", "tab=seeds&s_n_seeds=10&s_epochs=301"

        def ask(url: str, link: str):
            with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a loop of its own (Playwright may run one here)
                v = pool.submit(asyncio.run, visit(url, "xor", link, "Solved XOR", timeout=180)).result()
            assert v.ok, v.errors
            return v

        trained_a = ask(url_a, link_a)  # A trains link_a (B has never seen it)
        after_a = entries(shared / "cache")
        served_b = ask(url_b, link_a)  # B: the same link
        after_b = entries(shared / "cache")
        trained_b = ask(url_b, link_b)  # and the other way round
        after_b2 = entries(shared / "cache")
        served_a = ask(url_a, link_b)
        after_a2 = entries(shared / "cache")
    finally:
        for proc, _ in servers:
            streamlit_server.stop(proc)
    for trained, served in ((trained_a, served_b), (trained_b, served_a)):
        assert any(TRAINING in t for t in trained.seen)  # the first server trained, showing its progress
        assert not any(TRAINING in t for t in served.seen)  # the second never trained
        shown = [t for t in trained.texts() if t.startswith(("Solved XOR", "Median final loss", "Training time"))]
        assert len(shown) == 3 and shown == [t for t in served.texts() if t in shown]  # A's own training time too
    assert after_a and after_b == after_a  # B stored nothing: no entry added, none replaced
    assert len(after_b2) > len(after_a) and after_a2 == after_b2
    assert not list((shared / "cache").glob(".*.tmp"))


WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    import torch
    from core.serve.cache import DiskCache
    c = DiskCache({folder!r}, max_bytes=10**9)
    w, n, torn, hits = int(sys.argv[1]), int(sys.argv[2]), 0, 0
    for i in range(n):
        tag = w * 100_000 + i
        assert c.put("same", {{"w": torch.full((65_536,), float(tag))}}, {{"tag": tag}}), c.last_error
        got = c.get("same")
        if got is not None:
            hits += 1
            torn += not bool((got[0]["w"] == got[1]["tag"]).all())
    print(hits, torn)
""")


@pytest.mark.slow
def test_two_processes_writing_one_entry_leave_no_torn_file(tmp_path):
    """Two writer processes store the same key over and over (each write its own tag, in the meta and in
    every tensor value) while they and this process read it: every read is one whole write. (Reading the
    header and the tensors through two opens gave mismatched pairs here: 5 of 693 reads; see also
    tests/test_cache_faults.py::test_an_entry_replaced_while_read_gives_one_version.)"""
    folder = tmp_path / "cache"
    script = WRITER.format(root=str(ROOT), folder=str(folder))
    writers = [subprocess.Popen([sys.executable, "-c", script, str(w), "100"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for w in (1, 2)]
    cache = DiskCache(folder, max_bytes=10**9)
    hits = torn = 0
    deadline = time.monotonic() + 180  # bounded: a hang fails the test instead of stalling the suite
    while any(p.poll() is None for p in writers) and time.monotonic() < deadline:
        got = cache.get("same")
        if got is None:
            time.sleep(0.002)
            continue
        hits += 1
        tensors, meta = got
        torn += not bool((tensors["w"] == meta["tag"]).all())
        assert tensors["w"].shape == (65_536,)
        time.sleep(0.002)  # leave the writers the CPU: the point is interleaving, not a tight loop
    outs = []
    for p in writers:
        try:
            out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            pytest.fail("a writer did not finish in time")
        assert p.returncode == 0, err[-800:]
        outs.append([int(x) for x in out.split()])
    assert torn == 0 and all(t == 0 for _, t in outs)
    assert sum(h for h, _ in outs) >= 150 and hits > 0  # the reads happened, under the other's writes
    assert [q.name for q in folder.iterdir()] == ["same.safetensors"]  # no temp file left behind
    tensors, meta = cache.get("same")
    assert meta["tag"] in (100_099, 200_099) and bool((tensors["w"] == meta["tag"]).all())
    assert os.access(cache.path("same"), os.R_OK) and torch.is_tensor(tensors["w"])
