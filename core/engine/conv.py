"""A LeNet-sized convolutional network in the engine: its config, its single-model reference, and
K of them as one stack trained by the one loop (:mod:`core.engine.trainer`).

The net reads square one-channel images given as rows [B, side*side]: per conv layer a k x k
convolution ("same" padding, so 8x8 digits work as well as 28x28 MNIST), the activation and a 2x2
max pool; then a dense head (``hidden``) and the output layer. K such nets live in one flat tensor in
the stack's block layout (:class:`~core.engine.stack.Layout`): a conv layer's weights are a block
[K, out, in*k*k] (each row a flattened nn.Conv2d kernel), so the optimiser, early stopping and the
L1/L2 penalty treat them as they treat a linear layer's. The batched forward pass puts the K models'
channels side by side ([B, K*C, H, W]) and convolves with ``groups=K``, which does for convolutions
what ``baddbmm`` does for the stacked linear layers; the first layer, whose input all models share,
is one plain convolution with K*C filters. Gradients come from autograd.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from core.config import ConfigError, param
from core.datasets import Dataset
from core.engine import activations
from core.engine.config import TrainConfig, loss_kind
from core.engine.models import _SEED_LOCK, Act
from core.engine.stack import Layers, Layout, Stack, activation_runs

# channels-last maps: measured on this machine (one thread), a grouped convolution's forward and backward
# 2-7x faster than on contiguous maps, and the 2x2 max pool 2x
CHANNELS_LAST = torch.channels_last
EVAL_CHUNK_BYTES = 64 << 20  # a no-grad forward pass over many rows goes in chunks of first-layer maps this big


@dataclass(frozen=True)
class CnnConfig(TrainConfig):
    """How to build and train one CNN: conv layers (``channels``, ``kernel``), then the dense head ``hidden``.

    Each conv layer is a ``kernel`` x ``kernel`` convolution with "same" padding, the activation and a
    2x2 max pool; the image halves per layer (8 -> 4 -> 2, 28 -> 14 -> 7). Data settings live in the
    job configs that extend this (a digits job: ``class C(CnnConfig, DigitsConfig)``).
    """

    kind: ClassVar[str] = "cnn"
    shared_fields: ClassVar[tuple[str, ...]] = ("channels", "kernel")  # the models of one stack share these

    channels: tuple[int, ...] = param((6, 16), lo=1, hi=256, length=(1, 3), cap="width",
                                      help="feature maps of each conv layer")
    kernel: int = param(5, lo=1, hi=9, help="side of each convolution's square kernel (odd)")
    hidden: tuple[int, ...] = param((128,), lo=1, hi=4096, length=(0, 5), cap=("width", "layers"),
                                    help="dense layer widths after the conv layers")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kernel % 2 == 0:
            raise ConfigError("kernel", f"must be odd (same padding keeps the image size), got {self.kernel}")


def is_cnn(config: object) -> bool:
    """The config builds a CNN (a :class:`CnnConfig`), else an MLP."""
    return isinstance(config, CnnConfig)


def image_side(n_features: int) -> int:
    """The side of a square one-channel image of n_features pixels (ValueError when not square)."""
    side = math.isqrt(n_features)
    if side * side != n_features or side < 2:
        raise ValueError(f"a CNN reads square images; {n_features} features is not one")
    return side


def conv_sides(side: int, n_conv: int) -> list[int]:
    """Image side entering each conv layer, then after the last pool: [n_conv + 1]."""
    sides = [side]
    for _ in range(n_conv):
        if sides[-1] < 2:
            raise ValueError(f"a {side}x{side} image is too small for {n_conv} conv layers with 2x2 pools")
        sides.append(sides[-1] // 2)
    return sides


def layer_shapes(config: CnnConfig, side: int, n_out: int) -> list[tuple[int, int]]:
    """(out, in) of every layer's weight block: conv layers (channels, in_channels * k * k), then dense."""
    k = config.kernel
    shapes, cin = [], 1
    for c in config.channels:
        shapes.append((c, cin * k * k))
        cin = c
    last = conv_sides(side, len(config.channels))[-1]
    widths = [cin * last * last, *config.hidden, n_out]
    return shapes + [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]


def _init_weight(layer: nn.Conv2d | nn.Linear, scheme: str, activation: str) -> None:
    """Re-initialise a conv or linear layer as :func:`core.engine.models.init_linear` does a linear one."""
    if scheme == "default":
        return
    w = layer.weight
    fan_in = w[0].numel()
    with torch.no_grad():
        if scheme == "xavier":
            nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("tanh") if activation == "tanh" else 1.0)
        elif scheme == "he":
            nn.init.kaiming_normal_(w, nonlinearity="relu")
        elif scheme == "lecun":
            nn.init.normal_(w, 0.0, fan_in ** -0.5)
        elif scheme == "small":
            w.normal_(0.0, 0.5)
        else:
            raise ValueError(f"unknown init {scheme!r}")
        layer.bias.zero_()


