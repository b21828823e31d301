"""The cost model: CPU seconds and peak bytes of one stack of networks, and of one model fit on a table.

A stack's price counts multiply-adds over every training step and every evaluation, what each step and
evaluation costs beside them (per layer, per model and layer, per parameter, per row and layer), and the
peak memory (weights, gradients, optimizer state, activations of one batch, of one evaluation's few models
or of the results' final pass over every model, dropout masks, the data, and the larger of the load's own
copies and the training):

    stack_price(configs, DataShape(n_train=1437, n_features=64, n_outputs=10, n_eval=360)) -> Price

Calibration (this development machine, 2 cores, torch 2.13 CPU; ``python -m bench.hosted --calibrate``
measures it again): the batched trainer does about ``MACS_PER_SECOND`` multiply-add equivalents per
second on large steps; each training step of a stack costs ``STEP_SECONDS`` (Python, the loop) plus its
layers' and models' own terms, and each run ``RUN_SECONDS``. The price errs high (early stopping is priced
as if it never stopped; MNIST as all 60,000 rows): a budget must bound the worst case of what a link asks for.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from core.serve.workload import FREE, DataShape, Net, Price, TableFit

# ---- calibration (measured once on this machine; see the module docstring) ------------------------
# Fitted (least squares on log ratios) to the CPU seconds of every page's default run, each in a fresh
# process, on 2026-11-27: 8x8 digits 1.8 s, MNIST sample 14.5 s, Explorer comparison 8.4 s, depth
# 2.8 s, XOR seeds 0.3-0.4 s, Playground 1.2 s; within 2x of each (bench/hosted.py --calibrate).
MACS_PER_SECOND = 2.0e10  # multiply-add equivalents per CPU second of the batched trainer
RUN_SECONDS = 0.3  # fixed cost of a request's first stack: the first calls into torch, results
STACK_SECONDS = 0.03  # fixed cost of each later stack of the same request: a trainer, its results (measured
# 2026-12-05: Network Shapes' approximation nets of 1 to 256 units, 10 epochs of 200 points, 0.02-0.07 s)
# What a step and an evaluation cost beside their multiply-adds: small steps of many models are mostly this.
# Fitted 2026-12-05 (least squares on log ratios, one thread, NNLAB_HOSTED=1) to the CPU seconds of 50
# stacks: 1-100 models of 1-6 hidden layers of 4-256 units, batches 4-128 rows: steps within 0.55x-1.5x
# (the old price, multiply-adds and 100 us a step: 0.13x-1.7x), the 36 evaluations of 1 ms or more within
# 0.63x-1.74x (multiply-adds alone: 0.03x-1.3x). Worst: one hidden layer of 32 on 7 features (0.55x-0.6x).
STEP_SECONDS = 5e-5  # one optimizer step of a stack (Python, the loop, the batch's gather)
LAYER_STEP_SECONDS = 7e-6  # per layer of a step (its forward, backward and bias kernels, whatever the models)
MODEL_LAYER_STEP_SECONDS = 1.5e-7  # per model and layer of a step (each model's small products in a batched one)
PARAM_STEP_SECONDS = 2e-9  # per parameter of every model and step (Adam's fused pass over p, g, m, v)
ROW_LAYER_SECONDS = 6e-8  # per row, layer and model of a step (small tensors' elementwise passes)
EVAL_MACS_PER_SECOND = 3.5e10  # an evaluation's products: every row at once, no gradients (fitted: 3.7e10)
EVAL_ROW_LAYER_SECONDS = 1.2e-8  # per row, layer and model of an evaluation (its kernels on fresh buffers) ...
EVAL_UNIT_SECONDS = 3.2e-9  # ... and per row, unit and model (each fresh buffer's pages, the activation)
EVAL_LIVE = 4  # tensors of [models, rows, widest layer] alive at once in an evaluation: the first layer's
# shared product, a layer's input, its pre-activation and its activation
LOAD_SECONDS = 0.6  # reading sklearn's 8x8 digits (DataShape.load_seconds of the pages that use them)
ELEMENTWISE_MACS = 12  # an activation, its derivative, bias, dropout: per unit, forward + backward
BASE_BYTES = 30_000_000  # torch workspaces and result frames of any run
LOAD_BYTES = 60_000_000  # sklearn's datasets module and its parse of the 8x8 digits
PROBE_LAYER_SECONDS = 2e-3  # a probe's autograd, slopes and histograms per layer and model


def digits_8x8() -> DataShape:
    """sklearn's 8x8 digits, the tutorial's split, as read from scikit-learn (its load counted)."""
    from core.datasets import digits

    return DataShape(digits.TRAIN_ROWS, digits.FEATURES, 10, digits.TEST_ROWS, LOAD_BYTES, LOAD_SECONDS)


def _engine_constants() -> tuple[int, int, int]:
    """(EVAL_ROWS, CHUNK_DRAWS, EVAL_CHUNK_BYTES) from the engine, imported when first priced (the engine
    imports torch)."""
    from core.engine.dropout import CHUNK_DRAWS
    from core.engine.evaluation import EVAL_CHUNK_BYTES, EVAL_ROWS

    return EVAL_ROWS, CHUNK_DRAWS, EVAL_CHUNK_BYTES


def stack_price(configs: Sequence[Any], data: DataShape, first: bool = True) -> Price:
    """The price of training ``configs`` (TrainConfig-like: hidden, batch_size, epochs, patience,
    dropout) together as one stack on ``data``: every epoch (the bound), and likely_seconds with
    early stopping assumed to stop after 3 x patience + 5 epochs (the 8x8 digits' default stops near
    epoch 44, the MNIST sample's near 29). ``first``: the request's first stack, which pays the first
    calls into torch (RUN_SECONDS); a later one only its own trainer (STACK_SECONDS)."""
    configs = list(configs)
    if not configs:
        return FREE
    bound = _price(configs, data, likely=False, first=first)
    if not any(c.patience for c in configs):
        return dataclasses.replace(bound, likely_seconds=bound.seconds)
    return dataclasses.replace(bound, likely_seconds=_price(configs, data, likely=True, first=first).seconds)


def _price(configs: list[Any], data: DataShape, likely: bool, first: bool = True) -> Price:
    eval_rows_max, chunk_draws, eval_chunk_bytes = _engine_constants()
    N = max(1, data.n_train)
    K = len(configs)
    eval_every = 1 if any(c.patience for c in configs) else max(1, max(c.epochs for c in configs) // 200)
    eval_rows = min(N, eval_rows_max) + data.n_eval
    macs = 0.0
    eval_macs = 0.0
    seconds = 0.0  # what the multiply-adds do not say: each model's own share of its steps and evaluations
    steps = 0
    layers = 0
    weights = 0
    step_units = 0  # activations of one training step, all models
    masks = 0
    widest = max(max([data.n_outputs, *c.hidden]) for c in configs)
    for c in configs:
        w = [data.n_features, *c.hidden, data.n_outputs]
        mm = sum(a * b for a, b in zip(w, w[1:]))
        units = sum(w[1:])
        nl = len(w) - 1
        B = N if c.batch_size <= 0 else min(c.batch_size, N)
        per_epoch = math.ceil(N / B)
        epochs = min(c.epochs, 3 * c.patience + 5) if likely and c.patience else c.epochs
        steps = max(steps, epochs * per_epoch)
        layers = max(layers, nl)
        evals = epochs // eval_every + 1
        macs += epochs * N * (3 * mm + ELEMENTWISE_MACS * units)
        eval_macs += evals * eval_rows * (mm + ELEMENTWISE_MACS // 3 * units)
        seconds += epochs * per_epoch * (MODEL_LAYER_STEP_SECONDS * nl + PARAM_STEP_SECONDS * (mm + units))
        seconds += epochs * N * ROW_LAYER_SECONDS * nl
        seconds += evals * eval_rows * (EVAL_ROW_LAYER_SECONDS * nl + EVAL_UNIT_SECONDS * units)
        weights += mm + units
        step_units += B * sum(w)
        if c.dropout > 0:
            masks += sum(w[1:-1]) * B
    seconds += (RUN_SECONDS if first else STACK_SECONDS) + data.load_seconds + macs / MACS_PER_SECOND \
        + eval_macs / EVAL_MACS_PER_SECOND + steps * (STEP_SECONDS + LAYER_STEP_SECONDS * layers)
    # An evaluation takes the models a few at a time (its widest layer's outputs about EVAL_CHUNK_BYTES);
    # the results' final pass takes every model at once over the whole training (or test) split.
    split = max(min(N, eval_rows_max), data.n_eval)
    per_model = 4 * split * widest
    chunk = min(K, max(1, eval_chunk_bytes // per_model))
    final = 4 * K * max(N, data.n_eval) * widest
    training = (4 * 8 * weights  # flat weights, gradients, Adam's two moments, best weights, results, spare
                + 4 * 6 * step_units  # z, a, their gradients, transposes of one step
                + EVAL_LIVE * max(chunk * per_model, final)  # an evaluation, or the results' final pass
                + (4 * max(chunk_draws, masks) if masks else 0))  # one chunk of dropout masks
    # the tensors and what the loader keeps (extra_bytes), then the larger of the load's own copies and training
    peak = BASE_BYTES + data.data_bytes - data.loading_bytes + max(data.loading_bytes, training)
    return Price(seconds, int(peak), macs + eval_macs, steps, K)


# ---- model fits on a table: scikit-learn's models and the engine's MLP --------------------------------
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
BOOSTING_LEAVES = 31  # HistGradientBoosting's defaults: max_leaf_nodes ...
BOOSTING_MIN_LEAF = 20  # ... and min_samples_leaf


def table_fit_price(fit: TableFit) -> Price:
    """One model fit on a table. Seconds exclude the first use of torch and scikit-learn (a workload's
    fits add RUN_SECONDS once); peak_bytes is the model's own working memory."""
    n, F, lv = max(1, fit.n_train), max(1, fit.n_features), min(256.0, fit.levels) / 256
    n_outputs = fit.n_outputs
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
        # binned rows, gradients and predictions per class, and a histogram (256 bins x 20 bytes) per feature of
        # each leaf still to split: scikit-learn frees a node's histograms once its children have theirs
        leaves = (nodes + 1) // 2
        peak = n * F + 4 * 8 * n * max(1, n_outputs) + leaves * F * 256 * 20
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
    if fit.model == "mlp":  # the engine, priced as any stack (its first use of torch counted once)
        net = Net(tuple(fit.hidden), max(1, fit.rounds), fit.batch)
        p = stack_price([net], DataShape(n, F, widths[-1], max(0, fit.n_test)))
        return dataclasses.replace(p, seconds=p.seconds - RUN_SECONDS, likely_seconds=p.likely_seconds - RUN_SECONDS,
                                   peak_bytes=p.peak_bytes - BASE_BYTES)
    raise ValueError(f"no price for model {fit.model!r}")


def fits_price(fits: Sequence[TableFit], held_bytes: int = 0) -> Price:
    """Table fits one after the other, holding ``held_bytes`` of data beside them: the first use of the
    libraries once, each later fit's copies and scaling; memory is what is held plus the largest fit's."""
    if not fits:
        return FREE
    parts = [table_fit_price(f) for f in fits]
    extra = RUN_SECONDS + TABLE_FIT_SECONDS * (len(parts) - 1)
    return Price(extra + sum(p.seconds for p in parts), int(BASE_BYTES + held_bytes + max(p.peak_bytes for p in parts)),
                 sum(p.macs for p in parts), sum(p.steps for p in parts), 1,
                 extra + sum(p.likely_seconds or p.seconds for p in parts))
