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
    and its headline numbers ((label, value), ...); ``page``/``query`` open the chart that shows it."""

    title: str
    page: str
    query: dict[str, str]
    link: str
    evidence: Callable[[], tuple[Said, tuple[tuple[str, str], ...]]]
    terms: tuple[str, ...] = ()


Metrics = tuple[tuple[str, str], ...]


def _xor() -> tuple[Said, Metrics]:
    p, net = jobs.xor_perceptron(), rc.first_look_numbers()
    return rc.hidden_layer(p, net), (("Perceptron: XOR rows wrong", f"{p['wrong']} of 4"),
                                     (f"2-{net['hidden']}-1 network: final loss", f"{net['final_loss']:.3f}"))


def _depth() -> tuple[Said, Metrics]:
    d = jobs.explorer_depth()
    acc, n = d["acc"], d["layers"]
    return rc.activation_depth(d), tuple((f"{label}, {n} layers: test accuracy", f"{acc[k]:.1%}")
                                         for k, label in (("relu", "ReLU"), ("sigmoid", "Sigmoid")) if k in acc)


def _lr() -> tuple[Said, Metrics]:
    s = jobs.hp_lr()
    acc = s["acc"]
    top, hi = max(acc, key=acc.get), max(acc)
    return rc.learning_rate(s), tuple((f"Learning rate {v:g}: test accuracy", f"{acc[v]:.1%}") for v in (top, hi))


def _tool() -> tuple[Said, Metrics]:
    d = jobs.wtu_duel()
    return rc.right_tool(d), ((f"Best trees ({d['tree']})", f"{d['tree_score']:.1%}"),
                              (f"Best network ({d['net']})", f"{d['net_score']:.1%}"))


TAKEAWAYS: tuple[Takeaway, ...] = (
    Takeaway("A neuron is a weighted sum and an activation; one neuron draws one line, a hidden layer more",
             "xor", {"tab": "perceptron"}, "XOR Lab ① Perceptron", _xor,
             ("neuron", "weighted sum", "activation", "perceptron", "xor", "epoch", "hidden layer", "loss")),
    Takeaway("The activation decides whether a deep network learns", "activations", {"tab": "depth"},
             "Activation Explorer ④ Depth: gradients layer by layer", _depth,
             ("relu", "leaky relu", "sigmoid", "gradient", "vanishing gradient", "accuracy")),
    Takeaway("Training is gradient descent, and the learning rate makes or breaks it", "hyperparameters",
             {"sweep": "lr"}, "Hyperparameter Effects: the learning-rate sweep", _lr,
             ("gradient descent", "backpropagation", "learning rate", "loss")),
    Takeaway("A network is not always the tool: on a small table, try trees", "when-to-use", {"tab": "duel"},
             "When to Use Neural Networks ① Head to head", _tool, ("tree ensemble", "gradient boosting")),
)
