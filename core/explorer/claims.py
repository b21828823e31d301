"""The Activation Explorer's lessons and verdicts: each a registered claim of its tab's numbers.

Shapes and slopes read a CurvesConfig (autograd slopes on a grid), softmax reads logits and a
temperature, the comparison reads its TrainResults, the depth study its probed TrainResults. Each
claim returns its sentence only when the numbers hold it, else the sentence that is true (or '').
The bundles (``curve_notes``, ``softmax_notes``, ``compare_notes``, ``depth_notes``) gather a tab's
claims for the page.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import torch

from core.claims import Said, claim, said
from core.engine import TrainConfig, Trainer, TrainResult
from core.engine import activations as acts
from core.explorer.depth import (
    PROBE,
    SAME,
    DepthConfig,
    _first_layer_ratio,
    _gets,
    _off,
    _size,
    init_ratios,
    probe,
    ratio_words,
    run_depth,
)
from core.explorer.jobs import (
    INIT_LABEL,
    REG,
    Y_CLIP,
    CompareConfig,
    CurvesConfig,
    _and,
    _epochs_to,
    compare_bands,
    compare_curves,
    compare_data,
    compare_table,
    curves,
    designed_init,
    flat_sides,
    run_compare,
)

PAGE = "Activation Explorer"
SHAPES_TAB, SOFTMAX_TAB, LEARN_TAB, DEPTH_TAB = "① Shapes and slopes", "② Softmax", "③ Effect on learning", "④ Depth"


# ---- the page's default jobs (the page's own cache keys: a run the page made is reused) ----------------


@cache
def default_compare() -> list[TrainResult]:
    """The comparison at its defaults (8 activations x 3 seeds on digits), from the disk cache when there."""
    from core.serve.cache import batch_key, cached
    cfg = CompareConfig()
    return cached(batch_key(cfg.train_configs(), cfg.data_key()), lambda: run_compare(cfg))[0]


@cache
def default_depth() -> list[TrainResult]:
    """The depth study at its defaults (4 activations, 10 layers of 64, 10 epochs), cached like the page."""
    from core.explorer.depth import BINS
    from core.serve.cache import batch_key, cached
    cfg = DepthConfig()
    key = batch_key(cfg.train_configs(), f"depth-probes-{PROBE}-{BINS}-{cfg.key()}")
    return cached(key, lambda: run_depth(cfg))[0]


# ---- ① shapes and slopes ---------------------------------------------------------------------------


def _props(cfg: CurvesConfig) -> dict[str, dict]:
    ps = cfg.params()
    return {n: acts.properties(n, cfg.x_min, cfg.x_max, **ps.get(n, {})) for n in cfg.functions}


def _sides(cfg: CurvesConfig) -> dict[str, dict[str, str]]:
    ps = cfg.params()
    return {n: flat_sides(n, cfg.x_min, cfg.x_max, **ps.get(n, {})) for n in cfg.functions}


def _slope_free(props: dict[str, dict]) -> list[str]:
    """Functions whose slope is exactly 0 on the whole grid (Step): no gradient at all."""
    return [n for n, p in props.items() if p["max_slope"] == 0]


@claim("explorer.steepest_flattest", page=PAGE, tab=SHAPES_TAB,
       condition="the chosen functions' largest slopes differ (steepest > flattest, functions with some slope)",
       defaults=lambda: steepest_flattest(CurvesConfig()))
def steepest_flattest(cfg: CurvesConfig) -> Said:
    """Which chosen function is steepest and which flattest, and what a slope below 1 does in backprop."""
    props = {n: p for n, p in _props(cfg).items() if p["max_slope"] > 0}
    if not props:
        return said(False, "", top=0.0, low=0.0)
    top = max(p["max_slope"] for p in props.values())
    low = min(p["max_slope"] for p in props.values())
    steep = [REG[n].label for n in props if math.isclose(props[n]["max_slope"], top, rel_tol=1e-3)]
    flat = [REG[n].label for n in props if math.isclose(props[n]["max_slope"], low, rel_tol=1e-3)]
    return said(not math.isclose(top, low, rel_tol=1e-3),
                f"Steepest: {_and(steep)}, slope up to {top:.3g}; flattest: {_and(flat)}, at most {low:.3g}. "
                "Backprop multiplies one such slope per layer, so a slope below 1 shrinks the gradient at "
                "every layer it passes.", "", top=top, low=low)


@claim("explorer.sigmoid_slope", page=PAGE, tab=SHAPES_TAB,
       condition="sigmoid is chosen and its largest slope on the range is below 1",
       defaults=lambda: sigmoid_slope(CurvesConfig()))
def sigmoid_slope(cfg: CurvesConfig) -> Said:
    """Sigmoid's largest slope and what ten such layers do to a gradient."""
    if "sigmoid" not in cfg.functions:
        return said(False, "", sigmoid_max_slope=float("nan"))
    sl = _props(cfg)["sigmoid"]["max_slope"]
    return said(0 < sl < 1, f"Sigmoid's slope never exceeds {sl:.3g}: through 10 sigmoid layers the gradient "
                            f"shrinks by at least {sl ** -10:,.0f}x from the slopes alone.", "", sigmoid_max_slope=sl)


