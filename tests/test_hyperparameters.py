"""Hyperparameter Effects: sweep configs and stacks, seeded sweeps, gradient noise, each verdict at the page's
defaults (and absent when untrue), and the page through AppTest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import core.hyperparameters as hp

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 300


# ---- configs and stacks --------------------------------------------------------------------------------
def test_stacks_one_per_shape():
    assert len(hp.LrSweep().stacks()) == 1 and len(hp.ActivationSweep().stacks()) == 1
    assert len(hp.DropoutSweep().stacks()) == 1
    assert len(hp.BatchSweep().stacks()) == 4 and len(hp.CapacitySweep().stacks()) == 4
    lr = hp.LrSweep(seeds=3)
    assert len(lr.train_configs()) == 15 == lr.n_models()
    assert [c.lr for c in lr.train_configs()][:4] == [1e-4, 1e-4, 1e-4, 1e-3]
    assert {c.seed for c in lr.train_configs()} == {0, 1, 2}


def test_shapes_parse_and_bad_values_are_refused():
    assert hp.parse_shape("128x64") == (128, 64) and hp.parse_shape("0") == ()
    for bad in ("12a", "0x5", "2000"):
        with pytest.raises(ValueError):
            hp.parse_shape(bad)
    with pytest.raises(ValueError, match="values"):
        hp.CapacitySweep(values=("8", "lots"))
    with pytest.raises(ValueError, match="once"):
        hp.LrSweep(values=(0.1, 0.1))
    with pytest.raises(ValueError):
        hp.DropoutSweep(values=(0.0, 1.5))


def test_sweeps_round_trip_through_the_url():
    for cls in hp.SWEEP_TYPES.values():
        cfg = cls(seeds=3, epochs=7)
        back, notices = cls.from_query(cfg.to_query("x_"), "x_")
        assert back == cfg and not notices
    cfg = hp.CapacitySweep(values=("8", "32x32"))
    assert hp.CapacitySweep.from_query(cfg.to_query("c_"), "c_")[0] == cfg


# ---- runs -------------------------------------------------------------------------------------------------
def test_a_sweep_is_seeded_and_gives_one_result_per_value_and_seed():
    cfg = hp.LrSweep(values=(1e-3, 1e-1), seeds=2, epochs=2)
    a, b = hp.run_sweep(cfg), hp.run_sweep(cfg)
    assert len(a) == 4
    assert [r.extra["label"] for r in a] == ["0.001", "0.001", "0.1", "0.1"]
    assert [r.metrics["final_train_loss"] for r in a] == [r.metrics["final_train_loss"] for r in b]
    t = hp.summary(cfg, a)
    assert list(t["value"]) == ["0.001", "0.1"] and (t["seeds"] == 2).all()
    assert {"train acc", "test acc", "gap", "loss gap", "s / epoch", "parameters"} <= set(t.columns)
    c = hp.curves(a)
    assert len(c) == 4 * 2 and set(c["seed"]) == {0, 1}
    b_ = hp.bands(c, "test_acc")
    assert len(b_) == 2 * 2 and (b_["lo"] <= b_["mean"]).all() and (b_["mean"] <= b_["hi"]).all()


def test_batch_and_capacity_sweeps_train_one_stack_per_value():
    cfg = hp.CapacitySweep(values=("4", "8x8"), seeds=1, epochs=1)
    rs = hp.run_sweep(cfg)
    assert [r.config.hidden for r in rs] == [(4,), (8, 8)] and [r.extra["stack"] for r in rs] == [0, 1]
    t = hp.summary(cfg, rs)
    assert list(t["parameters"]) == [64 * 4 + 4 + 4 * 10 + 10, 64 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10]


def test_gradient_noise_shrinks_with_the_batch():
    n = hp.gradient_noise((4, 64, 1024), draws=8)
    assert list(n["batch"]) == [4, 64, 1024]
    assert n["noise"].is_monotonic_decreasing and n["noise"].iloc[0] > 1.0


# ---- claims at the page's defaults ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_runs():
    out = {}
    for name, cls in hp.SWEEP_TYPES.items():
        cfg = cls()
        rs = hp.run_sweep(cfg)
        out[name] = (cfg, hp.summary(cfg, rs), hp.curves(rs))
    return out


def test_claim_lr_too_high_ends_worse_too_low_crawls(default_runs):
    cfg, t, c = default_runs["lr"]
    notes = hp.lr_notes(cfg, t, c)
    final = {v: hp.bands(c, "train_eval_loss").query("value == @v")["mean"].iloc[-1] for v in t["value"]}
    best = min(final, key=final.get)
    top, bottom = t.iloc[-1], t.iloc[0]
    assert top["value"] == "1" and bottom["value"] == "0.0001"
    # what this run shows: the largest lr diverged or ended far worse; the smallest is still high
    assert top["diverged"] > 0 or final["1"] > 1.5 * final[best]
    assert notes["high"].startswith("Too high: lr 1 ")
    assert final["0.0001"] > final[best]
    best_curve = hp.bands(c, "train_eval_loss").query("value == @best")
    reached = int(best_curve[best_curve["mean"] <= final["0.0001"]]["epoch"].iloc[0])
    assert reached < cfg.epochs and notes["low"].endswith(f"by epoch {reached}.")
    assert notes["best"].startswith("Best on validation (accuracy after 15 epochs on 216 images kept back")
    assert ": lr 0.01, 98.4%" in notes["best"]  # chosen on validation, not on the test images


def test_lr_verdicts_absent_when_untrue():
    cfg = hp.LrSweep(values=(0.01, 0.1), epochs=3)
    t = pd.DataFrame({"value": ["0.01", "0.1"], "test acc": [0.9, 0.9], "diverged": [0, 0], "seeds": [2, 2]})
    c = pd.DataFrame({"value": ["0.01"] * 3 + ["0.1"] * 3, "seed": 0, "epoch": [1, 2, 3] * 2,
                      "train_eval_loss": [1.0, 0.5, 0.3, 1.0, 0.4, 0.25]})
    t = t.assign(**{"val acc": [0.9, 0.91], "test acc": [0.9, 0.9]})
    notes = hp.lr_notes(cfg, t, c)
    assert not notes["high"]  # the largest lr is the best here
    assert not notes["low"]  # the best lr reached the smallest's final loss (0.3) only at the last epoch
    c2 = c.assign(train_eval_loss=[1.0, 0.5, 0.3, 1.0, 0.2, 0.1])
    assert hp.lr_notes(cfg, t, c2)["low"]


def test_claim_batch_small_is_slower_per_epoch_and_noisier(default_runs):
    cfg, t, _ = default_runs["batch"]
    noise = hp.gradient_noise(tuple(cfg.values), cfg.hidden, 0)
    notes = hp.batch_notes(cfg, t, noise)
    small, big = t.iloc[0], t.iloc[-1]
    assert small["value"] == "8" and big["value"] == "512"
    # measured seconds: on a quiet machine batch 8 is slower per epoch (its claim shows); on a busy one (the suite's
    # other process) the two can swap, and the claim must then stay away
    slower = small["s / epoch"] > big["s / epoch"]
    assert (notes["time"] or "").startswith("Smaller batches are slower per epoch") == slower
    assert noise["noise"].is_monotonic_decreasing and "noisier gradients" in notes["noise"]
    assert (small["train loss"] < big["train loss"]) == bool(notes["progress"])


def test_batch_verdicts_absent_when_untrue():
    cfg = hp.BatchSweep(values=(8, 512))
    t = pd.DataFrame({"value": ["8", "512"], "s / epoch": [0.01, 0.02], "train loss": [0.5, 0.4]})
    noise = pd.DataFrame({"batch": [8, 512], "noise": [0.2, 0.3]})
    assert not any(hp.batch_notes(cfg, t, noise).values())


def test_claim_capacity_fits_more_and_overfits_more(default_runs):
    cfg, t, _ = default_runs["capacity"]
    notes = hp.capacity_notes(cfg, t)
    small, big = t.iloc[0], t.iloc[-1]
    assert big["parameters"] > 20 * small["parameters"]
    assert big["train acc"] == t["train acc"].max() and notes["fit"].startswith("More capacity fits the training")
    assert big["loss gap"] > small["loss gap"] and notes["gap"].startswith("The gap grew with size")
    # the big net overfits: best on training, not on validation (64 is)
    assert t.loc[t["val acc"].idxmax(), "value"] == "64" and "and it overfits" in notes["gap"]


def test_capacity_and_dropout_verdicts_absent_when_untrue():
    t = pd.DataFrame({"value": ["4", "64"], "parameters": [310, 4810], "train acc": [0.9, 0.8],
                      "val acc": [0.8, 0.7], "test acc": [0.8, 0.7], "loss gap": [0.2, 0.1], "train loss": [0.2, 0.3]})
    notes = hp.capacity_notes(hp.CapacitySweep(values=("4", "64")), t)
    assert not notes["fit"].holds and not notes["gap"].holds and notes["best"]
    d = t.assign(value=["0", "0.5"], **{"loss gap": [0.1, 0.2], "train loss": [0.3, 0.2]})
    notes = hp.dropout_notes(hp.DropoutSweep(values=(0.0, 0.5)), d)
    assert not notes["gap"].holds and not notes["train"] and notes["best"]


def test_claim_activation_sigmoid_learns_slowest(default_runs):
    cfg, t, c = default_runs["activation"]
    notes = hp.activation_notes(cfg, t, c)
    worst = t.sort_values("val acc").iloc[0]
    assert worst["value"] == "Sigmoid" and f"worst Sigmoid ({worst['val acc']:.1%}" in notes["rank"]
    assert notes["depth"].startswith("The tutorial's warning is about depth, but this sweep's network has 1 hidden")
    reach = hp.bands(c, "val_acc").query("value == 'Sigmoid'")
    assert (reach["mean"] < 0.9).all() == ("Sigmoid not within" in notes["speed"])


def test_claim_dropout_narrows_the_gap(default_runs):
    cfg, t, _ = default_runs["dropout"]
    notes = hp.dropout_notes(cfg, t)
    none, most = t.iloc[0], t.iloc[-1]
    assert none["value"] == "0" and most["value"] == "0.5"
    assert most["loss gap"] < none["loss gap"] and notes["gap"].startswith("Dropout narrows the gap")
    assert (most["train loss"] > none["train loss"]) == bool(notes["train"])


# ---- the page -----------------------------------------------------------------------------------------------
def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/hyperparameters.py")
    return at.run()


def captions(at) -> str:
    return "\n".join(str(c.value) for c in at.caption)


@pytest.mark.parametrize("sweep, charts", [("lr", 2), ("batch", 3), ("capacity", 3), ("activation", 2),
                                           ("dropout", 3)])
def test_page_opens_each_sweep_by_its_link(sweep, charts):
    at = page(sweep=sweep, **{f"{sweep}_seeds": "1", f"{sweep}_epochs": "3"})
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == charts
    assert "models (" in captions(at) and "1 seeds" in captions(at)
    assert at.query_params["sweep"] == sweep
    table, *more = at.table  # static: every column shows at 1024 px
    assert len(table.value) == len(hp.SWEEP_TYPES[sweep]().values)
    assert "seeds" not in table.value.columns and "train acc" in table.value.columns
    assert len(more) == (sweep == "dropout")  # the dropout tab also runs the tutorial's own network


def test_the_dropout_tab_runs_the_tutorials_network_and_says_what_it_shows():
    from core.hyperparameters import claims as hc

    at = page(sweep="dropout", dropout_seeds="1", dropout_epochs="2")
    assert not at.exception
    net = at.table[1].value
    assert list(net["network"]) == ["without dropout", "Dropout(0.3)"]
    real = hc.tutorial_table()  # the fixed pair: the same whatever the sweep above asks
    assert list(net["test acc"]) == list(real["test acc"])
    assert "64-128-ReLU-Dropout(0.3)-64-ReLU-Dropout(0.3)-10" in "".join(m.value for m in at.markdown)
    for said in (hc.tutorial_net_gap(real), hc.tutorial_net_test(real)):
        assert said in captions(at)
    assert hp.TUTORIAL_NET.hidden == (128, 64) and hp.TUTORIAL_NET.values == (0.0, 0.3)


def test_page_defaults_show_the_computed_lr_sentences():
    at = page()
    assert not at.exception
    cfg = hp.LrSweep()
    rs = hp.run_sweep(cfg)
    notes = hp.lr_notes(cfg, hp.summary(cfg, rs), hp.curves(rs))
    for n in notes.values():
        assert n in captions(at)
    assert "choose SGD above" in captions(at)


def test_page_bad_values_get_a_message_and_keep_the_last_good_sweep():
    at = page(sweep="dropout", dropout_seeds="1", dropout_epochs="2")
    at.text_input(key="dropout_values").set_value("0, 0.2, 7").run()
    assert not at.exception
    assert any("outside the allowed range" in str(e.value) for e in at.error)
    assert len(at.table[0].value) == 4  # the previous sweep's rows
    at.text_input(key="dropout_values").set_value("0, 0.4").run()
    assert not at.exception and at.query_params["dropout_values"] == "0.0,0.4"
    assert list(at.table[0].value["value"]) == ["0", "0.4"]


def test_chart_builders_give_valid_specs():
    from core.hyperparameters import charts as hc

    cfg = hp.LrSweep(values=(1e-3, 1e-1), seeds=1, epochs=2)
    rs = hp.run_sweep(cfg)
    t, c = hp.summary(cfg, rs), hp.curves(rs)
    order = ["0.001", "0.1"]
    for chart in (hc.curve_chart(hp.bands(c, "train_eval_loss"), order, "lr", "loss", log_y=True),
                  hc.train_test_chart(t, order, "lr", "acc"), hc.train_test_chart(t, order, "lr", "loss"),
                  hc.bar_chart(t, "value", "s / epoch", "lr", "s"), hc.lr_chart(t)):
        assert "$schema" in chart.to_dict()


def test_the_lr_tab_sweeps_sgd_from_its_link_and_its_selector():
    at = page(sweep="lr", lr_optimizer="sgd", lr_seeds="1", lr_epochs="3")
    assert not at.exception
    assert at.selectbox(key="lr_opt").value == "sgd" and "on digits, hidden 64, SGD, batch 64" in captions(at)
    assert "The tutorial's starting point for SGD is lr 0.01" in captions(at)
    assert "choose SGD above" not in captions(at)
    at.selectbox(key="lr_opt").set_value("adam").run()
    assert not at.exception and "Adam, batch 64" in captions(at) and "lr_optimizer" not in at.query_params


def test_hosted_caps_lower_the_sweeps_widgets(monkeypatch):
    """A server's caps (here tighter than the fields' own ends) are the widgets' maxima."""
    import dataclasses

    from core import settings

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(settings, "HOSTED", dataclasses.replace(settings.HOSTED, max_epochs=40, max_seeds=3))
    at = page(sweep="batch", batch_values="32,128", batch_seeds="1", batch_epochs="2", batch_hidden="8")
    assert not at.exception and not at.error
    assert at.number_input(key="batch_epochs").max == 40 and at.number_input(key="batch_seeds").max == 3
    assert at.number_input(key="batch_batch").max == 2048  # no cap: the field's own end


def test_final_only_evaluation_gives_the_same_final_numbers():
    """The tutorial pair is evaluated after its last epoch only: evaluating draws nothing and moves no weight,
    so its table is the one an every-epoch run gives."""
    cfg = hp.DropoutSweep(values=(0.0, 0.3), hidden=(16, 8), epochs=3, seeds=1)
    cols = ["train acc", "val acc", "test acc", "gap", "train loss", "test loss", "val loss"]
    every, final = hp.run_sweep(cfg), hp.run_sweep(cfg, final_only=True)
    assert hp.summary(cfg, every)[cols].equals(hp.summary(cfg, final)[cols])
    assert len(final[0].history.dropna(subset=["test_acc"])) == 1 < len(every[0].history.dropna(subset=["test_acc"]))
    assert hp.tutorial_key() != hp.sweep_key(hp.TUTORIAL_NET)  # a Dropout sweep set to the pair keeps its curves
