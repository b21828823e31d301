"""'Predict, then run' exercises: a question, its choices, the page's default job that answers it, and how
its numbers name the right choice. Each exercise's verdict is a claim (core.exercises.claims).

``numbers()`` runs the page's own cached default job (the page's cache keys: a run the page made is reused)
and returns the plain numbers the verdict reads; ``right(numbers)`` names the choice(s) those numbers make
right. Nothing here imports a page package until an exercise is run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Numbers = dict[str, Any]
SAME = 0.005  # two scores closer than half a point count as a tie (When to Use's own threshold)
CHANCE_PLUS = 0.2  # a 10-class accuracy under 20% is no better than guessing, or nearly


@dataclass(frozen=True)
class Exercise:
    """One exercise: where it is shown (url path and tab key), what it asks, and what answers it."""

    id: str
    page: str
    tab: str | None
    #: the question, with {names} filled from ``facts()`` (the job's settings, read from its config)
    template: str
    choices: tuple[tuple[str, str], ...]
    job: str
    numbers: Callable[[], Numbers]
    right: Callable[[Numbers], frozenset[str]]
    terms: tuple[str, ...] = field(default=())
    facts: Callable[[], Numbers] = field(default=lambda: {})
    #: the job's config, for the hosted door to price before it runs (None: priced as its stacks start)
    request: Callable[[], Any] | None = None

    @property
    def question(self) -> str:
        """The question with the job's settings filled in."""
        return self.template.format(**self.facts())

    def label(self, key: str) -> str:
        """A choice's words."""
        return dict(self.choices)[key]


XOR_EPOCHS = 1000  # the tutorial's perceptron on XOR (the XOR Lab's four-gates view trains it this long)


def _depth_request() -> Any:
    from core.explorer.depth import DepthConfig
    return DepthConfig()


def _lr_request() -> Any:
    from core.hyperparameters.jobs import LrSweep
    return LrSweep()


def _shapes_request() -> Any:
    from core.architectures.jobs import ShapesConfig
    return ShapesConfig()


def _duel_request() -> Any:
    from core.when_to_use.jobs import DuelConfig
    return DuelConfig()


def _depth_facts() -> Numbers:
    c = _depth_request()
    return {"depth": c.depth, "width": c.width, "epochs": c.epochs}


def _lr_facts() -> Numbers:
    c = _lr_request()
    return {"lr": max(c.values), "epochs": c.epochs}


def _duel_facts() -> Numbers:
    from core.when_to_use.claims import SHORT
    from core.when_to_use.data import load_table
    c = _duel_request()
    return {"data": SHORT[c.dataset], "rows": load_table(c.dataset).shape[0]}


# ---- the jobs: each page's default run, read into plain numbers ----------------------------------------
@functools.cache
def xor_perceptron() -> Numbers:
    """The XOR Lab's perceptron on XOR at the tutorial's XOR_EPOCHS (the four-gates view's run)."""
    from core import datasets
    from core.xor.claims import _perceptron
    cfg, h, p = _perceptron("XOR", XOR_EPOCHS)
    X, y = datasets.gate("XOR")
    return {"epochs": len(h.errors), "converged": bool(h.converged), "last_updates": int(h.errors[-1]),
            "wrong": int((p.predict(X) != y.astype(int)).sum())}


@functools.cache
def explorer_depth() -> Numbers:
    """The Explorer's depth study at its defaults: each activation's final test accuracy and training loss."""
    from core.explorer.claims import default_depth
    rs = default_depth()
    return {"acc": {r.config.activation: float(r.metrics["final_test_acc"]) for r in rs},
            "loss": {r.config.activation: float(r.history["train_loss"].iloc[-1]) for r in rs},
            "layers": rs[0].config.hidden.__len__(), "epochs": rs[0].config.epochs}


@functools.cache
def hp_lr() -> Numbers:
    """Hyperparameter Effects' learning-rate sweep at its defaults: test accuracy per rate."""
    from core.hyperparameters.claims import default_run
    cfg, table, _ = default_run("lr")
    return {"acc": {float(v): float(a) for v, a in zip(cfg.values, table["test acc"])},
            "diverged": {float(v): int(d) for v, d in zip(cfg.values, table["diverged"])}, "epochs": cfg.epochs}


@functools.cache
def shapes() -> Numbers:
    """Network Shapes' four shapes at their defaults: mean test accuracy per shape."""
    from core.architectures.claims import default_shapes
    table, _ = default_shapes()
    return {"acc": dict(zip(table["shape"], map(float, table["mean test acc"]))),
            "params": dict(zip(table["shape"], map(int, table["parameters"])))}


