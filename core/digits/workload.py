"""What the Digit Recognizer trains, as the server prices it: a model's stack on its data (augmented
copies included), and the tutorial's scikit-learn baseline. :mod:`core.serve.price` prices these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.config import Config
from core.datasets import digits as digits_data
from core.datasets import mnist
from core.digits.augment import AUGMENT_CHUNK
from core.serve.cost import LOAD_BYTES, LOAD_SECONDS
from core.serve.price import shape_of
from core.serve.workload import DataShape, Lower, TableFit, Workload, one_stack

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
        return DataShape(n_train, F, 10, n_val + n_test, extra + LOAD_BYTES, LOAD_SECONDS)
    return DataShape(n_train, F, 10, n_val + n_test, extra)


def model(cfg: Any, data: Any = None) -> Workload:
    """A DigitsConfig's workload. ``data``: the MNIST files' (training rows, test rows), a DataShape, or
    a loaded Dataset; else the data the config names (all of MNIST for "mnist")."""
    if isinstance(data, DataShape):
        shape = data
    elif data is None or isinstance(data, tuple):
        shape = digits_shape(cfg, data)
    else:
        shape = shape_of(data)
    lower = (["fewer augmented copies"] if cfg.augment_copies else []) + \
        (["fewer training rows"] if cfg.dataset == "mnist" and not cfg.train_limit else [])
    return one_stack([cfg], shape, *lower)


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
