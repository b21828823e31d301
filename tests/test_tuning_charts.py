"""The tuner's views read right: chart specs through to_dict() (contour, EDF, rank, numeric batch sizes,
whole epochs, a readable time axis, plain labels), the one trial filter, interrupted trials counted
apart from failures, and study ownership (hosted: only the starting session stops, resumes, deletes)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bench.fake_study import populate_fake
from core import tuning
from core.tuning import charts, landscape
from core.tuning.filters import TrialFilter, apply_filter, param_bounds, trial_mask


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('charts') / 'f.db'}"
    populate_fake(url, "fake", 600, epochs=8, seed=3)
    populate_fake(url, "other", 200, epochs=8, seed=4)
    return url, tuning.read_study(url, "fake"), tuning.read_study(url, "other")


def _rows(spec: dict) -> list[list[dict]]:
    """Every inline data set of a spec (Altair puts them under 'datasets')."""
    return list(spec.get("datasets", {}).values())


def _layer_data(chart, i: int) -> pd.DataFrame:
    return chart.layer[i].data


# ---- contour ------------------------------------------------------------------------------------
def test_contour_has_both_chosen_params(fake):
    _, f, _ = fake
    chart = landscape.contour(f.trials, "lr", "dropout")
    spec = chart.to_dict()
    rect, dots = spec["layer"]
    assert rect["mark"]["type"] == "rect" and dots["mark"]["type"] == "circle"
    assert rect["encoding"]["x"]["title"] == "learning rate" and rect["encoding"]["y"]["title"] == "dropout rate"
    assert rect["encoding"]["x"]["scale"]["type"] == "log"  # lr is searched on a log scale
    assert "x2" in rect["encoding"] and "y2" in rect["encoding"]
    assert rect["encoding"]["color"]["field"] == "mean"
    cells = _layer_data(chart, 0)
    done = f.trials[f.trials["state"] == "COMPLETE"]
    assert cells["trials"].sum() == len(done)  # every completed trial is in exactly one cell
    assert cells["best"].max() == pytest.approx(done["value"].max())
    assert (cells["x_lo"] < cells["x_hi"]).all() and cells["x_lo"].min() == pytest.approx(done["lr"].min())
    assert "Contour: learning rate and dropout rate" in str(rect["title"])


def test_contour_of_a_choice_keeps_numeric_order(fake):
    _, f, _ = fake
    spec = landscape.contour(f.trials, "batch_size", "activation").to_dict()
    rect, dots = spec["layer"]
    x = rect["encoding"]["x"]  # choice i drawn at i, labelled with its name: 32, 64, 128 in numeric order
    assert x["axis"]["values"] == [0, 1, 2] and x["axis"]["labelExpr"].startswith('["32","64","128"]')
    assert x["scale"]["domain"] == [-0.5, 2.5] and "x2" in rect["encoding"]
    acts = json.loads(rect["encoding"]["y"]["axis"]["labelExpr"].split("[datum")[0])
    assert acts == sorted(tuning.SearchSpace().activations)
    assert dots["encoding"]["x"]["scale"] == x["scale"]  # the dots share the cells' axis
    cells = landscape.contour_grid(f.trials, "batch_size", "activation")
    assert set(cells["x_name"]) <= {"32", "64", "128"} and ((cells["x_hi"] - cells["x_lo"]) == 1).all()
    layers = landscape.contour(f.trials, "layers", "dropout").to_dict()["layer"][0]["encoding"]["x"]
    assert layers["axis"]["labelExpr"].startswith('["1","2","3"]')  # a cell per layer count
    few = f.trials[f.trials["state"] == "COMPLETE"].head(9)
    assert len(landscape.contour_grid(few, "lr", "dropout")) <= 4 * 4  # few trials: a coarse grid
    with pytest.raises(ValueError):
        landscape.contour(f.trials, "lr", "lr")


# ---- EDF ----------------------------------------------------------------------------------------
def test_edf_is_monotone_and_ends_at_one(fake):
    _, f, g = fake
    d = charts.edf_data({"fake": f.trials, "other": g.trials}, points=120)
    assert set(d["study"]) == {"fake", "other"}
    for _, part in d.groupby("study"):
        fr = part.sort_values("accuracy")["fraction"].to_numpy()
        assert (np.diff(fr) >= 0).all() and fr[-1] == 1.0 and 0 <= fr[0] <= 1
    # the fraction at an accuracy is the share of completed trials at or below it
    done = f.trials.loc[f.trials["state"] == "COMPLETE", "value"]
    row = d[d["study"] == "fake"].iloc[60]
    assert row["fraction"] == pytest.approx((done <= row["accuracy"]).mean())
    spec = charts.edf({"fake": f.trials}).to_dict()
    assert spec["mark"]["type"] == "line" and spec["mark"]["interpolate"] == "step-after"
    assert spec["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_edf_of_no_completed_trial_is_empty():
    empty = pd.DataFrame({"state": ["PRUNED"], "value": [np.nan]})
    assert charts.edf_data({"a": empty}).empty
    charts.edf({"a": empty}).to_dict()


# ---- rank ---------------------------------------------------------------------------------------
def test_rank_plot_ranks_by_value(fake):
    _, f, _ = fake
    r = landscape.ranked(f.trials)
    best = r.loc[r["rank"] == 1, "value"]
    assert best.iloc[0] == pytest.approx(f.best()["value"]) and r["rank_pct"].max() == 1.0
    by_value = r.sort_values("value", ascending=False)
    assert (np.diff(by_value["rank"].to_numpy()) >= 0).all()  # a better value never has a worse rank
    chart = landscape.rank(f.trials, "lr", "batch_size", max_points=300)
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "circle"
    enc = spec["encoding"]
    assert enc["x"]["title"] == "learning rate" and enc["y"]["title"] == "batch size"
    assert enc["color"]["field"] == "rank_pct" and enc["y"]["sort"] == ["32", "64", "128"]
    assert "yOffset" in enc  # dots spread across a choice's band
    drawn = chart.data
    assert len(drawn) == 300 and drawn["rank"].min() == 1  # the best trial is always drawn
    assert drawn["rank"].iloc[-1] == 1  # ... and drawn last, on top


# ---- readability fixes --------------------------------------------------------------------------
def test_slices_sort_batch_sizes_as_numbers(fake):
    _, f, _ = fake
    t = f.trials.copy()
    t.loc[t.index[:5], "batch_size"] = 256  # '256' < '32' as text; 256 > 128 as a number
    t.loc[t.index[5:10], "batch_size"] = 16
    spec = charts.slices(t, f.params).to_dict()
    [bs] = [c for c in spec["concat"] if c["encoding"]["x"]["title"] == "batch size"]
    assert bs["encoding"]["x"]["sort"] == ["16", "32", "64", "128", "256"]
    assert charts.sorted_choices([128, 16, 32, "64"]) == ["16", "32", "64", "128"]
    assert charts.sorted_choices(["tanh", "relu"]) == ["relu", "tanh"]


def test_learning_curve_epochs_are_whole_numbers(fake):
    _, f, _ = fake
    spec = charts.learning_curves(f.curves, f.trials).to_dict()
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    assert axis["format"] == "d" and axis["tickMinStep"] == 1


def test_timeline_reads_elapsed_time(fake):
    _, f, _ = fake
    chart = charts.timeline(f.trials)
    spec = chart.to_dict()
    assert spec["encoding"]["x"]["type"] == "quantitative"
    d = chart.data
    span = (f.trials["end"].max() - f.trials["start"].min()).total_seconds()
    unit, per = charts.elapsed_unit(span)
    assert f"({unit})" in spec["encoding"]["x"]["title"]
    assert d["t_start"].min() == 0 and d["t_end"].max() == pytest.approx(span / per)
    assert charts.elapsed_unit(15) == ("s", 1.0) and charts.elapsed_unit(1200)[0] == "min"
    assert charts.elapsed_unit(5 * 3600)[0] == "h"
    # a 15-second study: its ticks are seconds, not one repeated millisecond label
    short = f.trials.head(6).copy()
    t0 = pd.Timestamp("2026-01-01 09:00:00")
    short["start"] = [t0 + pd.Timedelta(seconds=2 * i) for i in range(6)]
    short["end"] = short["start"] + pd.Timedelta(seconds=2.5)
    s = charts.timeline(short).data
    assert s["t_end"].max() == pytest.approx(12.5)
    assert "(s)" in charts.timeline(short).to_dict()["encoding"]["x"]["title"]


def test_tables_have_plain_labels_and_no_test_accuracy(fake):
    _, f, g = fake
    table = charts.trials_table(f.trials, f.params)
    assert "validation accuracy" in table.columns and "learning rate" in table.columns
    assert not any("test" in c for c in table.columns)
    assert "test_acc" not in charts.trials_csv(f.trials, f.params).decode().splitlines()[0]
    cmp = charts.compare_table({"A": f.trials, "B": g.trials})
    assert list(cmp.columns) == ["study", "trials finished", "completed", "pruned", "best validation accuracy",
                                 "epochs trained", "median seconds per trial"]


# ---- one filter for every view ------------------------------------------------------------------
def test_filter_by_state_value_and_params(fake):
    _, f, _ = fake
    t = f.trials
    assert apply_filter(f, TrialFilter()) is f
    only_done = apply_filter(f, TrialFilter(states=("COMPLETE",)))
    assert (only_done.trials["state"] == "COMPLETE").all() and len(only_done.trials) == f.counts["COMPLETE"]
    assert set(only_done.curves["number"]) == set(only_done.trials["number"])

    flt = TrialFilter(value=(0.9, 1.0), ranges={"lr": (1e-3, 1e-2)}, choices={"batch_size": (64, 128),
                                                                              "activation": ("relu",)})
    kept = apply_filter(f, flt).trials
    shown = t["value"].fillna(t["last"])
    want = t[(shown >= 0.9) & (shown <= 1.0) & t["lr"].between(1e-3, 1e-2) & t["batch_size"].isin([64, 128])
             & (t["activation"] == "relu")]
    assert kept["number"].tolist() == want["number"].tolist() and len(kept) > 0
    assert "accuracy 0.900 to 1.000" in flt.describe() and "activation in relu" in flt.describe()
    assert "learning rate 0.001 to 0.01" in flt.describe()
    open_ended = TrialFilter(ranges={"lr": (-np.inf, 1e-2), "dropout": (0.1, np.inf)})
    assert open_ended.describe() == "learning rate up to 0.01; dropout rate from 0.1"
    kept = apply_filter(f, open_ended).trials
    assert (kept["lr"] <= 1e-2).all() and (kept["dropout"] >= 0.1).all()
    assert len(kept) == ((t["lr"] <= 1e-2) & (t["dropout"] >= 0.1)).sum()
    # a pruned trial is judged by the accuracy it had when stopped
    pruned = apply_filter(f, TrialFilter(states=("PRUNED",), value=(0.0, 1.0))).trials
    assert len(pruned) == f.counts["PRUNED"]
    # a parameter the study lacks filters nothing; an unknown state is refused
    assert trial_mask(t, TrialFilter(ranges={"momentum": (0, 1)})).all()
    with pytest.raises(ValueError):
        trial_mask(t, TrialFilter(states=("DONE",)))


def test_param_bounds_offer_sorted_choices(fake):
    _, f, _ = fake
    b = param_bounds(f.trials, f.params)
    assert b["batch_size"] == ("32", "64", "128")
    lo, hi = b["lr"]
    assert lo == pytest.approx(f.trials["lr"].min()) and hi == pytest.approx(f.trials["lr"].max())


# ---- interrupted is not failed ------------------------------------------------------------------
def test_an_interrupted_trial_is_counted_apart_from_failures(tmp_path):
    url = f"sqlite:///{tmp_path / 'i.db'}"
    tuning.create_study("i", tuning.SearchSpace(), tuning.StudySettings(n_trials=5, epochs=3), url)
    import optuna

    study = optuna.load_study(study_name="i", storage=tuning.open_storage(url))
    a = study.ask()
    a.set_user_attr("interrupted", 2)  # what the objective records when Stop ends it
    study.tell(a, state=optuna.trial.TrialState.FAIL)
    b = study.ask()
    study.tell(b, state=optuna.trial.TrialState.FAIL)  # a real failure
    f = tuning.read_study(url, "i")
    assert f.counts["INTERRUPTED"] == 1 and f.counts["FAIL"] == 1
    assert f.trials.set_index("number").loc[0, "state"] == "INTERRUPTED"


# ---- ownership ----------------------------------------------------------------------------------
def test_only_the_owner_controls_a_study_in_hosted_mode(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    tuning.create_study("mine", tuning.SearchSpace(), tuning.StudySettings(n_trials=5, epochs=3), url)
    me, them = tuning.owner_token("session-a"), tuning.owner_token("session-b")
    assert me != them and "session-a" not in me and len(me) == 32
    assert tuning.claim(url, "mine", me) and not tuning.claim(url, "mine", them)  # the first claim stands
    assert tuning.owner_of(url, "mine") == me and tuning.read_study(url, "mine").owner == me

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    assert tuning.may_control(me, me) and not tuning.may_control(me, them) and not tuning.may_control(None, me)
    with pytest.raises(tuning.NotOwner, match="read only"):
        tuning.stop_as(url, "mine", them)
    with pytest.raises(tuning.NotOwner):
        tuning.delete_as(url, "mine", them)
    with pytest.raises(tuning.NotOwner):
        tuning.resume_as(url, "mine", them, n_trials=6)
    assert not tuning.study_info(url, "mine").stop and "mine" in tuning.list_studies(url)
    tuning.stop_as(url, "mine", me)
    assert tuning.study_info(url, "mine").stop
    tuning.resume_as(url, "mine", me, n_trials=6)
    assert tuning.study_info(url, "mine").settings.n_trials == 6
    tuning.delete_as(url, "mine", me)
    assert "mine" not in tuning.list_studies(url)

    monkeypatch.delenv("NNLAB_HOSTED")
    assert tuning.may_control(me, them) and tuning.may_control(None, None)  # a laptop: everyone may


def test_the_trials_table_puts_the_settings_before_the_bookkeeping(fake):
    _, f, _ = fake
    cols = list(charts.trials_table(f.trials, f.params).columns)
    # at 1024 px the first eight or so columns show: the accuracy, then what decided it
    assert cols[:3] == ["trial", "state", "validation accuracy"]
    assert cols[3:3 + len(f.params)] == [charts.label(p) for p in f.params]
    assert cols.index("worker") > cols.index(charts.label(f.params[-1]))


def test_importance_and_parallel_coordinates_name_settings_in_plain_words():
    imp = charts.importance({"lr": 0.6, "batch_size": 0.4}).to_dict()
    assert [r["param"] for r in next(iter(imp["datasets"].values()))] == ["learning rate", "batch size"]
    assert imp["height"] == 28 * 2 + 10 and imp["encoding"]["x"]["axis"]["format"] == ".0%"
    t = pd.DataFrame({"number": [0, 1], "state": ["COMPLETE"] * 2, "value": [0.9, 0.95], "lr": [1e-3, 1e-2],
                      "batch_size": [32, 64]})
    pc = charts.parallel_coordinates(t, ["lr", "batch_size"]).to_dict()
    x = pc["layer"][1]["encoding"]["x"]["axis"]["labelExpr"]
    assert '["learning", "rate"]' in x and '"validation", "accuracy"' in x  # not lr, val_acc
