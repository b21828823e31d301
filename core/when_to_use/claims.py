"""When to Use Neural Networks: every verdict the page states, each a claim computed from the run it
describes (see :mod:`core.claims`). The ``*_notes`` functions bundle a tab's claims in the order the page
shows them. ``defaults`` runs each tab's default config (seeded, a few seconds each; tab ③'s rotation
claim with its Rotate toggle on, the run its chart's dashed lines come from).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from core.claims import Said, claim, said
from core.when_to_use.data import load_table
from core.when_to_use.jobs import CurveConfig, DuelConfig, NoiseConfig, RuleConfig, ScalingConfig
from core.when_to_use.models import (
    ENGINE_MLP,
    LABELS,
    NETS,
    TREES,
    CurvePoint,
    ModelRun,
    cross_validate,
    curve_point,
    family_best,
    fmt_score,
    noise_point,
)

PAGE = "When to Use Neural Networks"
DUEL, SCALING, NOISE, CURVE = "① Head to head", "② Scaling", "③ Useless features and rotation", "④ Data hunger"
TUTORIAL_ROWS = 10_000  # the tutorial's line: tabular data under ~10,000 rows usually favours tree ensembles
SAME = 0.005  # scores closer than half a point count as unchanged
COLLAPSE = 0.05  # losing more than 5 points counts as a collapse
SHORT = {"breast_cancer": "breast cancer", "wine": "wine", "iris": "iris", "diabetes": "diabetes",
         "digits": "the digits images"}


def _pts(task: str, d: float) -> str:
    return f"{abs(d) * 100:.1f} points" if task == "classification" else f"{abs(d):.3f} in R²"


def _signed(task: str, d: float) -> str:
    """A change with its sign, '±0.0' when it rounds to nothing."""
    v = d * 100 if task == "classification" else d
    text = f"{v:+.1f}" if task == "classification" else f"{v:+.3f}"
    if float(text) == 0:
        text = "±" + text[1:]
    return text + (" points" if task == "classification" else " in R²")


# ---- the default runs of each tab (cached: several claims read the same runs) ----------------------

@lru_cache(maxsize=1)
def default_duel() -> tuple[list[ModelRun], str, int]:
    """Tab ①'s runs at its defaults: (runs, data label, rows)."""
    c = DuelConfig()
    t = load_table(c.dataset)
    return [cross_validate(t, m, c.folds, c.seed, s) for m, s in c.points()], SHORT[c.dataset], t.shape[0]


@lru_cache(maxsize=1)
def default_scaling() -> tuple[dict[tuple[str, bool], ModelRun], str]:
    """Tab ②'s runs at its defaults: ((model, scaled) -> run, data label)."""
    c = ScalingConfig()
    t = load_table(c.dataset)
    return {(m, s): cross_validate(t, m, c.folds, c.seed, s) for m, s in c.points()}, SHORT[c.dataset]


@lru_cache(maxsize=2)
def default_noise(rotate: bool = False) -> list[tuple[int, bool, ModelRun]]:
    """Tab ③'s points at its defaults (``rotate``: with its Rotate toggle on)."""
    c = NoiseConfig(rotate=rotate)
    t = load_table(c.dataset)
    return [(k, r, noise_point(t, k, r, m, c.folds, c.seed)) for k, r, m in c.points()]


@lru_cache(maxsize=1)
def default_curve() -> tuple[list[CurvePoint], str]:
    """Tab ④'s points at its defaults: (points, task)."""
    c = CurveConfig()
    t = load_table(c.dataset)
    return [curve_point(t, f, m, c.seed) for f, m in c.points()], t.task


# ---- ① head to head --------------------------------------------------------------------------------

@claim("wtu.mlp_won", page=PAGE, tab=DUEL,
       condition="the best MLP's mean score > the best tree ensemble's",
       defaults=lambda: duel_winner(*default_duel()[:2]))
