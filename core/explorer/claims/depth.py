"""The claims of ④ Depth: the depth study's probed TrainResults."""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from core.claims import Said, claim, said
from core.engine import TrainConfig, Trainer, TrainResult
from core.explorer.claims.page import DEPTH_TAB, PAGE, default_depth
from core.explorer.depth import PROBE, SAME, _first_layer_ratio, _gets, _off, _size, init_ratios, probe
from core.explorer.jobs import INIT_LABEL, REG, compare_data, designed_init


# ---- ④ depth -------------------------------------------------------------------------------------------
def _E(results: list[TrainResult]) -> int:
    return len(results[0].extra["grad"]) - 1


@claim("explorer.init_matched", page=PAGE, tab=DEPTH_TAB,
       condition="every network starts from the init designed for its activation",
       defaults=lambda: init_matched(default_depth()))
def init_matched(results: list[TrainResult]) -> Said:
    """Which init each network started from, when each has its own."""
    inits = {r.config.activation: r.config.init for r in results}
    by: dict[str, list[str]] = {}
    for a, i in inits.items():
        by.setdefault(INIT_LABEL.get(i, i), []).append(REG[a].label)
    ok = all(i == designed_init(a) for a, i in inits.items())
    return said(ok, "Each activation starts from the init designed for it (" + "; ".join(
        f"{k} for {', '.join(v)}" for k, v in by.items()) + "), so what differs below is the activation. "
        "Choose one shared init to see what a mismatched one does.", "", mismatched=sum(
            i != designed_init(a) for a, i in inits.items()))


@claim("explorer.shared_init_hurts", page=PAGE, tab=DEPTH_TAB,
       condition="with one shared init, some activation's layer-1 gradient or signal at init is >2x further "
                 "from 1 than with its own init",
       defaults=lambda: shared_init_hurts(default_depth()))
def shared_init_hurts(results: list[TrainResult]) -> Said:
    """With one init shared by all: which activations start much worse than with their own init, and why."""
    L = len(results[0].config.hidden)
    if all(r.config.init == designed_init(r.config.activation) for r in results):
        return said(False, "", "", worse=0)
    shared = INIT_LABEL.get(results[0].config.init, results[0].config.init)
    worse = []
    for r in results:
        a, want = r.config.activation, designed_init(r.config.activation)
        if r.config.init == want or want == "default":
            continue
        z0 = r.extra["z_std"][0]
        grad, z = _first_layer_ratio(r.extra["grad"][0], L), z0[-1] / max(z0[0], 1e-12)
        own_grad, own_z = init_ratios(r.config.replace(init=want))
        parts = []
        if _off(grad) > _off(own_grad) + math.log(2) and _off(own_grad) < math.log(10):
            parts.append(f"layer 1 gets {_gets(grad, L)} (with {INIT_LABEL[want]}, the one designed for "
                         f"{REG[a].label}: {_gets(own_grad, L)})")
        if _off(z) > _off(own_z) + math.log(2) and _off(own_z) < math.log(10):
            parts.append(f"the signal {_size(z)} from layer 1 to layer {L} "
                         f"(with {INIT_LABEL[want]}: it {_size(own_z)})")
        if parts:
            worse.append(f"with {REG[a].label}, " + " and ".join(parts))
    return said(bool(worse),
                f"With one shared init ({shared}), at initialisation " + "; ".join(worse) + ". Each init scales the "
                "weights so that the signal and the gradient keep their size through the activation it was made for; "
                "through another activation they shrink (or grow) at every layer and the first layers learn slowly, "
                "so the comparison shows the init as much as the activation."
                + (" PyTorch's default draws each weight uniformly within ±1/√(fan-in): a third of the variance "
                   "Xavier init gives a square layer and a sixth of He's, so the signal shrinks at every layer."
                   if results[0].config.init == "default" else ""),
                f"With one shared init ({shared}), no chosen activation starts much worse than with the init "
                "designed for it: where a gradient vanishes here, the activation is the cause, not the init.",
                worse=len(worse))


