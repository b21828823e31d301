"""The tutorial's four takeaways, each stated only as far as a page's own default run bears it out.

DESIGN.md's tutorial facts list no four takeaways by name; these four follow its order and its "claims worth
showing live": (1) one neuron draws one line, a hidden layer solves XOR; (2) the activation decides whether a
deep network learns; (3) training is gradient descent, and its learning rate makes or breaks it; (4) a
network is not always the tool: on a small table, tree ensembles are as good or better.
Numbers come from the pages' cached default jobs (core.exercises.defs reads them; Home's first chart).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from core.claims import Said, claim, said
from core.exercises import defs as jobs

PAGE, TAB = "Recap", "Four takeaways"
DEPTH_GAP = 0.10  # the best ReLU-family network beats sigmoid's by 10+ points of test accuracy
LR_GAP = 0.20  # the largest learning rate ends 20+ points under the best
TREE_CLOSE = 0.01  # trees within a point of the best network (or better)
RELUS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU"}  # the ReLU family, by its names on the pages


def first_look_numbers() -> dict:
    """Home's first chart (the NumPy 2-H-1 network on XOR) as plain numbers."""
    from core.xor.first_look import first_look
    f = first_look()
    return {"solved": bool(f.solved), "final_loss": float(f.final_loss), "hidden": int(f.hidden)}


@claim("recap.hidden_layer", page=PAGE, tab=TAB,
       condition="the perceptron never converges on XOR and the 2-H-1 network solves it",
       defaults=lambda: hidden_layer(jobs.xor_perceptron(), first_look_numbers()))
def hidden_layer(perceptron: dict, net: dict) -> Said:
    """One neuron against one hidden layer on XOR."""
    holds = not perceptron["converged"] and net["solved"]
    return said(holds,
                f"One neuron draws one straight line, and no line separates XOR: after {perceptron['epochs']:,} "
                f"epochs the perceptron still got {perceptron['wrong']} of 4 rows wrong. With one hidden layer of "
                f"{net['hidden']} neurons the network solved it (final loss {net['final_loss']:.3f}).",
                f"In these runs the perceptron {'learned' if perceptron['converged'] else 'did not learn'} XOR and "
                f"the {net['hidden']}-hidden-neuron network {'solved' if net['solved'] else 'did not solve'} it "
                f"(final loss {net['final_loss']:.3f}).",
                perceptron_wrong=perceptron["wrong"], net_loss=net["final_loss"])


def _lead(acc: dict, among: Iterable, under: Any, at_least: float, text: Callable[[Any, float], str],
          otherwise: Callable[[Any, float], str]) -> Said:
    """Holds when the best of ``among`` beats ``under`` by ``at_least`` of test accuracy (``acc``: run ->
    accuracy); each text is written from that best run and its lead, ``gap`` (a fraction)."""
    top = max(among, key=acc.get)
    gap = acc[top] - acc[under]
    return said(gap >= at_least, text(top, gap), otherwise(top, gap), gap=gap)


@claim("recap.activation_depth", page=PAGE, tab=TAB,
       condition="in the depth study, the best ReLU-family network's test accuracy beats sigmoid's by 10+ points",
       defaults=lambda: activation_depth(jobs.explorer_depth()))
def activation_depth(depth: dict) -> Said:
    """Sigmoid against the ReLU family through the depth study's layers."""
    acc, n = depth["acc"], depth["layers"]
    relus = [k for k in acc if k in RELUS]
    if "sigmoid" not in acc or not relus:
        return said(False, "", "", gap=float("nan"))
    return _lead(acc, relus, "sigmoid", DEPTH_GAP,
                 lambda top, gap: f"The activation decides whether a deep network learns: through {n} layers and "
                 f"{depth['epochs']} epochs, sigmoid's network reached {acc['sigmoid']:.1%} test accuracy (its small "
                 f"slope shrinks the gradient at every layer) and {RELUS[top]}'s {acc[top]:.1%}. "
                 "ReLU is the default for hidden layers.",
                 lambda top, gap: f"Through {n} layers, sigmoid's network reached {acc['sigmoid']:.1%} test accuracy "
                 f"and {RELUS[top]}'s {acc[top]:.1%}: here the activation made a gap of only {gap * 100:.1f} points.")


@claim("recap.learning_rate", page=PAGE, tab=TAB,
       condition="the sweep's largest learning rate ends 20+ points of test accuracy under the best rate",
       defaults=lambda: learning_rate(jobs.hp_lr()))
def learning_rate(sweep: dict) -> Said:
    """Gradient descent's step size: the largest rate against the best, and the smallest."""
    acc, epochs = sweep["acc"], sweep["epochs"]
    hi, lo = max(acc), min(acc)
    return _lead(acc, acc, hi, LR_GAP,
                 lambda top, gap: "Training is gradient descent, one step down the loss's slope at a time, and the "
                 f"step size decides it: after {epochs} epochs, learning rate {top:g} reached {acc[top]:.1%} test "
                 f"accuracy, {hi:g} only {acc[hi]:.1%} (too big a step) and {lo:g} {acc[lo]:.1%} (too small: still "
                 "crawling).",
                 lambda top, gap: f"After {epochs} epochs the learning rates {lo:g} to {hi:g} ended within "
                 f"{gap * 100:.1f} points of the best ({top:g}, {acc[top]:.1%}).")


@claim("recap.right_tool", page=PAGE, tab=TAB,
       condition="on the small table, the best tree ensemble scores within 1 point of the best network, or better",
       defaults=lambda: right_tool(jobs.wtu_duel()))
def right_tool(duel: dict) -> Said:
    """Trees against a network on When to Use's small table."""
    d = duel["net_score"] - duel["tree_score"]
    holds = d < TREE_CLOSE
    lead = "beat" if d < 0 else "came within " + f"{d * 100:.1f} points of"
    return said(holds,
                f"A network is not always the tool: on {duel['data']} ({duel['rows']:,} rows) the best tree ensemble, "
                f"{duel['tree']}, {lead} the best network ({duel['tree_score']:.1%} against {duel['net_score']:.1%}) "
                "with library defaults. Networks pay off on images, text, sequences and large data.",
                f"On {duel['data']} ({duel['rows']:,} rows) the best network, {duel['net']}, beat the best tree "
                f"ensemble by {d * 100:.1f} points ({duel['net_score']:.1%} against {duel['tree_score']:.1%}).",
                net_minus_tree=d)