def duel_winner(runs: Sequence[ModelRun], data_label: str) -> Said:
    """Who won between the best MLP and the best tree ensemble (both families must have run)."""
    tree, net = family_best(runs, TREES), family_best(runs, NETS)
    if tree is None or net is None:
        return said(False, "", "")
    task, folds = runs[0].task, len(runs[0].scores)
    f = lambda r: fmt_score(task, r.mean)  # noqa: E731
    nums = dict(best_mlp=net.mean, best_tree=tree.mean)
    if net.mean > tree.mean:
        return said(True, f"The MLP won on {data_label}: {net.label} scored {f(net)}, the best tree ensemble "
                          f"({tree.label}) {f(tree)}, over {folds} seeded folds.", "", **nums)
    if net.mean < tree.mean:
        return said(False, "", f"A tree ensemble won on {data_label}: {tree.label} scored {f(tree)}, the best MLP "
                               f"({net.label}) {f(net)}, over {folds} seeded folds.", **nums)
    return said(False, "", f"A tie on {data_label}: {tree.label} and {net.label} both scored {f(tree)} over "
                           f"{folds} seeded folds.", **nums)


@claim("wtu.best_model", page=PAGE, tab=DUEL,
       condition="one model's mean score is above every other's (shown when only one family ran)",
       defaults=lambda: best_model([], ""))  # at the defaults both families run: tab ① shows wtu.mlp_won
def best_model(runs: Sequence[ModelRun], data_label: str) -> Said:
    """The best of several models of one family, or that the best tied."""
    if len(runs) < 2:
        return said(False, "", "")
    task, folds = runs[0].task, len(runs[0].scores)
    ranked = sorted(runs, key=lambda r: r.mean, reverse=True)
    a, b = ranked[0], ranked[1]
    nums = dict(best=a.mean, second=b.mean)
    return said(a.mean > b.mean,
                f"Best on {data_label}: {a.label}, {fmt_score(task, a.mean)} over {folds} seeded folds.",
                f"A tie on {data_label}: {a.label} and {b.label} both scored {fmt_score(task, a.mean)} over {folds} "
                "seeded folds.", **nums)


@claim("wtu.gap_beyond_spread", page=PAGE, tab=DUEL,
       condition="|best MLP - best tree ensemble| > the larger of their fold-to-fold standard deviations",
       defaults=lambda: duel_spread(default_duel()[0]))
def duel_spread(runs: Sequence[ModelRun]) -> Said:
    """Whether the gap between the families is larger than the fold-to-fold spread ('' when they tie)."""
    tree, net = family_best(runs, TREES), family_best(runs, NETS)
    if tree is None or net is None or net.mean == tree.mean:
        return said(False, "", "")
    task = runs[0].task
    gap, spread = net.mean - tree.mean, max(tree.std, net.std)
    return said(abs(gap) > spread,
                f"The gap ({_pts(task, gap)}) is larger than the fold-to-fold spread (±{_pts(task, spread)}).",
                f"The gap ({_pts(task, gap)}) is within the fold-to-fold spread (±{_pts(task, spread)}): more folds "
                "or another seed could reverse it.", gap=gap, spread=spread)


@claim("wtu.speed", page=PAGE, tab=DUEL,
       condition="the slowest model took longer to train than the fastest, in this run",
       defaults=lambda: duel_speed(default_duel()[0]))
def duel_speed(runs: Sequence[ModelRun]) -> Said:
    """The fastest and slowest to train in this run (timings of one run on this machine)."""
    if len(runs) < 2:
        return said(False, "", "")
    folds = len(runs[0].scores)
    fast, slow = min(runs, key=lambda r: r.seconds), max(runs, key=lambda r: r.seconds)
    return said(slow.seconds > fast.seconds,
                f"Fastest to train in this run: {fast.label} ({fast.seconds:.2f} s for {folds} folds); slowest: "
                f"{slow.label} ({slow.seconds:.2f} s, {slow.seconds / max(fast.seconds, 1e-9):.1f}x).", "",
                fastest=fast.seconds, slowest=slow.seconds)


@claim("wtu.effort", page=PAGE, tab=DUEL,
       condition="the tree ensembles ran on raw features at their library defaults and the MLPs on standardised ones",
       defaults=lambda: duel_effort(default_duel()[0]))
