"""What is inside a trained digit MLP: first-layer weights as images, activations layer by layer, the
units that push a reading towards a class, and the training images nearest to a digit.

Everything here takes a :class:`core.engine.TrainResult` of a digit model (8x8 or 28x28 inputs) and
plain NumPy arrays; nothing trains and nothing imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.engine import TrainResult

SPACES = ("hidden", "pixel")


def _net(result: TrainResult) -> torch.nn.Sequential:
    """The model in eval mode, built once per result (kept in result.extra like core.digits.predict does)."""
    net = result.extra.get("_net")
    if net is None:
        net = result.model()
        result.extra["_net"] = net
    return net


def is_conv(result: TrainResult) -> bool:
    """The model is a CNN (its state holds convolution kernels [out, in, k, k])."""
    return any(v.dim() == 4 for v in result.state.values())


def side_of(result: TrainResult) -> int:
    """The input image's side in pixels (8 or 28) from the model's input width."""
    return int(round(result.n_in ** 0.5))


# ---- 1. what each first-layer neuron looks for ----------------------------------------------------

@dataclass
class UnitImages:
    """First-layer units as images: weights [n, side, side] (signed), the unit ids and their scores."""

    weights: np.ndarray  # [n, side, side] float32, the incoming weights of each shown unit
    units: np.ndarray  # [n] int, the unit's index in layer 1
    score: np.ndarray  # [n] float, what they were sorted by (descending)
    order: str  # "norm" or "usefulness"


def first_layer_weights(result: TrainResult) -> np.ndarray:
    """The first Linear layer's weights as images: [n_units, side, side] float32 (no hidden layer: the 10 classes).
    An MLP's only: a CNN's first dense layer reads feature maps, not pixels (ValueError)."""
    if is_conv(result):
        raise ValueError("a CNN's first layer is convolutions: its units' weights are not images")
    w = result.state["0.weight"].detach().cpu().numpy().astype(np.float32)  # [out, in]
    s = side_of(result)
    return w.reshape(len(w), s, s)


def usefulness(result: TrainResult, X: np.ndarray) -> np.ndarray:
    """How much each first-layer unit matters on images X [N, F]: [n_units], the mean over X of
    |activation x d(predicted class's logit)/d(activation)|."""
    acts = hidden_activations(result, X[:2000], with_grad_for="top")
    return np.abs(acts.contrib[0]).mean(0)


def unit_images(result: TrainResult, n: int = 32, order: str = "norm", X: np.ndarray | None = None) -> UnitImages:
    """The first ``n`` first-layer units as images, sorted by weight norm or by usefulness on X (descending)."""
    w = first_layer_weights(result)
    if order == "usefulness":
        if X is None:
            raise ValueError("usefulness needs images X to measure on")
        score = usefulness(result, X) if result.config.hidden else np.linalg.norm(w.reshape(len(w), -1), axis=1)
    elif order == "norm":
        score = np.linalg.norm(w.reshape(len(w), -1), axis=1)
    else:
        raise ValueError(f"order must be 'norm' or 'usefulness', not {order!r}")
    idx = np.argsort(-score, kind="stable")[:n]
    return UnitImages(w[idx], idx, score[idx], order)


# ---- 2. what the network sees in your digit ---------------------------------------------------------

@dataclass
class Activations:
    """One forward pass, layer by layer.

    layers: hidden activations, one [N, width] array per hidden layer (after the activation function);
    logits [N, 10]; probs [N, 10]; target [N] the class the contributions are for;
    contrib: one [N, width] array per hidden layer: activation x d(logit of target)/d(activation), i.e.
    each unit's activation times the summed weight of every path from it to the target's logit (for
    the last hidden layer exactly activation x outgoing weight; they add up to logit - bias there).
    """

    layers: list[np.ndarray]
    logits: np.ndarray
    probs: np.ndarray
    target: np.ndarray
    contrib: list[np.ndarray]


def hidden_activations(result: TrainResult, X: np.ndarray, with_grad_for: int | str | None = None) -> Activations:
    """Forward X [N, F] through the model (eval: dropout off), keeping every hidden layer's output (a CNN's:
    its dense layers after the convolutions, whose maps :mod:`core.convolutions.jobs` shows).

    with_grad_for: a class (0-9), "top" (each row's predicted class) or None (no contributions).
    """
    net = _net(result)
    x = torch.as_tensor(np.asarray(X, dtype=np.float32).reshape(len(X), -1))
    outs: list[torch.Tensor] = []
    h = x
    mods = list(net)
    dense = not is_conv(result)  # a CNN's hidden layers here: its dense layers, after the Flatten
    with torch.set_grad_enabled(with_grad_for is not None):
        for m in mods:
            h = m(h)
            if isinstance(m, torch.nn.Flatten):
                dense = True
            elif dense and not isinstance(m, (torch.nn.Linear, torch.nn.Dropout)):  # an activation: a layer's output
                outs.append(h)
    logits = h
    probs = torch.softmax(logits, -1)
    if with_grad_for is None:
        target = logits.argmax(-1)
        contrib: list[np.ndarray] = []
    else:
        target = (logits.argmax(-1) if with_grad_for == "top"
                  else torch.full((len(x),), int(with_grad_for), dtype=torch.long))
        chosen = logits.gather(1, target[:, None]).sum()
        grads = torch.autograd.grad(chosen, outs) if outs else []
        contrib = [(a * g).detach().numpy() for a, g in zip(outs, grads)]
    return Activations([a.detach().numpy() for a in outs], logits.detach().numpy(), probs.detach().numpy(),
                       target.numpy(), contrib)


def top_units(act: Activations, layer: int = -1, k: int = 8, row: int = 0) -> list[tuple[int, float, float]]:
    """The k units of a hidden layer that push one row's target logit most: (unit, contribution, activation),
    sorted by |contribution| descending."""
    c = act.contrib[layer][row]
    a = act.layers[layer][row]
    idx = np.argsort(-np.abs(c), kind="stable")[:k]
    return [(int(i), float(c[i]), float(a[i])) for i in idx]


# ---- nearest training images ------------------------------------------------------------------------

def embed(result: TrainResult, X: np.ndarray, space: str = "hidden", batch: int = 8192) -> np.ndarray:
    """Rows in the space nearest neighbours are found in. float32.

    "hidden": every hidden layer's activations, each scaled to length 1, side by side and divided by
    sqrt(layers): [N, sum of widths], so the cosine distance there is the mean of the layers' cosine
    distances. "pixel": the pixels themselves [N, F]. A model without hidden layers uses its pixels.
    """
    X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
    if space == "pixel" or not result.config.hidden:
        return X
    if space != "hidden":
        raise ValueError(f"space must be one of {SPACES}, not {space!r}")
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch):
            layers = hidden_activations(result, X[i:i + batch]).layers
            out.append(np.concatenate([unit_norm(a) for a in layers], 1) / np.float32(np.sqrt(len(layers))))
    return np.concatenate(out) if out else np.zeros((0, sum(result.config.hidden)), np.float32)


