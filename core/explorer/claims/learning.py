"""The claims of ③ Effect on learning: the comparison's TrainResults."""

from __future__ import annotations

from core.claims import Said, claim, said
from core.engine import TrainResult
from core.explorer.claims.page import LEARN_TAB, PAGE, default_compare
from core.explorer.jobs import _epochs_to, compare_bands, compare_curves, compare_table


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
