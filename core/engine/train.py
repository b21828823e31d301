"""One training loop for every torch MLP, training K models at once as stacked matrix products.

A :class:`Trainer` holds K models of one shape (same layer widths, batch size and loss) that may
differ in seed, activation, initialisation, learning rate, regularisation, dropout, epochs and
patience. Their weights live in one flat tensor [K, P]; each layer is a view [K, out, in] of it and
the forward pass is a batched matmul (``torch.baddbmm``). Model k starts from the weights
``build_mlp(..., seed=cfg.seed)`` makes and shuffles with its own generator, so it ends where
training it alone (K = 1) ends. ``fit([cfg], data)`` is that single run.
"""

from __future__ import annotations

import dataclasses
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from core.config import Config, param
from core.datasets import Dataset
from core.engine import activations
from core.engine.guard import guarded
from core.engine.models import INITS, build_mlp, linear_layers

OPTIMIZERS = ("adam", "sgd", "momentum")
LOSSES = ("auto", "mse", "ce")


@dataclass(frozen=True)
class TrainConfig(Config):
    """How to build and train one MLP. Data settings live in the job configs that extend this."""

    kind: ClassVar[str] = "train"

    hidden: tuple[int, ...] = param((4,), lo=1, hi=4096, length=(0, 20), cap=("width", "layers"),
                                      help="hidden layer widths")
    activation: str = param("relu", choices=activations.HIDDEN)
    init: str = param("default", choices=INITS)
    loss: str = param("auto", choices=LOSSES, help="auto: cross-entropy for classes, MSE for regression")
    optimizer: str = param("adam", choices=OPTIMIZERS)
    lr: float = param(0.01, lo=1e-6, hi=10.0)
    momentum: float = param(0.9, lo=0.0, hi=0.999)
    batch_size: int = param(0, lo=0, hi=100_000, help="0 means the whole training set")
    epochs: int = param(100, lo=1, hi=100_000, cap="epochs")
    l1: float = param(0.0, lo=0.0, hi=10.0)
    l2: float = param(0.0, lo=0.0, hi=10.0)
    dropout: float = param(0.0, lo=0.0, hi=0.9)
    patience: int = param(0, lo=0, hi=10_000, help="early stopping; 0 means off")
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def as_train(self, **changes: Any) -> TrainConfig:
        """Just the TrainConfig part of a job config (which may extend this class), with changes."""
        names = [f.name for f in dataclasses.fields(TrainConfig)]
        return TrainConfig(**{**{n: getattr(self, n) for n in names}, **changes})


_aten = torch.ops.aten
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805
# torch's own kernels for each hidden activation (what autograd calls), writing into preallocated
# buffers so the training step reuses its memory: z -> out = f(z), and g, z (pre-activation),
# a (activation) -> out = dL/dz. Softsign is composite in torch (z / (1 + |z|)): the same ops here.
_FORWARD_INTO: dict[str, Callable[[torch.Tensor, torch.Tensor], Any]] = {
    "identity": lambda z, out: out.copy_(z),
    "sigmoid": lambda z, out: torch.sigmoid(z, out=out),
    "tanh": lambda z, out: torch.tanh(z, out=out),
    "relu": lambda z, out: torch.clamp_min(z, 0.0, out=out),  # what torch.relu computes
    "leaky_relu": lambda z, out: _aten.leaky_relu.out(z, 0.01, out=out),
    "elu": lambda z, out: _aten.elu.out(z, 1.0, 1, 1, out=out),
    "selu": lambda z, out: _aten.elu.out(z, _SELU_ALPHA, _SELU_SCALE, 1, out=out),  # what torch.selu computes
    "gelu": lambda z, out: _aten.gelu.out(z, out=out),
    "silu": lambda z, out: _aten.silu.out(z, out=out),
    "mish": lambda z, out: _aten.mish.out(z, out=out),
    "softplus": lambda z, out: _aten.softplus.out(z, 1.0, 20.0, out=out),
    "hard_sigmoid": lambda z, out: _aten.hardsigmoid.out(z, out=out),
    "hard_tanh": lambda z, out: _aten.hardtanh.out(z, -1.0, 1.0, out=out),
    "softsign": lambda z, out: torch.div(z, torch.abs(z, out=out).add_(1.0), out=out),
}
_BACKWARD_INTO: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], Any]] = {
    "identity": lambda g, z, a, out: out.copy_(g),
    "sigmoid": lambda g, z, a, out: _aten.sigmoid_backward.grad_input(g, a, grad_input=out),
    "tanh": lambda g, z, a, out: _aten.tanh_backward.grad_input(g, a, grad_input=out),
    "relu": lambda g, z, a, out: _aten.threshold_backward.grad_input(g, a, 0, grad_input=out),
    "leaky_relu": lambda g, z, a, out: _aten.leaky_relu_backward.grad_input(g, z, 0.01, False, grad_input=out),
    "elu": lambda g, z, a, out: _aten.elu_backward.grad_input(g, 1.0, 1, 1, False, z, grad_input=out),
    "selu": lambda g, z, a, out: _aten.elu_backward.grad_input(g, _SELU_ALPHA, _SELU_SCALE, 1, False, z,
                                                               grad_input=out),
    "gelu": lambda g, z, a, out: _aten.gelu_backward.grad_input(g, z, grad_input=out),
    "silu": lambda g, z, a, out: _aten.silu_backward.grad_input(g, z, grad_input=out),
    "mish": lambda g, z, a, out: out.copy_(_aten.mish_backward(g, z)),  # no out= variant
    "softplus": lambda g, z, a, out: _aten.softplus_backward.grad_input(g, z, 1.0, 20.0, grad_input=out),
    "hard_sigmoid": lambda g, z, a, out: _aten.hardsigmoid_backward.grad_input(g, z, grad_input=out),
    "hard_tanh": lambda g, z, a, out: _aten.hardtanh_backward.grad_input(g, z, -1.0, 1.0, grad_input=out),
    "softsign": lambda g, z, a, out: torch.div(g, torch.abs(z, out=out).add_(1.0).square_(), out=out),
}
assert set(_FORWARD_INTO) == set(_BACKWARD_INTO)
_FROM_OUTPUT = {"identity", "sigmoid", "tanh", "relu"}  # backward reads the output a, never z

