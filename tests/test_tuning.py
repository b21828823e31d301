"""Hyperparameter tuning: search space checks, seeded samplers, pruning, shared storage (SQLite and
PostgreSQL), a worker killed mid-trial, stop/resume, and every chart builder's spec."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from bench.fake_study import populate_fake
from core import settings, tuning
from core.config import ConfigError
from core.tuning import charts

ROOT = Path(__file__).resolve().parents[1]
SMALL = tuning.SearchSpace(lr_low=1e-3, lr_high=0.05, layers_min=1, layers_max=2, width_min=8, width_max=32,
                           batch_sizes=(64, 128), activations=("relu", "tanh"), dropout_low=0.0, dropout_high=0.3)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tuning.db'}"
    return request.getfixturevalue("postgres_url")


def _states(url: str, name: str) -> pd.DataFrame:
    return tuning.read_study(url, name).trials


def _wait(cond, timeout: float, every: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(every)
    raise AssertionError("timed out waiting")


# ---- bad input: one clear line each ------------------------------------------------------------
def test_search_space_and_budget_messages(monkeypatch):
    with pytest.raises(ConfigError, match="empty"):
        tuning.SearchSpace(lr_low=0.01, lr_high=0.01, layers_min=2, layers_max=2, width_min=32, width_max=32,
                           batch_sizes=(64,), activations=("relu",), dropout_low=0.2, dropout_high=0.2)
    with pytest.raises(ConfigError, match="upside down") as e:
        tuning.SearchSpace(lr_low=0.1, lr_high=0.001)
    assert e.value.field == "lr_low"
    with pytest.raises(ConfigError, match="at least one"):
        tuning.SearchSpace(activations=())
    with pytest.raises(ConfigError, match="runs nothing"):
        tuning.StudySettings(n_trials=0)
    with pytest.raises(ConfigError, match=r"1,000,000 trials is more than the limit here \(2,000\)"):
        tuning.StudySettings(n_trials=1_000_000)
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    with pytest.raises(ConfigError, match=r"\(100\)"):
        tuning.StudySettings(n_trials=500)
    assert tuning.max_workers() <= settings.HOSTED.max_workers
    # a bad URL falls back to the defaults with a notice naming the parameter
    cfg, notices = tuning.StudySettings.from_query({"t_n_trials": "0", "t_sampler": "magic"}, "t_")
    assert cfg == tuning.StudySettings() and len(notices) == 2 and "t_n_trials" in notices[0] + notices[1]
    space, notices = tuning.SearchSpace.from_query({"s_lr_low": "0.5", "s_lr_high": "0.001"}, "s_")
    assert notices and space.lr_low <= space.lr_high


def test_the_default_study_is_worth_watching():
    """100 trials x 30 epochs ended in 15-25 s on 2 workers (about 1,400 epochs after pruning): over before a
    student had seen it. bench/tuning.py --default times the default; its budget is 4x that now, and it
    still fits a hosted server's caps and price."""
    from core.serve import check_study

    st = tuning.StudySettings()
    assert st.n_trials * st.epochs >= 4 * 100 * 30
    assert check_study(tuning.SearchSpace(), st, settings.HOSTED) is None


def test_bad_storage_and_names(tmp_path):
    with pytest.raises(tuning.TuningError, match="cannot reach the database postgresql://u:\\*\\*\\*@127.0.0.1:1/x"):
        tuning.open_storage("postgresql://u:secret@127.0.0.1:1/x")
    with pytest.raises(tuning.TuningError, match="not a database URL"):
        tuning.open_storage("just-a-file.db")
    with pytest.raises(tuning.TuningError, match="not usable"):
        tuning.check_name("../etc")


