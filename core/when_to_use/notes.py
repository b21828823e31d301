"""The page's verdict sentences, each computed from the run it describes and returned only when true."""

from __future__ import annotations

from collections.abc import Sequence

from core.when_to_use.jobs import LABELS, NETS, TREES, CurvePoint, ModelRun, family_best, fmt_score

TUTORIAL_ROWS = 10_000  # the tutorial's line: tabular data under ~10,000 rows usually favours tree ensembles
SAME = 0.005  # scores closer than half a point count as unchanged
COLLAPSE = 0.05  # losing more than 5 points counts as a collapse


def _pts(task: str, d: float) -> str:
    return f"{abs(d) * 100:.1f} points" if task == "classification" else f"{abs(d):.3f} in R²"


def duel_notes(runs: Sequence[ModelRun], data_label: str, n_rows: int) -> dict[str, str]:
    """Keys: winner, spread, speed, effort, rows. runs: one per model, same table and folds."""
    out: dict[str, str] = {}
    if not runs:
        return out
    task = runs[0].task
    folds = len(runs[0].scores)
    best = max(runs, key=lambda r: r.mean)
    tree, net = family_best(runs, TREES), family_best(runs, NETS)
    f = lambda r: fmt_score(task, r.mean)  # noqa: E731
    if tree is not None and net is not None:
        gap = net.mean - tree.mean
        spread = max(tree.std, net.std)
        if gap > 0:
            out["winner"] = (f"The MLP won on {data_label}: {net.label} scored {f(net)}, the best tree ensemble "
                             f"({tree.label}) {f(tree)}, over {folds} seeded folds.")
        elif gap < 0:
            out["winner"] = (f"A tree ensemble won on {data_label}: {tree.label} scored {f(tree)}, the best MLP "
                             f"({net.label}) {f(net)}, over {folds} seeded folds.")
        else:
            out["winner"] = (f"A tie on {data_label}: {tree.label} and {net.label} both scored {f(tree)} over "
                             f"{folds} seeded folds.")
        if gap != 0:
            if abs(gap) <= spread:
                out["spread"] = (f"The gap ({_pts(task, gap)}) is within the fold-to-fold spread "
                                 f"(±{_pts(task, spread)}): more folds or another seed could reverse it.")
            else:
                out["spread"] = (f"The gap ({_pts(task, gap)}) is larger than the fold-to-fold spread "
                                 f"(±{_pts(task, spread)}).")
    elif len(runs) > 1:
        out["winner"] = f"Best on {data_label}: {best.label}, {f(best)} over {folds} seeded folds."
    if len(runs) > 1:
        fast, slow = min(runs, key=lambda r: r.seconds), max(runs, key=lambda r: r.seconds)
        if slow.seconds > fast.seconds:
            out["speed"] = (f"Fastest to train: {fast.label} ({fast.seconds:.2f} s for {folds} folds); slowest: "
                            f"{slow.label} ({slow.seconds:.2f} s, {slow.seconds / max(fast.seconds, 1e-9):.1f}x).")
    trees = [r for r in runs if r.model in TREES]
    nets = [r for r in runs if r.model in NETS]
    if trees and nets and all(r.changed == 0 and not r.scaled for r in trees) and all(r.scaled for r in nets):
        changed = ", ".join(f"{r.label} {r.changed}" for r in nets)
        out["effort"] = ("The tree ensembles ran on the raw features with every setting at its library default; "
                         f"the MLPs needed standardised inputs and settings changed from their defaults ({changed}).")
    if tree is not None and net is not None and n_rows < TUTORIAL_ROWS and net.mean != tree.mean:
        held = tree.mean > net.mean
        out["rows"] = (f"{n_rows:,} rows is under the tutorial's ~{TUTORIAL_ROWS:,}-row line, where it says tree "
                       f"ensembles usually win: {'so it held here' if held else 'here it did not hold'}.")
    return out


def scaling_notes(runs: dict[tuple[str, bool], ModelRun], data_label: str) -> list[str]:
    """runs: (model, scaled) -> ModelRun. Sentences for the models that collapsed and those unchanged."""
    out = []
    models = list(dict.fromkeys(m for m, _ in runs))
    for m in models:
        if (m, True) not in runs or (m, False) not in runs:
            continue
        on, off = runs[(m, True)], runs[(m, False)]
        task = on.task
        drop = on.mean - off.mean
        if drop > COLLAPSE:
            out.append(f"Without scaling, {LABELS[m]} fell from {fmt_score(task, on.mean)} to "
                       f"{fmt_score(task, off.mean)} on {data_label}: features with large values swamp the "
                       "weighted sums, so training follows them and ignores the rest.")
        elif abs(drop) <= SAME and m in TREES:
            out.append(f"{LABELS[m]} scored {fmt_score(task, on.mean)} with standardised inputs and "
                       f"{fmt_score(task, off.mean)} with raw ones: each split compares one feature with a threshold, "
                       "so stretching a feature moves the threshold, not the result.")
    return out


