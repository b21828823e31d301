"""Each sweep's verdict sentences, computed from its run and returned only when true."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.hyperparameters.jobs import Sweep, bands


def _mean_curve(curves: pd.DataFrame, label: str, metric: str) -> pd.DataFrame:
    b = bands(curves, metric)
    return b[b["value"] == label].sort_values("epoch")


def _final(curves: pd.DataFrame, label: str, metric: str) -> float:
    c = _mean_curve(curves, label, metric)
    return float(c["mean"].iloc[-1]) if len(c) else float("nan")


def lr_notes(cfg: Sweep, table: pd.DataFrame, curves: pd.DataFrame) -> dict[str, str]:
    """Keys: best, high (the largest lr diverged or ended worse), low (the smallest crawled)."""
    out: dict[str, str] = {}
    t = table.reset_index(drop=True)
    loss = {v: _final(curves, v, "train_eval_loss") for v in t["value"]}
    finite = {v: x for v, x in loss.items() if np.isfinite(x)}
    if not finite:
        return out
    best = min(finite, key=finite.get)
    row = t[t["value"] == best].iloc[0]
    out["best"] = (f"Best here: lr {best}, training loss {finite[best]:.3g} and held-out accuracy "
                   f"{row['test acc']:.1%} after {cfg.epochs} epochs.")
    order = sorted(t["value"], key=float)
    hi, lo = order[-1], order[0]
    hi_row = t[t["value"] == hi].iloc[0]
    if hi_row["diverged"] > 0:
        out["high"] = (f"Too high: lr {hi} diverged in {int(hi_row['diverged'])} of {int(hi_row['seeds'])} seeds "
                       "(the loss overflowed): each step overshoots further than the last.")
    elif hi != best and np.isfinite(loss[hi]) and loss[hi] > 1.5 * finite[best]:
        out["high"] = (f"Too high: lr {hi} ended at training loss {loss[hi]:.3g}, {loss[hi] / finite[best]:.0f}x the "
                       f"best lr's: its steps overshoot the valley instead of settling into it.")
    if lo != best and np.isfinite(loss[lo]):
        c = _mean_curve(curves, best, "train_eval_loss")
        hit = c[c["mean"] <= loss[lo]]
        if len(hit) and int(hit["epoch"].iloc[0]) < cfg.epochs:
            out["low"] = (f"Too low: lr {lo} crawls: after {cfg.epochs} epochs its training loss was {loss[lo]:.3g}; "
                          f"lr {best} got there by epoch {int(hit['epoch'].iloc[0])}.")
    return out


def batch_notes(cfg: Sweep, table: pd.DataFrame, noise: pd.DataFrame) -> dict[str, str]:
    """Keys: time (smaller is slower per epoch), noise (smaller is noisier), progress (per epoch)."""
    out: dict[str, str] = {}
    t = table.assign(b=table["value"].astype(int)).sort_values("b")
    small, big = t.iloc[0], t.iloc[-1]
    if small["s / epoch"] > big["s / epoch"]:
        out["time"] = (f"Smaller batches are slower per epoch: batch {small['value']} took {small['s / epoch']:.3f} s "
                       f"per epoch ({cfg.seeds} models together), batch {big['value']} {big['s / epoch']:.3f} s "
                       f"({small['s / epoch'] / big['s / epoch']:.1f}x faster): one epoch is many small steps or a "
                       "few large ones.")
    n = noise.sort_values("batch")
    if len(n) > 1 and bool(np.all(np.diff(n["noise"].to_numpy()) < 0)):
        out["noise"] = (f"Smaller batches give noisier gradients: at initialisation a batch of "
                        f"{int(n['batch'].iloc[0])} strays {n['noise'].iloc[0]:.0%} of the full gradient's length "
                        "from it, a batch of "
                        f"{int(n['batch'].iloc[-1])} {n['noise'].iloc[-1]:.0%}. The noise can shake a model out of a "
                        "poor spot; the large batch's steps are smoother.")
    if small["train loss"] < big["train loss"]:
        out["progress"] = (f"Per epoch, the small batches got further: after {cfg.epochs} epochs batch "
                           f"{small['value']} reached training loss {small['train loss']:.3f}, batch {big['value']} "
                           f"{big['train loss']:.3f} (it made {int(big['b']) // int(small['b'])}x fewer updates).")
    return out


def capacity_notes(cfg: Sweep, table: pd.DataFrame) -> dict[str, str]:
    """Keys: fit (more capacity fits training data better), gap (and overfits more), best."""
    out: dict[str, str] = {}
    t = table.sort_values("parameters", kind="stable")
    small, big = t.iloc[0], t.iloc[-1]
    if big["train acc"] > small["train acc"]:
        out["fit"] = (f"More capacity fits the training set better: training accuracy rose from "
                      f"{small['train acc']:.1%} ({small['value']}: {small['parameters']:,} parameters) to "
                      f"{big['train acc']:.1%} "
                      f"({big['value']}: {big['parameters']:,}).")
    if big["loss gap"] > small["loss gap"]:
        out["gap"] = (f"And it overfits more: held-out loss minus training loss grew from {small['loss gap']:.3f} to "
                      f"{big['loss gap']:.3f}; the big net starts memorising its training examples.")
    best = t.loc[t["test acc"].idxmax()]
    out["best"] = f"Best held-out accuracy: {best['value']} with {best['test acc']:.1%}."
    return out


def activation_notes(cfg: Sweep, table: pd.DataFrame, curves: pd.DataFrame, level: float = 0.9) -> dict[str, str]:
    """Keys: rank (best and worst held-out accuracy), speed (epochs to reach `level` held-out accuracy)."""
    out: dict[str, str] = {}
    t = table.sort_values("test acc", ascending=False, kind="stable")
    out["rank"] = (f"After {cfg.epochs} epochs: best {t.iloc[0]['value']} ({t.iloc[0]['test acc']:.1%} held-out), "
                   f"worst {t.iloc[-1]['value']} ({t.iloc[-1]['test acc']:.1%}).")
    reach = {}
    for v in table["value"]:
        c = _mean_curve(curves, v, "test_acc")
        hit = c[c["mean"] >= level]
        reach[v] = int(hit["epoch"].iloc[0]) if len(hit) else None
    if len({r for r in reach.values()}) > 1:
        parts = [f"{v} at epoch {e}" for v, e in sorted(reach.items(), key=lambda x: x[1] or 10**9) if e is not None]
        never = [v for v, e in reach.items() if e is None]
        text = f"Reached {level:.0%} held-out accuracy (mean over seeds): " + ", ".join(parts)
        if never:
            text += ("; " if parts else "") + f"{', '.join(never)} not within {cfg.epochs} epochs"
        out["speed"] = text + "."
    return out


def dropout_notes(cfg: Sweep, table: pd.DataFrame) -> dict[str, str]:
    """Keys: gap (dropout narrows held-out minus training loss), train (it lowers training fit), test."""
    out: dict[str, str] = {}
    t = table.assign(p=table["value"].astype(float)).sort_values("p")
    none, most = t.iloc[0], t.iloc[-1]
    if most["loss gap"] < none["loss gap"]:
        out["gap"] = (f"Dropout narrows the gap: held-out loss minus training loss fell from {none['loss gap']:.3f} "
                      f"(p = {none['value']}) to {most['loss gap']:.3f} (p = {most['value']}).")
    if most["train loss"] > none["train loss"]:
        out["train"] = (f"It costs training fit: training loss rose from {none['train loss']:.3g} to "
                        f"{most['train loss']:.3g}: each step trains a random part of the network, so no unit "
                        "can rely on another.")
    best = t.loc[t["test acc"].idxmax()]
    out["test"] = (f"Held-out accuracy: {none['test acc']:.1%} without dropout, best {best['test acc']:.1%} "
                   f"at p = {best['value']}.")
    return out
