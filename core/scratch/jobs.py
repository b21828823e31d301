"""A NumPy network from scratch on the 8x8 digits (:mod:`core.scratch.net`), its gradients checked against
torch autograd on the same weights, the same network trained by NN Lab's engine, and the script to download.

The engine's twin has the same layer sizes, activation, init scheme (He normal, zero biases), loss
(cross-entropy), optimizer (plain SGD), learning rate, batch size and epochs. Where they differ: the
random draws (NumPy's generator for the first weights and the row order, torch's for the engine's), and
the number type (NumPy float64, the engine float32).
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from core import datasets
from core.config import Config, param
from core.datasets.digits import FEATURES, TRAIN_ROWS
from core.scratch import net, workload
from core.serve.workload import Workload

CLASSES = 10
CHECK_ROWS = 64  # the gradient check's batch: the first 64 training rows


@dataclass(frozen=True)
class ScratchConfig(Config):
    """The NumPy network: depth hidden layers of width units, its activation, and how it trains (SGD)."""

    kind: ClassVar[str] = "scratch"

    depth: int = param(2, lo=1, hi=6, cap="layers", help="hidden layers")
    width: int = param(64, lo=2, hi=512, cap="width", help="units in each hidden layer")
    activation: str = param("relu", choices=net.ACTIVATIONS)
    lr: float = param(0.1, lo=1e-4, hi=5.0, help="plain SGD's step size")
    epochs: int = param(20, lo=1, hi=300, cap="epochs")
    batch_size: int = param(32, lo=1, hi=TRAIN_ROWS)
    seed: int = param(0, lo=0, hi=2**31 - 1)

    @property
    def hidden(self) -> tuple[int, ...]:
        return (self.width,) * self.depth

    @property
    def sizes(self) -> list[int]:
        """Layer sizes input to output: 64, the hidden widths, 10."""
        return [FEATURES, *self.hidden, CLASSES]

    def workload(self, data: Any = None) -> Workload:
        return workload.scratch(self)


@dataclass
class ScratchRun:
    """One trained network: test and training accuracy, seconds, each epoch's mean batch loss."""

    test_acc: float
    train_acc: float
    seconds: float
    losses: list[float]
    params: list = field(default_factory=list, repr=False)


def data64() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tutorial's split of the digits (:func:`core.datasets.digits_arrays`) in float64."""
    Xtr, ytr, Xte, yte = datasets.digits_arrays()
    return Xtr.astype(np.float64), ytr, Xte.astype(np.float64), yte


def run_numpy(cfg: ScratchConfig) -> ScratchRun:
    """Train :mod:`core.scratch.net` at cfg on the digits, as the downloaded script does."""
    Xtr, ytr, Xte, yte = data64()
    with np.errstate(all="ignore"):  # a learning rate too high overflows: the run says so, the log stays quiet
        t0 = time.perf_counter()
        params, losses = net.train(Xtr, ytr, cfg.sizes, cfg.activation, cfg.lr, cfg.epochs, cfg.batch_size, cfg.seed)
        secs = time.perf_counter() - t0
        return ScratchRun(net.accuracy(params, Xte, yte, cfg.activation),
                          net.accuracy(params, Xtr, ytr, cfg.activation), secs, losses, params)


def engine_config(cfg: ScratchConfig):
    """The same network as a TrainConfig for NN Lab's engine (PyTorch)."""
    from core.engine import TrainConfig

    return TrainConfig(hidden=cfg.hidden, activation=cfg.activation, init="he", loss="ce", optimizer="sgd",
                       lr=cfg.lr, batch_size=cfg.batch_size, epochs=cfg.epochs, seed=cfg.seed)


def run_torch(cfg: ScratchConfig) -> ScratchRun:
    """The same network trained by the engine (evaluated once, after the last epoch)."""
    from core.engine import fit

    Xtr, ytr, Xte, yte = datasets.digits_arrays()
    data = datasets.make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=CLASSES)
    (r,) = fit([engine_config(cfg)], data, eval_every=cfg.epochs)
    return ScratchRun(r.metrics["final_test_acc"], r.metrics["final_train_acc"], r.seconds,
                      [float(v) for v in r.history["train_loss"]])


# ---- the gradient check -------------------------------------------------------------------------------
def autograd_grads(params: list, X: np.ndarray, y: np.ndarray, act: str) -> tuple[float, list]:
    """The loss and every (dL/dW, dL/db) from torch autograd in float64, on the same weights."""
    import torch

    fns = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    tp = [(torch.tensor(W, dtype=torch.float64, requires_grad=True),
           torch.tensor(b, dtype=torch.float64, requires_grad=True)) for W, b in params]
    a = torch.tensor(X, dtype=torch.float64)
    for i, (W, b) in enumerate(tp):
        a = a @ W + b
        if i < len(tp) - 1:
            a = fns[act](a)
    loss = torch.nn.functional.cross_entropy(a, torch.as_tensor(y, dtype=torch.long))
    loss.backward()
    return float(loss.detach()), [(W.grad.numpy(), b.grad.numpy()) for W, b in tp]


