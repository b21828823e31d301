"""Network Shapes' lessons and verdicts, each a registered claim of its tab's numbers.

The four-shapes claims read the shapes table (core.architectures.jobs.shapes_table) and, for Deep and
narrow against Shallow, the checks that test why a thin deep net trains as it does (ShapesConfig.
check_configs). The approximation claims read approx_table and one width's sum of pieces.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from core.architectures.jobs import (
    SHAPE_LABELS,
    SHAPES,
    ApproxConfig,
    ShapesConfig,
    approx_table,
    check_accuracy,
    run_check,
    run_shape,
    run_width,
    shapes_table,
)
from core.claims import Said, claim, said
from core.engine import TrainResult

PAGE = "Network Shapes"
SHAPES_TAB, APPROX_TAB = "① Four shapes", "② Universal approximation"


# ---- the page's default jobs (the page's cache keys: a run the page made is reused) --------------------


def _cached(configs, data_key: str, compute) -> list[TrainResult]:
    from core.serve.cache import batch_key, cached
    return cached(batch_key(configs, data_key), compute)[0]


def shape_runs(cfg: ShapesConfig) -> dict[str, list[TrainResult]]:
    """Every shape's results (disk-cached under the page's keys)."""
    return {s: _cached(cfg.shape_configs(s), cfg.data_key(), lambda s=s: run_shape(cfg, s)) for s in SHAPES}


def check_runs(cfg: ShapesConfig) -> dict[str, float]:
    """Each check's mean test accuracy (disk-cached under the page's keys)."""
    return {k: check_accuracy(_cached(cs, cfg.data_key(), lambda k=k: run_check(cfg, k)))
            for k, cs in cfg.check_configs().items()}


@cache
def default_shapes() -> tuple[pd.DataFrame, dict[str, float]]:
    """The four-shapes table and the checks at the defaults."""
    cfg = ShapesConfig()
    return shapes_table(cfg, shape_runs(cfg)), check_runs(cfg)


@cache
def default_approx() -> pd.DataFrame:
    """The approximation table at the defaults."""
    cfg = ApproxConfig()
    wide = {W: _cached(cfg.net_configs((W,)), cfg.data_key(), lambda W=W: run_width(cfg, (W,)))
            for W in sorted(cfg.widths)}
    deep = {h: _cached(cfg.net_configs(h), cfg.data_key(), lambda h=h: run_width(cfg, h))
            for _, h in cfg.deep_shapes()}
    return approx_table(cfg, wide, deep)


# ---- ① four shapes -------------------------------------------------------------------------------------


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values("mean test acc", ascending=False, kind="stable").reset_index(drop=True)


@claim("architectures.best_shape", page=PAGE, tab=SHAPES_TAB,
       condition="the best shape's mean test accuracy leads the second's by more than the larger seed std",
       defaults=lambda: best_shape(default_shapes()[0]))
def best_shape(table: pd.DataFrame) -> Said:
    """Which shape reached the highest test accuracy, and whether the seeds separate it from the next."""
    t = _ranked(table)
    best, second = t.iloc[0], t.iloc[1]
    gap = float(best["mean test acc"] - second["mean test acc"])
    spread = float(max(best["spread (std)"], second["spread (std)"]))
    return said(gap > spread,
                f"**{best['shape']}** reached the highest test accuracy, {best['mean test acc']:.1%} "
                f"(± {best['spread (std)']:.1%} over seeds), ahead of {second['shape']} "
                f"({second['mean test acc']:.1%}) by more than the seed spread.",
                f"**{best['shape']}** ({best['mean test acc']:.1%}) and **{second['shape']}** "
                f"({second['mean test acc']:.1%}) are within the seed spread of each other "
                f"(± {spread:.1%}): this run does not separate them.", gap=gap, spread=spread)


@claim("architectures.fewer_parameters", page=PAGE, tab=SHAPES_TAB,
       condition="a shape with fewer parameters than the best comes within 1 point of its mean test accuracy",
       defaults=lambda: fewer_parameters(default_shapes()[0]))
def fewer_parameters(table: pd.DataFrame) -> Said:
    """The smallest shape within one point of the best (what the extra parameters bought)."""
    t = _ranked(table)
    best = t.iloc[0]
    close = t[t["mean test acc"] >= best["mean test acc"] - 0.01].sort_values("parameters").iloc[0]
    ok = bool(close["shape"] != best["shape"] and close["parameters"] < best["parameters"])
    return said(ok, f"**{close['shape']}** came within one point of the best ({close['mean test acc']:.1%}) "
                    f"with {int(close['parameters']):,} parameters, {best['parameters'] / close['parameters']:.1f}× "
                    f"fewer than {best['shape']} ({int(best['parameters']):,}).", "",
                ratio=float(best["parameters"] / close["parameters"]))


BUDGET = 1.5  # Deep and narrow and Shallow compare depth only when their parameter counts are within this ratio


def same_budget(table: pd.DataFrame) -> bool:
    """Deep and narrow and Shallow have about the same number of parameters (within BUDGET x)."""
    p = table.set_index("shape")["parameters"]
    a, b = float(p[SHAPE_LABELS["narrow"]]), float(p[SHAPE_LABELS["shallow"]])
    return max(a, b) / min(a, b) <= BUDGET


@claim("architectures.narrow_vs_shallow", page=PAGE, tab=SHAPES_TAB,
       condition="Deep and narrow's mean test accuracy trails Shallow's by more than the larger seed std, at "
                 "parameter counts within 1.5x of each other",
       defaults=lambda: narrow_vs_shallow(*default_shapes(), ShapesConfig().epochs))
def narrow_vs_shallow(table: pd.DataFrame, checks: dict[str, float], epochs: int | None = None) -> Said:
    """Deep and narrow against Shallow, and what the checks (no hidden layer, He init, 3x epochs) say about why.

    checks: mean test accuracy of "linear", "narrow_he", "narrow_longer" (ShapesConfig.check_configs);
    epochs: the run's epochs (for the text; default: say "the same epochs").
    """
    by = table.set_index("shape")
    n, s = by.loc[SHAPE_LABELS["narrow"]], by.loc[SHAPE_LABELS["shallow"]]
    na, sa = float(n["mean test acc"]), float(s["mean test acc"])
    spread = float(max(n["spread (std)"], s["spread (std)"]))
    last = _ranked(table).iloc[-1]["shape"] == SHAPE_LABELS["narrow"]
    widths = n["hidden widths"].split(",")
    shape = (f"{len(widths)} layer{'s' * (len(widths) != 1)} of {widths[0]}" if len(set(widths)) == 1
             else f"hidden {', '.join(widths)}")
    head = (f"Deep and narrow ({shape}) "
            f"{'comes last' if last else 'trails Shallow'} here: {na:.1%} against Shallow's {sa:.1%}, with "
            f"{int(n['parameters']):,} and {int(s['parameters']):,} parameters.")
    size = float(max(n["parameters"], s["parameters"]) / min(n["parameters"], s["parameters"]))
    if not same_budget(table):  # not the same budget: the comparison says nothing about depth
        return said(False, "", "", gap=sa - na, spread=spread, size_ratio=size)
    if not (sa - na > spread):
        return said(False, "", f"Deep and narrow ({na:.1%}) keeps up with Shallow ({sa:.1%}) at "
                               f"{int(n['parameters']):,} and {int(s['parameters']):,} parameters: on this run a thin "
                               "deep net uses its parameters as well as one layer.", gap=sa - na, spread=spread)
    why = []
    lin, he, longer = checks["linear"], checks["narrow_he"], checks["narrow_longer"]
    if lin >= sa - 0.05:
        why.append(f"A network with no hidden layer at all reaches {lin:.1%} here: these classes are nearly "
                   "separable by straight lines, so depth has few bends to add (the next tab's advantage of depth "
                   "is for functions with many bends).")
    same = f"the same {epochs} epochs" if epochs else "the same epochs"
    fixes = []
    if he > na + spread:
        fixes.append(f"with He init instead of PyTorch's default (which shrinks the signal at every one of its "
                     f"layers) it reaches {he:.1%} in {same}")
    if longer > na + spread:
        fixes.append(f"with 3x the epochs it reaches {longer:.1%}")
    if fixes:
        top = max(he, longer)
        why.append("The thin deep net also trains more slowly: " + "; ".join(fixes) +
                   (f", still {(sa - top) * 100:.1f} points behind Shallow." if top < sa - 0.005
                    else ", level with Shallow."))
    else:
        why.append(f"Neither He init ({he:.1%}) nor 3x the epochs ({longer:.1%}) closes the gap: with 16 units a "
                   "layer, each layer is a narrow bottleneck for 64 pixels.")
    return said(True, head + " " + " ".join(why), gap=sa - na, spread=spread, linear=lin, he=he, longer=longer)


def shapes_notes(table: pd.DataFrame, checks: dict[str, float], epochs: int | None = None) -> dict[str, Said]:
    """The four-shapes tab's claims, in the order shown."""
    return {"best": best_shape(table), "fewer": fewer_parameters(table),
            "narrow": narrow_vs_shallow(table, checks, epochs)}