def duel_effort(runs: Sequence[ModelRun]) -> Said:
    """What each family was given in this run: inputs and settings changed from whose defaults. It says
    nothing of what the MLPs would need (tab ② runs that)."""
    trees = [r for r in runs if r.model in TREES]
    nets = [r for r in runs if r.model in NETS]
    if not trees or not nets:
        return said(False, "", "")
    holds = all(r.changed == 0 and not r.scaled for r in trees) and all(r.scaled for r in nets)
    whose = {"mlp": "NN Lab's own engine defaults",
             "rule": "NN Lab's own engine defaults (the tutorial's rule of thumb for tables)",
             "sk_mlp": "scikit-learn's defaults (the tutorial's layers and iterations)"}
    changed = "; ".join(f"{r.label}: {r.changed} of {r.exposed} settings differ from {whose[r.model]}" for r in nets)
    return said(holds, "Here the tree ensembles ran on the raw features with every setting at scikit-learn's "
                       f"default; the MLPs were given standardised inputs (tab ② runs both ways) and set up as "
                       f"follows: {changed}.", "", trees_at_defaults=holds,
                changed=", ".join(f"{r.model}={r.changed}" for r in nets))


@claim("wtu.trees_win_small_tables", page=PAGE, tab=DUEL,
       condition="under 10,000 rows, the best tree ensemble scored above the best MLP",
       defaults=lambda: rows_rule(default_duel()[0], default_duel()[2]))
def rows_rule(runs: Sequence[ModelRun], n_rows: int) -> Said:
    """Whether the tutorial's under-10,000-rows rule held on this table ('' above the line or on a tie)."""
    tree, net = family_best(runs, TREES), family_best(runs, NETS)
    if tree is None or net is None or n_rows >= TUTORIAL_ROWS or net.mean == tree.mean:
        return said(False, "", "")
    start = (f"{n_rows:,} rows is under the tutorial's ~{TUTORIAL_ROWS:,}-row line, where it says tree ensembles "
             "usually win: ")
    return said(tree.mean > net.mean, start + "so it held here.", start + "here it did not hold.",
                rows=n_rows, best_tree=tree.mean, best_mlp=net.mean)


def duel_notes(runs: Sequence[ModelRun], data_label: str, n_rows: int) -> dict[str, Said]:
    """Tab ①'s claims by key: winner, spread, speed, effort, rows (empty ones left out)."""
    if not runs:
        return {}
    both = family_best(runs, TREES) is not None and family_best(runs, NETS) is not None
    out = {"winner": duel_winner(runs, data_label) if both else best_model(runs, data_label),
           "spread": duel_spread(runs), "speed": duel_speed(runs), "effort": duel_effort(runs),
           "rows": rows_rule(runs, n_rows)}
    return {k: v for k, v in out.items() if v}


# ---- ② scaling -------------------------------------------------------------------------------------

@claim("wtu.mlp_collapses_unscaled", page=PAGE, tab=SCALING,
       condition="an MLP's score on raw features is more than 5 points below its score on standardised ones",
       defaults=lambda: scaling_collapse(default_scaling()[0][("sk_mlp", True)],
                                         default_scaling()[0][("sk_mlp", False)], default_scaling()[1]))
def scaling_collapse(on: ModelRun, off: ModelRun, data_label: str) -> Said:
    """What dropping standardisation did to a network."""
    task, drop = on.task, on.mean - off.mean
    return said(drop > COLLAPSE,
                f"Without scaling, {on.label} fell from {fmt_score(task, on.mean)} to {fmt_score(task, off.mean)} on "
                f"{data_label}: features with large values swamp the weighted sums, so training follows them and "
                "ignores the rest.",
                f"{on.label} scored {fmt_score(task, on.mean)} with standardised inputs and "
                f"{fmt_score(task, off.mean)} with raw ones on {data_label}: no collapse here.",
                scaled=on.mean, raw=off.mean)


@claim("wtu.trees_ignore_scaling", page=PAGE, tab=SCALING,
       condition="a tree ensemble's raw and standardised scores within half a point",
       defaults=lambda: scaling_trees(default_scaling()[0][("forest", True)], default_scaling()[0][("forest", False)]))
def scaling_trees(on: ModelRun, off: ModelRun) -> Said:
    """Whether standardising left a tree ensemble's score unchanged."""
    task, drop = on.task, on.mean - off.mean
    head = (f"{on.label} scored {fmt_score(task, on.mean)} with standardised inputs and {fmt_score(task, off.mean)} "
            "with raw ones")
    return said(abs(drop) <= SAME, head + ": each split compares one feature with a threshold, so stretching a feature "
                                          "moves the threshold, not the result.",
                head + f": a difference of {_pts(task, drop)}.", scaled=on.mean, raw=off.mean)


