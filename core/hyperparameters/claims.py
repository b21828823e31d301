"""Hyperparameter Effects' lessons and verdicts: each a registered claim of one sweep's numbers.

A claim reads a sweep's config, its summary table (core.hyperparameters.summary: train, validation and
test columns) and, where it needs the epochs, its curves. A best value is chosen on the validation
images (216 kept back from training); the test images only report how the choice does on new data.
The bundles (``lr_notes``, ...) gather a tab's claims for the page.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from core.claims import Said, claim, said
from core.datasets.digits import TEST_ROWS
from core.engine import activations as acts
from core.hyperparameters.jobs import (
    DATA_KEY,
    N_VAL,
    OPT_LABEL,
    START_LR,
    TUTORIAL_NET,
    ActivationSweep,
    BatchSweep,
    CapacitySweep,
    DropoutSweep,
    LrSweep,
    Sweep,
    bands,
    curves,
    gradient_noise,
    run_sweep,
    run_tutorial_net,
    shape_label,
    summary,
)

PAGE = "Hyperparameter Effects"
TAB = {"lr": "Learning rate", "batch": "Batch size", "capacity": "Layers and neurons", "activation": "Activation",
       "dropout": "Dropout"}


def sweep_key(cfg: Sweep) -> str:
    """The page's cache key of a sweep (one key for all its stacks)."""
    from core.serve.cache import batch_key
    return batch_key(cfg.train_configs(), f"{DATA_KEY}-{cfg.kind}-{'|'.join(map(str, cfg.values))}")


@cache
def default_run(name: str) -> tuple[Sweep, pd.DataFrame, pd.DataFrame]:
    """(config, summary, curves) of one tab's default sweep, disk-cached under the page's key."""
    from core.hyperparameters.jobs import SWEEP_TYPES
    from core.serve.cache import cached
    cfg = SWEEP_TYPES[name]()
    rs = cached(sweep_key(cfg), lambda: run_sweep(cfg))[0]
    return cfg, summary(cfg, rs), curves(rs)


@cache
def default_noise() -> pd.DataFrame:
    """The batch tab's gradient noise at its defaults."""
    cfg = BatchSweep()
    return gradient_noise(tuple(sorted(int(v) for v in cfg.values)), cfg.hidden, 0)


def _mean_curves(curves: pd.DataFrame, metric: str) -> dict[str, pd.DataFrame]:
    """Each value's curve of ``metric`` (bands' rows: mean, lo, hi over seeds per epoch), sorted by epoch."""
    return {v: g.sort_values("epoch") for v, g in bands(curves, metric).groupby("value", sort=False)}


def _final(curve: pd.DataFrame | None) -> float:
    """A mean curve's last value (NaN for a value with no finite point)."""
    return float(curve["mean"].iloc[-1]) if curve is not None and len(curve) else float("nan")


def _best_on_validation(cfg: Sweep, table: pd.DataFrame, what: str) -> Said:
    """The value with the best mean validation accuracy, and whether the test images agree."""
    t = table.reset_index(drop=True)
    best = t.loc[t["val acc"].idxmax()]
    top_test = t.loc[t["test acc"].idxmax()]
    name = f"{what} {best['value']}" if what else str(best["value"])
    head = (f"Best on validation (accuracy after {cfg.epochs} epochs on {N_VAL} images kept back from training): "
            f"{name}, {best['val acc']:.1%}. The test images, used only to report it, give {best['test acc']:.1%}")
    agree = bool(best["test acc"] >= top_test["test acc"] - 1e-12)
    other = f"{what} {top_test['value']}" if what else str(top_test["value"])
    return said(agree, head + ", the best test accuracy too.",
                head + f"; on them {other} scored higher ({top_test['test acc']:.1%}), a difference the validation "
                       "images did not show: choosing on the test set would have been choosing on the answer.",
                best_val=float(best["val acc"]), test_of_best=float(best["test acc"]),
                best_test=float(top_test["test acc"]))


# ---- learning rate ---------------------------------------------------------------------------------------


@claim("hyperparameters.lr_best", page=PAGE, tab=TAB["lr"],
       condition="the learning rate with the best mean validation accuracy also has the best mean test accuracy",
       defaults=lambda: lr_best(*default_run("lr")[:2]))
def lr_best(cfg: Sweep, table: pd.DataFrame) -> Said:
    """The best learning rate, chosen on validation."""
    return _best_on_validation(cfg, table, "lr")


