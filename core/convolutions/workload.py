"""What Images and Convolutions trains, as the server prices it: the MLP as a stack on its data, then the
CNN (priced from :func:`core.engine.conv.cnn_cost`'s multiply-adds, which the stack price does not know),
one after the other as :func:`core.convolutions.jobs.compute` trains them."""

from __future__ import annotations

from typing import Any

from core.digits.workload import digits_shape
from core.engine.conv import EVAL_CHUNK_BYTES, CnnConfig, cnn_cost
from core.engine.evaluation import EVAL_ROWS
from core.serve.cost import BASE_BYTES, RUN_SECONDS
from core.serve.workload import FREE, DataShape, Price, Workload, one_stack, stacks, trainer_lower

# the grouped convolutions' rate, one thread, measured 2026-12-04 on the page's defaults: 8x8 digits 3.8e9
# multiply-adds a second (38 epochs in 3.2 s), the MNIST sample 4.4e9 (36 epochs of 2,000 digits in 38 s)
CNN_MACS_PER_SECOND = 3.8e9


def cnn_price(cnn: Any, side: int, shape: DataShape) -> Price:
    """One CNN trained for all its epochs on ``shape`` (the bound), the data it trains on held beside it;
    likely_seconds: early stopping assumed to stop after 3 x patience + 5 epochs, as a stack's. An
    evaluation goes in chunks of at most EVAL_CHUNK_BYTES of first-layer maps (core.engine.conv), so a
    small split is one chunk of its own size: a forward pass keeps about three such maps (pre-activation,
    activation, pool)."""
    c = cnn_cost(cnn, side, 10, shape.n_train, shape.n_eval)
    macs = c["flops"] / 2
    secs = RUN_SECONDS + macs / CNN_MACS_PER_SECOND
    epochs = max(1, cnn.epochs)
    likely = min(epochs, 3 * cnn.patience + 5) if cnn.patience else epochs
    likely_secs = RUN_SECONDS + macs * likely / epochs / CNN_MACS_PER_SECOND
    split = max(min(shape.n_train, EVAL_ROWS), shape.n_eval)
    chunk = min(EVAL_CHUNK_BYTES, 4 * cnn.channels[0] * side * side * split)
    peak = int(BASE_BYTES + shape.data_bytes + c["weight_bytes"] + c["batch_bytes"] + 3 * chunk)
    return Price(secs, peak, macs, 0, 0, likely_secs)


def compare(cfg: Any, data: Any = None) -> Workload:
    """A ConvConfig: the MLP (one stack), then the CNN for every epoch."""
    mlp, cnn = cfg.models()
    shape = data if isinstance(data, DataShape) else digits_shape(mlp, (cfg.train_limit, 1000))
    side = 8 if cfg.dataset == "digits" else 28
    work = one_stack([mlp], shape, "fewer training rows" if cfg.dataset == "mnist" else "the 8x8 digits")
    return Workload(work.stacks, after=cnn_price(cnn, side, shape), lower=work.lower)


def sizes(cfg: Any, data: Any = None) -> Workload:
    """A SizesConfig: each MLP as its own stack, then every CNN, one after the other."""
    models = cfg.models()
    mlps = [m for m in models if not isinstance(m, CnnConfig)]
    shape = data if isinstance(data, DataShape) else digits_shape(mlps[0])
    work = stacks([[m] for m in mlps], shape, trainer_lower(mlps))
    after = FREE
    for m in models:
        if isinstance(m, CnnConfig):
            after = after + cnn_price(m, 8, shape)
    return Workload(work.stacks, after=after, lower=work.lower)