EVAL_ROWS = 2048  # per-epoch train metrics use at most this many training rows (a fixed, seeded sample)
SMALL_STEP_FLOPS = 2e7  # below this per training step, train on one thread
HELPER_FLOPS = 3e8  # evaluation work (matmul FLOPs) below which a helper thread costs more than it saves (see _loop)
HELPER_DRAWS = 10_000  # dropout draws per step (about 40 us) below which drawing ahead does not pay
CHUNK_DRAWS = 1 << 20  # dropout draws made at once (4 MB): masks for this many steps come from one call per model
_ACTIVE = [0]  # trainings running in this process now
_ACTIVE_LOCK = threading.Lock()


def _machine_busy() -> bool:
    """Another training runs in this process, or more tasks want the CPU than it has cores (1-minute load)."""
    if _ACTIVE[0] > 0:
        return True
    try:
        return os.getloadavg()[0] > (os.cpu_count() or 1)
    except OSError:
        return False

# fields that may differ between the models of one stack
PER_MODEL = ("seed", "activation", "init", "lr", "momentum", "l1", "l2", "dropout", "epochs", "patience")


@dataclass
class TrainResult:
    """One trained model: its config, history, final metrics and weights.

    history has one row per evaluated epoch: epoch, train_loss (mean over the epoch's batches), and
    where evaluated: train_eval_loss, test_loss, train_acc, test_acc (classification), val_loss, val_acc.
    Per-epoch train_eval_loss / train_acc use at most EVAL_ROWS training rows (a fixed seeded sample
    when there are more: a full pass over MNIST's 60,000 rows each epoch would cost a third of the
    epoch); metrics' final_train_* use every row.
    state is an nn.Sequential state dict ("0.weight": [out, in], ...).
    """

    config: TrainConfig
    history: pd.DataFrame
    metrics: dict[str, float]
    state: dict[str, torch.Tensor]
    n_in: int
    n_out: int
    stopped_epoch: int
    best_epoch: int
    diverged: bool = False
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def model(self) -> torch.nn.Sequential:
        """The trained network as an nn.Sequential in eval mode (dropout off)."""
        c = self.config
        net = build_mlp(self.n_in, c.hidden, self.n_out, c.activation, "default", c.dropout)
        net.load_state_dict(self.state)
        return net.eval()


class _Workspace:
    """Preallocated buffers for one training step of a stack on batches of B rows.

    The step writes every large tensor in place (``out=`` kernels), so it allocates almost nothing,
    and each activation group of the stack works on fixed views of these buffers instead of slicing
    and concatenating every step. Shapes: x [K, B, F] (None when the models share their input
    [B, F]), y [K, B]; per layer z, dz [K, B, out]; per hidden layer a, h, da [K, B, H].
    """

    def __init__(self, tr: Trainer, B: int, shared_input: bool) -> None:
        K = tr.K
        self.x = None if shared_input else torch.empty(K, B, tr.n_in)
        self.y = torch.empty(K, B, dtype=tr.data.y_train.dtype)
        self.z = [torch.empty(K, B, o) for o, _ in tr.shapes]  # pre-activations; logits last
        self.dz = [torch.empty(K, B, o) for o, _ in tr.shapes]
        hidden = tr.hidden_widths
        # activations whose derivative needs only their output may overwrite their input (one buffer less)
        in_place = all(c.activation in _FROM_OUTPUT for c in tr.configs)
        self.a = self.z[:-1] if in_place else [torch.empty(K, B, H) for H in hidden]
        self.da = [torch.empty(K, B, H) for H in hidden]
        self.h = [torch.empty(K, B, H) for H in hidden] if tr.use_dropout else self.a  # next layer's input
        self.shared = torch.empty(B, K * tr.shapes[0][0]) if shared_input else None  # first layer's one GEMM
        self.minus_one = torch.full((K, B, 1), -1.0)
        self.target = self.y.unsqueeze(-1)  # class ids as gather/scatter indices [K, B, 1]
        self.dzT = [dz.transpose(1, 2) for dz in self.dz]
        # each activation group's kernels on its views (the autograd path only uses x and y)
        groups = [(lo, hi, tr.configs[lo].activation) for lo, hi, _ in tr.act_groups] if tr.fast else []
        self.fwd = [[(_FORWARD_INTO[n], z[lo:hi], a[lo:hi]) for lo, hi, n in groups]
                    for z, a in zip(self.z, self.a)]
        self.bwd = [[(_BACKWARD_INTO[n], da[lo:hi], z[lo:hi], a[lo:hi], dz[lo:hi]) for lo, hi, n in groups]
                    for da, z, a, dz in zip(self.da, self.z, self.a, self.dz)]


