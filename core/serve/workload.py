"""What a request trains, in the words the price reads: a page's config says it with ``workload()``.

A :class:`Workload` is stacks of networks trained one after the other (each stack: models trained at
once on one :class:`DataShape`), table fits (scikit-learn's models and the engine's MLP on a table),
work done beside the training (probes), how often all of it repeats (a study's trials) and what a
visitor could lower. Each page's package builds its configs' workloads (``core/<page>/workload.py``);
:mod:`core.serve.price` prices any workload and knows no page.

A model of a stack is anything with ``hidden``, ``epochs``, ``batch_size``, ``patience`` and
``dropout`` (a :class:`core.engine.TrainConfig`, or a :class:`Net` for runs that are not one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DataShape:
    """What a stack trains on: rows [n_train, n_features] -> n_outputs; n_eval = validation + test rows.

    ``extra_bytes``: data held besides the training tensors (raw arrays, augmentation output);
    ``loading_bytes``: the part of it only the load holds (freed before training starts).
    """

    n_train: int
    n_features: int
    n_outputs: int
    n_eval: int = 0
    extra_bytes: int = 0
    load_seconds: float = 0.0  # CPU seconds to read the data (a file format, a parser)
    levels: float = 256.0  # tables: mean distinct values per feature, at most 256 (what boosting bins)
    loading_bytes: int = 0

    @property
    def tensor_bytes(self) -> int:
        """float32 tensors of every row: what a loaded Dataset holds once its loader is done."""
        return 4 * self.n_features * (self.n_train + self.n_eval)

    @property
    def data_bytes(self) -> int:
        """float32 tensors of every row, plus what the loader holds besides."""
        return self.tensor_bytes + self.extra_bytes


@dataclass(frozen=True)
class Price:
    """What a request costs: seconds (estimated CPU seconds), peak_bytes, macs (multiply-add
    equivalents), steps (optimizer steps of the longest model), models (trained at once)."""

    seconds: float
    peak_bytes: int
    macs: float
    steps: int
    models: int
    likely_seconds: float = 0.0  # early stopping assumed to stop after 3 x patience + 5 epochs

    def __add__(self, other: Price) -> Price:
        """Two requests one after the other: times and work add, memory is the larger peak."""
        return Price(self.seconds + other.seconds, max(self.peak_bytes, other.peak_bytes),
                     self.macs + other.macs, self.steps + other.steps, max(self.models, other.models),
                     self.likely_seconds + other.likely_seconds)

    def times(self, n: int) -> Price:
        """``n`` such requests one after the other (a study's trials)."""
        return Price(self.seconds * n, self.peak_bytes, self.macs * n, self.steps * n, self.models,
                     self.likely_seconds * n)


FREE = Price(0.0, 0, 0.0, 0, 0)


@dataclass(frozen=True)
class Net:
    """One network as the price sees it, for runs that are not a TrainConfig (NumPy nets, a perceptron,
    a study's largest trial)."""

    hidden: tuple[int, ...]
    epochs: int
    batch_size: int = 0
    patience: int = 0
    dropout: float = 0.0


@dataclass(frozen=True)
class Stack:
    """Models trained at once (one batched stack) on one data shape."""

    models: tuple[Any, ...]
    data: DataShape


@dataclass(frozen=True)
class TableFit:
    """One model fit on a table: n_train rows x n_features, then predictions for n_test rows, over
    n_outputs classes (1: a regression target).

    model: "forest", "boosting", "sk_mlp" (scikit-learn's MLP) or "mlp" (the engine's); rounds: trees,
    boosting rounds, at most this many epochs (sk_mlp), epochs (mlp); levels: mean distinct values per
    feature (at most 256); hidden, batch: a network's hidden widths and minibatch; part: what the visitor
    calls it (named when it costs most of a request).
    """

    model: str
    n_train: int
    n_features: int
    n_test: int
    rounds: int
    n_outputs: int
    levels: float = 256.0
    hidden: tuple[int, ...] = ()
    batch: int = 0
    part: str = ""


@dataclass(frozen=True)
class Lower:
    """One thing a visitor could lower, and whether it helps a request over the time or the memory budget.

    ``costliest``: name the part (a table fit's ``part``) that costs over half the fits' time.
    """

    words: str
    time: bool = True
    memory: bool = True
    costliest: bool = False


@dataclass(frozen=True)
class Workload:
    """Everything one request trains: ``stacks`` one after the other, then ``fits`` (holding
    ``held_bytes`` of data beside them), then ``after`` (work the stack price does not know, such as a
    CNN: its time adds, its peak, data included, is the larger), ``beside`` (work during the training:
    its time and memory add), all of it ``repeat`` times; ``lower``: what a visitor could lower, most
    useful first."""

    stacks: tuple[Stack, ...] = ()
    fits: tuple[TableFit, ...] = ()
    held_bytes: int = 0
    after: Price = FREE
    beside: Price = FREE
    repeat: int = 1
    lower: tuple[Lower, ...] = ()
    # what one repeat likely costs when that is not what the bound trains (a study's trials sample a space,
    # the bound prices each at its largest): CPU seconds, or None (the bound's own likely_seconds)
    likely_seconds: float | None = None


def trainer_lower(models: Sequence[Any], *data: str) -> tuple[Lower, ...]:
    """What a visitor could lower in a stack of ``models``: epochs and the batch (time only), then
    ``data`` (the page's words for its data: rows, augmented copies), layers, and models."""
    first = models[0]
    out = [Lower("fewer epochs", memory=False)]
    if 0 < first.batch_size < 256:
        out.append(Lower("a larger batch", memory=False))
    out += [Lower(d) for d in data]
    out.append(Lower("fewer or narrower layers"))
    if len(models) > 1:
        out.append(Lower("fewer seeds or functions"))
    return tuple(out)


def stacks(groups: Sequence[Sequence[Any]], data: DataShape, lower: tuple[Lower, ...]) -> Workload:
    """Stacks of models trained one after the other on the same ``data`` (read once: its load counted once)."""
    later = DataShape(data.n_train, data.n_features, data.n_outputs, data.n_eval, data.extra_bytes, 0.0, data.levels,
                       data.loading_bytes)
    return Workload(tuple(Stack(tuple(g), data if i == 0 else later) for i, g in enumerate(g for g in groups if g)),
                    lower=lower)


def one_stack(models: Sequence[Any], data: DataShape, *lower_data: str) -> Workload:
    """A workload of one stack of ``models`` on ``data`` (the usual request), with the usual hints."""
    models = tuple(models)
    return Workload((Stack(models, data),), lower=trainer_lower(models, *lower_data) if models else ())