# ---- ② universal approximation -------------------------------------------------------------------------


@claim("architectures.wider_fits_better", page=PAGE, tab=APPROX_TAB,
       condition="the widest one-layer net's error is below the narrowest's",
       defaults=lambda: wider_fits_better(default_approx()))
def wider_fits_better(table: pd.DataFrame) -> Said:
    """The widest one-hidden-layer net against the narrowest."""
    one = table[table["layers"] == 1].sort_values("width")
    if len(one) < 2:
        return said(False, "", "", ratio=float("nan"))
    first, last = one.iloc[0], one.iloc[-1]
    ratio = float(first["error"] / max(last["error"], 1e-12))
    return said(bool(last["error"] < first["error"]),
                f"One hidden layer of **{int(last['width'])}** units fit the function {ratio:,.0f}× better than "
                f"**{int(first['width'])}** (relative error {last['error']:.2g} against {first['error']:.2g}): more "
                "units, more bends to place, a closer fit.",
                f"One hidden layer of **{int(last['width'])}** units fit no better than **{int(first['width'])}** "
                f"(relative error {last['error']:.2g} against {first['error']:.2g}): on this run training, not the "
                "number of units, limited the fit.", ratio=ratio)


@claim("architectures.error_falls", page=PAGE, tab=APPROX_TAB,
       condition="the one-layer error falls at every larger width",
       defaults=lambda: error_falls(default_approx()))