def rel_error(mine: np.ndarray, ref: np.ndarray) -> float:
    """max |mine - ref| over max |ref| (0 when both are all zero): the array's relative error."""
    scale = float(np.max(np.abs(ref)))
    diff = float(np.max(np.abs(mine - ref)))
    return diff / scale if scale > 0 else diff


def gradient_check(cfg: ScratchConfig, params: list | None = None) -> pd.DataFrame:
    """Hand-written gradients against autograd on the first CHECK_ROWS training rows, at ``params`` (default:
    the seeded first weights). One row per array: layer, array, shape, largest |gradient|, largest
    |difference|, relative error; and a first row for the loss itself."""
    Xtr, ytr, _, _ = data64()
    X, y = Xtr[:CHECK_ROWS], ytr[:CHECK_ROWS]
    params = net.init(cfg.sizes, cfg.seed) if params is None else params
    logits, cache = net.forward(params, X, cfg.activation)
    mine = net.backward(params, cache, logits, y, cfg.activation)
    loss, ref = autograd_grads(params, X, y, cfg.activation)
    own_loss = net.cross_entropy(logits, y)
    rows = [{"layer": "", "array": "loss", "shape": "", "largest |value|": abs(loss),
             "largest |difference|": abs(own_loss - loss), "relative error": abs(own_loss - loss) / abs(loss)}]
    for i, ((dW, db), (rW, rb)) in enumerate(zip(mine, ref)):
        for name, m, r in ((f"W{i + 1}", dW, rW), (f"b{i + 1}", db, rb)):
            rows.append({"layer": str(i + 1), "array": f"dL/d{name}", "shape": " x ".join(map(str, m.shape)),
                         "largest |value|": float(np.max(np.abs(r))),
                         "largest |difference|": float(np.max(np.abs(m - r))), "relative error": rel_error(m, r)})
    return pd.DataFrame(rows)


@dataclass
class Comparison:
    """The default view's numbers: the NumPy run, the engine's run, the gradient checks at the first and
    the trained weights."""

    cfg: ScratchConfig
    numpy: ScratchRun
    torch: ScratchRun
    check_start: pd.DataFrame
    check_end: pd.DataFrame

    @property
    def max_rel_error(self) -> float:
        return float(max(self.check_start["relative error"].max(), self.check_end["relative error"].max()))


def compare(cfg: ScratchConfig) -> Comparison:
    """Train both, check the gradients at the first and at the trained weights."""
    mine = run_numpy(cfg)
    twin = run_torch(cfg)
    return Comparison(cfg, mine, twin, gradient_check(cfg), gradient_check(cfg, mine.params))


def loss_frame(c: Comparison) -> pd.DataFrame:
    """Long frame for the loss chart: epoch, loss, network ('NumPy' / 'PyTorch (engine)')."""
    parts = [pd.DataFrame({"epoch": np.arange(1, len(r.losses) + 1), "loss": r.losses, "network": name})
             for name, r in (("NumPy (from scratch)", c.numpy), ("PyTorch (NN Lab engine)", c.torch))]
    return pd.concat(parts, ignore_index=True)


# ---- the script to download ---------------------------------------------------------------------------
MAIN = '''

if __name__ == "__main__":
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    # the tutorial's split: 80/20, random_state 42, pixels scaled to [0, 1]
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32).astype(np.float64)
    X_train, X_test, y_train, y_test = train_test_split(X, digits.target, test_size=0.2, random_state=42)
    SIZES = {sizes}  # 64 inputs, the hidden layers, 10 classes
    ACT, LR, EPOCHS, BATCH, SEED = {act!r}, {lr!r}, {epochs}, {batch}, {seed}
    params, losses = train(X_train, y_train, SIZES, ACT, LR, EPOCHS, BATCH, SEED)
    for epoch in range(0, EPOCHS, max(1, EPOCHS // 10)):
        print(f"epoch {{epoch + 1:4d}}  loss {{losses[epoch]:.4f}}")
    print(f"train accuracy: {{accuracy(params, X_train, y_train, ACT):.4f}}")
    print(f"test accuracy: {{accuracy(params, X_test, y_test, ACT):.4f}}")
'''


def script(cfg: ScratchConfig) -> str:
    """A self-contained Python script (NumPy and scikit-learn only) that trains this network and prints its
    test accuracy: :mod:`core.scratch.net` as it is, then a main block with these settings."""
    head = (f'"""NN Lab: a {"-".join(map(str, cfg.sizes))} {cfg.activation} network from scratch in NumPy on '
            "scikit-learn's 8x8 digits.\n\nRun: python this_file.py  (needs numpy and scikit-learn)\n\"\"\"\n\n")
    body = inspect.getsource(net).split('"""', 2)[2].lstrip("\n")  # the module without its docstring
    return head + body + MAIN.format(sizes=cfg.sizes, act=cfg.activation, lr=cfg.lr, epochs=cfg.epochs,
                                     batch=cfg.batch_size, seed=cfg.seed)