def scaling_notes(runs: dict[tuple[str, bool], ModelRun], data_label: str) -> list[Said]:
    """runs: (model, scaled) -> ModelRun. One claim per model run both ways, in the runs' order."""
    out = []
    for m in dict.fromkeys(m for m, _ in runs):
        if (m, True) in runs and (m, False) in runs:
            on, off = runs[(m, True)], runs[(m, False)]
            out.append(scaling_collapse(on, off, data_label) if m in NETS else scaling_trees(on, off))
    return [s for s in out if s]


# ---- ③ uninformative columns and rotation ------------------------------------------------------------

def _lost(task: str, d: dict[str, float], order: list[str]) -> str:
    return "; ".join(f"{LABELS[m]} {'lost' if d[m] > 0 else 'gained'} {_pts(task, d[m])}" for m in order)


@claim("wtu.noise_hurts_mlp_most", page=PAGE, tab=NOISE,
       condition="from the fewest to the most noise columns an MLP lost the most, by > half a point over the least",
       defaults=lambda: noise_verdict(default_noise()))
def noise_verdict(points: Sequence[tuple[int, bool, ModelRun]]) -> Said:
    """Who lost most from the fewest to the most noise columns (unrotated), against Grinsztajn et al. (2022)."""
    if not points:
        return said(False, "", "")
    task = points[0][2].task
    by = {(k, r, run.model): run for k, r, run in points}
    ks = sorted({k for k, _, _ in points})
    models = list(dict.fromkeys(run.model for _, _, run in points))
    k0, k1 = ks[0], ks[-1]
    drops = {m: by[(k0, False, m)].mean - by[(k1, False, m)].mean
             for m in models if (k0, False, m) in by and (k1, False, m) in by}
    if len(drops) < 2 or k1 <= k0:
        return said(False, "", "")
    order = sorted(drops, key=drops.get, reverse=True)
    worst, least = order[0], order[-1]
    text = f"Going from {k0} to {k1} uninformative columns: {_lost(task, drops, order)}."
    nums = {f"drop_{m}": v for m, v in drops.items()}
    clear = drops[worst] > drops[least] + SAME
    if clear and worst in NETS:
        return said(True, text + f" Most hurt: {LABELS[worst]}; least: {LABELS[least]}. As Grinsztajn et al. (2022) "
                    "found, the MLP suffers more from useless features than trees do.", "", **nums)
    if not clear:
        return said(False, "", text + " All lost about the same here.", **nums)
    tail = (" Unlike Grinsztajn et al. (2022), here a tree ensemble suffered most." if any(m in NETS for m in drops)
            else "")
    return said(False, "", text + f" Most hurt: {LABELS[worst]}; least: {LABELS[least]}." + tail, **nums)


@claim("wtu.rotation_hurts_trees_most", page=PAGE, tab=NOISE,
       condition="at the most noise columns shown, rotating the features cost a tree ensemble the most, by > half "
                 "a point over the least hurt",
       defaults=lambda: rotation_verdict(default_noise(rotate=True)))
def rotation_verdict(points: Sequence[tuple[int, bool, ModelRun]]) -> Said:
    """What rotating the features cost each model at every k the chart shows, and who lost most at the largest
    k (where the chart's dashed lines end); '' when the rotation was not run."""
    if not points:
        return said(False, "", "")
    task = points[0][2].task
    by = {(k, r, run.model): run for k, r, run in points}
    models = list(dict.fromkeys(run.model for _, _, run in points))
    cost = {k: {m: by[(k, False, m)].mean - by[(k, True, m)].mean for m in models
                if (k, False, m) in by and (k, True, m) in by}
            for k in sorted({k for k, _, _ in points})}
    cost = {k: c for k, c in cost.items() if len(c) > 1}
    if not cost:
        return said(False, "", "")
    per_k = "; ".join(f"at k = {k}: " + ", ".join(
        f"{LABELS[m]} {_signed(task, -c[m])}" for m in sorted(c, key=c.get, reverse=True)) for k, c in cost.items())
    k = max(cost)
    c = cost[k]
    order = sorted(c, key=c.get, reverse=True)
    worst, least = order[0], order[-1]
    head = f"Rotating the features changed each score (rotated minus unrotated) {per_k}."
    nums = {"k": k} | {f"cost_{m}": v for m, v in c.items()}
    clear = c[worst] > c[least] + SAME
    if clear and worst in TREES:
        return said(True, head + f" With {k} noise columns rotation hurt {LABELS[worst]} most "
                    f"({_pts(task, c[worst])}): trees split one original feature at a time, so mixing every feature "
                    "(and the noise) into every column takes away what they rely on; an MLP's first layer mixes "
                    "features anyway (Grinsztajn et al. 2022).", "", **nums)
    if not clear:
        return said(False, "", head + f" With {k} noise columns rotation cost every model about the same.", **nums)
    tail = (" Unlike Grinsztajn et al. (2022), who found trees suffer most from rotation, here the MLP did."
            if any(m in TREES for m in c) else "")
    return said(False, "", head + f" With {k} noise columns rotation hurt {LABELS[worst]} most." + tail, **nums)


