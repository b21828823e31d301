"""Disk cache faults never lose a result, never delete someone else's file, never load a pickle;
several processes share one folder; the memory cache evicts at its bound."""

from __future__ import annotations

import errno
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from core.engine import TrainConfig, TrainResult
from core.serve import cache as C
from core.serve.cache import DiskCache, cached, not_cached
from tests.conftest import ROOT


def result(seed: int = 0) -> TrainResult:
    return TrainResult(config=TrainConfig(seed=seed), history=pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.5]}),
                       metrics={"final_loss": 0.5}, state={"0.weight": torch.ones(3, 2)}, n_in=2, n_out=1,
                       stopped_epoch=2, best_epoch=2, diverged=False, seconds=0.1, extra={})


def counting():
    calls = []

    def compute():
        calls.append(1)
        return [result()]
    return compute, calls


def test_a_result_that_cannot_be_stored_is_still_returned(tmp_path):
    """A cache 'folder' under a regular file: fails for root too (no chmod trick)."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    cache = DiskCache(blocker / "cache")
    compute, calls = counting()
    results, hit = cached("k1", compute, cache)
    assert not hit and calls == [1] and results[0].metrics == {"final_loss": 0.5}
    msg = not_cached(results)
    assert msg is not None and msg.startswith("not cached:") and "\n" not in msg


def test_a_full_disk_keeps_the_result_and_leaves_no_temp_file(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(C.os, "replace", full)
    compute, _ = counting()
    results, _ = cached("k2", compute, DiskCache(tmp_path))
    assert "disk is full" in not_cached(results)
    assert list(tmp_path.iterdir()) == []


def test_stored_results_are_not_flagged(tmp_path):
    compute, _ = counting()
    results, _ = cached("k3", compute, DiskCache(tmp_path))
    assert not_cached(results) is None
    again, hit = cached("k3", compute, DiskCache(tmp_path))
    assert hit and not_cached(again) is None


def test_a_read_error_does_not_delete_the_entry(tmp_path):
    cache = DiskCache(tmp_path)
    p = cache.path("k4")
    p.mkdir()  # open() fails with IsADirectoryError (an OSError), as root too
    assert cache.get("k4") is None and p.exists()


def test_a_corrupt_entry_is_recomputed_and_replaced(tmp_path):
    cache = DiskCache(tmp_path)
    cache.path("k5").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    compute, calls = counting()
    _, hit = cached("k5", compute, cache)
    assert not hit and calls == [1]
    _, hit = cached("k5", compute, DiskCache(tmp_path))
    assert hit and calls == [1]


class _Payload:
    """Unpickling this runs Path.touch(marker): a visible side effect."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
def test_an_entry_holding_a_pickle_is_never_loaded(tmp_path, how):
    marker = tmp_path / "pwned"
    cache = DiskCache(tmp_path / "c")
    p = cache.path("k6")
    if how == "pickle":
        p.write_bytes(pickle.dumps(_Payload(marker)))
    else:
        torch.save({"x": _Payload(marker)}, str(p))
    # the payload works when unpickled (so the test would notice a load)
    pickle.loads(pickle.dumps(_Payload(tmp_path / "proof")))
    assert (tmp_path / "proof").exists()
    compute, calls = counting()
    results, hit = cached("k6", compute, cache)
    assert not hit and calls == [1] and not marker.exists()
    assert p.read_bytes()[:1] != b"\x80" and cache.get("k6") is not None  # replaced by safetensors


def test_entries_are_written_atomically_and_readable_by_the_group(tmp_path):
    old = os.umask(0o022)
    try:
        cache = DiskCache(tmp_path)
        assert cache.put("k7", {"w": torch.zeros(4)}, {"a": 1})
    finally:
        os.umask(old)
    mode = cache.path("k7").stat().st_mode & 0o777
    assert mode & 0o040 and not mode & 0o002
    assert [q.name for q in tmp_path.iterdir()] == ["k7.safetensors"]  # no temp file left


def test_trim_and_size_tolerate_files_vanishing(tmp_path, monkeypatch):
    cache = DiskCache(tmp_path, max_bytes=10**9)
    for i in range(3):
        cache.put(f"v{i}", {"w": torch.zeros(10)}, {})
    real = Path.stat
    gone = cache.path("v1")

    def stat(self, *a, **k):
        if self == gone:
            raise FileNotFoundError(str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "stat", stat)
    assert len(cache.entries()) == 2 and cache.size() > 0
    cache.max_bytes = 1
    cache.trim()