def noise_notes(points: Sequence[tuple[int, bool, ModelRun]]) -> list[str]:
    """Who lost most from the fewest to the most noise columns, and (if run) from rotating the features."""
    if not points:
        return []
    task = points[0][2].task
    out = []
    by = {(k, r, run.model): run for k, r, run in points}
    ks = sorted({k for k, _, _ in points})
    models = list(dict.fromkeys(run.model for _, _, run in points))
    k0, k1 = ks[0], ks[-1]
    drops = {m: by[(k0, False, m)].mean - by[(k1, False, m)].mean
             for m in models if (k0, False, m) in by and (k1, False, m) in by}
    if len(drops) > 1 and k1 > k0:
        order = sorted(drops, key=drops.get, reverse=True)
        worst, least = order[0], order[-1]
        parts = "; ".join(f"{LABELS[m]} {'lost' if drops[m] > 0 else 'gained'} {_pts(task, drops[m])}" for m in order)
        out.append(f"Going from {k0} to {k1} uninformative columns: {parts}.")
        if drops[worst] > drops[least] + SAME:
            text = f"Most hurt by uninformative columns: {LABELS[worst]}; least: {LABELS[least]}."
            if worst in NETS:
                text += " As Grinsztajn et al. (2022) found, the MLP suffers more from useless features than trees do."
            elif any(m in NETS for m in drops):
                text += " Unlike Grinsztajn et al. (2022), here a tree ensemble suffered most."
            out.append(text)
    rot = {m: by[(k0, False, m)].mean - by[(k0, True, m)].mean
           for m in models if (k0, True, m) in by and (k0, False, m) in by}
    if len(rot) > 1:
        order = sorted(rot, key=rot.get, reverse=True)
        parts = "; ".join(f"{LABELS[m]} {'lost' if rot[m] > 0 else 'gained'} {_pts(task, rot[m])}" for m in order)
        out.append(f"Rotating the features (with {k0} noise columns): {parts}.")
        worst, least = order[0], order[-1]
        if rot[worst] > rot[least] + SAME:
            text = f"Rotation hurt {LABELS[worst]} most."
            if worst in TREES:
                text += (" Trees split one original feature at a time, so mixing every feature into every column "
                         "takes away what they rely on; an MLP's first layer mixes features anyway "
                         "(Grinsztajn et al. 2022).")
            elif any(m in TREES for m in rot):
                text += " Unlike Grinsztajn et al. (2022), who found trees suffer most from rotation, here the MLP did."
            out.append(text)
    return out


def curve_notes(points: Sequence[CurvePoint], task: str) -> list[str]:
    """Scores at the smallest and largest training sets, who gained most, and whether the lead changed."""
    if not points:
        return []
    sizes = sorted({p.fraction for p in points})
    by = {(p.fraction, p.model): p for p in points}
    models = list(dict.fromkeys(p.model for p in points))
    lo, hi = sizes[0], sizes[-1]
    ready = [m for m in models if (lo, m) in by and (hi, m) in by]
    if not ready or lo == hi:
        return []
    out = []
    n_lo, n_hi = by[(lo, ready[0])].n_train, by[(hi, ready[0])].n_train
    small = ", ".join(f"{LABELS[m]} {fmt_score(task, by[(lo, m)].score)}" for m in ready)
    big = ", ".join(f"{LABELS[m]} {fmt_score(task, by[(hi, m)].score)}" for m in ready)
    out.append(f"With {n_lo:,} training rows: {small}. With {n_hi:,}: {big}.")
    gains = {m: by[(hi, m)].score - by[(lo, m)].score for m in ready}
    if len(ready) > 1:
        g = max(gains, key=gains.get)
        out.append(f"{LABELS[g]} gained most from more data ({_pts(task, gains[g])}).")
        tree = [m for m in ready if m in TREES]
        net = [m for m in ready if m in NETS]
        if tree and net:
            bt_lo = max(by[(lo, m)].score for m in tree)
            bn_lo = max(by[(lo, m)].score for m in net)
            bt_hi = max(by[(hi, m)].score for m in tree)
            bn_hi = max(by[(hi, m)].score for m in net)
            if bn_lo < bt_lo and bn_hi - bt_hi > bn_lo - bt_lo:
                catch = "caught up and passed the trees" if bn_hi > bt_hi else "closed part of the gap"
                out.append(f"Data-hungry: with the fewest rows the best MLP trailed the best tree ensemble by "
                           f"{_pts(task, bt_lo - bn_lo)}; with the most it {catch} "
                           f"({'+' if bn_hi >= bt_hi else '-'}{_pts(task, bn_hi - bt_hi)}).")
            elif bn_lo >= bt_lo:
                out.append(f"Even with only {n_lo:,} training rows the MLP kept up here "
                           f"({fmt_score(task, bn_lo)} against {fmt_score(task, bt_lo)}).")
    return out