@claim("explorer.both_sides", page=PAGE, tab=SHAPES_TAB,
       condition="some chosen function's slope is small or zero at both ends of the range (but not everywhere)",
       defaults=lambda: both_sides_flat(CurvesConfig()))
def both_sides_flat(cfg: CurvesConfig) -> Said:
    """Two-sided saturation (a small slope: sigmoid, tanh) and two-sided flat ends (slope exactly 0: hard tanh)."""
    props, sides = _props(cfg), _sides(cfg)
    none = set(_slope_free(props))
    sat = [REG[n].label for n in cfg.functions
           if n not in none and sides[n]["left"] == sides[n]["right"] == "saturates"]
    flat = [REG[n].label for n in cfg.functions if n not in none and sides[n]["left"] and sides[n]["right"]
            and "flat" in (sides[n]["left"], sides[n]["right"])]
    parts = []
    if sat:
        parts.append(f"Saturating on both sides in this range: {_and(sat)}. For large |x| the slope is under "
                     f"{acts.SATURATED:g} (small, not zero) on either side, so almost no gradient passes whichever "
                     "way a unit is pushed.")
    if flat:
        parts.append(f"Flat at both ends: {_and(flat)}: there the slope is exactly 0, so a unit pushed past "
                     "either end gets no gradient at all until its input comes back.")
    return said(bool(parts), " ".join(parts), "", saturating=len(sat), flat=len(flat))


@claim("explorer.one_side", page=PAGE, tab=SHAPES_TAB,
       condition="some chosen function is flat or saturating at exactly one end of the range",
       defaults=lambda: one_side_flat(CurvesConfig()))
def one_side_flat(cfg: CurvesConfig) -> Said:
    """Functions flat (slope exactly 0) or saturating (small slope) on one side only, and dead units."""
    sides = _sides(cfg)
    one, dies = [], False
    for n in cfg.functions:
        kinds = [(side, k) for side, k in sides[n].items() if k]
        if len(kinds) != 1:
            continue
        side, kind = kinds[0]
        if kind == "flat":
            dies = True
            one.append(f"{REG[n].label} (flat on the {side}: slope exactly 0 for x {'<' if side == 'left' else '>'} 0)")
        else:
            one.append(f"{REG[n].label} (saturates on the {side}: slope under {acts.SATURATED:g} for large "
                       f"{'negative' if side == 'left' else 'positive'} x)")
    return said(bool(one), f"Flat or saturating on one side only: {_and(one)}. The other side keeps a slope, so "
                           "gradient still passes there" + ("; a unit whose inputs all land on the flat side gets "
                                                            "no gradient at all and stops learning (a dead unit)."
                                                            if dies else ".") if one else "", "", count=len(one))


@claim("explorer.no_slope", page=PAGE, tab=SHAPES_TAB,
       condition="some chosen function's slope is exactly 0 everywhere on the range (Step)",
       defaults=lambda: no_slope(CurvesConfig()))
def no_slope(cfg: CurvesConfig) -> Said:
    """Step's slope is zero everywhere: not a small gradient (saturation) but none."""
    names = [REG[n].label for n in _slope_free(_props(cfg))]
    return said(bool(names), f"{_and(names)}: the slope is exactly 0 everywhere in this range (the jump at 0 "
                             "has no slope at all). That is not saturation (a small slope) but no gradient, so "
                             "gradient descent cannot train it: the perceptron uses its own update rule instead."
                if names else "", "", functions=len(names))