def test_two_processes_share_one_folder(tmp_path):
    """A real second process stores and trims in the same folder: no store fails, nothing raises."""
    script = textwrap.dedent(f"""
        import sys, torch
        sys.path.insert(0, {str(ROOT)!r})
        from core.serve.cache import DiskCache
        c = DiskCache({str(tmp_path)!r}, max_bytes=6000)
        bad = 0
        for i in range(150):
            bad += not c.put(f"b{{i % 20}}", {{"w": torch.zeros(300)}}, {{"i": i}})
            c.get(f"a{{i % 20}}"); c.size()
        print("bad", bad)
    """)
    other = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c = DiskCache(tmp_path, max_bytes=6000)
    bad = 0
    for i in range(150):
        bad += not c.put(f"a{i % 20}", {"w": torch.zeros(300)}, {"i": i})
        c.get(f"b{i % 20}")
        c.size()
    out, err = other.communicate(timeout=120)  # a deadline: a hang fails instead of stalling the suite
    assert other.returncode == 0, err[-500:]
    assert bad == 0 and out.split() == ["bad", "0"]
    assert c.size() <= 6000 + 2000


def _replaced_after_open(monkeypatch, cache: DiskCache, key: str, newer: Path) -> None:
    """The next open of ``key``'s entry is followed at once by another process's atomic replace."""
    target = cache.path(key)

    def opening(file, *a, **k):
        fh = open(file, *a, **k)  # noqa: SIM115 (returned open, as open() does)
        if Path(file) == target and newer.exists():
            os.replace(newer, target)  # what a second server's put does, while this read holds the old file
        return fh

    monkeypatch.setattr(C, "open", opening, raising=False)


def test_an_entry_replaced_while_read_gives_one_version(tmp_path, monkeypatch):
    """Meta and tensors come from the one file opened, not from the file that replaced it meanwhile."""
    cache = DiskCache(tmp_path / "c")
    cache.put("k8", {"w": torch.full((1000,), 1.0)}, {"tag": 1})
    other = DiskCache(tmp_path / "other")
    other.put("k8", {"w": torch.full((1000,), 2.0)}, {"tag": 2})
    _replaced_after_open(monkeypatch, cache, "k8", other.path("k8"))
    tensors, meta = cache.get("k8")
    assert meta["tag"] == 1 and bool((tensors["w"] == 1.0).all())
    monkeypatch.undo()
    tensors, meta = cache.get("k8")  # the next read sees the new version, whole
    assert meta["tag"] == 2 and bool((tensors["w"] == 2.0).all())


def test_a_corrupt_entry_replaced_by_a_good_one_meanwhile_is_kept(tmp_path, monkeypatch):
    """A reader that found a corrupt file deletes only that file, never the good entry that replaced it."""
    cache = DiskCache(tmp_path / "c")
    cache.path("k9").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    other = DiskCache(tmp_path / "other")
    other.put("k9", {"w": torch.zeros(10)}, {"tag": 2})
    _replaced_after_open(monkeypatch, cache, "k9", other.path("k9"))
    assert cache.get("k9") is None  # the corrupt version it read: a miss
    monkeypatch.undo()
    assert cache.get("k9")[1] == {"tag": 2}  # the good entry is still there


# ---- the memory cache -----------------------------------------------------------------------------
def test_memory_cache_evicts_at_its_bounds():
    from ui.common import Memo

    m = Memo(size=3)
    for k in "abcd":
        m.put(k, k)
    assert m.get("a") is None and [m.get(k) for k in "bcd"] == ["b", "c", "d"]
    m.get("b")  # used: now the newest
    m.put("e", "e")
    assert m.get("c") is None and m.get("b") == "b"
    by_bytes = Memo(size=100, max_bytes=10_000)
    for k in range(5):
        by_bytes.put(str(k), np.zeros(500))  # 4,000 bytes each
    assert len(by_bytes.items) == 2 and sum(by_bytes.sizes.values()) <= 10_000
    assert by_bytes.get("4") is not None and by_bytes.get("0") is None