def build_cnn(side: int, channels: Sequence[int], kernel: int, hidden: Sequence[int], n_out: int,
              activation: str = "relu", init: str = "default", dropout: float = 0.0,
              seed: int | None = None) -> nn.Sequential:
    """The single-model reference: rows [B, side*side] -> logits [B, n_out].

    Unflatten, then per conv layer Conv2d/activation/MaxPool2d(2), Flatten, then Linear/activation
    (/Dropout) per dense layer and a final Linear. With ``seed`` the weights are those of
    ``torch.manual_seed(seed)`` followed by this call (as :func:`~core.engine.models.build_mlp`).
    """
    if seed is not None:
        with _SEED_LOCK:
            torch.default_generator.manual_seed(seed)
            return build_cnn(side, channels, kernel, hidden, n_out, activation, init, dropout)
    sides = conv_sides(side, len(channels))
    layers: list[nn.Module] = [nn.Unflatten(1, (1, side, side))]
    cin = 1
    for c in channels:
        conv = nn.Conv2d(cin, c, kernel, padding=kernel // 2)
        _init_weight(conv, init, activation)
        layers += [conv, Act(activation), nn.MaxPool2d(2)]
        cin = c
    layers.append(nn.Flatten())
    width = cin * sides[-1] ** 2
    for h in hidden:
        lin = nn.Linear(width, h)
        _init_weight(lin, init, activation)
        layers += [lin, Act(activation)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    out = nn.Linear(width, n_out)
    _init_weight(out, init, activation)
    layers.append(out)
    return nn.Sequential(*layers)


def build_for(config: CnnConfig, n_in: int, n_out: int, seed: int | None = None, init: str | None = None,
              dropout: float | None = None) -> nn.Sequential:
    """:func:`build_cnn` for a config on rows of n_in pixels (its own init and dropout unless given)."""
    c = config
    return build_cnn(image_side(n_in), c.channels, c.kernel, c.hidden, n_out, c.activation,
                     c.init if init is None else init, c.dropout if dropout is None else dropout, seed)


def state_names(config: CnnConfig) -> list[tuple[str, str]]:
    """(weight, bias) state-dict names of each layer of :func:`build_cnn`'s nn.Sequential, input to output."""
    names, i = [], 1  # 0 is the Unflatten
    for _ in config.channels:
        names.append((f"{i}.weight", f"{i}.bias"))
        i += 3  # Conv2d, activation, MaxPool2d
    i += 1  # Flatten
    for _ in config.hidden:
        names.append((f"{i}.weight", f"{i}.bias"))
        i += 3 if config.dropout > 0 else 2
    names.append((f"{i}.weight", f"{i}.bias"))
    return names


def initial_weights(config: CnnConfig, n_in: int, n_out: int) -> torch.Tensor:
    """The weights build_cnn makes for this config's seed as one row [P] (weight, bias per layer)."""
    net = build_for(config, n_in, n_out, seed=config.seed, dropout=0.0)
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


class ConvStack(Stack):
    """K CNNs of one shape: weights in block layout, a gradient buffer and the batched (grouped) forward.

    Same interface as :class:`~core.engine.stack.Stack` (the trainer, optimiser, evaluation and early
    stopping read only that); its gradients come from autograd (the trainer turns the manual backprop off).
    """

    def __init__(self, configs: Sequence[CnnConfig], data: Dataset) -> None:
        self.configs = list(configs)
        self.K = K = len(configs)
        c = configs[0]
        self.task = data.task
        self.loss_kind = loss_kind(c, data.task)
        self.n_in, self.n_out = data.n_features, data.n_outputs
        self.side = image_side(self.n_in)
        self.kernel, self.channels = c.kernel, list(c.channels)
        self.n_conv = len(self.channels)
        self.sides = conv_sides(self.side, self.n_conv)
        self.shapes = layer_shapes(c, self.side, self.n_out)
        self.hidden_widths = list(c.hidden)
        self.layout = Layout(K, self.shapes)
        self.flat = self.layout.from_rows(torch.stack([initial_weights(m, self.n_in, self.n_out) for m in configs]))
        self.grad = torch.zeros_like(self.flat)
        self.flat_layers, self.grad_layers = self.layout.layers(self.flat), self.layout.layers(self.grad)
        self.act_groups = [(lo, hi, activations.get(configs[lo].activation)) for lo, hi in activation_runs(configs)]
        # ReLU commutes with the max pool (and its gradient is the same either way): pool first, on fewer maps
        self.pool_first = all(m.activation == "relu" for m in configs)
        self.row_macs = cnn_macs(c, self.side, self.n_out)  # multiply-adds of one row's forward pass, per model

    def _act_channels(self, z: torch.Tensor, per_model: int) -> torch.Tensor:
        """The activation of maps z [B, K * per_model, ...], each model's channels by its own function."""
        if len(self.act_groups) == 1:
            return self.act_groups[0][2](z)
        return torch.cat([fn(z[:, a * per_model:b * per_model]) for a, b, fn in self.act_groups], 1)

    def forward(self, x: torch.Tensor, flat: torch.Tensor | None = None, capture: list | None = None,
                masks: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """Logits of every model: x [K, B, F] (or [B, F], shared) -> [K, B, n_out].

        capture, if given, receives each hidden layer's (pre-activation, activation): conv layers as
        [K, B, C, side, side], dense ones as [K, B, H]. masks: dropout masks per dense hidden layer [K, B, H].
        """
        if x.dim() == 2 and not torch.is_grad_enabled() and capture is None:
            rows = max(1, EVAL_CHUNK_BYTES // (4 * self.K * self.channels[0] * self.side * self.side))
            if len(x) > rows:  # a whole split at once would hold K * C maps of every row
                return torch.cat([self._forward(part, flat, None, masks) for part in x.split(rows)], 1)
        return self._forward(x, flat, capture, masks)

    def _forward(self, x: torch.Tensor, flat: torch.Tensor | None, capture: list | None,
                 masks: Sequence[torch.Tensor] | None) -> torch.Tensor:
        layers = self.layers(flat)
        K, k, s = self.K, self.kernel, self.side
        B = x.shape[-2]
        if x.dim() == 2:  # shared input: the first layer is one convolution with every model's filters
            h, groups = x.reshape(B, 1, s, s), 1
        else:  # each model its own rows: model k's image is channel k
            h, groups = x.transpose(0, 1).reshape(B, K, s, s).contiguous(memory_format=CHANNELS_LAST), K
        for li in range(self.n_conv):
            W, b = layers[li]
            maps = W.shape[1]
            w4 = W.reshape(K * maps, -1, k, k).contiguous(memory_format=CHANNELS_LAST)
            z = F.conv2d(h, w4, b.reshape(K * maps), padding=k // 2, groups=groups)
            if self.pool_first and capture is None:  # relu(max(z)) = max(relu(z)), on a quarter of the maps
                h, groups = self._act_channels(F.max_pool2d(z, 2), maps), K
                continue
            a = self._act_channels(z, maps)
            if capture is not None:
                side = self.sides[li]
                capture.append(tuple(t.detach().reshape(B, K, maps, side, side).transpose(0, 1) for t in (z, a)))
            h, groups = F.max_pool2d(a, 2), K
        h = h.reshape(B, K, -1).transpose(0, 1)  # [K, B, D]
        dense = layers[self.n_conv:]
        for li, (W, b) in enumerate(dense):
            z = torch.baddbmm(b, h, W.transpose(1, 2))
            if li == len(dense) - 1:
                return z
            a = self._act(z)
            if capture is not None:
                capture.append((z.detach(), a.detach()))
            h = a if masks is None else a * masks[li]
        raise AssertionError("unreachable")

    def state(self, views: Layers, k: int) -> dict[str, torch.Tensor]:
        """Model k's weights as :func:`build_cnn`'s state dict (conv weights [out, in, k, k])."""
        out: dict[str, torch.Tensor] = {}
        kk = self.kernel
        for li, ((W, b), (wn, bn)) in enumerate(zip(views, state_names(self.configs[k]))):
            w = W[k].clone()
            out[wn] = w.view(w.shape[0], -1, kk, kk) if li < self.n_conv else w
            out[bn] = b[k, 0].clone()
        return out


def cnn_macs(config: CnnConfig, side: int, n_out: int) -> int:
    """Multiply-adds of one image's forward pass through one model (convolutions at every pixel, dense layers)."""
    sides = conv_sides(side, len(config.channels))
    shapes = layer_shapes(config, side, n_out)
    conv = sum(o * i * sides[li] ** 2 for li, (o, i) in enumerate(shapes[:len(config.channels)]))
    return conv + sum(o * i for o, i in shapes[len(config.channels):])


def n_params(config: CnnConfig, side: int, n_out: int) -> int:
    """Trainable parameters of one model (weights and biases)."""
    return sum(o * i + o for o, i in layer_shapes(config, side, n_out))


def cnn_cost(config: CnnConfig, side: int, n_out: int, n_train: int, n_eval: int = 0,
             models: int = 1) -> dict[str, float]:
    """What training ``models`` such CNNs for config.epochs costs, for a price (no tensor is made).

    Returns flops (forward + backward of every training row each epoch, 2 flops per multiply-add,
    plus one forward of the n_eval rows per epoch), weight_bytes (weights, gradient, Adam's two
    moments and the best weights), batch_bytes (one batch's feature maps kept for the backward pass,
    with their gradients) and eval_bytes (one chunk of an evaluation), all for every model together.
    """
    macs = cnn_macs(config, side, n_out)
    B = n_train if config.batch_size <= 0 else min(config.batch_size, n_train)
    sides = conv_sides(side, len(config.channels))
    maps = sum(c * sides[i] ** 2 * 1.25 for i, c in enumerate(config.channels))  # pre-activation, activation, pool
    units = 3 * maps + sum(config.hidden) * 2 + n_out + side * side
    flops = 2.0 * models * config.epochs * (3 * macs * n_train + macs * n_eval)
    return {"flops": flops, "params": float(models * n_params(config, side, n_out)),
            "weight_bytes": 4.0 * 5 * models * n_params(config, side, n_out),
            "batch_bytes": 4.0 * 2 * models * B * units,
            "eval_bytes": float(EVAL_CHUNK_BYTES * 3)}