@claim("explorer.clipped", page=PAGE, tab=SHAPES_TAB,
       condition="some chosen function's value or slope overflows ±1e6 on the range (drawn clipped)",
       defaults=lambda: clipped(CurvesConfig()))
def clipped(cfg: CurvesConfig) -> Said:
    """Which curves are drawn clipped."""
    frame = curves(cfg, n=201)
    names = sorted(set(frame.loc[frame.clipped, "function"]))
    return said(bool(names), f"{', '.join(names)}: values beyond ±{Y_CLIP:.0e} (or overflowing) are drawn clipped.",
                "", clipped=len(names))


def curve_notes(cfg: CurvesConfig) -> dict[str, Said]:
    """The shapes tab's claims, in the order shown (empty ones included: the page skips them)."""
    return {"steep": steepest_flattest(cfg), "sigmoid": sigmoid_slope(cfg), "both": both_sides_flat(cfg),
            "one": one_side_flat(cfg), "none": no_slope(cfg), "clipped": clipped(cfg)}


# ---- ② softmax ---------------------------------------------------------------------------------------


def _softmax(logits: tuple[float, ...], t: float) -> tuple[torch.Tensor, float]:
    z = torch.tensor(logits, dtype=torch.float64)
    p = REG["softmax"].fn(temperature=t)(z)
    return p, float(-(p * torch.log2(p.clamp_min(1e-300))).sum())


@claim("explorer.temperature", page=PAGE, tab=SOFTMAX_TAB,
       condition="T != 1 and the entropy moved the way T says (lower at T < 1, higher at T > 1)",
       defaults=lambda: temperature_effect(CurvesConfig().logits, CurvesConfig().temperature))
def temperature_effect(logits: tuple[float, ...], temperature: float) -> Said:
    """The top class's probability and the entropy at T = 1 and at the chosen T."""
    top = int(np.argmax(logits))
    lines, ent = [], {}
    for t in sorted({1.0, temperature}):
        p, ent[t] = _softmax(logits, t)
        lines.append(f"At T = {t:g} the largest logit (z{top + 1} = {logits[top]:g}) gets p = {float(p[top]):.3f}; "
                     f"entropy {ent[t]:.2f} bits (uniform over {len(logits)} classes would be "
                     f"{math.log2(len(logits)):.2f}).")
    moved = temperature != 1.0 and ((temperature < 1) == (ent[temperature] < ent[1.0])) and \
        not math.isclose(ent[temperature], ent[1.0], abs_tol=1e-9)
    text = " ".join(lines)
    return said(moved, text + (" Below 1, T sharpened the probabilities toward the arg-max." if temperature < 1
                               else " Above 1, T flattened them toward uniform."),
                text + " Move T below 1 to sharpen the probabilities, above 1 to flatten them."
                if temperature == 1.0 else text, entropy_at_1=ent[1.0], entropy_at_T=ent[temperature])


@claim("explorer.sums_to_one", page=PAGE, tab=SOFTMAX_TAB,
       condition="the probabilities at the chosen T sum to 1 within 1e-9",
       defaults=lambda: sums_to_one(CurvesConfig().logits, CurvesConfig().temperature))
def sums_to_one(logits: tuple[float, ...], temperature: float, total: float | None = None) -> Said:
    """The probabilities sum to 1 at every temperature (``total`` overrides the sum, for a test)."""
    total = float(_softmax(logits, temperature)[0].sum()) if total is None else total
    return said(abs(total - 1) < 1e-9, f"The probabilities sum to {total:.6f} at every temperature; only how peaked "
                                       "they are changes.",
                f"The probabilities sum to {total:.6f} here, not 1: a numerical problem.", total=total)


def softmax_notes(logits: tuple[float, ...], temperature: float) -> dict[str, Said]:
    """The softmax tab's claims."""
    return {"temperature": temperature_effect(logits, temperature), "sum": sums_to_one(logits, temperature)}


# ---- ③ effect on learning ------------------------------------------------------------------------------


@claim("explorer.first_to_level", page=PAGE, tab=LEARN_TAB,
       condition="some activation's mean test accuracy reaches min(90%, best final - 2 points)",
       defaults=lambda: first_to_level(default_compare()))