def test_existing_name_with_another_space(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    st = tuning.StudySettings(n_trials=5, epochs=2)
    tuning.create_study("s1", SMALL, st, url)
    with pytest.raises(tuning.TuningError, match="already exists with another search space.*lr_high"):
        tuning.create_study("s1", SMALL.replace(lr_high=0.1), st, url)
    with pytest.raises(tuning.TuningError, match="other settings.*sampler"):
        tuning.create_study("s1", SMALL, st.replace(sampler="random"), url)
    info = tuning.create_study("s1", SMALL, st.replace(n_trials=9), url)  # a bigger budget resumes it
    assert info.settings.n_trials == 9 and tuning.list_studies(url) == ["s1"]


def test_worker_cli_refuses_a_missing_study(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert tuning.main(["worker", "--storage", url, "--study", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no study named 'nope'" in err and "create it on the Hyperparameter Tuner page" in err
    assert tuning.main(["worker", "--storage", url, "--study", "nope", "--n-trials", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


# ---- the search itself ----------------------------------------------------------------------------
@pytest.mark.parametrize("sampler", ["random", "tpe", "grid"])
def test_seeded_samplers_repeat(tmp_path, sampler):
    st = tuning.StudySettings(sampler=sampler, pruner="none", n_trials=4, epochs=1, seed=3)
    runs = []
    for i in range(2):
        url = f"sqlite:///{tmp_path / f'{sampler}{i}.db'}"
        tuning.create_study("rep", SMALL, st, url)
        tuning.run_worker(url, "rep")
        t = _states(url, "rep")
        runs.append(t[["number", *tuning.PARAMS, "value"]].reset_index(drop=True))
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert len(runs[0]) == 4 and runs[0]["lr"].nunique() > 1
    if sampler == "grid":
        grid = SMALL.grid(st.grid_points)
        assert all(v in grid["lr"] for v in runs[0]["lr"])
    # another seed proposes something else
    url = f"sqlite:///{tmp_path / f'{sampler}-other.db'}"
    tuning.create_study("rep", SMALL, st.replace(seed=4), url)
    tuning.run_worker(url, "rep", n_trials=2)
    assert not np.allclose(_states(url, "rep")["lr"].to_numpy()[:2], runs[0]["lr"].to_numpy()[:2])


def test_pruning_prunes_and_trials_store_curves(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    wide = SMALL.replace(lr_low=1e-5, lr_high=0.05)
    st = tuning.StudySettings(sampler="random", pruner="median", n_trials=12, epochs=8, seed=1)
    tuning.create_study("prune", wide, st, url)
    tuning.run_worker(url, "prune")
    f = tuning.read_study(url, "prune")
    c = f.counts
    assert c["COMPLETE"] + c["PRUNED"] == 12 and c["PRUNED"] >= 1
    pruned = f.trials[f.trials["state"] == "PRUNED"]
    assert (pruned["epochs"] < st.epochs).all()
    assert (f.trials[f.trials["state"] == "COMPLETE"]["epochs"] == st.epochs).all()
    # every trial keeps its learning curve and final metrics as user attributes
    study = optuna.load_study(study_name="prune", storage=url)
    for t in study.get_trials():
        assert len(t.user_attrs["curve"]["val_acc"]) == len(t.intermediate_values)
        assert t.user_attrs["metrics"]["state"] == t.state.name.lower()
        assert 0.0 <= t.user_attrs["metrics"]["test_acc"] <= 1.0
        if t.state == optuna.trial.TrialState.COMPLETE:
            assert t.value == pytest.approx(t.user_attrs["curve"]["val_acc"][-1], abs=1e-6)
    curve = tuning.trial_curve(url, "prune", int(pruned["number"].iloc[0]))
    assert list(curve.columns) == ["epoch", *tuning.CURVE_COLUMNS] and len(curve) == pruned["epochs"].iloc[0]


def _spawn(url: str, name: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "core.tuning", "worker", "--storage", url, "--study", name,
                             *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_workers_share_a_study(storage_url):
    name = _name("share")
    st = tuning.StudySettings(sampler="tpe", pruner="none", n_trials=8, epochs=3, seed=0)
    tuning.create_study(name, SMALL.replace(batch_sizes=(32,)), st, storage_url)
    # at most 4 trials each: both must work, however fast one of them starts (trials take well under a second)
    procs = [_spawn(storage_url, name, "--n-trials", "4") for _ in range(2)]
    try:
        outs = [p.communicate(timeout=150)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], outs
    t = _states(storage_url, name)
    assert t["number"].is_unique
    assert (t["state"] == "COMPLETE").sum() == 8 and not (t["state"] == "RUNNING").any()
    assert t["worker"].nunique() == 2, "both workers ran trials"
    ran = sorted(int(o.strip().splitlines()[-1].split()[1]) for o in outs)
    assert sum(ran) >= 8  # each worker reports what it ran; surplus attempts are not trials


def test_worker_killed_mid_trial(storage_url):
    name = _name("kill")
    # 60 epochs a trial: long enough for the poll below to catch one mid-trial
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=3, epochs=60, seed=0)
    tuning.create_study(name, SMALL.replace(batch_sizes=(32,)), st, storage_url, heartbeat=tuning.Heartbeat(1, 2))
    w = _spawn(storage_url, name)
    try:
        def mid_trial():
            f = tuning.read_study(storage_url, name)
            run = f.trials[f.trials["state"] == "RUNNING"]
            done = f.trials[f.trials["state"] == "COMPLETE"]
            return (done, int(run["number"].iloc[0])) if len(done) >= 1 and len(run) and run["epochs"].iloc[0] >= 2 \
                else None
        done, victim = _wait(mid_trial, 120, 0.1)
        os.kill(w.pid, signal.SIGKILL)
        w.wait(10)
    finally:
        w.kill()
    # the study goes on: another worker fails the silent trial after the grace period, reruns its settings
    tuning.run_worker(storage_url, name)
    t = _states(storage_url, name).set_index("number")
    assert t.loc[victim, "state"] == "FAIL"
    for n, v in zip(done["number"], done["value"]):
        assert t.loc[n, "state"] == "COMPLETE" and t.loc[n, "value"] == pytest.approx(v)
    assert (t["state"] == "COMPLETE").sum() == 3 and not (t["state"] == "RUNNING").any()
    study = optuna.load_study(study_name=name, storage=tuning.open_storage(storage_url))
    victim_params = study.trials[victim].params
    assert any(tr.params == victim_params and tr.number != victim and tr.state.name == "COMPLETE"
               for tr in study.trials), "the killed trial's settings ran again"


def test_stop_resume_and_orphan_exit(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    # the worker reads the stop flag at most every 0.5 s, so a trial must last well over that after its second
    # epoch for the stop to land mid-trial: 50 epochs took 2-3 s on one machine, but under 0.5 s on a faster one
    # (an AMD EPYC), where the stop then came between trials and none was interrupted; 300 epochs leave seconds
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=3, epochs=300, seed=2)
    tuning.create_study("stop", SMALL.replace(batch_sizes=(32,)), st, url)
    w = _spawn(url, "stop")
    try:
        def running():
            t = tuning.read_study(url, "stop").trials
            return ((t["state"] == "RUNNING") & (t["epochs"] >= 2)).any()
        _wait(running, 120, 0.1)
        tuning.request_stop(url, "stop")
        out = w.communicate(timeout=60)[0]
    finally:
        w.kill()
    assert w.returncode == 0 and "stopped" in out
    t = _states(url, "stop")
    assert t["interrupted"].notna().sum() == 1 and (t["state"] == "WAITING").sum() == 1
    assert not (t["state"] == "RUNNING").any()
    done = int((t["state"] == "COMPLETE").sum())
    interrupted = t[t["interrupted"].notna()].iloc[0]
    tuning.resume(url, "stop", n_trials=done + 1)  # room for exactly the queued trial
    tuning.run_worker(url, "stop")
    t = _states(url, "stop")
    assert (t["state"] == "COMPLETE").sum() == done + 1 and not t["state"].isin(["WAITING", "RUNNING"]).any()
    rerun = t[(t["state"] == "COMPLETE") & (t["lr"] == interrupted["lr"])]
    assert len(rerun) == 1, "the interrupted settings ran first on resume"
    # a worker whose parent is gone does not keep running on its own
    tuning.resume(url, "stop", n_trials=50)
    assert tuning.run_worker(url, "stop", parent=os.getppid() + 1_000_000) == 0


# ---- reading big studies and the charts ----------------------------------------------------------
@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fake') / 'f.db'}"
    populate_fake(url, "fake", 400, epochs=8, seed=0)
    populate_fake(url, "fake2", 150, epochs=8, seed=1)
    return url, tuning.read_study(url, "fake"), tuning.read_study(url, "fake2")


def test_read_study_is_complete(fake):
    url, f, _ = fake
    assert len(f.trials) == 400 and f.trials["number"].tolist() == list(range(400))
    assert f.params == list(tuning.PARAMS)
    assert set(f.trials["activation"]) <= set(tuning.SearchSpace().activations)
    assert f.trials["batch_size"].isin(tuning.SearchSpace().batch_sizes).all()
    assert len(f.curves) == f.trials["epochs"].sum()
    study = optuna.load_study(study_name="fake", storage=url)  # what Optuna itself reads agrees
    slow = study.trials_dataframe()
    assert np.allclose(slow["params_lr"], f.trials["lr"]) and (slow["state"] == f.trials["state"]).all()


def _marks(spec: dict) -> list[str]:
    out = []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for s in spec.get(key, []):
            out += _marks(s)
    m = spec.get("mark")
    if m:
        out.append(m if isinstance(m, str) else m["type"])
    return out


def _datasets(spec: dict) -> dict[str, list]:
    return spec.get("datasets", {})


def test_history_chart(fake):
    _, f, _ = fake
    spec = charts.history(f.trials).to_dict()
    assert _marks(spec) == ["circle", "line"]
    best = charts.best_so_far(f.trials)
    assert (np.diff(best["best"]) >= 0).all() and best["best"].iloc[-1] == f.best()["value"]
    small = charts.best_so_far(f.trials, max_points=10)
    assert len(small) < len(best) and small["best"].iloc[-1] == best["best"].iloc[-1]
    assert spec["layer"][1]["mark"]["interpolate"] == "step-after"
    line = charts.history(f.trials).layer[1].data
    assert line["number"].max() == f.trials.loc[f.trials["state"].isin(["COMPLETE", "PRUNED"]), "number"].max()


def test_parallel_coordinates_chart(fake):
    _, f, _ = fake
    spec = charts.parallel_coordinates(f.trials, f.params, max_lines=50).to_dict()
    assert _marks(spec) == ["rule", "line", "text"]
    line = spec["layer"][1]
    assert line["encoding"]["x"]["sort"] == [*f.params, "val_acc"] and line["encoding"]["detail"]["field"] == "number"
    rows = max(_datasets(spec).values(), key=len)
    assert len({r["number"] for r in rows}) == 50
    assert all(0 <= r["pos"] <= 1 for r in rows)


def test_importance_and_chart(fake):
    _, f, _ = fake
    imp = tuning.param_importance(f)
    assert set(imp) <= set(tuning.SearchSpace().varying()) and sum(imp.values()) == pytest.approx(1.0)
    assert max(imp, key=imp.get) == "lr"  # the fake accuracy depends on lr most
    spec = charts.importance(imp).to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["y"]["sort"] == "-x"


def test_slices_chart(fake):
    _, f, _ = fake
    spec = charts.slices(f.trials, f.params).to_dict()
    assert len(spec["concat"]) == len(f.params) and spec["columns"] == 3
    xs = {c["encoding"]["x"]["title"]: c["encoding"]["x"] for c in spec["concat"]}
    assert xs["learning rate"]["scale"]["type"] == "log" and xs["neurons per layer"]["scale"]["type"] == "log"
    assert xs["activation"]["type"] == "nominal" and xs["batch size"]["type"] == "nominal"
    assert xs["dropout rate"]["type"] == "quantitative"


def test_learning_curves_chart_marks_pruned(fake):
    _, f, _ = fake
    chart = charts.learning_curves(f.curves, f.trials, max_trials=60)
    spec = chart.to_dict()
    assert _marks(spec) == ["line", "point"]
    assert spec["layer"][1]["mark"]["shape"] == "cross"
    lines = chart.layer[0].data
    stops = chart.layer[1].data
    assert lines["number"].nunique() <= 60
    pruned_drawn = set(lines[lines["state"] == "PRUNED"]["number"])
    assert set(stops["number"]) == pruned_drawn and len(pruned_drawn) > 0
    last = f.curves.groupby("number")["epoch"].max()
    assert all(last[n] == e for n, e in zip(stops["number"], stops["epoch"]))


def test_timeline_chart(fake):
    _, f, _ = fake
    spec = charts.timeline(f.trials).to_dict()
    assert spec["mark"]["type"] == "bar"
    enc = spec["encoding"]
    assert enc["x"]["field"] == "t_start" and enc["x2"]["field"] == "t_end" and enc["y"]["field"] == "worker"
    rows = max(_datasets(spec).values(), key=len)
    assert {r["worker"] for r in rows} == {f"fake:{i}" for i in range(4)}


def test_compare_and_table(fake):
    _, f, g = fake
    spec = charts.compare(f.trials, g.trials, "A", "B").to_dict()
    assert _marks(spec) == ["line", "boxplot"]
    table = charts.compare_table({"A": f.trials, "B": g.trials})
    assert table["study"].tolist() == ["A", "B"] and table["best validation accuracy"].iloc[0] == f.best()["value"]
    csv = charts.trials_csv(f.trials, f.params).decode().splitlines()
    assert csv[0].startswith("number,state,val_acc") and len(csv) == 401


def test_charts_of_an_empty_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    tuning.create_study("empty", SMALL, tuning.StudySettings(n_trials=3, epochs=2), url)
    f = tuning.read_study(url, "empty")
    assert f.trials.empty and f.best() is None and tuning.param_importance(f) == {}
    charts.history(f.trials).to_dict()
    charts.learning_curves(f.curves, f.trials).to_dict()


def test_train_this_configuration_link():
    from urllib.parse import parse_qs, urlparse

    st = tuning.StudySettings(epochs=12, seed=5)
    best = {"lr": 0.0031, "layers": 2, "width": 48, "batch_size": 64, "activation": "tanh", "dropout": 0.25,
            "optimizer": "adam"}
    link = tuning.digits_link(best, st)
    assert link.startswith("/digits?")
    q = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    try:
        from core.digits import DigitsConfig
    except ImportError:
        pytest.skip("the Digit Recognizer's config is not here")
    cfg, notices = DigitsConfig.from_query(q)
    assert not notices
    assert (cfg.hidden, cfg.lr, cfg.batch_size, cfg.activation, cfg.dropout, cfg.epochs, cfg.seed) == \
        ((48, 48), 0.0031, 64, "tanh", 0.25, 12, 5)


def test_time_limit_and_mnist_data(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tl.db'}"
    tuning.create_study("tl", SMALL, tuning.StudySettings(n_trials=50, epochs=1, timeout_min=0.0005), url)
    time.sleep(0.1)
    assert tuning.run_worker(url, "tl") == 0  # past its time limit: starts nothing
    # MNIST is used where it is available (a local folder), and refused with the reason where it is not
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(tuning.TuningError, match="MNIST is not available here"):
        tuning.create_study("m", SMALL, tuning.StudySettings(dataset="mnist", n_trials=3, epochs=1, seed=9), url)
    from tests.conftest import MNIST_SAMPLE as sample
    if not sample.exists():
        pytest.skip("no MNIST sample here")
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(sample))
    data = tuning.load_data(tuning.StudySettings(dataset="mnist", seed=9))
    assert data.n_features == 784 and data.n_outputs == 10 and len(data.X_val) == round(0.2 * 4000)
