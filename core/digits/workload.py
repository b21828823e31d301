"""What the Digit Recognizer trains, as the server prices it: a model's stack on its data (augmented
copies included), a CNN's convolutions (:func:`core.engine.conv.cnn_cost`, which the stack price does not
know), and the tutorial's scikit-learn baseline. :mod:`core.serve.price` prices these."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from core.config import Config
from core.datasets import digits as digits_data
from core.datasets import mnist
from core.digits.augment import AUGMENT_CHUNK
from core.engine.conv import CnnConfig, cnn_cost
from core.serve.cost import LOAD_BYTES, LOAD_SECONDS, RUN_SECONDS
from core.serve.price import shape_of
from core.serve.workload import DataShape, Lower, Price, TableFit, Workload, one_stack, trainer_lower

# the grouped convolutions' rate, one thread, measured 2026-12-04 on the Images and Convolutions page's
# defaults: 8x8 digits 3.8e9 multiply-adds a second, the MNIST sample 4.4e9 (core/convolutions/workload.py)
CNN_MACS_PER_SECOND = 3.8e9

# sklearn's MLPClassifier as the tutorial sets it: (100, 50) relu, at most 500 epochs, batch min(200, rows)
SK_HIDDEN, SK_MAX_ITER, SK_BATCH = (100, 50), 500, 200


def augment_peak_bytes(n_rows: int, n_features: int) -> int:
    """Working memory of augment_images beyond its output: one chunk's grids, fields and images."""
    rows = min(n_rows, AUGMENT_CHUNK)
    # the field's smoothing (conv2d's im2col: 2 channels x 25 taps), grid, field, image temporaries
    return 4 * rows * n_features * (2 * 25 + 16)


def digits_shape(cfg: Any, mnist_rows: tuple[int, int] | None = None) -> DataShape:
    """The data a DigitsConfig trains on, augmentation included.

    ``mnist_rows`` = (training rows, test rows) of the MNIST files in use; default all of MNIST.
    """
    if cfg.dataset == "digits":
        n_all, n_test, F = digits_data.TRAIN_ROWS, digits_data.TEST_ROWS, digits_data.FEATURES
    else:
        n_all, n_test = mnist_rows or (mnist.TRAIN_ROWS, mnist.TEST_ROWS)
        F = mnist.FEATURES
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
        return DataShape(n_train, F, 10, n_val + n_test, extra + LOAD_BYTES, LOAD_SECONDS, loading_bytes=extra)
    return DataShape(n_train, F, 10, n_val + n_test, extra, loading_bytes=extra)


def model(cfg: Any, data: Any = None) -> Workload:
    """A DigitsConfig's workload. ``data``: the MNIST files' (training rows, test rows), a DataShape, or
    a loaded Dataset; else the data the config names (all of MNIST for "mnist")."""
    return models([cfg], data)


def models(cfgs: Sequence[Any], data: Any = None) -> Workload:
    """The workload of configs trained together (one stack; CNNs as grouped convolutions): see :func:`model`."""
    cfg = cfgs[0]
    if isinstance(data, DataShape):
        shape = data
    elif data is None or isinstance(data, tuple):
        shape = digits_shape(cfg, data)
    else:
        shape = shape_of(data)
    lower = (["fewer augmented copies"] if cfg.augment_copies else []) + \
        (["fewer training rows"] if cfg.dataset == "mnist" and not cfg.train_limit else [])
    if not (isinstance(cfg, CnnConfig) or getattr(cfg, "model", "mlp") == "cnn"):
        return one_stack(list(cfgs), shape, *lower)
    return Workload(beside=cnn_price(cfgs, shape), lower=trainer_lower(list(cfgs), *lower))


def cnn_price(cfgs: Sequence[Any], shape: DataShape) -> Price:
    """CNNs of one shape trained together for all their epochs on ``shape`` (the bound: no early stop
    assumed), with the data they hold and its loading."""
    side = round(shape.n_features ** 0.5)
    longest = max(cfgs, key=lambda c: c.epochs)
    cnn = CnnConfig(**{f.name: getattr(longest, f.name) for f in dataclasses.fields(CnnConfig)
                       if hasattr(longest, f.name)})  # a DigitsConfig with model="cnn": CnnConfig's kernel
    c = cnn_cost(cnn, side, shape.n_outputs, shape.n_train, shape.n_eval, models=len(cfgs))
    macs = c["flops"] / 2
    secs = RUN_SECONDS + shape.load_seconds + macs / CNN_MACS_PER_SECOND
    peak = int(c["weight_bytes"] + c["batch_bytes"] + c["eval_bytes"] + shape.data_bytes)
    batch = shape.n_train if cnn.batch_size <= 0 else min(cnn.batch_size, shape.n_train)
    steps = cnn.epochs * -(-shape.n_train // max(1, batch))
    # as the stack price guesses: early stopping ends about 3 x patience + 5 epochs in
    likely = min(cnn.epochs, 3 * cnn.patience + 5) / cnn.epochs if cnn.patience else 1.0
    fixed = RUN_SECONDS + shape.load_seconds
    return Price(secs, peak, macs, steps, len(cfgs), fixed + likely * (secs - fixed))


@dataclass(frozen=True)
class SklearnRequest(Config):
    """The Compare tab's baseline as a request: scikit-learn's MLPClassifier on n_train rows x
    n_features, then n_test predictions (what :func:`core.digits.sklearn_baseline` fits)."""

    kind: ClassVar[str] = "sk-mlp"
    n_train: int = 1
    n_features: int = 1
    n_test: int = 0

    def workload(self, data: Any = None) -> Workload:
        fit = TableFit("sk_mlp", self.n_train, self.n_features, self.n_test, SK_MAX_ITER, 10, hidden=SK_HIDDEN,
                       batch=min(SK_BATCH, self.n_train))
        return Workload(fits=(fit,), lower=(Lower("fewer training rows"),))


def sklearn_request(dataset: str, rows: tuple[int, int] | None = None, train_limit: int = 0) -> SklearnRequest:
    """What :func:`core.digits.sklearn_baseline` fits, as a request to price before it starts: ``rows`` =
    (training, test) rows of the MNIST in use (None: all of MNIST; the 8x8 digits have their own split)."""
    if dataset == "digits":
        n_all, n_test, n_features = digits_data.TRAIN_ROWS, digits_data.TEST_ROWS, digits_data.FEATURES
    else:
        n_all, n_test = rows or (mnist.TRAIN_ROWS, mnist.TEST_ROWS)
        n_features = mnist.FEATURES
    n_train = min(n_all, train_limit) if train_limit else n_all
    return SklearnRequest(n_train=n_train, n_features=n_features, n_test=n_test)