class _DrawAhead:
    """Draws a run's random numbers on a helper thread, ahead of the training loop.

    Dropout masks cost as much as a small model's matrix products (torch's CPU generator is serial),
    and nothing else in a step depends on them, so a second core can draw them meanwhile. The
    helper yields exactly what :meth:`Trainer._draws` gives the loop without it, epoch after epoch,
    so a run gives the same numbers with or without it. The loop must take every item in order.
    """

    def __init__(self, tr: Trainer, epochs: int, N: int, B: int) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=3)
        self._stop = threading.Event()

        def draw() -> None:
            try:
                for _ in range(epochs):
                    for item in tr._draws(N, B, shuffle=True):
                        self._put(item)
            except _Stopped:
                pass
            except BaseException as e:  # handed to the loop, raised there
                self._q.put(e)

        self._thread = threading.Thread(target=draw, name="nnlab-draw-ahead", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def next(self) -> Any:
        item = self._q.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop drawing (the loop ended, maybe early) and wait for the helper."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._q.get_nowait()
            except queue.Empty:
                self._thread.join(0.05)


class _Stopped(Exception):
    pass


ProgressFn = Callable[[int, int, "Trainer"], None]


class Trainer:
    """Train a stack of K compatible MLPs together; resumable (``run`` continues where it stopped)."""

    def __init__(self, configs: Sequence[TrainConfig], data: Dataset) -> None:
        if not configs:
            raise ValueError("no models to train")
        base = configs[0]
        for c in configs[1:]:
            for f in (f.name for f in dataclasses.fields(TrainConfig)):
                if f not in PER_MODEL and getattr(c, f) != getattr(base, f):
                    raise ValueError(f"models of one stack must share {f!r}")
        self.configs = list(configs)
        self.data = data
        self.K = K = len(configs)
        self.task = data.task
        self.loss_kind = base.loss if base.loss != "auto" else ("mse" if data.task == "regression" else "ce")
        if data.task == "regression" and self.loss_kind == "ce":
            raise ValueError("cross-entropy needs classes; use mse for regression")
        self.n_in, self.n_out = data.n_features, data.n_outputs
        widths = [self.n_in, *base.hidden, self.n_out]
        self.shapes = [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
        self.hidden_widths = list(base.hidden)  # [H] per hidden layer

        # initial weights: exactly what build_mlp gives each seed
        rows = []
        for c in configs:
            net = build_mlp(self.n_in, c.hidden, self.n_out, c.activation, c.init, seed=c.seed)
            rows.append(torch.cat([t.detach().reshape(-1) for lin in linear_layers(net)
                                   for t in (lin.weight, lin.bias)]))
        self.P = int(rows[0].numel())
        # parameter blocks, each contiguous over all K models: W_l [K, out, in], b_l [K, 1, out]
        self.blocks: list[tuple[int, tuple[int, int, int]]] = []
        off = 0
        for o, i in self.shapes:
            for shape in ((K, o, i), (K, 1, o)):
                self.blocks.append((off, shape))
                off += shape[0] * shape[1] * shape[2]
        self.flat = self.from_rows(torch.stack(rows))  # [K * P], block layout
        self.gens = [torch.Generator().manual_seed(c.seed) for c in configs]

        col = lambda name: torch.tensor([float(getattr(c, name)) for c in configs])  # noqa: E731
        self.lr, self.mom = col("lr"), col("momentum")
        self.l1, self.l2 = col("l1"), col("l2")
        self.grad = torch.zeros_like(self.flat)
        self.flat_layers, self.grad_layers = self.layers(self.flat), self.layers(self.grad)  # updated in place
        self.flat_Wt = [W.transpose(1, 2) for W, _ in self.flat_layers]  # [K, in, out] views
        self.fast = self.loss_kind in ("ce", "mse") and not (self.loss_kind == "mse" and data.task == "multiclass") \
            and all(c.activation in _BACKWARD_INTO for c in configs)
        self._workspaces: dict[tuple[int, bool], _Workspace] = {}
        # a spare core draws dropout masks ahead and evaluates each epoch while the next one trains
        self.helpers = True
        self._spare_core = False
        self._evaluator: ThreadPoolExecutor | None = None
        self.cancelled = False  # set from another thread: stop after the current epoch
        self._pending: tuple | None = None
        self.train_eval_rows = min(len(data.X_train), EVAL_ROWS)
        if len(data.X_train) > EVAL_ROWS:
            pick = torch.randperm(len(data.X_train), generator=torch.Generator().manual_seed(0))[:EVAL_ROWS]
            pick = pick.sort().values
            self._train_eval = (data.X_train[pick], data.y_train[pick])
        else:
            self._train_eval = (data.X_train, data.y_train)
        self.use_l1, self.use_l2 = bool(self.l1.any()), bool(self.l2.any())
        self.drop = [c.dropout for c in configs]
        self.use_dropout = any(p > 0 for p in self.drop) and len(self.shapes) > 1  # on hidden layers only
        self.max_epochs = torch.tensor([c.epochs for c in configs])
        self.end_epochs = {c.epochs for c in configs}
        self.patience = [c.patience for c in configs]
        self.optimizer = base.optimizer
        self.batch_size = base.batch_size
        # contiguous groups of one activation (in config order) so each is one call on a view
        self.act_groups = [(lo, hi, activations.get(configs[lo].activation)) for lo, hi in _activation_runs(configs)]

        self._lr_active: torch.Tensor | None = None  # per-element lr, zero for stopped models
        self._lr_uniform: float | None = None  # the one lr when every model is active and shares it
        self._adam_step = torch.zeros(())
        self.m = torch.zeros_like(self.flat)  # Adam first moment, or momentum buffer
        self.v = torch.zeros_like(self.flat)  # Adam second moment
        self.step_count = 0
        self.epoch = 0
        self.active = torch.ones(K, dtype=torch.bool)
        self.diverged = torch.zeros(K, dtype=torch.bool)
        self.stopped_t = torch.zeros(K, dtype=torch.long)
        self.best_loss = torch.full((K,), math.inf)
        self.best_epoch_t = torch.zeros(K, dtype=torch.long)
        self.patience_t = torch.tensor(self.patience)
        self.watch_val = any(self.patience)
        self.best_flat = self.flat.clone() if self.watch_val else None  # block layout, like flat
        self.since_best = torch.zeros(K, dtype=torch.long)
        self.rows: list[dict[str, Any]] = []
        self.seconds = 0.0

    # ---- the model --------------------------------------------------------------------------
    def layers(self, flat: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Views of a block-layout flat [K * P] as (W [K, out, in], b [K, 1, out]) per layer."""
        views = [flat[off:off + s[0] * s[1] * s[2]].view(s) for off, s in self.blocks]
        return list(zip(views[0::2], views[1::2]))

    def rows(self, flat: torch.Tensor) -> torch.Tensor:
        """Block layout [K * P] -> one row of parameters per model [K, P] (nn.Linear order)."""
        return torch.cat([flat[off:off + s[0] * s[1] * s[2]].view(self.K, -1) for off, s in self.blocks], 1)

    def from_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """[K, P] rows (weight, bias per layer, nn.Linear order) -> block layout [K * P]."""
        parts, col = [], 0
        for _, s in self.blocks:
            n = s[1] * s[2]
            parts.append(rows[:, col:col + n].reshape(-1))
            col += n
        return torch.cat(parts).contiguous()

    def select(self, flat: torch.Tensor, mask: torch.Tensor, source: torch.Tensor | float) -> None:
        """In place: models where mask [K] is true take their parameters from source (or a number)."""
        for off, s in self.blocks:
            v = flat[off:off + s[0] * s[1] * s[2]].view(s)
            v[mask] = source if isinstance(source, float) else source[off:off + s[0] * s[1] * s[2]].view(s)[mask]

    def _act(self, z: torch.Tensor) -> torch.Tensor:
        if len(self.act_groups) == 1:
            return self.act_groups[0][2](z)
        return torch.cat([fn(z[a:b]) for a, b, fn in self.act_groups])

    def forward(self, x: torch.Tensor, flat: torch.Tensor | None = None, train: bool = False,
                capture: list | None = None, masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Logits of every model: x [K, B, F] (or [B, F], shared) -> [K, B, n_out].

        capture, if given, receives each hidden layer's (pre-activation, activation) [K, B, H].
        train applies dropout: masks per hidden layer [K, B, H] if given, else drawn now.
        """
        layers = self.flat_layers if flat is None or flat is self.flat else self.layers(flat)
        if self.K == 1 and x.dim() == 2:  # one model on 2-D input: plain GEMMs with their bias
            h = x
            for li, (W, b) in enumerate(layers):
                z = torch.addmm(b[0], h, W[0].t())
                if li == len(layers) - 1:
                    return z.unsqueeze(0)
                a = self._act(z)
                if capture is not None:
                    capture.append((z.detach().unsqueeze(0), a.detach().unsqueeze(0)))
                if train and self.use_dropout:
                    a = a * (self._dropout_mask((1, *a.shape)) if masks is None else masks[li])[0]
                h = a
        h = x
        for li, (W, b) in enumerate(layers):
            if h.dim() == 2:  # shared input [B, F]: one GEMM for all K models
                z = torch.mm(h, W.reshape(-1, W.shape[2]).t()).view(h.shape[0], len(W), -1).transpose(0, 1) + b
            else:
                z = torch.baddbmm(b, h, W.transpose(1, 2))
            if li == len(layers) - 1:
                return z
            a = self._act(z)
            if capture is not None:
                capture.append((z.detach(), a.detach()))
            if train and self.use_dropout:
                a = a * (self._dropout_mask(a.shape) if masks is None else masks[li])
            h = a
        raise AssertionError("unreachable")

    def _dropout_mask(self, shape: torch.Size) -> torch.Tensor:
        masks = torch.ones(shape)
        self._fill_dropout(masks)
        return masks

    def _fill_dropout(self, masks: torch.Tensor) -> None:
        """Fresh dropout masks [K, B, H] in place (kept units 1 / (1 - p), dropped 0); p = 0 rows untouched."""
        for k, (g, p) in enumerate(zip(self.gens, self.drop)):
            if p > 0:
                m = masks[k]
                torch.rand(m.shape, generator=g, out=m)
                m.ge_(p).div_(1 - p)

    def _draws(self, N: int, B: int, shuffle: bool) -> Iterator[Any]:
        """One epoch's random numbers in the order the loop takes them.

        First each model's order of the N rows [K, N] (when shuffling), then the dropout masks in
        chunks of steps: per chunk (masks [K, rows * sum(H)], the chunk's batch sizes), read step by
        step by :meth:`_step_masks`. A model's masks for a whole chunk are one draw from its
        generator, laid out step by step and layer by layer, which gives the same numbers as one draw
        per step and layer (torch's CPU generator is serial) in a few calls instead of a few per step.
        """
        if shuffle:
            yield torch.stack([torch.randperm(N, generator=g) for g in self.gens])
        if not self.use_dropout:
            return
        sizes = [min(B, N - s) for s in range(0, N, B)]
        per_row = sum(self.hidden_widths)
        steps = max(1, CHUNK_DRAWS // (self.K * B * per_row))
        for c in range(0, len(sizes), steps):
            chunk = sizes[c:c + steps]
            yield self._dropout_mask((self.K, sum(chunk) * per_row)), chunk

    def _step_masks(self, take: Callable[[], Any]) -> Iterator[list[torch.Tensor]]:
        """Each step's dropout masks per hidden layer [K, b, H]: views of the chunks take() gives.

        The views are made here, on the training thread: a helper thread making them would take
        the GIL once per view, and every hand-over of the GIL stalls the training loop.
        """
        while True:
            buf, sizes = take()
            off = 0
            for b in sizes:
                masks = []
                for H in self.hidden_widths:
                    masks.append(buf[:, off:off + b * H].view(self.K, b, H))
                    off += b * H
                yield masks

    def loss_per_model(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean loss of each model: logits [K, B, n_out], y [K, B] or [B] -> [K]."""
        K, B = logits.shape[0], logits.shape[1]
        if y.dim() == 1:
            y = y.expand(K, B)
        if self.task == "multiclass":
            if self.loss_kind == "ce":
                return F.cross_entropy(logits.reshape(K * B, -1), y.reshape(-1), reduction="none").view(K, B).mean(1)
            onehot = F.one_hot(y, self.n_out).float()
            return ((torch.softmax(logits, -1) - onehot) ** 2).sum(-1).mean(1)
        z = logits.squeeze(-1)
        if self.task == "binary":
            if self.loss_kind == "ce":
                return F.binary_cross_entropy_with_logits(z, y, reduction="none").mean(1)
            return ((torch.sigmoid(z) - y) ** 2).mean(1)
        return ((z - y) ** 2).mean(1)

    def _penalty(self, flat: torch.Tensor) -> torch.Tensor:
        pen = torch.zeros(self.K)
        for W, _ in self.layers(flat):
            if self.use_l1:
                pen = pen + self.l1 * W.abs().sum((1, 2))
            if self.use_l2:
                pen = pen + self.l2 * (W * W).sum((1, 2))
        return pen

    def _autograd_grad(self, xb: torch.Tensor, yb: torch.Tensor,
                       masks: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-model losses [K] and the gradient of their sum [K * P], through autograd.

        masks: this step's dropout masks per hidden layer [K, B, H] (default: drawn now)."""
        flat = self.flat.detach().requires_grad_(True)
        losses = self.loss_per_model(self.forward(xb, flat, train=True, masks=masks), yb)
        objective = losses + self._penalty(flat) if (self.use_l1 or self.use_l2) else losses
        (grad,) = torch.autograd.grad(objective.sum(), flat)
        return losses.detach(), grad

    def _work(self, B: int, shared_input: bool) -> _Workspace:
        key = (B, shared_input)
        if key not in self._workspaces:
            self._workspaces[key] = _Workspace(self, B, shared_input)
        return self._workspaces[key]

    def _manual_grad(self, xb: torch.Tensor, yb: torch.Tensor, masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Backprop by the chain rule with torch's own derivative kernels, written into self.grad.

        xb [K, B, F] (or [B, F] shared by all models), yb [K, B] (or [B]). Same numbers as
        :meth:`_autograd_grad` (a test checks it) without the autograd engine's per-step overhead,
        which dominates for small networks; every large tensor lives in a reused :class:`_Workspace`.
        masks: this step's dropout masks per hidden layer [K, B, H] (the loop's; default: drawn now).
        Returns per-model losses [K].
        """
        layers, grads = self.flat_layers, self.grad_layers
        K, L = self.K, len(layers)
        B = xb.shape[-2]
        w = self._work(B, xb.dim() == 2)
        if self.use_dropout and masks is None:
            masks = [self._dropout_mask((K, B, H)) for H in self.hidden_widths]
        h = xb
        for li, (W, b) in enumerate(layers):
            z = w.z[li]
            if h.dim() == 2:  # shared input [B, F]: one GEMM for all K models
                tmp = torch.mm(h, W.reshape(-1, W.shape[2]).t(), out=w.shared)
                torch.add(tmp.view(B, K, -1).transpose(0, 1), b, out=z)
            else:
                torch.baddbmm(b, h, self.flat_Wt[li], out=z)
            if li == L - 1:
                break
            for fn, zv, av in w.fwd[li]:
                fn(zv, av)
            if masks is not None:
                torch.mul(w.a[li], masks[li], out=w.h[li])
            h = w.h[li]
        y = yb.expand(K, B) if yb.dim() == 1 else yb
        # loss and dL/dz of the output layer, per model (mean over the batch)
        if self.task == "multiclass":
            logp = torch.log_softmax(z, -1, out=w.dz[-1])
            target = w.target if y is w.y else y.unsqueeze(-1)
            losses = logp.gather(-1, target).sum((1, 2)).div_(-B)
            dz = logp.exp_()
            dz.scatter_add_(-1, target, w.minus_one)
            dz.div_(B)
        else:
            zz = z.squeeze(-1)
            if self.task == "binary" and self.loss_kind == "ce":
                losses = F.binary_cross_entropy_with_logits(zz, y, reduction="none").mean(1)
                dz = torch.sigmoid(zz).sub_(y).div_(B)
            elif self.task == "binary":
                p = torch.sigmoid(zz)
                diff = p - y
                losses = (diff * diff).mean(1)
                dz = torch.ops.aten.sigmoid_backward(diff.mul_(2.0 / B), p)
            else:
                diff = zz - y
                losses = (diff * diff).mean(1)
                dz = diff.mul_(2.0 / B)
            dz = dz.unsqueeze(-1)
        for li in range(L - 1, -1, -1):
            W, _ = layers[li]
            gW, gb = grads[li]
            h = xb if li == 0 else w.h[li - 1]
            if h.dim() == 2:  # shared input [B, F]: one GEMM for all K models
                torch.mm(dz.transpose(0, 1).reshape(B, -1).t(), h, out=gW.view(-1, gW.shape[2]))
            else:
                torch.bmm(w.dzT[li] if dz is w.dz[li] else dz.transpose(1, 2), h, out=gW)
            torch.sum(dz, 1, keepdim=True, out=gb)
            if li == 0:
                break
            da = torch.bmm(dz, W, out=w.da[li - 1])
            if masks is not None:
                da.mul_(masks[li - 1])
            for fn, g, zv, av, out in w.bwd[li - 1]:
                fn(g, zv, av, out)
            dz = w.dz[li - 1]
        if self.use_l1 or self.use_l2:
            for (W, _), (gW, _) in zip(layers, grads):
                if self.use_l1:
                    gW.addcmul_(self.l1.view(K, 1, 1), W.sign())
                if self.use_l2:
                    gW.addcmul_(self.l2.view(K, 1, 1), W, value=2.0)
        return losses

    def accuracy(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Fraction right per model: [K, B, n_out], [B] -> [K]."""
        if self.task == "multiclass":
            return (logits.argmax(-1) == y).float().mean(1)
        return ((logits.squeeze(-1) > 0).float() == y).float().mean(1)

    # ---- the loop ---------------------------------------------------------------------------
    def per_element(self, v: torch.Tensor) -> torch.Tensor:
        """A per-model value [K] spread over that model's parameters in block layout: [K * P]."""
        return torch.cat([v.view(-1, 1, 1).expand(s).reshape(-1) for _, s in self.blocks])

    def _update(self, grad: torch.Tensor) -> None:
        """One optimiser step on every active model: torch.optim's Adam / SGD (momentum) rules."""
        self.step_count += 1
        if self._lr_active is None:
            self._lr_active = self.per_element(torch.where(self.active, self.lr, 0.0))
            same = bool(self.active.all()) and bool((self.lr == self.lr[0]).all())
            self._lr_uniform = float(self.lr[0]) if same else None
        lr = self._lr_active
        if self.optimizer == "adam" and self._lr_uniform is not None:
            # every model active with one learning rate: torch's fused CPU Adam kernel, one call
            self._adam_step.fill_(self.step_count)
            torch._fused_adam_([self.flat], [grad], [self.m], [self.v], [], [self._adam_step],
                               lr=self._lr_uniform, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8,
                               amsgrad=False, maximize=False)
        elif self.optimizer == "adam":
            b1, b2, eps = 0.9, 0.999, 1e-8
            self.m.lerp_(grad, 1 - b1)
            self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
            bc1 = 1 - b1 ** self.step_count
            bc2 = 1 - b2 ** self.step_count
            denom = (self.v.sqrt() / math.sqrt(bc2)).add_(eps)
            self.flat.addcdiv_(self.m * lr, denom, value=-1 / bc1)
        elif self.optimizer == "momentum":
            if self.step_count == 1:
                self.m.copy_(grad)
                self._mom = self.per_element(self.mom)
            else:
                self.m.mul_(self._mom).add_(grad)
            self.flat.addcmul_(lr, self.m, value=-1)
        else:
            self.flat.addcmul_(lr, grad, value=-1)

    def _evaluate(self, flat: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Per-epoch metrics of the weights flat (default: the live ones): name -> [K]. Thread-safe."""
        d = self.data
        out: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for name, X, y in (("train_eval", *self._train_eval), ("test", d.X_test, d.y_test),
                               ("val", d.X_val, d.y_val)):
                if X is None or len(X) == 0:
                    continue
                acc_name = f"{name.replace('_eval', '')}_acc"
                if name == "test" and X is d.X_train:  # no separate test set: same numbers
                    out["test_loss"] = out["train_eval_loss"]
                    if "train_acc" in out:
                        out["test_acc"] = out["train_acc"]
                    continue
                logits = self.forward(X, flat)
                out[f"{name}_loss"] = self.loss_per_model(logits, y)
                if self.task != "regression":
                    out[acc_name] = self.accuracy(logits, y)
        return out

    def evaluate(self) -> dict[str, np.ndarray]:
        """Loss (and accuracy) of every model now on train/test(/val): name -> [K]."""
        return {k: v.numpy() for k, v in self._evaluate().items()}

    def run(self, epochs: int | None = None, progress: ProgressFn | None = None,
            eval_every: int | None = None, report_seconds: float = 0.25) -> None:
        """Train ``epochs`` more epochs (default: up to each model's own ``epochs``).

        Evaluates train/test(/val) metrics every ``eval_every`` epochs (default: about 200 points
        over the run, every epoch when early stopping needs it) and on the last epoch. Calls
        ``progress(epoch, total, trainer)`` at most every ``report_seconds`` and at the end.
        """
        with guarded(self.configs):  # hosted mode: the price check and the shared training queue (core.engine.guard)
            self._run(epochs, progress, eval_every, report_seconds)

    def _run(self, epochs: int | None, progress: ProgressFn | None, eval_every: int | None,
             report_seconds: float) -> None:
        t0 = time.perf_counter()
        total = int(self.max_epochs.max())
        target = total if epochs is None else min(total, self.epoch + epochs)
        if eval_every is None:
            eval_every = default_eval_every(self.configs)
        X, y = self.data.X_train, self.data.y_train
        N = len(X)
        B = N if self.batch_size <= 0 else min(self.batch_size, N)
        shuffle = B < N
        last_report = time.perf_counter()
        # Threads. A small step trains on one thread: splitting tiny ops costs more than it saves.
        # A bigger one (the Activation Explorer's 24-model stack, MNIST) uses every thread only when
        # the machine is otherwise idle: under contention (another training in this server, another
        # process) the thread pool's waits cost 6-10x (measured: that 24-model stack 5.9 s on one
        # thread vs 35.8 s on two with the CPU busy; 100 XOR nets 0.4 s vs 4-15 s).
        flops = 6 * self.K * B * sum(o * i for o, i in self.shapes)
        prev_threads = torch.get_num_threads()
        busy = _machine_busy()
        if prev_threads > 1 and (flops < SMALL_STEP_FLOPS or busy):
            torch.set_num_threads(1)
        self._spare_core = (os.cpu_count() or 1) > 1 and not busy
        with _ACTIVE_LOCK:
            _ACTIVE[0] += 1
        try:
            self._loop(target, X, y, N, B, shuffle, eval_every, progress, total, report_seconds, last_report)
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE[0] -= 1
            if torch.get_num_threads() != prev_threads:
                torch.set_num_threads(prev_threads)
        self.seconds += time.perf_counter() - t0
        if progress is not None:
            progress(self.epoch, total, self)

    def _loop(self, target: int, X: torch.Tensor, y: torch.Tensor, N: int, B: int, shuffle: bool,
              eval_every: int, progress: ProgressFn | None, total: int, report_seconds: float,
              last_report: float) -> None:
        F_in = X.shape[1]
        ahead = None
        # helper threads only where their work outweighs what they cost the loop: every torch call a
        # helper makes takes the GIL back, and each such hand-over stalls this thread for tens of
        # microseconds (measured: 2,000 tiny ops/s on a helper made the 8x8 digits step 25-40% slower).
        # So the masks come a chunk at a time, and evaluation (~50 calls) moves only when it is big.
        # (At first the helpers made the XOR Lab's 100 tiny models 40% slower.)
        helpers = self.helpers and self._spare_core
        per_row = sum(o * i for o, i in self.shapes)
        draws = self.K * B * sum(self.hidden_widths)  # dropout draws per step
        if helpers and self.fast and self.use_dropout and shuffle and draws >= HELPER_DRAWS:
            ahead = _DrawAhead(self, target - self.epoch, N, B)
        d = self.data
        eval_rows = self.train_eval_rows + len(d.X_test) + (0 if d.X_val is None else len(d.X_val))
        if helpers and target - self.epoch > 1 and 2 * self.K * eval_rows * per_row >= HELPER_FLOPS:
            self._evaluator = ThreadPoolExecutor(1, thread_name_prefix="nnlab-eval")
        try:
            while self.epoch < target and bool(self.active.any()) and not self.cancelled:
                self.epoch += 1
                take = ahead.next if ahead else self._draws(N, B, shuffle).__next__
                if shuffle:  # each model's own order; batches are [K * b] row ids, model-major
                    order = take()
                    batches = order[0].split(B) if self.K == 1 else [r.reshape(-1) for r in order.split(B, 1)]
                else:
                    batches = [None]
                batch_losses = []
                step_masks = self._step_masks(take) if self.use_dropout else None
                with torch.no_grad():
                    for rows in batches:
                        masks = next(step_masks) if step_masks is not None else None
                        if rows is not None:  # gather this batch's rows into the workspace (cache-sized)
                            w = self._work(len(rows) // self.K, False)
                            assert w.x is not None
                            torch.index_select(X, 0, rows, out=w.x.view(-1, F_in))
                            torch.index_select(y, 0, rows, out=w.y.view(-1))
                            xb, yb = w.x, w.y
                        else:
                            xb, yb = X, y
                        if self.fast:
                            losses = self._manual_grad(xb, yb, masks)
                            grad = self.grad
                        else:
                            with torch.enable_grad():
                                losses, grad = self._autograd_grad(xb, yb, masks)
                        self._update(grad)
                        batch_losses.append(losses)
                epoch_loss = batch_losses[0] if len(batch_losses) == 1 else torch.stack(batch_losses).mean(0)
                self._after_epoch(epoch_loss, eval_every, target)
                if progress is not None and (time.perf_counter() - last_report > report_seconds):
                    last_report = time.perf_counter()
                    progress(self.epoch, total, self)
            self._settle()
        finally:
            if ahead is not None:
                ahead.close()
            if self._evaluator is not None:
                self._evaluator.shutdown(wait=True, cancel_futures=True)
                self._evaluator = None
                self._pending = None

    def _after_epoch(self, epoch_loss: torch.Tensor, eval_every: int, target: int) -> None:
        """Record epoch self.epoch: divergence, its row of metrics, early stopping, models that end.

        With a spare core the evaluation runs on a copy of the weights in a helper thread while the
        next epoch trains; its early-stopping decisions are applied (dated to this epoch) when the
        next epoch ends. A model that should have stopped trains that one epoch for nothing; its
        result is unchanged, since an early-stopped model returns its best weights and rows up to
        its stop. The run's last epoch is evaluated at once.
        """
        self._settle()  # the previous epoch's evaluation first: decisions stay in epoch order
        e = self.epoch
        if not bool(torch.isfinite(epoch_loss).all()):
            newly = ~torch.isfinite(epoch_loss) & self.active
            self.diverged |= newly
            self.select(self.flat, newly, 0.0)  # keep NaN out of later sums; the model is marked diverged
            self._stop(newly, e)
        row: dict[str, Any] = {"epoch": e, "train_loss": epoch_loss}
        ending = e in self.end_epochs
        active = self.active  # who was training at this epoch (before the models that end now stop)
        if ending:
            self._stop(self.active & (self.max_epochs <= e), e)
        if not (e % eval_every == 0 or e == target or self.watch_val or ending):
            self.rows.append(row)
        elif self._evaluator is not None and e != target:
            snapshot = self.flat.clone()
            self._pending = (row, self._evaluator.submit(self._evaluate, snapshot), snapshot, active, e)
        else:
            row.update(self._evaluate())
            self._decide(row, self.flat, active, e)

    def _settle(self) -> None:
        """Apply a pending (helper-thread) evaluation, if any."""
        if self._pending is not None:
            row, future, snapshot, active, e = self._pending
            self._pending = None
            row.update(future.result())
            self._decide(row, snapshot, active, e)

    def _decide(self, row: dict[str, Any], flat: torch.Tensor, active: torch.Tensor, e: int) -> None:
        """Keep epoch e's row; with early stopping, keep each model's best weights and stop the patient-out."""
        self.rows.append(row)
        if not self.watch_val:
            return
        watch = row.get("val_loss", row["train_loss"])
        better = (watch < self.best_loss - 1e-7) & active
        self.best_loss = torch.where(better, watch, self.best_loss)
        self.since_best = torch.where(better, torch.zeros_like(self.since_best), self.since_best + 1)
        assert self.best_flat is not None
        self.select(self.best_flat, better, flat)
        self.best_epoch_t[better] = e
        self._stop(self.active & (self.patience_t > 0) & (self.since_best >= self.patience_t), e)

    def _stop(self, models: torch.Tensor, e: int) -> None:
        """Models [K] (bool) stop training, recorded as stopped at epoch e."""
        if bool(models.any()):
            self.active = self.active & ~models
            self.stopped_t[models] = e
            self._lr_active = None

    # ---- results ----------------------------------------------------------------------------
    def _history_arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """epochs [E], column -> values [E, K] (NaN where not evaluated), rows kept per model [K]."""
        E = len(self.rows)
        epochs = np.array([r["epoch"] for r in self.rows], dtype=np.int64)
        cols = sorted({c for r in self.rows for c in r} - {"epoch"})
        frame = {}
        for c in cols:
            have = [i for i, r in enumerate(self.rows) if c in r]
            if len(have) == E:
                frame[c] = torch.stack([r[c] for r in self.rows]).double().numpy()
            else:
                a = np.full((E, self.K), np.nan)
                if have:
                    a[have] = torch.stack([self.rows[i][c] for i in have]).double().numpy()
                frame[c] = a
        stopped = self.stopped_t.numpy().copy()
        last = epochs[-1] if E else 0
        stopped[stopped == 0] = last
        n_rows = np.searchsorted(epochs, stopped, side="right") if E else np.zeros(self.K, dtype=np.int64)
        return epochs, frame, n_rows

    def history(self, k: int | None = None) -> pd.DataFrame:
        """History as a long frame: model, epoch, train_loss, [train_eval_loss, test_loss, ...].

        Rows after a model stopped are dropped; epochs that were not evaluated have NaN metrics.
        """
        epochs, frame, n_rows = self._history_arrays()
        models = range(self.K) if k is None else [k]
        parts = {"model": np.concatenate([np.full(n_rows[m], m) for m in models]) if len(epochs) else []}
        parts["epoch"] = np.concatenate([epochs[:n_rows[m]] for m in models]) if len(epochs) else []
        for c, a in frame.items():
            parts[c] = np.concatenate([a[:n_rows[m], m] for m in models])
        df = pd.DataFrame(parts)
        return df if k is None else df.drop(columns="model")

    def results(self) -> list[TrainResult]:
        """One :class:`TrainResult` per model, in config order; early-stopped models get their best weights."""
        flat = self.flat.clone()
        best_epoch = self.best_epoch_t.tolist()
        stopped = self.stopped_t.tolist()
        if self.best_flat is not None:
            use_best = (self.patience_t > 0) & (self.best_epoch_t > 0)
            self.select(flat, use_best, self.best_flat)
        epochs, frame, n_rows = self._history_arrays()
        final = self._final_metrics(flat)
        views = self.layers(flat)
        out = []
        for k, c in enumerate(self.configs):
            state: dict[str, torch.Tensor] = {}
            for li, (W, b) in enumerate(views):
                state[f"{self._seq_index(li, k)}.weight"] = W[k].clone()
                state[f"{self._seq_index(li, k)}.bias"] = b[k, 0].clone()
            n = n_rows[k]
            h = pd.DataFrame({"epoch": epochs[:n], **{name: a[:n, k] for name, a in frame.items()}})
            metrics: dict[str, float] = {}
            for name, a in frame.items():
                col = a[:n, k]
                ok = np.flatnonzero(~np.isnan(col))
                if len(ok):
                    metrics[name] = float(col[ok[-1]])
                if self.patience[k] and best_epoch[k] and 0 < best_epoch[k] <= len(epochs):
                    i = int(np.searchsorted(epochs, best_epoch[k]))
                    if i < n and not np.isnan(col[i]):
                        metrics[f"best_{name}"] = float(col[i])
            metrics.update({name: float(v[k]) for name, v in final.items() if np.isfinite(v[k])})
            out.append(TrainResult(
                config=c, history=h, metrics=metrics, state=state, n_in=self.n_in, n_out=self.n_out,
                stopped_epoch=stopped[k] or self.epoch, best_epoch=best_epoch[k] or self.epoch,
                diverged=bool(self.diverged[k]), seconds=self.seconds / self.K,
            ))
        return out

    def _final_metrics(self, flat: torch.Tensor) -> dict[str, np.ndarray]:
        """Loss/accuracy of the returned weights (best ones when early stopping): name -> [K]."""
        d = self.data
        out: dict[str, np.ndarray] = {}
        with torch.no_grad():
            for name, X, y in (("final_train", d.X_train, d.y_train), ("final_test", d.X_test, d.y_test)):
                logits = self.forward(X, flat)
                out[f"{name}_loss"] = self.loss_per_model(logits, y).numpy()
                if self.task != "regression":
                    out[f"{name}_acc"] = self.accuracy(logits, y).numpy()
        return out

    def _seq_index(self, layer: int, k: int) -> int:
        return layer * (3 if self.configs[k].dropout > 0 else 2)

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs of every model on shared inputs: X [N, F] -> probabilities or values [K, N, n_out]."""
        with torch.no_grad():
            logits = self.forward(X)
        if self.task == "multiclass":
            return torch.softmax(logits, -1)
        if self.task == "binary":
            return torch.sigmoid(logits)
        return logits


# rough per-model cost of each activation's forward + backward, relative to the matrix products of a
# model's step (measured on the Activation Explorer's stack): used only to balance shards
_ACT_COST = {"relu": 0.1, "leaky_relu": 0.15, "identity": 0.05, "hard_sigmoid": 0.2, "hard_tanh": 0.15,
             "sigmoid": 0.3, "tanh": 0.5, "silu": 0.5, "selu": 0.8, "elu": 0.8, "mish": 1.2, "gelu": 1.0,
             "softplus": 1.0}


def _activation_runs(configs: Sequence[TrainConfig]) -> list[tuple[int, int]]:
    """(start, end) of each run of consecutive configs with one activation, in order."""
    runs: list[tuple[int, int]] = []
    for k, c in enumerate(configs):
        if runs and configs[runs[-1][0]].activation == c.activation:
            runs[-1] = (runs[-1][0], k + 1)
        else:
            runs.append((k, k + 1))
    return runs


def default_eval_every(configs: Sequence[TrainConfig]) -> int:
    """Evaluate every epoch when early stopping watches it, else about 200 times over the run."""
    return 1 if any(c.patience for c in configs) else max(1, max(c.epochs for c in configs) // 200)


def shard_plan(configs: Sequence[TrainConfig], data: Dataset, cores: int | None = None) -> list[list[int]]:
    """How fit() splits a stack over the CPU's cores: lists of model indices, model 0 in the first.

    One list (no split) unless the machine has idle cores, the stack has several models and each
    part's training step is big enough (SMALL_STEP_FLOPS) to pay for a thread. Parts keep runs of one
    activation together and are balanced by estimated cost. Measured on the Activation Explorer's 24
    models: two parts of 12 on one thread each beat one stack on two threads by 1.3-1.4x, since the
    activations' elementwise kernels (a third of the step) are too small for torch to split.
    """
    K = len(configs)
    if cores is None:
        cores = torch.get_num_threads() if not _machine_busy() else 1
    if K < 2 or cores < 2:
        return [list(range(K))]
    c = configs[0]
    n_rows = len(data.X_train)
    B = n_rows if c.batch_size <= 0 else min(c.batch_size, n_rows)
    widths = [data.n_features, *c.hidden, data.n_outputs]
    per_model = 6 * B * sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    n = min(cores, K, int(K * per_model // SMALL_STEP_FLOPS))
    if n < 2:
        return [list(range(K))]
    runs = [list(range(lo, hi)) for lo, hi in _activation_runs(configs)]
    while len(runs) < n:  # fewer runs than parts: halve the largest
        big = max(range(len(runs)), key=lambda i: len(runs[i]))
        r = runs.pop(big)
        runs[big:big] = [r[:len(r) // 2], r[len(r) // 2:]]
    cost = lambda run: len(run) * (1.0 + _ACT_COST.get(configs[run[0]].activation, 1.0))  # noqa: E731
    parts: list[list[int]] = [[] for _ in range(n)]
    load = [0.0] * n
    for run in sorted(runs, key=cost, reverse=True):  # longest processing time first
        i = min(range(n), key=load.__getitem__)
        parts[i] += run
        load[i] += cost(run)
    parts = [sorted(p) for p in parts if p]
    parts.sort(key=lambda p: p[0])
    return parts


def fit(configs: Sequence[TrainConfig], data: Dataset, progress: ProgressFn | None = None,
        eval_every: int | None = None) -> list[TrainResult]:
    """Train every config to its own epochs; one result per config, in order.

    The models train as one batched stack, or as a few stacks side by side on the machine's idle
    cores (:func:`shard_plan`); each model ends where it would alone. ``progress`` is called from
    this thread with the first stack's trainer.
    """
    plan = shard_plan(configs, data)
    if len(plan) == 1:
        tr = Trainer(configs, data)
        tr.run(progress=progress, eval_every=eval_every)
        return tr.results()
    trainers = [Trainer([configs[k] for k in part], data) for part in plan]  # here: seeding is global
    for tr in trainers:
        tr.helpers = False  # every core is busy with a stack already
    if eval_every is None:  # what one stack of all the models would choose
        eval_every = default_eval_every(configs)
    prev = torch.get_num_threads()

    def train(tr: Trainer, report: ProgressFn | None) -> None:
        torch.set_num_threads(1)  # each stack on its own core
        tr._run(None, report, eval_every, 0.25)

    t0 = time.perf_counter()
    with guarded(configs):
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(len(trainers) - 1, thread_name_prefix="nnlab-shard") as pool:
                futures = [pool.submit(train, tr, None) for tr in trainers[1:]]
                try:
                    train(trainers[0], progress)
                except BaseException:  # e.g. Streamlit stopping the script: the other stacks stop too
                    for tr in trainers[1:]:
                        tr.cancelled = True
                    raise
                for f in futures:
                    f.result()
        finally:
            torch.set_num_threads(prev)
    wall = time.perf_counter() - t0
    results: list[TrainResult | None] = [None] * len(configs)
    for part, tr in zip(plan, trainers):
        for k, r in zip(part, tr.results()):
            r.seconds = wall / len(configs)  # as for one stack: the results' seconds add up to the wall time
            r.extra["stacks"] = len(plan)
            results[k] = r
    return [r for r in results if r is not None]