@claim("explorer.vanishing_at_init", page=PAGE, tab=DEPTH_TAB,
       condition="the worst network's layer 1 gets < 0.67x its last hidden layer's gradient at init",
       defaults=lambda: vanishing_at_init(default_depth()))
def vanishing_at_init(results: list[TrainResult]) -> Said:
    """Layer 1's gradient against the last hidden layer's at init, worst and best network."""
    L = len(results[0].config.hidden)
    parts = sorted((_first_layer_ratio(r.extra["grad"][0], L), REG[r.config.activation].label) for r in results)
    worst_r, worst = parts[0]
    s = f"At initialisation, with {worst}, layer 1 gets {_gets(worst_r, L)}"
    if len(parts) > 1:
        best_r, best = parts[-1]
        s += f"; with {best}, {_gets(best_r, L)}"
    return said(worst_r < SAME[0], s + ". A ratio far below 1 means the first layers barely learn: the vanishing "
                                       "gradient.", s + ".", worst_ratio=worst_r)


@claim("explorer.still_vanishing", page=PAGE, tab=DEPTH_TAB,
       condition="after training, the worst network's layer 1 still gets < 0.67x its last hidden layer's gradient",
       defaults=lambda: still_vanishing(default_depth()))
def still_vanishing(results: list[TrainResult]) -> Said:
    """Layer 1's share of the gradient after training, for the worst network."""
    L, E = len(results[0].config.hidden), _E(results)
    end = min((_first_layer_ratio(r.extra["grad"][-1], L), REG[r.config.activation].label) for r in results)
    head = f"After {E} epoch{'s' * (E != 1)}, {end[1]}'s layer 1 "
    return said(end[0] < SAME[0], head + f"still gets {_gets(end[0], L)}.", head + f"gets {_gets(end[0], L)}.",
                worst_ratio=end[0])


def _dead(results: list[TrainResult]) -> list[tuple[float, int, float, str, TrainResult]]:
    """(worst layer's dead share, that layer, mean over layers, label, result) after training, most dead first."""
    out = []
    for r in results:
        row = np.array(r.extra["dead"][-1])
        li = int(row.argmax())
        out.append((float(row[li]), li + 1, float(row.mean()), REG[r.config.activation].label, r))
    return sorted(out, key=lambda x: x[:4], reverse=True)


@claim("explorer.dead_units", page=PAGE, tab=DEPTH_TAB,
       condition="after training, some hidden layer of some network has a dead unit (zero slope on every probe image)",
       defaults=lambda: dead_units(default_depth()))
def dead_units(results: list[TrainResult]) -> Said:
    """How many units died, where, and with which activation."""
    E = _E(results)
    dead = _dead(results)
    top = dead[0]
    s = (f"After {E} epoch{'s' * (E != 1)}, {top[0]:.0%} of layer {top[1]}'s units are dead with {top[3]} "
         f"(the worst layer; {top[2]:.0%} over all layers): they output a flat zero-slope value for every "
         "probe example, so they no longer learn")
    clean = [x[3] for x in dead if x[0] == 0]
    if clean:
        s += f". None die with {', '.join(clean)}"
    return said(top[0] > 0, s + ".", f"No unit is dead in any layer after {E} epochs with these settings.",
                worst_layer_dead=top[0])


PLATEAU = 0.05  # a training loss that fell by less than this share over the last third of the epochs plateaued


