"""The Recap's four takeaways as data: a title, the claim that states it from a page's default run, a small
number from that run, and the page and tab (with URL params) whose chart shows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.claims import Said
from core.exercises import defs as jobs
from core.recap import claims as rc


@dataclass(frozen=True)
class Takeaway:
    """One takeaway: ``evidence()`` runs (or reads the cache of) its page's default job and returns its claim
    and one headline number (label, value); ``page``/``query`` open the chart that shows it."""

    title: str
    page: str
    query: dict[str, str]
    link: str
    evidence: Callable[[], tuple[Said, str, str]]
    terms: tuple[str, ...] = ()


def _xor() -> tuple[Said, str, str]:
    p, net = jobs.xor_perceptron(), rc._first_look()
    return rc.hidden_layer(p, net), "XOR rows the perceptron gets wrong", f"{p['wrong']} of 4"


def _depth() -> tuple[Said, str, str]:
    d = jobs.explorer_depth()
    acc = d["acc"]
    return (rc.activation_depth(d), f"Test accuracy through {d['layers']} layers: ReLU / sigmoid",
            f"{acc.get('relu', float('nan')):.1%} / {acc.get('sigmoid', float('nan')):.1%}")


def _lr() -> tuple[Said, str, str]:
    s = jobs.hp_lr()
    acc = s["acc"]
    top, hi = max(acc, key=acc.get), max(acc)
    return rc.learning_rate(s), f"Test accuracy at learning rate {top:g} / {hi:g}", f"{acc[top]:.1%} / {acc[hi]:.1%}"


def _tool() -> tuple[Said, str, str]:
    d = jobs.wtu_duel()
    return (rc.right_tool(d), f"{d['data'].capitalize()}: best trees / best network",
            f"{d['tree_score']:.1%} / {d['net_score']:.1%}")


TAKEAWAYS: tuple[Takeaway, ...] = (
    Takeaway("A neuron is a weighted sum and an activation; one neuron draws one line, a hidden layer more",
             "xor", {"tab": "perceptron"}, "XOR Lab ① Perceptron", _xor,
             ("neuron", "weighted sum", "activation", "perceptron", "xor", "epoch", "hidden layer", "loss")),
    Takeaway("The activation decides whether a deep network learns", "activations", {"tab": "depth"},
             "Activation Explorer ④ Depth: gradients layer by layer", _depth,
             ("relu", "sigmoid", "gradient", "vanishing gradient", "accuracy")),
    Takeaway("Training is gradient descent, and the learning rate makes or breaks it", "hyperparameters",
             {"sweep": "lr"}, "Hyperparameter Effects: the learning-rate sweep", _lr,
             ("gradient descent", "backpropagation", "learning rate", "loss")),
    Takeaway("A network is not always the tool: on a small table, try trees", "when-to-use", {"tab": "duel"},
             "When to Use Neural Networks ① Head to head", _tool, ("tree ensemble", "gradient boosting")),
)