def unit_norm(E: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (all-zero rows stay zero): [N, D] -> [N, D]."""
    n = np.linalg.norm(E, axis=1, keepdims=True)
    return E / np.maximum(n, 1e-12)


def nearest(query: np.ndarray, bank: np.ndarray, k: int = 8, metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """The k rows of bank [M, D] nearest each query row [N, D]: (indices [N, k], distances [N, k]), nearest first.

    metric "cosine": distance 1 - cosine similarity (0 = same direction, 2 = opposite); "l2": Euclidean.
    """
    q = np.asarray(query, np.float32).reshape(len(query), -1)
    b = np.asarray(bank, np.float32)
    k = min(k, len(b))
    if metric == "cosine":
        d = 1.0 - unit_norm(q) @ unit_norm(b).T
    elif metric == "l2":
        d2 = (q ** 2).sum(1)[:, None] - 2 * q @ b.T + (b ** 2).sum(1)[None, :]
        d = np.sqrt(np.maximum(d2, 0))
    else:
        raise ValueError(f"metric must be 'cosine' or 'l2', not {metric!r}")
    idx = np.argpartition(d, k - 1, axis=1)[:, :k] if k < d.shape[1] else np.tile(np.arange(d.shape[1]), (len(q), 1))
    part = np.take_along_axis(d, idx, 1)
    order = np.argsort(part, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, 1)
    return idx, np.take_along_axis(d, idx, 1)