def loss_fall(r: TrainResult) -> float:
    """The share by which the training loss fell over the last third of the run (0.3 = 30% lower)."""
    h = r.history.dropna(subset=["train_loss"])
    loss = h["train_loss"].to_numpy(dtype=np.float64)
    if len(loss) < 3:
        return float("nan")
    a = loss[len(loss) - 1 - max(1, len(loss) // 3)]
    return float(1 - loss[-1] / a) if a > 0 else float("nan")


@claim("explorer.dead_without_plateau", page=PAGE, tab=DEPTH_TAB,
       condition="the network with the most dead units still lowered its training loss by >= 5% over the last "
                 "third of the epochs (no plateau)",
       defaults=lambda: dead_without_plateau(default_depth()))
def dead_without_plateau(results: list[TrainResult]) -> Said:
    """The tutorial's 'switch to Leaky ReLU or GELU when units die (the loss plateaus)', against this run."""
    top = _dead(results)[0]
    share, layer, _, label, r = top
    if share == 0:
        return said(False, "", "", fall=float("nan"))
    fall = loss_fall(r)
    acc = float(r.metrics.get("final_test_acc", float("nan")))
    h = r.history.dropna(subset=["train_loss"])
    head = (f"The tutorial's advice is to switch to Leaky ReLU or GELU when units die and the loss plateaus. "
            f"Here {share:.0%} of layer {layer}'s {label} units died")
    return said(fall >= PLATEAU,
                head + f" but its training loss kept falling ({fall:.0%} lower over the last third of the epochs, "
                       f"{float(h['train_loss'].iloc[-1]):.3g} at the end; {acc:.0%} test accuracy): the living units "
                       "still carry the fit, so there is no plateau to fix. Dead units become the problem the "
                       "tutorial means when so many die that the loss stops falling.",
                head + f" and its training loss plateaued (it fell only {fall:.0%} over the last third of the "
                       "epochs): the case the tutorial means; compare Leaky ReLU or GELU at the same settings.",
                fall=fall, dead=share)


@claim("explorer.tanh_in_depth", page=PAGE, tab=DEPTH_TAB,
       condition="tanh is in the run and its layer 1 gets < 0.67x its last hidden layer's gradient at init",
       defaults=lambda: tanh_in_depth(default_depth()))
def tanh_in_depth(results: list[TrainResult]) -> Said:
    """The tutorial's 'tanh vanishes in depth too', against this run's tanh (and the init that makes it so)."""
    by = {r.config.activation: r for r in results}
    if "tanh" not in by:
        return said(False, "", "", tanh_ratio=float("nan"))
    r, L = by["tanh"], len(by["tanh"].config.hidden)
    ratio = _first_layer_ratio(r.extra["grad"][0], L)
    other = "default" if r.config.init != "default" else "xavier"
    other_ratio = init_ratios(r.config.replace(init=other))[0]
    accs = sorted(((float(x.metrics.get("final_test_acc", float("nan"))), a) for a, x in by.items()), reverse=True)
    best = accs[0][1] == "tanh"
    init = INIT_LABEL.get(r.config.init, r.config.init)
    z0 = r.extra["z_std"][0]
    if ratio < SAME[0]:
        return said(True, f"As the tutorial says, tanh vanishes in depth here: with {init} its layer 1 gets "
                          f"{_gets(ratio, L)}" + (f" (with {INIT_LABEL[other]}: {_gets(other_ratio, L)})"
                                                  if other_ratio >= SAME[0] else "") + ".",
                    tanh_ratio=ratio, other_ratio=other_ratio)
    s = (f"The tutorial says tanh vanishes in depth too; not in this run: with {init} tanh's layer 1 gets "
         f"{_gets(ratio, L)}" + (" and tanh ends with the best test accuracy here" if best else "") +
         f". Its slope is 1 at 0, and with this init its pre-activations have std {z0[0]:.2f} in layer 1 and "
         f"{z0[-1]:.2f} in layer {L}" + (", mostly short of its flat tails (|z| > 3)." if max(z0) < 1.5 else "."))
    if other_ratio < SAME[0]:
        s += (f" With {INIT_LABEL[other]} the same net's layer 1 gets {_gets(other_ratio, L)}: tanh vanishes in "
              "depth when its init lets the signal shrink")
        s += (", while sigmoid, whose slope is at most 0.25, vanishes even with its own init." if "sigmoid" in by
              else ".")
    return said(False, "", s, tanh_ratio=ratio, other_ratio=other_ratio)


@claim("explorer.depth_accuracy", page=PAGE, tab=DEPTH_TAB,
       condition="the best network's final test accuracy is above chance (10%) by 5 points or more",
       defaults=lambda: depth_accuracy(default_depth()))
def depth_accuracy(results: list[TrainResult]) -> Said:
    """Each network's final test accuracy, against chance."""
    L, E = len(results[0].config.hidden), _E(results)
    accs = sorted(((float(r.metrics.get("final_test_acc", float("nan"))), REG[r.config.activation].label)
                   for r in results), reverse=True)
    s = ", ".join(f"{f} {a:.0%}" for a, f in accs)
    head = f"Test accuracy after {E} epoch{'s' * (E != 1)} at depth {L}: {s} (chance is 10%)"
    return said(accs[0][0] >= 0.15, head + ".", head + ": no network learned beyond chance.", best=accs[0][0])


@cache
def input_effect(tc: TrainConfig) -> tuple[float, float, float, float, float]:
    """What layer 1's input does to the signal at init: (pixel mean, pixel std, the last hidden layer's
    pre-activation std / layer 1's on raw pixels, the same with the probe images standardised (per pixel
    mean 0, std 1), layer 1's std with standardised inputs). Same weights, no training."""
    ds = compare_data("digits")
    X, y = ds.X_train[:PROBE], ds.y_train[:PROBE]
    tr = Trainer([tc], ds)
    raw = probe(tr, X, y)[2]
    Xs = (X - X.mean(0)) / X.std(0).clamp_min(1e-6)
    std = probe(tr, Xs, y)[2]
    r_raw = float(raw[-1][0].std() / max(float(raw[0][0].std()), 1e-12))
    r_std = float(std[-1][0].std() / max(float(std[0][0].std()), 1e-12))
    return float(X.mean()), float(X.std()), r_raw, r_std, float(std[0][0].std())


@claim("explorer.signal_size", page=PAGE, tab=DEPTH_TAB,
       condition="the shown network's pre-activation std keeps about its size (0.67x-1.5x) from layer 1 to layer L "
                 "at init",
       defaults=lambda: signal_size(default_depth()[2]))
def signal_size(r: TrainResult) -> Said:
    """How one network's pre-activation spread changes from layer 1 to layer L at init, and why."""
    a, label, init = r.config.activation, REG[r.config.activation].label, r.config.init
    L = len(r.config.hidden)
    z0 = r.extra["z_std"][0]
    ratio = z0[-1] / max(z0[0], 1e-12)
    s = (f"At initialisation, {label}'s pre-activations have std {z0[0]:.3g} in layer 1 and {z0[-1]:.3g} in "
         f"layer {L}: with {INIT_LABEL.get(init, init)} the signal {_size(ratio)} on its way through")
    want = designed_init(a)
    if init == want:
        s += f" ({INIT_LABEL[want]} is the one designed for {label})"
        if not SAME[0] <= ratio <= SAME[1]:
            mean, sd, _, r_std, z1 = input_effect(r.config)
            s += (f". That init is derived for inputs spread around 0, but layer 1 sees raw pixels (mean "
                  f"{mean:.2f}, std {sd:.2f}, none negative). Fed the same images standardised (each pixel mean 0, "
                  f"std 1), the same weights' signal {_size(r_std)} (std {z1:.3g} in layer 1, {z1 * r_std:.3g} in "
                  f"layer {L})")
    elif want != "default":
        own = init_ratios(r.config.replace(init=want))[1]
        s += f"; with {INIT_LABEL[want]}, the one designed for {label}, it {_size(own)}"
    return said(SAME[0] <= ratio <= SAME[1], s + ".", s + ".", ratio=ratio)


def depth_notes(results: list[TrainResult]) -> dict[str, Said]:
    """The depth tab's claims: init, init_shared, grad, grad_train, dead, plateau, tanh, acc, hist:<label>."""
    notes = {"init": init_matched(results), "init_shared": shared_init_hurts(results),
             "grad": vanishing_at_init(results), "grad_train": still_vanishing(results), "dead": dead_units(results),
             "plateau": dead_without_plateau(results), "tanh": tanh_in_depth(results),
             "acc": depth_accuracy(results)}
    for r in results:
        notes[f"hist:{REG[r.config.activation].label}"] = signal_size(r)
    return notes