def first_to_level(results: list[TrainResult]) -> Said:
    """Which activation first reaches a mean test accuracy near the best, and which lag or never get there."""
    t = compare_table(results)
    epochs = int(max(r.history["epoch"].max() for r in results))
    acc = compare_bands(compare_curves(results), "test_acc")
    level = round(min(0.9, float(t.iloc[0]["mean test acc"]) - 0.02), 2)
    reach = _epochs_to(acc, level)
    fast = [f for f, e in reach.items() if e is not None]
    if not fast:
        return said(False, "", f"No activation reached a mean test accuracy of {level:.0%} in {epochs} epochs.",
                    level=level)
    first = min(fast, key=lambda f: reach[f])
    slow = [f for f, e in reach.items() if e is None]
    s = f"{first} is first to a mean test accuracy of {level:.0%} (epoch {reach[first]})"
    lag = max(fast, key=lambda f: reach[f])
    if lag != first:
        s += f"; {lag} needs until epoch {reach[lag]}"
    if slow:
        s += f"; {', '.join(slow)} never get{'s' * (len(slow) == 1)} there in {epochs} epochs"
    return said(True, s + ".", level=level, first_epoch=reach[first])


@claim("explorer.loss_ratio", page=PAGE, tab=LEARN_TAB,
       condition="at epoch ~10 the highest mean test loss is >= 1.1x the lowest",
       defaults=lambda: loss_ratio(default_compare()))
def loss_ratio(results: list[TrainResult]) -> Said:
    """How far apart the activations' test losses are early in training."""
    epochs = int(max(r.history["epoch"].max() for r in results))
    loss = compare_bands(compare_curves(results), "test_loss")
    ep = int(loss.loc[loss["epoch"] >= min(10, epochs), "epoch"].min())  # first evaluated epoch from 10 on
    at = loss[loss["epoch"] == ep].set_index("function")["mean"]
    if len(at) < 2 or not at.min() > 0:
        return said(False, "", "", ratio=float("nan"))
    hi, lo = at.idxmax(), at.idxmin()
    ratio = float(at[hi] / at[lo])
    head = f"At epoch {ep}, {hi}'s mean test loss ({at[hi]:.3f}) is "
    return said(ratio >= 1.1, head + f"{ratio:.1f}x {lo}'s ({at[lo]:.3f}).",
                head + f"within {ratio - 1:.0%} of {lo}'s ({at[lo]:.3f}).", ratio=ratio, epoch=ep)


@claim("explorer.ranking", page=PAGE, tab=LEARN_TAB,
       condition="the best activation's worst seed beats the last one's best seed (the seed ranges do not overlap)",
       defaults=lambda: ranking(default_compare()))
def ranking(results: list[TrainResult]) -> Said:
    """Best and last activation by mean final test accuracy, and whether the seeds separate them."""
    t = compare_table(results)
    best, worst = t.iloc[0], t.iloc[-1]
    n_seeds = int(t["seeds"].max())
    s = (f"Best: {best['activation']}, {best['mean test acc']:.1%} mean test accuracy over {n_seeds} seed"
         f"{'s' * (n_seeds != 1)} (spread {(best['max'] - best['min']) * 100:.1f} points)")
    if len(t) == 1:
        return said(False, "", s + ".", gap=0.0)
    gap = (best["mean test acc"] - worst["mean test acc"]) * 100
    s += f"; last: {worst['activation']}, {worst['mean test acc']:.1%}, {gap:.1f} points behind"
    if n_seeds > 1:
        widest = t.loc[(t["max"] - t["min"]).idxmax()]
        s += (f". The seed matters most for {widest['activation']} "
              f"({(widest['max'] - widest['min']) * 100:.1f} points between its best and worst seed)")
    apart = bool(best["min"] > worst["max"])
    return said(apart, s + ".", s + f". Their seeds overlap ({worst['activation']}'s best seed reached "
                                    f"{worst['max']:.1%}, {best['activation']}'s worst {best['min']:.1%}): "
                                    "this run does not rank them apart.", gap=gap)


def compare_notes(results: list[TrainResult]) -> dict[str, Said]:
    """The comparison's claims: under the accuracy chart (acc), the loss chart (loss) and the table."""
    return {"acc": first_to_level(results), "loss": loss_ratio(results), "table": ranking(results)}


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


__all__ = ["compare_notes", "curve_notes", "depth_notes", "input_effect", "ratio_words", "softmax_notes"]
