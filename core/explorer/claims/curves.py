"""The claims of ① Shapes and slopes (a CurvesConfig: autograd slopes on a grid) and ② Softmax (logits and a
temperature)."""

from __future__ import annotations

import math

import numpy as np
import torch

from core.claims import Said, claim, said
from core.engine import activations as acts
from core.explorer.claims.page import PAGE, SHAPES_TAB, SOFTMAX_TAB
from core.explorer.jobs import REG, Y_CLIP, CurvesConfig, _and, curves, flat_sides


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


STEP_DROP = 0.9  # a smooth function "learned" when its loss ended below this share of its start


@claim("explorer.step_needs_slope", page=PAGE, tab=SHAPES_TAB,
       condition="Step is chosen, its gradient norm is 0 at every step of gradient descent on AND and its loss "
                 "never moves, while some chosen smooth function's loss falls below 90% of its start",
       defaults=lambda: step_needs_slope(CurvesConfig()))
def step_needs_slope(cfg: CurvesConfig, runs: dict | None = None) -> Said:
    """Step (the perceptron's output) against the other chosen functions: one neuron trained on AND by gradient
    descent from one start (``runs``: name -> core.neuron.jobs.descend frame, for a test)."""
    from core.neuron.jobs import descend_all
    if "step" not in cfg.functions:
        return said(False, "", step_grad_max=float("nan"), learned=0)
    runs = runs if runs is not None else descend_all(cfg.functions)
    step = runs["step"]
    grad_max = float(step["grad_norm"].abs().max())
    moved = float(step["loss"].max() - step["loss"].min())
    fell = {n: r for n, r in runs.items()
            if n != "step" and r["loss"].iloc[-1] < STEP_DROP * r["loss"].iloc[0]}
    steps = int(step["step"].iloc[-1])
    holds = grad_max == 0 and moved == 0 and bool(fell)
    smooth = "; ".join(f"{REG[n].label} from {r['loss'].iloc[0]:.3f} to {r['loss'].iloc[-1]:.3f}"
                       for n, r in fell.items())
    return said(holds,
                f"Step is the perceptron's activation, and gradient descent cannot train it: one neuron trained on "
                f"AND for {steps} steps from the same start, Step's gradient was 0 at every step and its loss stayed "
                f"at {step['loss'].iloc[0]:.3f} ({int(step['errors'].iloc[-1])} of 4 rows wrong), while the loss "
                f"fell with {smooth}. Training by gradient needs a slope; the perceptron uses its own rule "
                "(w += lr·error·x) instead.",
                f"Here Step's gradient reached {grad_max:.3g} and its loss moved by {moved:.3g} over {steps} steps, "
                f"and {len(fell)} smooth function(s) lowered their loss." if runs else "",
                step_grad_max=grad_max, step_loss_moved=moved, learned=len(fell))


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
    notes = {"steep": steepest_flattest(cfg), "sigmoid": sigmoid_slope(cfg), "both": both_sides_flat(cfg),
             "one": one_side_flat(cfg), "none": no_slope(cfg), "step": step_needs_slope(cfg), "clipped": clipped(cfg)}
    if notes["step"].holds:  # it says what no_slope says, with the run's numbers: one of them is enough
        del notes["none"]
    return notes



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