@functools.cache
def wtu_duel() -> Numbers:
    """When to Use's head to head at its defaults: the best tree ensemble against the best MLP."""
    from core.when_to_use.claims import default_duel
    from core.when_to_use.models import NETS, TREES, family_best
    runs, data, rows = default_duel()
    tree, net = family_best(runs, TREES), family_best(runs, NETS)
    return {"data": data, "rows": rows, "tree": tree.label, "tree_score": tree.mean, "net": net.label,
            "net_score": net.mean, "folds": len(tree.scores), "tree_seconds": tree.seconds,
            "net_seconds": net.seconds}


# ---- how the numbers name the right choice -------------------------------------------------------------
def _lowest(values: dict[str, float]) -> frozenset[str]:
    low = min(values.values())
    return frozenset(k for k, v in values.items() if v - low < SAME)


def _highest(values: dict[str, float]) -> frozenset[str]:
    top = max(values.values())
    return frozenset(k for k, v in values.items() if top - v < SAME)


def _xor_right(n: Numbers) -> frozenset[str]:
    return frozenset({"yes"} if n["converged"] else {"no"})


def _lr_right(n: Numbers) -> frozenset[str]:
    lr = max(n["acc"])  # the sweep's largest rate
    acc, top = n["acc"][lr], max(n["acc"].values())
    if acc < CHANCE_PLUS or n["diverged"][lr]:
        return frozenset({"fails"})
    return frozenset({"best"} if top - acc < SAME else {"fine"})


def _duel_right(n: Numbers) -> frozenset[str]:
    d = n["net_score"] - n["tree_score"]
    return frozenset({"tie"} if abs(d) < SAME else {"net"} if d > 0 else {"trees"})


EXERCISES: dict[str, Exercise] = {e.id: e for e in (
    Exercise("xor_perceptron", "xor", "perceptron",
             "The tutorial trains its perceptron on XOR for {epochs:,} epochs. Will it learn XOR?",
             (("yes", "Yes: given that long, it gets there"), ("no", "No: it never gets all four right")),
             "the perceptron on XOR", xor_perceptron, _xor_right, ("perceptron", "xor", "epoch"),
             lambda: {"epochs": XOR_EPOCHS}),
    Exercise("explorer_depth", "activations", "depth",
             "{depth} hidden layers of {width} units, {epochs} epochs on the digits, each activation with its own "
             "init: which one trains slowest (the lowest test accuracy at the end)?",
             (("sigmoid", "Sigmoid"), ("tanh", "Tanh"), ("relu", "ReLU"), ("leaky_relu", "Leaky ReLU")),
             "the depth study at its defaults", explorer_depth, lambda n: _lowest(n["acc"]),
             ("hidden layer", "epoch", "activation", "initialisation", "accuracy"), _depth_facts, _depth_request),
    Exercise("hp_lr", "hyperparameters", "lr",
             "Adam with a learning rate of {lr:g} (the sweep's largest) for {epochs} epochs on the digits: what "
             "happens?",
             (("best", "It learns fastest and scores best"), ("fine", "It still learns, a little worse"),
              ("fails", "It fails: about chance (10%) or worse")),
             "the learning-rate sweep at its defaults", hp_lr, _lr_right, ("adam", "learning rate", "epoch"),
             _lr_facts, _lr_request),
    Exercise("shapes", "architectures", "shapes",
             "Shallow, deep, wide, or deep and narrow: which network shape scores best on the digits' test images?",
             (("Shallow", "Shallow"), ("Deep", "Deep"), ("Wide", "Wide"), ("Deep and narrow", "Deep and narrow")),
             "the four shapes at their defaults", shapes, lambda n: _highest(n["acc"]), ("test set",),
             request=_shapes_request),
    Exercise("wtu_duel", "when-to-use", "duel",
             "A small table ({data}, {rows:,} rows): do tree ensembles or a neural network score better?",
             (("trees", "Tree ensembles win"), ("net", "The network wins"), ("tie", "A tie (within half a point)")),
             "the head to head at its defaults", wtu_duel, _duel_right, ("tree ensemble",), _duel_facts,
             _duel_request),
)}


def on(page: str, tab: str | None = None) -> list[Exercise]:
    """The exercises shown on a page's tab (url path and tab key), in order."""
    return [e for e in EXERCISES.values() if e.page == page and (e.tab is None or e.tab == tab)]