def error_falls(table: pd.DataFrame) -> Said:
    """Whether the error fell at every step of width."""
    one = table[table["layers"] == 1].sort_values("width")
    if len(one) < 2:
        return said(False, "", "", worse=0)
    errs = one["error"].to_numpy()
    worse = [int(w) for w, a, b in zip(one["width"].iloc[1:], errs[:-1], errs[1:]) if b >= a]
    return said(not worse, "The error fell at every larger width on this run.",
                f"The error did not fall at every step: width {', '.join(map(str, worse))} did no better "
                "than the width before it (training, not capacity, limits a fit too).", worse=len(worse))


@claim("architectures.depth_at_equal_budget", page=PAGE, tab=APPROX_TAB,
       condition="deeper nets beat one layer of the same parameter budget in more than half of the matches",
       defaults=lambda: depth_at_equal_budget(default_approx()))
def depth_at_equal_budget(table: pd.DataFrame) -> Said:
    """Deeper nets against one layer with the same number of parameters."""
    one = table[table["layers"] == 1]
    deep = table[table["layers"] > 1]
    if not len(deep):
        return said(False, "", "", wins=0, matches=0)
    wins = 0
    for _, d in deep.iterrows():
        base = one[one["width"] == d["budget of"]]
        if len(base) and d["error"] < base["error"].iloc[0]:
            wins += 1
    b = deep.sort_values("error").iloc[0]
    base = one[one["width"] == b["budget of"]].iloc[0]
    verb = "beat" if b["error"] < base["error"] else "did not beat"
    text = (f"With the same parameter budget, deeper nets beat one layer in {wins} of {len(deep)} matches. The best "
            f"deep net, **{b['net']}** ({int(b['parameters'])} parameters, error {b['error']:.2g}), {verb} one "
            f"layer of {int(base['width'])} ({int(base['parameters'])} parameters, error {base['error']:.2g}).")
    return said(wins > len(deep) / 2, text, text, wins=wins, matches=len(deep))


@claim("architectures.pieces_add_up", page=PAGE, tab=APPROX_TAB,
       condition="the pieces plus the output bias match the network's output within 1e-4 on [-3, 3]",
       defaults=lambda: pieces_add_up(8, _default_gap()))
def pieces_add_up(width: int, gap: float) -> Said:
    """The sum of one width's pieces against the network's own output (largest gap on the grid)."""
    return said(gap < 1e-4, f"The {width} pieces plus the output bias add up to the network's own output (largest "
                            f"gap {gap:.1e} over [-3, 3]): that sum is all a one-hidden-layer network computes.",
                f"The {width} pieces plus the output bias differ from the network's output by up to {gap:.1e} "
                "over [-3, 3]: more than rounding, so something other than the sum is in the output.", gap=gap)


def _default_gap() -> float:
    from core.architectures.jobs import best, contributions, target
    cfg = ApproxConfig()
    rs = _cached(cfg.net_configs((8,)), cfg.data_key(), lambda: run_width(cfg, (8,)))
    _, total = contributions(best(rs), target(cfg))
    return float(np.abs(total["fit"] - total["sum"]).max())


def approx_notes(table: pd.DataFrame) -> dict[str, Said]:
    """The approximation tab's claims, in the order shown."""
    return {"wider": wider_fits_better(table), "falls": error_falls(table), "depth": depth_at_equal_budget(table)}


__all__ = ["approx_notes", "check_runs", "narrow_vs_shallow", "pieces_add_up", "same_budget", "shape_runs",
           "shapes_notes"]