def noise_notes(points: Sequence[tuple[int, bool, ModelRun]]) -> list[Said]:
    """Tab ③'s claims: noise columns, then (if run) rotation."""
    return [s for s in (noise_verdict(points), rotation_verdict(points)) if s]


# ---- ④ data hunger ------------------------------------------------------------------------------------

def _ends(points: Sequence[CurvePoint]) -> tuple[dict, float, float, list[str]]:
    sizes = sorted({p.fraction for p in points})
    by = {(p.fraction, p.model): p for p in points}
    models = list(dict.fromkeys(p.model for p in points))
    lo, hi = sizes[0], sizes[-1]
    return by, lo, hi, [m for m in models if (lo, m) in by and (hi, m) in by]


@claim("wtu.gained_most", page=PAGE, tab=CURVE,
       condition="from the fewest to the most training rows one model gained > half a point more than every other",
       defaults=lambda: curve_gain(*default_curve()))
def curve_gain(points: Sequence[CurvePoint], task: str) -> Said:
    """The scores at the smallest and largest training sets, and who gained most from more data."""
    if not points:
        return said(False, "", "")
    by, lo, hi, ready = _ends(points)
    if len(ready) < 2 or lo == hi:
        return said(False, "", "")
    n_lo, n_hi = by[(lo, ready[0])].n_train, by[(hi, ready[0])].n_train
    small = ", ".join(f"{LABELS[m]} {fmt_score(task, by[(lo, m)].score)}" for m in ready)
    big = ", ".join(f"{LABELS[m]} {fmt_score(task, by[(hi, m)].score)}" for m in ready)
    gains = {m: by[(hi, m)].score - by[(lo, m)].score for m in ready}
    order = sorted(gains, key=gains.get, reverse=True)
    g = order[0]
    head = f"With {n_lo:,} training rows: {small}. With {n_hi:,}: {big}."
    return said(gains[g] > gains[order[1]] + SAME, head + f" {LABELS[g]} gained most from more data "
                                                          f"({_pts(task, gains[g])}).",
                head + " More data helped them about equally.", **{f"gain_{m}": v for m, v in gains.items()})


@claim("wtu.mlp_data_hungry", page=PAGE, tab=CURVE,
       condition="the best MLP trailed the best tree ensemble with the fewest rows and gained on it with the most",
       defaults=lambda: data_hungry(*default_curve()))
def data_hungry(points: Sequence[CurvePoint], task: str) -> Said:
    """Whether the MLPs look data-hungry here: behind with few rows, catching up with more ('' without both
    families)."""
    if not points:
        return said(False, "", "")
    by, lo, hi, ready = _ends(points)
    tree, net = [m for m in ready if m in TREES], [m for m in ready if m in NETS]
    if not tree or not net or lo == hi:
        return said(False, "", "")
    n_lo, n_hi = by[(lo, ready[0])].n_train, by[(hi, ready[0])].n_train
    bt_lo, bn_lo = max(by[(lo, m)].score for m in tree), max(by[(lo, m)].score for m in net)
    bt_hi, bn_hi = max(by[(hi, m)].score for m in tree), max(by[(hi, m)].score for m in net)
    nums = dict(tree_fewest=bt_lo, mlp_fewest=bn_lo, tree_most=bt_hi, mlp_most=bn_hi)
    f = lambda v: fmt_score(task, v)  # noqa: E731
    if bn_lo < bt_lo and bn_hi - bt_hi > bn_lo - bt_lo:
        catch = "caught up and passed the trees" if bn_hi > bt_hi else "closed part of the gap"
        return said(True, f"Data-hungry: with the fewest rows the best MLP trailed the best tree ensemble by "
                          f"{_pts(task, bt_lo - bn_lo)}; with the most it {catch} "
                          f"({'+' if bn_hi >= bt_hi else '-'}{_pts(task, bn_hi - bt_hi)}).", "", **nums)
    most = (f"with {n_hi:,} the best tree ensemble led ({f(bt_hi)} against {f(bn_hi)})" if bt_hi > bn_hi else
            f"with {n_hi:,} it still led ({f(bn_hi)} against {f(bt_hi)})" if bn_hi > bt_hi else
            f"with {n_hi:,} they tied ({f(bn_hi)})")
    if bn_lo >= bt_lo:
        return said(False, "", f"Not data-hungry here: even with only {n_lo:,} training rows the best MLP kept up "
                               f"({f(bn_lo)} against {f(bt_lo)}); {most}.", **nums)
    return said(False, "", f"With the fewest rows the best MLP trailed the best tree ensemble by "
                           f"{_pts(task, bt_lo - bn_lo)}, and more data did not close the gap: {most}.", **nums)


