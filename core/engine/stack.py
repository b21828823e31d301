"""K models of one shape as one flat tensor of weights, and their batched forward pass.

Their weights live in one flat tensor [K * P] in *block layout*: each layer's weights of all K
models are one contiguous block W_l [K, out, in], then its biases b_l [K, 1, out]. Each layer is a
view of that tensor, so the forward pass is a batched matmul (``torch.baddbmm``) and an optimiser
step is one elementwise pass over the whole stack. Model k starts from exactly the weights
``build_mlp(..., seed=cfg.seed)`` gives.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from core.datasets import Dataset
from core.engine import activations
from core.engine.config import TrainConfig, loss_kind
from core.engine.models import build_mlp, linear_layers

Layers = list[tuple[torch.Tensor, torch.Tensor]]

LANES = 16  # floats in the widest vector torch's fused kernels use (AVX-512): see core.engine.optim


def padded(n: int, lanes: int = LANES) -> int:
    """n rounded up to a whole number of vector lanes."""
    return -(-n // lanes) * lanes


# torch's vectorised CPU kernels of sigmoid, silu, softplus, elu, selu and mish (and gelu on one element) run a
# tensor in steps of two vectors and its last elements, fewer than a step, through a scalar loop that rounds
# otherwise: an element's bits would depend on where it sits in a tensor, so on its model's place in a stack and
# the stack's size. Calls of whole steps (on each thread) leave no element in a tail: each takes the vector path,
# alone and in any stack. These activations' kernels give an element the same bits at any place of a tensor by
# themselves (measured: tests/test_merge_exact.py):
TAIL_EXACT = frozenset({"identity", "tanh", "relu", "leaky_relu", "softsign", "hard_sigmoid", "hard_tanh"})
STEP = 64  # floats: a whole number of steps of two AVX-512 vectors (2 x 16), the widest, and of narrower ones
GRAIN = 32768  # torch's grain: it splits a longer elementwise call over its threads, in equal shares
ROOM = STEP * max(1, os.cpu_count() or 1)  # floats past a padded buffer's elements: one call's reach


def vector_pieces(start: int, n: int, threads: int = 1) -> list[tuple[int, int]]:
    """[start, start + n) as (begin, end) elementwise calls whose every thread's share is whole steps: one call
    reaching less than ROOM past start + n when it can, else calls of at most GRAIN floats (one thread each)."""
    used = max(1, min(threads, -(-n // GRAIN)))  # the threads torch would split it over
    end = start + padded(n, STEP * used)
    if end - start - n < ROOM and max(1, min(threads, -(-(end - start) // GRAIN))) == used:
        return [(start, end)]
    return [(b, b + padded(min(GRAIN, start + n - b), STEP)) for b in range(start, start + n, GRAIN)]


# torch's GEMM takes another path for a product of fewer than 12 columns, with other roundings (measured on AMD
# EPYC with AVX-512): the shared-input GEMM of K models' first layers (K x out columns) would give a model other
# bits in a small stack (one XOR net alone: 4 columns) than in a large one. Products this narrow are made this wide.
MIN_GEMM_COLS = 16


def shared_gemm(h: torch.Tensor, Wt: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """h [B, F] @ Wt [F, N] (the models' first layers side by side) with each column's bits independent of N and of
    the column's place: fewer than MIN_GEMM_COLS columns are computed padded with zero columns. ``out`` [B, N]."""
    n = Wt.shape[1]
    if n >= MIN_GEMM_COLS:
        return torch.mm(h, Wt, out=out) if out is not None else torch.mm(h, Wt)
    full = torch.mm(h, F.pad(Wt, (0, MIN_GEMM_COLS - n)))[:, :n]
    return out.copy_(full) if out is not None else full


def padded_buffer(shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """(flat buffer with ROOM floats past its elements, them viewed as shape): for calls of vector_pieces.
    Zeroed: garbage in the room can hold subnormal floats, which slow a vector kernel ~10x."""
    buf = torch.zeros(math.prod(shape) + ROOM)
    strides = [1]
    for d in reversed(shape[1:]):
        strides.insert(0, strides[0] * d)
    return buf, buf.as_strided(shape, strides)


def elementwise(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, buf: torch.Tensor | None = None,
                at: int = 0) -> torch.Tensor:
    """fn(x) for an elementwise torch function with every element in its kernel's vector path (the same bits at
    any place of any tensor); differentiable. buf: a flat tensor whose elements from ``at`` on are x's, with
    ROOM floats past them (no copy; else x is copied into a padded one)."""
    n = x.numel()
    if buf is None:
        buf, at = F.pad(x.reshape(-1), (0, ROOM)), 0
    calls = vector_pieces(at, n, torch.get_num_threads())
    parts = [fn(buf[b:e]) for b, e in calls]
    return (parts[0] if len(parts) == 1 else torch.cat(parts))[:n].view(x.shape)


def padded_zeros(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(buffer, view): a zero buffer of padded(n) floats and its first n, the tensor to use."""
    buf = torch.zeros(padded(n))
    return buf, buf[:n]


class Layout:
    """Where each layer's parameters sit in a stack's flat tensor: blocks (offset, shape [K, a, b])."""

    def __init__(self, K: int, shapes: Sequence[tuple[int, int]]) -> None:
        self.K = K
        self.blocks: list[tuple[int, tuple[int, int, int]]] = []
        off = 0
        for o, i in shapes:
            for shape in ((K, o, i), (K, 1, o)):
                self.blocks.append((off, shape))
                off += shape[0] * shape[1] * shape[2]
        self.P = off // K  # parameters per model

    def _block(self, flat: torch.Tensor, off: int, s: tuple[int, int, int]) -> torch.Tensor:
        return flat[off:off + s[0] * s[1] * s[2]].view(s)

    def layers(self, flat: torch.Tensor) -> Layers:
        """Views of a flat [K * P] as (W [K, out, in], b [K, 1, out]) per layer."""
        views = [self._block(flat, off, s) for off, s in self.blocks]
        return list(zip(views[0::2], views[1::2]))

    def to_rows(self, flat: torch.Tensor) -> torch.Tensor:
        """Block layout [K * P] -> one row of parameters per model [K, P] (nn.Linear order)."""
        return torch.cat([self._block(flat, off, s).view(self.K, -1) for off, s in self.blocks], 1)

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
            v = self._block(flat, off, s)
            v[mask] = source if isinstance(source, float) else self._block(source, off, s)[mask]

    def per_element(self, v: torch.Tensor) -> torch.Tensor:
        """A per-model value [K] spread over that model's parameters: [K * P]."""
        return torch.cat([v.view(-1, 1, 1).expand(s).reshape(-1) for _, s in self.blocks])


# hidden activations whose numbers in the trainer are an element's own wherever it sits in a stack: TAIL_EXACT, and
# the others by calls of whole steps (vector_pieces, elementwise), as the binary output's sigmoid
EXACT_ANYWHERE = frozenset(activations.HIDDEN)


def stacks_exactly(configs: Sequence[TrainConfig], task: str) -> bool:
    """Whether each of these models gets the same numbers in any stack at any place, as alone (what a run
    merging several visitors' models needs)."""
    return all(c.activation in EXACT_ANYWHERE for c in configs)


def activation_runs(configs: Sequence[TrainConfig]) -> list[tuple[int, int]]:
    """(start, end) of each run of consecutive configs with one activation, in order."""
    runs: list[tuple[int, int]] = []
    for k, c in enumerate(configs):
        if runs and configs[runs[-1][0]].activation == c.activation:
            runs[-1] = (runs[-1][0], k + 1)
        else:
            runs.append((k, k + 1))
    return runs


SMALL_ROW = 1024  # parameters: rows this small are kept once made (a class's 30 XOR studies share seeds 0-99)


def initial_weights(config: TrainConfig, n_in: int, n_out: int) -> torch.Tensor:
    """The weights build_mlp makes for this config's seed as one row [P] (weight, bias per layer); read-only
    (a small row is shared by every stack that asks for it)."""
    key = (n_in, tuple(config.hidden), n_out, config.activation, config.init, config.seed)
    widths = [n_in, *config.hidden, n_out]
    if sum((a + 1) * b for a, b in zip(widths, widths[1:])) <= SMALL_ROW:
        return _small_row(*key)  # 3,000 merged XOR models: 0.26 s of nn.Module building -> the 100 seeds' 9 ms
    return _row(*key)


def _row(n_in: int, hidden: tuple[int, ...], n_out: int, activation: str, init: str, seed: int) -> torch.Tensor:
    net = build_mlp(n_in, hidden, n_out, activation, init, seed=seed)
    return torch.cat([t.detach().reshape(-1) for lin in linear_layers(net) for t in (lin.weight, lin.bias)])


_small_row = functools.lru_cache(maxsize=4096)(_row)  # at most 16 MB


class Stack:
    """K models of one shape (checked by the trainer): weights, gradient buffer and batched forward."""

    def __init__(self, configs: Sequence[TrainConfig], data: Dataset) -> None:
        self.task = data.task
        self.loss_kind = loss_kind(configs[0], data.task)
        self.n_in, self.n_out = data.n_features, data.n_outputs
        rows = torch.stack([initial_weights(c, self.n_in, self.n_out) for c in configs])
        self._setup(configs, rows)

    def _setup(self, configs: Sequence[TrainConfig], rows: torch.Tensor) -> None:
        """The stack of ``configs`` starting from weights ``rows`` [K, P] (nn.Linear order per model)."""
        self.configs = list(configs)
        self.K = K = len(configs)
        widths = [self.n_in, *configs[0].hidden, self.n_out]
        self.shapes = [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]  # (out, in) per layer
        self.hidden_widths = list(configs[0].hidden)  # [H] per hidden layer
        self.layout = Layout(K, self.shapes)
        # padded buffers: the optimiser's fused kernel then takes its vector path on every element
        self.flat_buf, self.flat = padded_zeros(K * self.layout.P)
        self.flat.copy_(self.layout.from_rows(rows))
        self.grad_buf, self.grad = padded_zeros(K * self.layout.P)
        # views updated in place by the optimiser and the manual backprop
        self.flat_layers, self.grad_layers = self.layout.layers(self.flat), self.layout.layers(self.grad)
        self.flat_Wt = [W.transpose(1, 2) for W, _ in self.flat_layers]  # [K, in, out]
        # each layer's weights as one matrix [K * out, in], transposed, and its gradient's [K * out, in], for the
        # shared-input GEMMs: made once (views of contiguous blocks), not each step (a view made is a torch call,
        # which also takes Python's lock back, inside the call too: a class's server waits on it)
        self.flat_W2dT = [W.reshape(-1, W.shape[2]).t() if W.is_contiguous() else None for W, _ in self.flat_layers]
        self.grad_W2d = [gW.view(-1, gW.shape[2]) if gW.is_contiguous() else None for gW, _ in self.grad_layers]
        # contiguous groups of one activation (in config order) so each is one call on a view
        self.act_groups = [(lo, hi, activations.get(configs[lo].activation)) for lo, hi in activation_runs(configs)]

    def subset(self, keep: Sequence[int]) -> Stack:
        """A stack of the models ``keep`` (indices, in order) with their weights now."""
        new = Stack.__new__(Stack)
        new.task, new.loss_kind, new.n_in, new.n_out = self.task, self.loss_kind, self.n_in, self.n_out
        new._setup([self.configs[k] for k in keep], self.layout.to_rows(self.flat)[list(keep)])
        return new

    def layers(self, flat: torch.Tensor | None = None) -> Layers:
        """(W [K, out, in], b [K, 1, out]) per layer of flat (default: the live weights)."""
        return self.flat_layers if flat is None or flat is self.flat else self.layout.layers(flat)

    def _act(self, z: torch.Tensor, lo: int = 0) -> torch.Tensor:
        """The activations of models lo.. (z [k, B, H] holds models lo..lo+k)."""
        hi = lo + len(z)
        groups = [(max(a, lo) - lo, min(b, hi) - lo, fn) for a, b, fn in self.act_groups if a < hi and b > lo]
        if len(groups) == 1:
            return groups[0][2](z)
        return torch.cat([fn(z[a:b]) for a, b, fn in groups])

    def _act_exact(self, z: torch.Tensor, lo: int, buf: torch.Tensor | None) -> torch.Tensor:
        """_act with each element's own bits at any place (:func:`elementwise`); buf: z's padded buffer, if any."""
        hi, per = lo + len(z), z[0].numel()
        parts = [fn(z[a - lo:b - lo]) if self.configs[a].activation in TAIL_EXACT else
                 elementwise(fn, z[a - lo:b - lo], buf, (a - lo) * per) if buf is not None else
                 elementwise(fn, z[a - lo:b - lo])
                 for a, b, fn in ((max(a, lo), min(b, hi), fn) for a, b, fn in self.act_groups if a < hi and b > lo)]
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def forward(self, x: torch.Tensor, flat: torch.Tensor | None = None, capture: list | None = None,
                masks: Sequence[torch.Tensor] | None = None, models: tuple[int, int] | None = None) -> torch.Tensor:
        """Logits of every model: x [K, B, F] (or [B, F], shared) -> [K, B, n_out].

        capture, if given, receives each hidden layer's (pre-activation, activation) [K, B, H].
        masks: dropout masks per hidden layer [K, B, H], multiplied into its activation (training).
        models: (lo, hi): only those models' logits [hi - lo, B, n_out] (x shared [B, F]).
        """
        layers = self.layers(flat)
        lo = 0
        if models is not None:
            lo, hi = models
            layers = [(W[lo:hi], b[lo:hi]) for W, b in layers]
        h, grad, last = x, torch.is_grad_enabled(), len(layers) - 1
        for li, (W, b) in enumerate(layers):
            # no grad: a hidden z in a padded buffer, for the activation's calls with room (grad: a padded copy)
            shape = (W.shape[0], h.shape[-2], W.shape[1])
            buf, out = (None, None) if grad else (None, torch.empty(shape)) if li == last else padded_buffer(shape)
            if h.dim() == 2:  # shared input [B, F]: one GEMM for all K models
                t = shared_gemm(h, W.reshape(-1, W.shape[2]).t()).view(h.shape[0], shape[0], -1).transpose(0, 1)
                # into a model-major tensor: elementwise kernels then see each model's rows as alone
                z = (t + b).contiguous() if grad else torch.add(t, b, out=out)
            else:
                z = torch.baddbmm(b, h, W.transpose(1, 2), out=out) if out is not None else \
                    torch.baddbmm(b, h, W.transpose(1, 2))
            if li == last:
                return z
            if buf is not None and len(self.act_groups) == 1 and buf.shape[0] <= GRAIN:  # one call on all of buf
                a = self.act_groups[0][2](buf).as_strided(shape, z.stride())  # (one thread) its tail is in the room
            else:
                a = self._act_exact(z, lo, buf)
            if capture is not None:
                capture.append((z.detach(), a.detach()))
            h = a if masks is None else a * masks[li]
        raise AssertionError("unreachable")

    def loss_per_model(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean loss of each model: logits [K, B, n_out], y [K, B] or [B] -> [K]."""
        K, B = logits.shape[0], logits.shape[1]
        if y.dim() == 1:
            y = y.expand(K, B)
        if self.task == "multiclass":
            if self.loss_kind == "ce":  # cross-entropy as logsumexp - the target's logit (F.cross_entropy: ~7x slower)
                return (torch.logsumexp(logits, -1) - logits.gather(-1, y.unsqueeze(-1)).squeeze(-1)).mean(1)
            onehot = F.one_hot(y, self.n_out).float()
            return ((torch.softmax(logits, -1) - onehot) ** 2).sum(-1).mean(1)
        z = logits.squeeze(-1)
        if self.task == "binary":
            if self.loss_kind == "ce":
                return F.binary_cross_entropy_with_logits(z, y, reduction="none").mean(1)
            return ((elementwise(torch.sigmoid, z) - y) ** 2).mean(1)
        return ((z - y) ** 2).mean(1)

    def accuracy(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Fraction right per model: [K, B, n_out], [B] -> [K]."""
        if self.task == "multiclass":
            return (logits.argmax(-1) == y).float().mean(1)
        return ((logits.squeeze(-1) > 0).float() == y).float().mean(1)

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs of every model on shared inputs: X [N, F] -> probabilities or values [K, N, n_out]."""
        with torch.no_grad():
            logits = self.forward(X)
        if self.task == "multiclass":
            return torch.softmax(logits, -1)
        if self.task == "binary":
            return elementwise(torch.sigmoid, logits)
        return logits
