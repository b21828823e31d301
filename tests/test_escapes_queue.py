"""Work that escaped the price or the queue in hosted mode (issue 22, part 2): each is bounded now."""

from __future__ import annotations

import time

from core.serve.queue import FairQueue
from core.xor.play import PlayLoop
from tests.test_playground_view import setting


# ---- Play: holds a training slot while it trains, and stops at a wall-clock limit --------------------
def test_play_in_several_tabs_trains_one_network_at_a_time_on_a_one_slot_server():
    q = FairQueue(1, poll=0.02)
    loops = []
    for i in range(3):  # three tabs (three sessions) press Play
        _, _, tr = setting(epochs=60)
        loops.append(PlayLoop([(tr, 60)], pace=2_000, idle_timeout=60,
                              slot=lambda on_wait, i=i: q.slot(f"tab{i}", on_wait)).start())
    deadline = time.monotonic() + 60
    while any(lp.alive for lp in loops) and time.monotonic() < deadline:
        for lp in loops:
            lp.touch()
        time.sleep(0.01)
    assert all(lp.finished and lp.error is None for lp in loops)
    assert q.peak_running == 1 and q.granted_total == 3  # each took the slot in turn, never two at once


def test_a_waiting_play_leaves_the_line_when_paused():
    q = FairQueue(1, poll=0.02)
    _, _, a = setting(epochs=5000)
    _, _, b = setting(epochs=5000)
    first = PlayLoop([(a, 5000)], pace=50, idle_timeout=60, slot=lambda w: q.slot("a", w)).start()
    time.sleep(0.2)
    second = PlayLoop([(b, 5000)], pace=50, idle_timeout=60, slot=lambda w: q.slot("b", w)).start()
    time.sleep(0.3)
    assert second.waiting is not None and b.epoch == 0  # in line, not training
    second.stop()
    first.stop()
    assert not second.alive and second.error is None and b.epoch == 0 and q.running() == 0


def test_play_stops_at_the_wall_clock_limit_and_says_so():
    _, _, a = setting(epochs=5000)
    loop = PlayLoop([(a, 5000)], pace=50, idle_timeout=60, wall_seconds=0.3).start()
    deadline = time.monotonic() + 30
    while loop.alive and time.monotonic() < deadline:
        loop.touch()
        time.sleep(0.02)
    assert not loop.alive and 0 < a.epoch < 5000
    assert loop.cut and "limit" in loop.cut and "Play" in loop.cut


# ---- fine-tuning ("teach it") goes through the door, priced --------------------------------------------
def test_fine_tuning_has_a_price_within_the_budget_and_the_page_takes_the_door(monkeypatch):
    import inspect

    from core import digits, settings
    from core.digits import finetune as ft
    from core.serve import price
    from ui import digits_inside as ui_digits

    model = digits.compute(digits.default_config("digits"))[0]
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    work = ft.workload(model, 5, 300)
    p = price.workload_price(work)
    assert 0 < p.seconds < settings.limits().run_seconds and p.peak_bytes > 0
    assert price.check(work) is None  # a few drawings: never refused
    assert price.check(ft.workload(model, 5, 300, epochs=10**7)) is not None  # the price sees its size
    assert "admitted(ft.workload(" in inspect.getsource(ui_digits.teach_view)


# ---- a Hyperparameter Effects sweep is priced whole, once ---------------------------------------------
def _call_keywords(path: str, func: str, callee: str) -> set[str]:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(path).read_text())
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == func)
    return {k.arg for n in ast.walk(fn) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == callee
            for k in n.keywords}


def test_a_sweep_of_six_stacks_each_under_the_budget_is_refused_whole(monkeypatch):
    from core.hyperparameters import jobs as hp
    from core.serve import price

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    cfg = hp.CapacitySweep(values=("256", "128x128", "192", "64x64", "128", "32x32"), seeds=10, epochs=300)
    assert len(cfg.stacks()) == 6
    assert all(price.check([c for _, c in s]) is None for s in cfg.stacks())  # each stack alone passes
    msg = price.check(cfg)
    assert msg and "60 s" in msg and "\n" not in msg  # the whole sweep: one line, the budget
    assert "request" in _call_keywords("app_pages/hyperparameters.py", "sweep_results", "cached_results")


# ---- a resumed tuning study is priced again, with its new budget --------------------------------------
def test_a_study_resumed_with_more_trials_is_priced_again(tmp_path, monkeypatch):
    import pytest

    from core import tuning
    from core.config import ConfigError
    from core.serve import check_study

    url = f"sqlite:///{tmp_path / 't.db'}"
    space = tuning.SearchSpace(layers_max=3, width_max=256)
    st = tuning.StudySettings(n_trials=10, epochs=200)
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    assert check_study(space, st) is None  # priced when started: fits
    big = st.replace(n_trials=100)
    assert check_study(space, big)  # the same study with 100 trials would not
    tuning.create_study("r", space, st, url)
    with pytest.raises(ConfigError, match="n_trials: .*10 min per study: fewer trials"):
        tuning.resume(url, "r", n_trials=100)
    assert tuning.study_info(url, "r").settings.n_trials == 10  # refused: the budget is unchanged
    tuning.resume(url, "r", n_trials=12)  # a resume within the budget still works


# ---- the hosted XOR Lab "100 seeds" tab: its retry-longer step is priced into the tab, never refused ----
def test_the_seed_study_workload_holds_its_retry_and_the_hosted_default_tab_is_not_refused(tmp_path, monkeypatch):
    from core.serve import price
    from core.xor import jobs as xor
    from tests.test_xor_page import xor_page

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    cfg = xor.SeedStudyConfig()
    work = cfg.workload()
    assert max(m.epochs for s in work.stacks for m in s.models) == cfg.epochs * xor.RETRY_FACTOR
    assert price.check(cfg) is None
    at = xor_page(tab="seeds")
    assert not at.exception
    refused = [e.value for e in at.error if "cap" in e.value or "allows" in e.value]
    assert not refused, refused
    assert any("longer" in e.value for e in at.info)  # the retry ran and said what it found


# ---- studies and worker logs have a retention rule -----------------------------------------------------
def test_starting_a_new_study_keeps_only_the_newest_n(tmp_path, monkeypatch):
    from core import tuning

    url = f"sqlite:///{tmp_path / 't.db'}"
    monkeypatch.setenv("NNLAB_KEEP_STUDIES", "3")
    space = tuning.SearchSpace(layers_max=1, width_max=16)
    st = tuning.StudySettings(n_trials=2, epochs=1)
    for i in range(5):
        tuning.create_study(f"s{i}", space, st, url)
        time.sleep(0.01)  # distinct creation times
    assert tuning.list_studies(url) == ["s4", "s3", "s2"]
    tuning.create_study("s2", space, st.replace(n_trials=3), url)  # a resume deletes nothing
    assert tuning.list_studies(url) == ["s4", "s3", "s2"]


def test_starting_a_worker_deletes_logs_older_than_the_setting(tmp_path, monkeypatch):
    import os

    from core.tuning import worker

    monkeypatch.setenv("NNLAB_KEEP_LOG_DAYS", "7")
    old, new = tmp_path / "a-1.log", tmp_path / "b-2.log"
    old.write_text("old")
    new.write_text("new")
    os.utime(old, (time.time() - 8 * 86_400,) * 2)
    proc = worker.spawn_worker("sqlite:///" + str(tmp_path / "none.db"), "nope", log_dir=tmp_path)
    proc.wait(timeout=120)
    assert not old.exists() and new.exists()