def curve_notes(points: Sequence[CurvePoint], task: str) -> list[Said]:
    """Tab ④'s claims: the ends of the curves and who gained most, then whether the MLP looks data-hungry."""
    return [s for s in (curve_gain(points, task), data_hungry(points, task)) if s]


# ---- the tutorial's rule of thumb for tables (tab ①, under the duel) ----------------------------------------
@lru_cache(maxsize=1)
def default_rule() -> list[ModelRun]:
    """The rule-of-thumb section's runs at its defaults (the duel's table, folds and seed)."""
    c = RuleConfig()
    t = load_table(c.dataset)
    return [cross_validate(t, m, c.folds, c.seed, s) for m, s in c.points()]


def _run(runs: Sequence[ModelRun], model: str) -> ModelRun:
    return next(r for r in runs if r.model == model)


def _beyond(task: str, gap: float, spread: float) -> str:
    return (f"larger than the fold-to-fold spread (±{_pts(task, spread)})" if abs(gap) > spread else
            f"within the fold-to-fold spread (±{_pts(task, spread)}): another seed could reverse it")


@claim("wtu.rule_vs_own_mlp", page=PAGE, tab=DUEL,
       condition="the rule-of-thumb MLP's mean score is at least the page's own engine MLP's (64-32, no dropout)",
       defaults=lambda: rule_vs_own_mlp(default_rule()))
def rule_vs_own_mlp(runs: Sequence[ModelRun]) -> Said:
    """The rule of thumb against the variant: the page's own engine MLP."""
    rule, own = _run(runs, "rule"), _run(runs, "mlp")
    task, gap = rule.task, rule.mean - own.mean
    own_shape = "-".join(map(str, ENGINE_MLP.hidden))
    s = (f"The rule of thumb scored {fmt_score(task, rule.mean)}, the page's own {own_shape} MLP without dropout "
         f"{fmt_score(task, own.mean)}: a gap of {_signed(task, gap)}, {_beyond(task, gap, max(rule.std, own.std))}.")
    return said(gap >= 0, f"{s} The network the rule builds did at least as well here.",
                f"{s} Here the rule of thumb did worse than the page's own network.",
                rule=rule.mean, own=own.mean)


@claim("wtu.rule_vs_trees", page=PAGE, tab=DUEL,
       condition="the rule-of-thumb MLP's mean score is above the best tree ensemble's",
       defaults=lambda: rule_vs_trees(default_rule()))
def rule_vs_trees(runs: Sequence[ModelRun]) -> Said:
    """The rule of thumb against the best tree ensemble on the same folds."""
    rule, tree = _run(runs, "rule"), family_best(runs, TREES)
    task, gap = rule.task, rule.mean - tree.mean
    s = (f"Against the best tree ensemble ({tree.label.lower()}, {fmt_score(task, tree.mean)}) the rule of thumb "
         f"is {_signed(task, gap)}, {_beyond(task, gap, max(rule.std, tree.std))}.")
    return said(gap > 0, f"{s} On this table the network built by the rule scored above the trees, which needed no "
                "choice of layers at all.", f"{s} On this table the trees were at least as good, with their "
                "library's defaults and no layers to choose.", rule=rule.mean, tree=tree.mean)


def rule_notes(runs: Sequence[ModelRun]) -> list[Said]:
    """The rule-of-thumb section's claims: against the page's own MLP, against the trees."""
    return [rule_vs_own_mlp(runs), rule_vs_trees(runs)]
