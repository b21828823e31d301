"""The price of a request, from its configs alone, before any tensor is allocated; and the budget check.

A price is the work (multiply-adds over every training step and every evaluation, the steps, the
models) and the peak memory (weights, gradients, optimizer state, activations of one batch and of one
evaluation, dropout masks, the data and its augmented copies) of one training request:

    price(configs, DataShape(n_train=1437, n_features=64, n_outputs=10, n_eval=360)) -> Price

:func:`request_price` prices a page-level config (a Digit Recognizer model, an Activation Explorer
comparison or depth study, an XOR Lab run, a Playground run) from the config alone: it knows each
page's data sizes. :func:`study_price` prices a tuning study as all its trials. :func:`check` is the one
check every path calls: the per-field caps first (:mod:`core.serve.caps`), then the budget in
``settings.limits()`` (``run_seconds``, ``run_mb``); it returns None or ONE line naming the budget
and what to lower.

Calibration (this development machine, 2 cores, torch 2.13 CPU; ``python -m bench.hosted --calibrate``
measures it again): the batched trainer does about ``MACS_PER_SECOND`` multiply-add equivalents per
second on large steps, and each training step of a stack costs ``STEP_SECONDS``
(kernel launches, the optimizer, Python) plus ``RUN_SECONDS`` per run. The price errs high
(early stopping is priced as if it never stopped; MNIST as all 60,000 rows): a budget must bound the
worst case of what a link asks for.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from core import settings
from core.config import Config

# ---- calibration (measured once on this machine; see the module docstring) ------------------------
# Fitted (least squares on log ratios) to the CPU seconds of every page's default run, each in a fresh
# process, on 2026-11-27: 8x8 digits 1.8 s, MNIST sample 14.5 s, Explorer comparison 8.4 s, depth
# 2.8 s, XOR seeds 0.3-0.4 s, Playground 1.2 s; within 2x of each (bench/hosted.py --calibrate).
MACS_PER_SECOND = 2.0e10  # multiply-add equivalents per CPU second of the batched trainer
STEP_SECONDS = 45e-6  # fixed cost of one optimizer step of a stack (kernel launches, Python)
RUN_SECONDS = 0.3  # fixed cost of a run: the first calls into torch, results
DIGITS_LOAD_SECONDS = 0.6  # reading sklearn's 8x8 digits (DataShape.load_seconds of the pages that use them)
ELEMENTWISE_MACS = 12  # an activation, its derivative, bias, dropout: per unit, forward + backward
BASE_BYTES = 30_000_000  # torch workspaces and result frames of any run
DIGITS_LOAD_BYTES = 60_000_000  # sklearn's datasets module and its parse of the 8x8 digits
PROBE_LAYER_SECONDS = 2e-3  # the depth study's probe: autograd, slopes and histograms per layer and model
EVAL_ROWS = 2048  # the engine evaluates train metrics on at most this many rows (core.engine)
CHUNK_DRAWS = 1 << 20  # dropout masks drawn at once per stack (core.engine)

# the data each page trains on: (training rows before a validation share, evaluation rows, features)
DIGITS_8X8 = (1437, 360, 64)  # sklearn digits, the tutorial's 80/20 split
MNIST_FULL = (60_000, 10_000, 784)
TOY_2D = (800, 200, 2)  # a 2-D set of 1,000 points, 80/20
XOR_GATE = (4, 4, 2)


@dataclass(frozen=True)
class DataShape:
    """What a request trains on: rows [n_train, n_features] -> n_outputs; n_eval = validation + test rows.

    ``extra_bytes``: data held besides the training tensors (raw arrays, augmentation output).
    """

    n_train: int
    n_features: int
    n_outputs: int
    n_eval: int = 0
    extra_bytes: int = 0
    load_seconds: float = 0.0  # CPU seconds to read the data (a file format, a parser)
    levels: float = 256.0  # tables: mean distinct values per feature, at most 256 (what boosting bins)

    @property
    def data_bytes(self) -> int:
        """float32 tensors of every row, plus what the loader holds besides."""
        return 4 * self.n_features * (self.n_train + self.n_eval) + self.extra_bytes


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


def shape_of(data: Any) -> DataShape:
    """The DataShape of a loaded :class:`core.datasets.Dataset` (duck-typed: X_train, X_test, X_val,
    n_outputs), already loaded, so no load_seconds; or of a When to Use table (anything with
    ``table_shape``: rows x features, classes, levels): n_train = every row, n_outputs = its classes
    (1 for a regression target)."""
    if hasattr(data, "table_shape"):
        t = data.table_shape
        return DataShape(t.rows, t.features, max(1, t.classes), levels=t.levels)
    n_eval = len(data.X_test) + (len(data.X_val) if getattr(data, "X_val", None) is not None else 0)
    return DataShape(len(data.X_train), int(data.X_train.shape[1]), int(data.n_outputs), n_eval)


def _widths(cfg: Any, data: DataShape) -> list[int]:
    return [data.n_features, *tuple(getattr(cfg, "hidden", ())), data.n_outputs]


def price(configs: Sequence[Any], data: DataShape) -> Price:
    """The price of training ``configs`` (TrainConfig-like: hidden, batch_size, epochs, patience,
    dropout) together as one stack on ``data``: every epoch (the bound), and likely_seconds with
    early stopping assumed to stop after 3 x patience + 5 epochs (the 8x8 digits' default stops near
    epoch 44, the MNIST sample's near 29)."""
    configs = list(configs)
    if not configs:
        return FREE
    bound = _price(configs, data, likely=False)
    if not any(getattr(c, "patience", 0) for c in configs):
        return dataclasses.replace(bound, likely_seconds=bound.seconds)
    return dataclasses.replace(bound, likely_seconds=_price(configs, data, likely=True).seconds)


def _price(configs: list[Any], data: DataShape, likely: bool) -> Price:
    N = max(1, data.n_train)
    K = len(configs)
    eval_every = 1 if any(getattr(c, "patience", 0) for c in configs) else \
        max(1, max(c.epochs for c in configs) // 200)
    eval_rows = min(N, EVAL_ROWS) + data.n_eval
    macs = 0.0
    steps = 0
    weights = 0
    step_units = 0  # activations of one training step, all models
    eval_units = 0
    masks = 0
    for c in configs:
        w = _widths(c, data)
        mm = sum(a * b for a, b in zip(w, w[1:]))
        units = sum(w[1:])
        B = N if c.batch_size <= 0 else min(c.batch_size, N)
        per_epoch = math.ceil(N / B)
        patience = getattr(c, "patience", 0)
        epochs = min(c.epochs, 3 * patience + 5) if likely and patience else c.epochs
        steps = max(steps, epochs * per_epoch)
        evals = epochs // eval_every + 1
        macs += epochs * N * (3 * mm + ELEMENTWISE_MACS * units)
        macs += evals * eval_rows * (mm + ELEMENTWISE_MACS // 3 * units)
        weights += mm + units
        step_units += B * sum(w)
        eval_units += max(min(N, EVAL_ROWS), data.n_eval) * sum(w)
        if getattr(c, "dropout", 0) > 0:
            masks += sum(w[1:-1]) * B
    seconds = RUN_SECONDS + data.load_seconds + macs / MACS_PER_SECOND + steps * STEP_SECONDS
    peak = (BASE_BYTES
            + 4 * 8 * weights  # flat weights, gradients, Adam's two moments, best weights, results, spare
            + 4 * 6 * step_units  # z, a, their gradients, transposes of one step
            + 4 * 2 * eval_units  # one evaluation pass over the largest split
            + (4 * max(CHUNK_DRAWS, masks) if masks else 0)  # one chunk of dropout masks
            + data.data_bytes)  # the tensors, plus the copies the loader holds (extra_bytes)
    return Price(seconds, int(peak), macs, steps, K)


# ---- the pages' requests -----------------------------------------------------------------------------
def digits_shape(cfg: Any, mnist_rows: tuple[int, int] | None = None) -> DataShape:
    """The data a Digit Recognizer config (DigitsConfig) trains on, augmentation included.

    ``mnist_rows`` = (training rows, test rows) of the MNIST files in use; default all of MNIST.
    """
    if cfg.dataset == "digits":
        n_all, n_test, F = DIGITS_8X8
    else:
        n_all, n_test = mnist_rows or MNIST_FULL[:2]
        F = MNIST_FULL[2]
    if cfg.train_limit:
        n_all = min(n_all, cfg.train_limit)
    n_val = int(round(cfg.val_fraction * n_all)) if cfg.val_fraction > 0 else 0
    base = max(1, n_all - n_val)
    copies = cfg.augment_copies if cfg.augment > 0 else 0
    n_train = base * (1 + copies)
    # raw float arrays (train + test), the permuted split, the augmented copies, their concatenation
    # with the originals, and one augmentation chunk's work space
    extra = 4 * F * (n_all + n_test + n_all + base * copies + n_train * (copies > 0)) \
        + augment_peak_bytes(base, F) * (copies > 0)
    if cfg.dataset == "digits":
        return DataShape(n_train, F, 10, n_val + n_test, extra + DIGITS_LOAD_BYTES, DIGITS_LOAD_SECONDS)
    return DataShape(n_train, F, 10, n_val + n_test, extra)


def augment_peak_bytes(n_rows: int, n_features: int) -> int:
    """Working memory of augment_images beyond its output: one chunk's grids, fields and images."""
    rows = min(n_rows, AUGMENT_CHUNK)
    # the field's smoothing (conv2d's im2col: 2 channels x 25 taps), grid, field, image temporaries
    return 4 * rows * n_features * (2 * 25 + 16)


AUGMENT_CHUNK = 256  # rows augmented at once (core.digits.jobs.AUGMENT_CHUNK)


def _train_configs(cfg: Any) -> list[Any]:
    return list(cfg.train_configs()) if hasattr(cfg, "train_configs") else [cfg]


def request_price(cfg: Any, data: DataShape | None = None) -> Price:
    """The price of a page-level request, from the config alone (``data`` overrides the data size).

    Knows every page's configs by their ``kind``: digits, act-compare, act-depth, xor-seeds,
    playground, xor-compare, perceptron, and When to Use's wtu-* experiments (``data``: the table's
    shape, from :func:`shape_of`; else the table the config names); a plain TrainConfig needs
    ``data`` (else it is priced on the 8x8 digits); a list of TrainConfigs is one stack. Anything
    else (curves, settings) is free.
    """
    if isinstance(cfg, (list, tuple)):  # one stack of TrainConfigs (what the run guard sees)
        if not cfg:
            return FREE
        return price(cfg, data or _stack_shape(cfg[0]))
    kind = getattr(cfg, "kind", "")
    if kind == "digits":
        return price([cfg], data or digits_shape(cfg))
    if kind == "act-compare":
        shape = data or (_digits_data() if cfg.dataset == "digits" else
                         DataShape(TOY_2D[0], TOY_2D[2], 1, TOY_2D[1]))
        return price(cfg.train_configs(), shape)
    if kind == "act-depth":
        p = price(cfg.train_configs(), data or _digits_data())
        # the probe: forward + backward of every model on 512 rows, before and after every epoch
        probe_rows = 512
        w = [DIGITS_8X8[2], *(cfg.width,) * cfg.depth, 10]
        per = sum(a * b for a, b in zip(w, w[1:]))
        probes = 2 * (cfg.epochs + 1) * len(cfg.functions)
        extra = probes * probe_rows * 3 * per
        secs = extra / MACS_PER_SECOND + probes * cfg.depth * PROBE_LAYER_SECONDS
        return Price(p.seconds + secs, p.peak_bytes + 4 * 3 * probe_rows * cfg.width
                     * cfg.depth * len(cfg.functions), p.macs + extra, p.steps, p.models, p.likely_seconds + secs)
    if kind == "xor-seeds":
        return price(cfg.train_configs(), data or DataShape(XOR_GATE[0], XOR_GATE[2], 1, XOR_GATE[1]))
    if kind == "playground":
        return price([cfg] * cfg.n_seeds, data or _stack_shape(cfg))
    if kind == "xor-compare":
        xor = DataShape(4, 2, 1, 4)
        return price([_Net((cfg.hidden,), cfg.numpy_epochs), _Net((cfg.hidden,), cfg.torch_epochs)], xor)
    if kind == "perceptron":
        return price([_Net((), cfg.epochs)], DataShape(4, 2, 1, 4))
    if kind == "train":
        return price([cfg], data or _digits_data())
    if kind.startswith("wtu-"):
        return table_price(cfg, data)
    if kind == "sk-mlp":
        p = table_fit_price(cfg, cfg.n_classes)
        return dataclasses.replace(p, seconds=p.seconds + RUN_SECONDS, likely_seconds=p.likely_seconds + RUN_SECONDS,
                                   peak_bytes=p.peak_bytes + BASE_BYTES)
    return FREE


@dataclass(frozen=True)
class _Net:
    """A minimal TrainConfig-like description for pricing runs that are not TrainConfigs."""

    hidden: tuple[int, ...]
    epochs: int
    batch_size: int = 0
    patience: int = 0
    dropout: float = 0.0


def _stack_shape(cfg: Any) -> DataShape:
    """The data a stack's first config names (the Digit Recognizer's, the Playground's), else the 8x8
    digits: the largest data the Explorer and the XOR Lab train on."""
    kind = getattr(cfg, "kind", "")
    if kind == "digits":
        return digits_shape(cfg)
    if kind == "playground":
        n = max(1, int(cfg.n_points * cfg.train_frac))
        return DataShape(n, len(cfg.features), 1, cfg.n_points - n)
    return _digits_data()


def _digits_data() -> DataShape:
    return DataShape(DIGITS_8X8[0], DIGITS_8X8[2], 10, DIGITS_8X8[1], DIGITS_LOAD_BYTES, DIGITS_LOAD_SECONDS)


# ---- When to Use: scikit-learn's models and the engine's MLP on a table -------------------------------
# A forest's tree costs its sorts (candidate features x rows x log2(rows)^2, more with more distinct
# values); a boosting tree its histograms (rows x features, more with more distinct values) and its
# split search (nodes x features x levels); scikit-learn's MLP every epoch up to max_iter (the bound;
# likely_seconds: TABLE_MLP_LIKELY_EPOCHS). Fitted (least squares on log ratios) on 2026-11-27 to the
# CPU seconds of single fits, one thread each as core.when_to_use runs them, on the built-in tables,
# noise columns and random tables up to 5,000 rows x 500 columns, 1 to 20 classes: forests within
# 0.6x-1.6x, boosting 0.5x-2.3x. Whole requests in fresh processes (imports done): the four tabs'
# defaults at 1.3x-1.6x (likely 1.05x-1.4x) of 1.3-3.3 s; the largest uploads, 5,000 rows x 198
# single-digit or 79 three-decimal columns on the four models: 20 classes 1.3x-1.5x (likely
# 1.0x-1.1x) of 61-63 s, a regression target 1.8x-2.1x (likely 1.3x-1.7x) of 35-47 s, two classes
# 3.9x (likely 1.8x) of 11 s, where scikit-learn's MLP stopped after 40-80 of its 500 epochs.
FOREST_TREE_SECONDS = 1.0e-3  # one tree's fixed cost (Python, allocation, its predictions)
FOREST_SORT_SECONDS = 1.6e-9  # per candidate feature x row x log2(rows)^2 ...
FOREST_SORT_LEVEL_SECONDS = 2.7e-9  # ... plus this much more at 256 distinct values per feature
BOOST_NODE_SECONDS = 9e-6  # per node of a boosting tree
BOOST_SPLIT_SECONDS = 3.5e-7  # per node x feature at 256 distinct values (the split search over bins)
BOOST_CELL_SECONDS = 1.1e-8  # per row x feature of each tree (its histograms) ...
BOOST_CELL_LEVEL_SECONDS = 1.3e-8  # ... plus this much more at 256 distinct values per feature
TABLE_MLP_MACS_PER_SECOND = 1.4e10  # scikit-learn's MLP: float64 BLAS on one thread
TABLE_MLP_STEP_SECONDS = 2.5e-4  # per minibatch step of scikit-learn's MLP (Adam, Python)
TABLE_MLP_LIKELY_EPOCHS = 150  # its stopping rule (tol 1e-4, 10 epochs) ended after 19-500, median ~120
TABLE_FIT_SECONDS = 0.05  # any fit after the first: a fold's copies, scaling, Python
BOOSTING_LEAVES = 31  # HistGradientBoosting's defaults, which the page keeps: max_leaf_nodes ...
BOOSTING_MIN_LEAF = 20  # ... and min_samples_leaf
TABLE_BYTES_COPIES = 6  # the float64 table held: the table, noise columns, rotation, a fold's train and test copies


@dataclass(frozen=True)
class SklearnMLP(Config):
    """The Digit Recognizer's baseline as a request: scikit-learn's MLPClassifier (the tutorial's
    (100, 50), relu, at most 500 epochs, batch min(200, rows)) on n_train rows x n_features, then
    n_test predictions, over n_classes. Priced like When to Use's scikit-learn MLP (:func:`table_fit_price`)."""

    kind: ClassVar[str] = "sk-mlp"
    n_train: int = 1
    n_features: int = 1
    n_test: int = 0
    n_classes: int = 10
    hidden: tuple[int, ...] = (100, 50)
    rounds: int = 500
    model: ClassVar[str] = "sk_mlp"
    levels: ClassVar[float] = 256.0

    @property
    def batch(self) -> int:
        return min(200, self.n_train)


def table_fit_price(fit: Any, n_outputs: int) -> Price:
    """One model fit of a When to Use request (:class:`core.when_to_use.jobs.Fit`: model, n_train,
    n_features, n_test, rounds, levels, hidden, batch) on a table with ``n_outputs`` classes (1: regression).

    Seconds exclude the first use of torch and scikit-learn (:func:`table_price` adds RUN_SECONDS once).
    peak_bytes is the model's own working memory; the table is added by :func:`table_price`.
    """
    n, F, lv = max(1, fit.n_train), max(1, fit.n_features), min(256.0, fit.levels) / 256
    regression = n_outputs <= 1
    if fit.model == "forest":
        m = F if regression else max(1, int(math.sqrt(F)))  # max_features: 1.0 regression, "sqrt" classes
        sort = m * n * math.log2(max(2, n)) ** 2
        secs = fit.rounds * (FOREST_TREE_SECONDS + sort * (FOREST_SORT_SECONDS + FOREST_SORT_LEVEL_SECONDS * lv))
        # fully grown trees: up to 2 nodes per row, each 64 bytes plus a value per class
        peak = fit.rounds * 2 * n * (64 + 8 * (1 if regression else n_outputs)) + 8 * n * 4
        return Price(secs, int(peak), 0.0, fit.rounds, 1)
    if fit.model == "boosting":
        trees = fit.rounds * (1 if n_outputs <= 2 else n_outputs)  # one tree per class, one when binary
        nodes = 2 * min(BOOSTING_LEAVES, max(2, n // BOOSTING_MIN_LEAF)) - 1
        tree = nodes * (BOOST_NODE_SECONDS + BOOST_SPLIT_SECONDS * F * lv) + \
            n * F * (BOOST_CELL_SECONDS + BOOST_CELL_LEVEL_SECONDS * lv)
        # binned rows, gradients and predictions per class, a histogram (256 bins x 20 bytes) per node and feature
        peak = n * F + 4 * 8 * n * max(1, n_outputs) + nodes * F * 256 * 20
        return Price(trees * tree, int(peak), 0.0, trees, 1)
    # outputs: one per class (scikit-learn's MLP: one logit when binary), one for a regression target
    widths = [F, *fit.hidden, 1 if fit.model == "sk_mlp" and n_outputs <= 2 else max(1, n_outputs)]
    if fit.model == "sk_mlp":
        mm = sum(a * b for a, b in zip(widths, widths[1:]))
        batch = max(1, min(fit.batch or n, n))
        epoch = 3 * n * mm / TABLE_MLP_MACS_PER_SECOND + math.ceil(n / batch) * TABLE_MLP_STEP_SECONDS
        predict = max(0, fit.n_test) * mm / TABLE_MLP_MACS_PER_SECOND
        # weights, gradients and Adam's moments; one batch's activations and their gradients; scaled copies
        peak = 8 * 5 * (mm + sum(widths[1:])) + 8 * 4 * batch * sum(widths) + 8 * 2 * n * F \
            + 8 * max(0, fit.n_test) * sum(widths)
        return Price(fit.rounds * epoch + predict, int(peak), 3.0 * n * mm * fit.rounds,
                     fit.rounds * math.ceil(n / batch), 1,
                     min(fit.rounds, TABLE_MLP_LIKELY_EPOCHS) * epoch + predict)
    if fit.model == "mlp":  # the engine, as core.engine prices any run (its first use of torch counted once)
        net = _Net(tuple(fit.hidden), max(1, fit.rounds), fit.batch)
        p = price([net], DataShape(n, F, widths[-1], max(0, fit.n_test)))
        return dataclasses.replace(p, seconds=p.seconds - RUN_SECONDS, likely_seconds=p.likely_seconds - RUN_SECONDS,
                                   peak_bytes=p.peak_bytes - BASE_BYTES)
    raise ValueError(f"no price for model {fit.model!r}")


def _table_fits(cfg: Any, data: DataShape | None) -> tuple[DataShape, list[Any]]:
    """(the table's DataShape, the fits ``cfg`` runs on it); no ``data``: the table the config names."""
    from core.when_to_use.data import TableShape  # the config's own package: already imported

    if data is None:
        t = cfg.table_shape()
        data = DataShape(t.rows, t.features, max(1, t.classes), levels=t.levels)
    shape = TableShape(data.n_train, data.n_features, data.n_outputs if data.n_outputs > 1 else 0, data.levels)
    return data, cfg.fits(shape)


def table_price(cfg: Any, data: DataShape | None = None) -> Price:
    """A When to Use request (a config with ``fits(shape)`` and ``table_shape()``) on a table of ``data``
    (n_train = its rows; else the table the config names): every fit one after the other; memory is the
    table's copies plus the largest fit's."""
    data, fits = _table_fits(cfg, data)
    if not fits:
        return FREE
    parts = [table_fit_price(f, data.n_outputs) for f in fits]
    seconds = RUN_SECONDS + TABLE_FIT_SECONDS * (len(parts) - 1) + sum(p.seconds for p in parts)
    likely = RUN_SECONDS + TABLE_FIT_SECONDS * (len(parts) - 1) + sum(p.likely_seconds or p.seconds for p in parts)
    widest = max(f.n_features for f in fits)
    peak = BASE_BYTES + TABLE_BYTES_COPIES * 8 * data.n_train * widest + max(p.peak_bytes for p in parts)
    return Price(seconds, int(peak), sum(p.macs for p in parts), sum(p.steps for p in parts), 1, likely)


def study_price(space: Any, study: Any, rows: tuple[int, int, int] | None = None) -> Price:
    """A tuning study priced as its trials, each at the largest network the space allows.

    ``space``: a SearchSpace (layers_max, width_max, batch_sizes); ``study``: StudySettings
    (dataset, n_trials, epochs, val_fraction). ``rows`` = (training rows, test rows, features).
    """
    n_all, n_test, F = rows or (DIGITS_8X8 if study.dataset == "digits" else MNIST_FULL)
    n_val = int(round(study.val_fraction * n_all))
    batch = min(space.batch_sizes) if space.batch_sizes else 32
    trial = _Net((space.width_max,) * space.layers_max, max(1, study.epochs), batch)
    one = price([trial], DataShape(n_all - n_val, F, 10, n_val + n_test))
    return one.times(max(1, study.n_trials))


# ---- the budget -----------------------------------------------------------------------------------
def _say_seconds(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


TABLE_MODEL_WORDS = {"forest": "the random forest", "boosting": "gradient boosting", "mlp": "the NN Lab MLP",
                     "sk_mlp": "scikit-learn's MLP"}


def _table_hints(cfg: Any, data: DataShape | None) -> str:
    """What to lower in a When to Use request: its models (naming one that costs most of it), folds,
    noise columns, shares, the upload."""
    hints: list[str] = []
    if len(getattr(cfg, "models", ())) > 1:
        data, fits = _table_fits(cfg, data)
        cost: dict[str, float] = {}
        for f in fits:
            cost[f.model] = cost.get(f.model, 0.0) + table_fit_price(f, data.n_outputs).seconds
        top = max(cost, key=cost.get)
        most = cost[top] > 0.5 * sum(cost.values())
        hints.append("fewer models" + (f" ({TABLE_MODEL_WORDS.get(top, top)} costs the most here)" if most else ""))
    if cfg.kind == "wtu-noise":
        hints += ["fewer noise columns"] + (["no rotation"] if getattr(cfg, "rotate", False) else [])
    elif cfg.kind == "wtu-curve":
        hints.append("fewer shares")
    if getattr(cfg, "folds", 2) > 2:
        hints.append("fewer folds")
    hints.append("a smaller CSV" if getattr(cfg, "dataset", "") == "csv" else "a smaller table")
    hints = hints[:3]
    return hints[0] if len(hints) == 1 else ", ".join(hints[:-1]) + " or " + hints[-1]


def _what_to_lower(cfgs: Sequence[Any], memory: bool, data: DataShape | None = None) -> str:
    c = cfgs[0] if cfgs else None
    if c is not None and getattr(c, "kind", "").startswith("wtu-"):
        return _table_hints(c, data)
    if c is not None and getattr(c, "kind", "") == "sk-mlp":
        return "fewer training rows"
    hints: list[str] = []
    if c is not None and not memory:
        hints.append("fewer epochs")
        if getattr(c, "batch_size", 1) and getattr(c, "batch_size", 1) < 256:
            hints.append("a larger batch")
    if c is not None and getattr(c, "augment_copies", 0):
        hints.append("fewer augmented copies")
    if c is not None and (getattr(c, "train_limit", None) == 0 and getattr(c, "dataset", "") == "mnist"):
        hints.append("fewer training rows")
    hints.append("fewer or narrower layers")
    if len(cfgs) > 1 or getattr(c, "n_seeds", 1) > 1 or len(getattr(c, "functions", ())) > 1:
        hints.append("fewer seeds or functions")
    return " or ".join(hints[:3]) if len(hints) <= 3 else ", ".join(hints[:2]) + " or " + hints[2]


def over_budget(p: Price, configs: Sequence[Any] = (), lim: settings.Limits | None = None,
                study: bool = False, data: DataShape | None = None, hints: bool = True) -> str | None:
    """None when ``p`` fits this server's budget, else one line naming the budget and what to lower
    (``data``: the shape ``p`` was priced on, for hints that depend on it; ``hints=False``: the budget
    only, for the server's own runs, where nobody can lower anything)."""
    lim = lim or settings.limits()
    budget_s = lim.study_seconds if study else lim.run_seconds
    what = "study" if study else "run"
    if p.seconds > budget_s:
        lower = f": {_what_to_lower(configs, memory=False, data=data)}" if hints else ""
        return f"about {_say_seconds(p.seconds)} of CPU; this server allows {_say_seconds(budget_s)} per {what}{lower}."
    mb = p.peak_bytes / 1e6
    if mb > lim.run_mb:
        lower = f": {_what_to_lower(configs, memory=True, data=data)}" if hints else ""
        return f"about {mb:,.0f} MB of memory; this server allows {lim.run_mb:,.0f} MB per {what}{lower}."
    return None


def check(request: Any, data: DataShape | Any | None = None, lim: settings.Limits | None = None,
          hints: bool = True) -> str | None:
    """The one check before any work: per-field caps, then the price against the budget.

    ``request``: a page-level config, a TrainConfig or a list of them (one stack); ``data``: a
    DataShape, a Dataset or a When to Use table (else the page's own data size, from the config).
    Returns None when it may run, else one line for the visitor (``hints=False``: without what to
    lower, for the server's own runs).
    """
    from core.serve.caps import check_request

    lim = lim or settings.limits()
    items = list(request) if isinstance(request, (list, tuple)) else [request]
    if not items:
        return None
    msg = check_request(items if len(items) > 1 else items[0], lim)
    if msg:
        return msg
    if data is not None and not isinstance(data, DataShape):
        data = shape_of(data)
    p = request_price(items if len(items) > 1 or getattr(items[0], "kind", "") == "train" else items[0], data)
    return over_budget(p, [c for i in items for c in _train_configs(i)], lim, data=data, hints=hints)


def check_study(space: Any, study: Any, lim: settings.Limits | None = None) -> str | None:
    """:func:`check` for a tuning study: each field's caps, then all its trials against study_seconds,
    and one trial against the per-run budget."""
    from core.serve.caps import check_request

    lim = lim or settings.limits()
    msg = check_request(space, lim) or check_request(study, lim)
    if msg:
        return msg
    total = study_price(space, study)
    one = dataclasses.replace(total, seconds=total.seconds / max(1, study.n_trials))
    return over_budget(one, [], lim) or over_budget(total, [], lim, study=True)