@claim("hyperparameters.lr_start", page=PAGE, tab=TAB["lr"],
       condition="the tutorial's starting lr for the optimizer (Adam 0.001, SGD 0.01) is the best on validation",
       defaults=lambda: lr_start(*default_run("lr")[:2]))
def lr_start(cfg: Sweep, table: pd.DataFrame) -> Said:
    """The tutorial's starting point against this sweep's best learning rate."""
    opt = getattr(cfg, "optimizer", "adam")
    start = START_LR[opt]
    t = table.assign(lr=table["value"].astype(float)).reset_index(drop=True)
    best = t.loc[t["val acc"].idxmax()]
    at = t[np.isclose(t["lr"], start)]
    head = f"The tutorial's starting point for {OPT_LABEL[opt]} is lr {start:g}"
    if not len(at):
        return said(False, "", head + f"; it is not in this sweep (best here on validation: lr {best['value']}).",
                    best_lr=float(best["lr"]), start=start)
    a = at.iloc[0]
    holds = bool(np.isclose(best["lr"], start))
    return said(holds, head + f", and it is the best here too ({a['val acc']:.1%} validation accuracy after "
                              f"{cfg.epochs} epochs).",
                head + f": a place to start a search, not its answer. On this sweep ({cfg.epochs} epochs, hidden "
                       f"{shape_label(cfg.hidden)}, batch {cfg.batch_size}) lr {best['value']} did better: "
                       f"{best['val acc']:.1%} validation accuracy against {a['val acc']:.1%} at {start:g}.",
                best_lr=float(best["lr"]), start=start)


@claim("hyperparameters.lr_too_high", page=PAGE, tab=TAB["lr"],
       condition="the largest lr diverged, or ended at > 1.5x the best lr's training loss",
       defaults=lambda: lr_too_high(*default_run("lr")))
def lr_too_high(cfg: Sweep, table: pd.DataFrame, curves: pd.DataFrame) -> Said:
    """The largest learning rate: diverged or ended far worse."""
    t = table.reset_index(drop=True)
    mean = _mean_curves(curves, "train_eval_loss")
    loss = {v: _final(mean.get(v)) for v in t["value"]}
    finite = {v: x for v, x in loss.items() if np.isfinite(x)}
    hi = sorted(t["value"], key=float)[-1]
    row = t[t["value"] == hi].iloc[0]
    if row["diverged"] > 0:
        return said(True, f"Too high: lr {hi} diverged in {int(row['diverged'])} of {int(row['seeds'])} seeds (the "
                          "loss overflowed): each step overshoots further than the last.",
                    diverged=int(row["diverged"]))
    if not finite:
        return said(False, "", "", ratio=float("nan"))
    best = min(finite, key=finite.get)
    ratio = loss[hi] / finite[best] if np.isfinite(loss[hi]) and finite[best] > 0 else float("nan")
    return said(hi != best and bool(ratio > 1.5),
                f"Too high: lr {hi} ended at training loss {loss[hi]:.3g}, {ratio:.0f}x the best lr's "
                f"({best}): its steps overshoot the valley instead of settling into it.", "", ratio=ratio)


@claim("hyperparameters.lr_too_low", page=PAGE, tab=TAB["lr"],
       condition="the best lr (on training loss) reached the smallest lr's final training loss before the last epoch",
       defaults=lambda: lr_too_low(*default_run("lr")))
def lr_too_low(cfg: Sweep, table: pd.DataFrame, curves: pd.DataFrame) -> Said:
    """The smallest learning rate crawls: the best one got to its final loss much earlier."""
    t = table.reset_index(drop=True)
    mean = _mean_curves(curves, "train_eval_loss")
    loss = {v: _final(mean.get(v)) for v in t["value"]}
    finite = {v: x for v, x in loss.items() if np.isfinite(x)}
    lo = sorted(t["value"], key=float)[0]
    if not finite or lo not in finite:
        return said(False, "", "", epoch=-1)
    best = min(finite, key=finite.get)
    c = mean[best]
    hit = c[c["mean"] <= loss[lo]]
    ep = int(hit["epoch"].iloc[0]) if len(hit) else -1
    return said(lo != best and 0 <= ep < cfg.epochs,
                f"Too low: lr {lo} crawls: after {cfg.epochs} epochs its training loss was {loss[lo]:.3g}; lr {best} "
                f"got there by epoch {ep}.", "", epoch=ep)


