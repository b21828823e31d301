"""Multi-objective studies (accuracy and parameters, or accuracy and time): Optuna's directions, the objective's
two values, distributed workers, the Pareto front and its clickable chart; notes kept in the storage."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from core import tuning
from core.config import ConstraintError
from core.tuning import notes, pareto
from core.tuning.trial import param_count
from tests.test_tuning import SMALL, storage_url  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[1]


def test_two_objectives_need_no_pruner_and_set_optunas_directions():
    assert tuning.StudySettings().directions == ["maximize"]
    st = tuning.StudySettings(objective="accuracy+params", pruner="none")
    assert st.directions == ["maximize", "minimize"] and st.multi
    with pytest.raises(ConstraintError):
        tuning.StudySettings(objective="accuracy+time", pruner="median")
    cfg, said = tuning.StudySettings.from_query({"t_objective": "accuracy+time", "t_pruner": "median"}, "t_")
    assert cfg.objective == "accuracy" and cfg.pruner == "median" and "cannot prune" in said[0]
    assert tuning.StudySettings.choices_given("pruner", {"objective": "accuracy+params"}) == ("none",)


def test_param_count_is_an_mlps_weights_and_biases():
    assert param_count(64, (32, 16), 10) == 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    assert param_count(5, (7,), 3) == sum(p.numel() for p in net.parameters())


def test_a_multi_objective_study_runs_in_two_workers_and_keeps_curves(storage_url):  # noqa: F811
    name = f"mo-{uuid.uuid4().hex[:8]}"
    st = tuning.StudySettings(sampler="tpe", pruner="none", n_trials=6, epochs=4, seed=0, objective="accuracy+params")
    tuning.create_study(name, SMALL.replace(batch_sizes=(64,)), st, storage_url)
    procs = [subprocess.Popen([sys.executable, "-m", "core.tuning", "worker", "--storage", storage_url, "--study",
                               name, "--n-trials", "3"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        outs = [p.communicate(timeout=240)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], outs
    f = tuning.read_study(storage_url, name)
    done = f.trials[f.trials["state"] == "COMPLETE"]
    assert len(done) == 6 and done["worker"].nunique() == 2
    study = optuna.load_study(study_name=name, storage=tuning.open_storage(storage_url))
    assert study.directions == [optuna.study.StudyDirection.MAXIMIZE, optuna.study.StudyDirection.MINIMIZE]
    for t in study.get_trials():
        hidden = (t.params["width"],) * t.params["layers"]
        assert t.values[1] == param_count(64, hidden, 10)  # 8x8 digits in, ten classes out
        assert t.values[0] == pytest.approx(t.user_attrs["curve"]["val_acc"][-1], abs=1e-6)
        assert len(t.intermediate_values) == st.epochs  # the curves the page draws, as for one objective
    row = done.set_index("number")
    for t in study.get_trials():
        assert row.loc[t.number, "value2"] == t.values[1] and row.loc[t.number, "value"] == pytest.approx(t.values[0])
    assert set(f.curves["number"]) == set(done["number"])
    on = pareto.front_frame(f.trials)
    best = {t.number for t in study.best_trials}  # Optuna's own Pareto front
    assert set(on.loc[on["front"], "number"]) == best


def test_accuracy_and_time_returns_the_training_seconds(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=2, epochs=2, objective="accuracy+time")
    tuning.create_study("time", SMALL, st, url)
    tuning.run_worker(url, "time")
    for t in optuna.load_study(study_name="time", storage=url).get_trials():
        assert t.values[1] == t.user_attrs["metrics"]["seconds"] and t.values[1] > 0  # one reading, not two


def test_the_front_is_every_trial_no_other_beats_on_both():
    rng = np.random.default_rng(3)
    acc, cost = rng.random(300), rng.random(300)
    cost[5], acc[5] = cost[4], acc[4]  # a tie: both stay on the front or off it together
    got = pareto.front_mask(acc, cost)
    for i in range(300):
        beaten = ((acc >= acc[i]) & (cost <= cost[i]) & ((acc > acc[i]) | (cost < cost[i]))).any()
        assert got[i] == (not beaten)
    assert not pareto.front_mask(np.array([np.nan, 0.5]), np.array([1.0, 2.0]))[0]


def test_the_chart_draws_the_front_and_a_click_reads_back_a_trial():
    t = pd.DataFrame({"number": range(5), "state": ["COMPLETE"] * 4 + ["PRUNED"], "value": [0.9, 0.8, 0.95, 0.85, 1.0],
                      "value2": [100.0, 50.0, 200.0, 150.0, 10.0], "lr": [0.1] * 5})
    spec = pareto.pareto_chart(t, "accuracy+params", ["lr"]).to_dict()
    rows = [r for rows in spec["datasets"].values() for r in rows if "on" in r]
    assert {r["number"] for r in rows if r["on"] == "Pareto front"} == {0, 1, 2}
    assert 4 not in {r["number"] for r in rows}  # pruned: no second value
    assert [p["name"] for p in spec.get("params", [])] == ["trial"]  # a click selects a trial
    assert pareto.picked_trial({"selection": {"trial": [{"number": 2}]}}) == 2
    assert pareto.picked_trial({"selection": {"trial": []}}) is None and pareto.picked_trial(None) is None


def test_notes_on_a_study_and_its_trials_live_in_the_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=2, epochs=2)
    tuning.create_study("n", SMALL, st, url)
    tuning.run_worker(url, "n")
    notes.store_note_on_study(url, "n", "  wide nets won  ")
    notes.store_note_on_trial(url, "n", 1, "check its dropout")
    f = tuning.read_study(url, "n")
    assert f.note == "wide nets won" and f.trial_notes == {1: "check its dropout"}
    study = optuna.load_study(study_name="n", storage=url)
    assert study.user_attrs["note"] == "wide nets won"  # Optuna's own user attributes: any reader sees them
    notes.store_note_on_trial(url, "n", 1, "")
    assert tuning.read_study(url, "n").trial_notes == {}
    with pytest.raises(tuning.TuningError):
        notes.store_note_on_trial(url, "n", 99, "x")
    with pytest.raises(tuning.TuningError):
        notes.store_note_on_study(url, "n", "x" * (notes.MAX_NOTE + 1))
    assert tuning.apply_filter(f, tuning.TrialFilter(states=("COMPLETE",))).note == "wide nets won"


def test_the_pareto_claim_names_the_fronts_ends_or_a_trial_best_on_both():
    from core.tuning import claims as verdicts
    from tests.claimcheck import both_sides

    t = pd.DataFrame({"number": range(4), "state": ["COMPLETE"] * 4, "value": [0.9, 0.8, 0.95, 0.85],
                      "value2": [100.0, 50.0, 200.0, 150.0]})
    with both_sides("tuning.pareto_tradeoff"):
        s = verdicts.pareto_tradeoff(t, "accuracy+params")
        assert s.holds and s.startswith("3 of the 4 completed trials form the front")
        assert "cheapest (trial 1, 0.8000 with 50 parameters)" in s
        assert "(trial 2, 0.9500 with 200 parameters, 4.0×" in s
        one = t.assign(value=[0.9, 0.8, 0.95, 0.99], value2=[100.0, 50.0, 200.0, 10.0])
        no = verdicts.pareto_tradeoff(one, "accuracy+time")
        assert not no.holds and "trial 3, 0.9900 with 10 training seconds" in no
    assert verdicts.pareto_tradeoff(t.assign(state="PRUNED"), "accuracy+params") == ""