def lr_notes(cfg: Sweep, table: pd.DataFrame, curves: pd.DataFrame) -> dict[str, Said]:
    """The learning-rate tab's claims: best, start, high, low."""
    return {"best": lr_best(cfg, table), "start": lr_start(cfg, table), "high": lr_too_high(cfg, table, curves),
            "low": lr_too_low(cfg, table, curves)}


# ---- batch size ------------------------------------------------------------------------------------------


def _by_batch(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    t = table.assign(b=table["value"].astype(int)).sort_values("b")
    return t.iloc[0], t.iloc[-1]


@claim("hyperparameters.batch_time", page=PAGE, tab=TAB["batch"],
       condition="the smallest batch took longer per epoch than the largest",
       defaults=lambda: batch_time(*default_run("batch")[:2]))
def batch_time(cfg: Sweep, table: pd.DataFrame) -> Said:
    """Seconds per epoch, smallest batch against largest (this run's wall time)."""
    small, big = _by_batch(table)
    return said(bool(small["s / epoch"] > big["s / epoch"]),
                f"Smaller batches are slower per epoch: batch {small['value']} took {small['s / epoch']:.3f} s per "
                f"epoch ({cfg.seeds} models together), batch {big['value']} {big['s / epoch']:.3f} s "
                f"({small['s / epoch'] / big['s / epoch']:.1f}x faster): one epoch is many small steps or a few "
                "large ones.", "", ratio=float(small["s / epoch"] / max(big["s / epoch"], 1e-12)))


@claim("hyperparameters.batch_noise", page=PAGE, tab=TAB["batch"],
       condition="the gradient's deviation from the full-batch gradient falls at every larger batch",
       defaults=lambda: batch_noise(default_noise()))
def batch_noise(noise: pd.DataFrame) -> Said:
    """Smaller batches give noisier gradients (measured at initialisation)."""
    n = noise.sort_values("batch")
    ok = len(n) > 1 and bool(np.all(np.diff(n["noise"].to_numpy()) < 0))
    return said(ok, f"Smaller batches give noisier gradients: at initialisation a batch of {int(n['batch'].iloc[0])} "
                    f"strays {n['noise'].iloc[0]:.0%} of the full gradient's length from it, a batch of "
                    f"{int(n['batch'].iloc[-1])} {n['noise'].iloc[-1]:.0%}. The noise can shake a model out of a poor "
                    "spot; the large batch's steps are smoother.", "", smallest=float(n["noise"].iloc[0]))


@claim("hyperparameters.batch_progress", page=PAGE, tab=TAB["batch"],
       condition="after the same epochs the smallest batch reached a lower training loss than the largest",
       defaults=lambda: batch_progress(*default_run("batch")[:2]))
def batch_progress(cfg: Sweep, table: pd.DataFrame) -> Said:
    """Per epoch, small batches make more updates and get further."""
    small, big = _by_batch(table)
    return said(bool(small["train loss"] < big["train loss"]),
                f"Per epoch, the small batches got further: after {cfg.epochs} epochs batch {small['value']} reached "
                f"training loss {small['train loss']:.3f}, batch {big['value']} {big['train loss']:.3f} (it made "
                f"{int(big['b']) // int(small['b'])}x fewer updates).", "",
                small=float(small["train loss"]), big=float(big["train loss"]))


def batch_notes(cfg: Sweep, table: pd.DataFrame, noise: pd.DataFrame) -> dict[str, Said]:
    """The batch tab's claims: time, noise, progress."""
    return {"time": batch_time(cfg, table), "noise": batch_noise(noise), "progress": batch_progress(cfg, table)}


# ---- layers and neurons ------------------------------------------------------------------------------------


@claim("hyperparameters.capacity_fit", page=PAGE, tab=TAB["capacity"],
       condition="the net with the most parameters has the highest training accuracy",
       defaults=lambda: capacity_fit(*default_run("capacity")[:2]))
def capacity_fit(cfg: Sweep, table: pd.DataFrame) -> Said:
    """More capacity fits the training set better (when the largest net fits it best)."""
    t = table.sort_values("parameters", kind="stable").reset_index(drop=True)
    small, big = t.iloc[0], t.iloc[-1]
    top = t.loc[t["train acc"].idxmax()]
    return said(bool(big["train acc"] >= top["train acc"]),
                f"More capacity fits the training set better: training accuracy rose from {small['train acc']:.1%} "
                f"({small['value']}: {small['parameters']:,} parameters) to {big['train acc']:.1%} ({big['value']}: "
                f"{big['parameters']:,}).",
                f"The largest net, {big['value']} ({big['parameters']:,} parameters), is not the one that fits its "
                f"training set best here: {top['value']} reaches {top['train acc']:.1%} training accuracy, "
                f"{big['value']} {big['train acc']:.1%} after {cfg.epochs} epochs at lr {cfg.lr:g}.",
                big=float(big["train acc"]), top=float(top["train acc"]))


@claim("hyperparameters.capacity_gap", page=PAGE, tab=TAB["capacity"],
       condition="the largest net's test-minus-training loss gap is wider than the smallest net's",
       defaults=lambda: capacity_gap(*default_run("capacity")[:2]))
def capacity_gap(cfg: Sweep, table: pd.DataFrame) -> Said:
    """The gap between loss on new images and on training images, small net against big, and what it cost."""
    t = table.sort_values("parameters", kind="stable").reset_index(drop=True)
    small, big = t.iloc[0], t.iloc[-1]
    best = t.loc[t["val acc"].idxmax()]
    s = (f"The gap grew with size: test loss minus training loss was {small['loss gap']:.3f} for {small['value']} "
         f"and {big['loss gap']:.3f} for {big['value']}: the big net's loss on new images sits further above its "
         "loss on the images it trained on")
    if best["value"] == big["value"]:
        s += "; yet it has the best validation accuracy, so here its extra capacity helped more than the gap hurt."
    elif big["train acc"] >= best["train acc"]:
        s += (f", and it overfits: it fits its training images better than {best['value']} "
              f"({big['train acc']:.1%} against {best['train acc']:.1%}) but new ones worse "
              f"({big['val acc']:.1%} validation accuracy against {best['val acc']:.1%}).")
    else:
        s += (f"; its validation accuracy ({big['val acc']:.1%}) trails {best['value']}'s ({best['val acc']:.1%}), "
              f"and so does its training accuracy ({big['train acc']:.1%} against {best['train acc']:.1%}): it "
              "trails from training, not from memorising.")
    return said(bool(big["loss gap"] > small["loss gap"]), s,
                f"The gap did not grow with size: test loss minus training loss was {small['loss gap']:.3f} for "
                f"{small['value']} and {big['loss gap']:.3f} for {big['value']}.",
                small_gap=float(small["loss gap"]), big_gap=float(big["loss gap"]))


@claim("hyperparameters.capacity_best", page=PAGE, tab=TAB["capacity"],
       condition="the net with the best mean validation accuracy also has the best mean test accuracy",
       defaults=lambda: capacity_best(*default_run("capacity")[:2]))
def capacity_best(cfg: Sweep, table: pd.DataFrame) -> Said:
    """The best size, chosen on validation."""
    return _best_on_validation(cfg, table, "hidden")


def capacity_notes(cfg: Sweep, table: pd.DataFrame) -> dict[str, Said]:
    """The capacity tab's claims: fit, gap, best."""
    return {"fit": capacity_fit(cfg, table), "gap": capacity_gap(cfg, table), "best": capacity_best(cfg, table)}


# ---- activation ---------------------------------------------------------------------------------------------


@claim("hyperparameters.activation_rank", page=PAGE, tab=TAB["activation"],
       condition="the best and worst activation's mean validation accuracies differ by more than 1 point",
       defaults=lambda: activation_rank(*default_run("activation")[:2]))
def activation_rank(cfg: Sweep, table: pd.DataFrame) -> Said:
    """Best and worst activation on validation."""
    t = table.sort_values("val acc", ascending=False, kind="stable")
    b, w = t.iloc[0], t.iloc[-1]
    gap = float(b["val acc"] - w["val acc"])
    return said(gap > 0.01, f"After {cfg.epochs} epochs: best {b['value']} ({b['val acc']:.1%} on validation), "
                            f"worst {w['value']} ({w['val acc']:.1%}).",
                f"After {cfg.epochs} epochs all activations are within 1 point of each other on validation "
                f"({w['val acc']:.1%} to {b['val acc']:.1%}).", gap=gap)


@claim("hyperparameters.activation_speed", page=PAGE, tab=TAB["activation"],
       condition="the activations reach 90% mean validation accuracy at different epochs (or some never do)",
       defaults=lambda: activation_speed(*default_run("activation")))
def activation_speed(cfg: Sweep, table: pd.DataFrame, curves: pd.DataFrame, level: float = 0.9) -> Said:
    """The epoch each activation first reaches ``level`` mean validation accuracy."""
    reach = {}
    mean = _mean_curves(curves, "val_acc")
    for v in table["value"]:
        c = mean.get(v)
        hit = c[c["mean"] >= level] if c is not None else ()
        reach[v] = int(hit["epoch"].iloc[0]) if len(hit) else None
    parts = [f"{v} at epoch {e}" for v, e in sorted(reach.items(), key=lambda x: x[1] or 10**9) if e is not None]
    never = [v for v, e in reach.items() if e is None]
    text = f"Reached {level:.0%} validation accuracy (mean over seeds): " + ", ".join(parts)
    if never:
        text += ("; " if parts else "") + f"{', '.join(never)} not within {cfg.epochs} epochs"
    return said(len(set(reach.values())) > 1, text + ".", "", distinct=len(set(reach.values())))


@claim("hyperparameters.activation_depth", page=PAGE, tab=TAB["activation"],
       condition="the sweep's network has 3 or more hidden layers (deep enough for the tutorial's point about depth)",
       defaults=lambda: activation_depth(*default_run("activation")[:2]))
def activation_depth(cfg: Sweep, table: pd.DataFrame) -> Said:
    """The tutorial's 'sigmoid and tanh learn slowly in depth', against the depth of this sweep's network."""
    n = len(cfg.hidden)
    t = table.sort_values("val acc", ascending=False, kind="stable").reset_index(drop=True)
    order = ", ".join(f"{r['value']} {r['val acc']:.1%}" for _, r in t.iterrows())
    sat = [acts.REGISTRY[a].label for a in ("sigmoid", "tanh")]
    ranks = {r["value"]: i + 1 for i, r in t.iterrows()}
    where = "; ".join(f"{s} ranks {ranks[s]} of {len(t)}" for s in sat if s in ranks)
    if n >= 3:
        return said(True, f"With {n} hidden layers the gradient passes {n} activation slopes on its way to the first "
                          f"layer. Validation accuracy after {cfg.epochs} epochs: {order}" +
                          (f" ({where})." if where else "."), layers=n)
    return said(False, "", f"The tutorial's warning is about depth, but this sweep's network has {n or 'no'} hidden "
                           f"layer{'s' * (n != 1)} ({shape_label(cfg.hidden)}): the gradient passes {n} activation "
                           f"slope{'s' * (n != 1)} on its way to the first weights, so it cannot shrink layer after "
                           f"layer. Validation accuracy after {cfg.epochs} epochs: {order}" +
                           (f" ({where})." if where else ".") + " The Activation Explorer's depth tab (linked "
                           "below) trains 10 hidden layers and measures each layer's gradient.", layers=n)


def activation_notes(cfg: Sweep, table: pd.DataFrame, curves: pd.DataFrame) -> dict[str, Said]:
    """The activation tab's claims: depth, rank, speed."""
    return {"depth": activation_depth(cfg, table), "rank": activation_rank(cfg, table),
            "speed": activation_speed(cfg, table, curves)}


# ---- dropout ------------------------------------------------------------------------------------------------


def _by_rate(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    t = table.assign(p=table["value"].astype(float)).sort_values("p")
    return t.iloc[0], t.iloc[-1]


@claim("hyperparameters.dropout_gap", page=PAGE, tab=TAB["dropout"],
       condition="the highest dropout rate's test-minus-training loss gap is narrower than the lowest rate's",
       defaults=lambda: dropout_gap(*default_run("dropout")[:2]))
def dropout_gap(cfg: Sweep, table: pd.DataFrame) -> Said:
    """Dropout narrows the gap between loss on new images and on training images."""
    none, most = _by_rate(table)
    return said(bool(most["loss gap"] < none["loss gap"]),
                f"Dropout narrows the gap: test loss minus training loss fell from {none['loss gap']:.3f} "
                f"(p = {none['value']}) to {most['loss gap']:.3f} (p = {most['value']}).",
                f"Dropout did not narrow the gap here: test loss minus training loss was {none['loss gap']:.3f} at "
                f"p = {none['value']} and {most['loss gap']:.3f} at p = {most['value']}.",
                none=float(none["loss gap"]), most=float(most["loss gap"]))


@claim("hyperparameters.dropout_train", page=PAGE, tab=TAB["dropout"],
       condition="the highest dropout rate's training loss is above the lowest rate's",
       defaults=lambda: dropout_train(*default_run("dropout")[:2]))
def dropout_train(cfg: Sweep, table: pd.DataFrame) -> Said:
    """Dropout costs training fit."""
    none, most = _by_rate(table)
    return said(bool(most["train loss"] > none["train loss"]),
                f"It costs training fit: training loss rose from {none['train loss']:.3g} to {most['train loss']:.3g}: "
                "each step trains a random part of the network, so no unit can rely on another.", "",
                none=float(none["train loss"]), most=float(most["train loss"]))


@claim("hyperparameters.dropout_best", page=PAGE, tab=TAB["dropout"],
       condition="the rate with the best mean validation accuracy also has the best mean test accuracy",
       defaults=lambda: dropout_best(*default_run("dropout")[:2]))
def dropout_best(cfg: Sweep, table: pd.DataFrame) -> Said:
    """The best dropout rate, chosen on validation."""
    return _best_on_validation(cfg, table, "p =")


def dropout_notes(cfg: Sweep, table: pd.DataFrame) -> dict[str, Said]:
    """The dropout tab's claims: gap, train, best."""
    return {"gap": dropout_gap(cfg, table), "train": dropout_train(cfg, table), "best": dropout_best(cfg, table)}


# ---- the tutorial's own dropout network (TUTORIAL_NET: with Dropout(0.3) and without) --------------------------
def tutorial_key() -> str:
    """The cache key of the tutorial's pair: its own (a Dropout tab sweep set to the same values has curves)."""
    from core.serve.cache import batch_key
    return batch_key(TUTORIAL_NET.train_configs(), f"{DATA_KEY}-{TUTORIAL_NET.kind}-final-evaluation")


@cache
def tutorial_table() -> pd.DataFrame:
    """The summary of the tutorial's network with and without dropout, disk-cached under the page's key."""
    from core.serve.cache import cached
    return summary(TUTORIAL_NET, cached(tutorial_key(), run_tutorial_net)[0])


@claim("hyperparameters.tutorial_net_gap", page=PAGE, tab=TAB["dropout"],
       condition="the tutorial's 64-128-64-10 network: train-minus-test accuracy gap narrower with Dropout(0.3)",
       defaults=lambda: tutorial_net_gap(tutorial_table()))
def tutorial_net_gap(table: pd.DataFrame) -> Said:
    """The tutorial's dropout network against the same without dropout: the train-test gap."""
    none, drop = _by_rate(table)
    g0, g1 = float(none["gap"]), float(drop["gap"])
    s = (f"Training accuracy minus test accuracy: {g1:.1%} with Dropout({drop['value']}), {g0:.1%} without "
         f"(training {drop['train acc']:.1%} against {none['train acc']:.1%}).")
    return said(g1 < g0, f"{s} Dropout narrowed the gap by {(g0 - g1) * 100:.1f} points: the network fits its "
                "training images a little less closely.", f"{s} Here dropout did not narrow the gap.", gap_off=g0,
                gap_on=g1)


@claim("hyperparameters.tutorial_net_test", page=PAGE, tab=TAB["dropout"],
       condition="the tutorial's network: mean test accuracy higher with Dropout(0.3) than without",
       defaults=lambda: tutorial_net_test(tutorial_table()))
def tutorial_net_test(table: pd.DataFrame) -> Said:
    """The tutorial's dropout network against the same without dropout: accuracy on new images."""
    none, drop = _by_rate(table)
    a0, a1 = float(none["test acc"]), float(drop["test acc"])
    k = int(none["seeds"])
    n = round(abs(a1 - a0) * TEST_ROWS * k) / k  # test images, per seed
    s = f"On the {TEST_ROWS} test images: {a1:.1%} with dropout, {a0:.1%} without (means of {k} seeds)"
    few = (f" A difference of {n:g} images is a hint, not a law: other seeds can move it." if n < 5 else "")
    return said(a1 > a0, f"{s}: dropout helped, by {(a1 - a0) * 100:.1f} points, about {n:g} images more "
                f"read right.{few}", f"{s}: dropout did not raise test accuracy here.{few}", test_off=a0, test_on=a1)

__all__ = ["ActivationSweep", "CapacitySweep", "DropoutSweep", "LrSweep", "activation_notes", "batch_notes",
           "capacity_notes", "dropout_notes", "lr_notes", "sweep_key", "tutorial_key", "tutorial_net_gap",
           "tutorial_net_test"]
