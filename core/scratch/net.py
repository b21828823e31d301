"""A neural network from scratch in NumPy: any depth, softmax and cross-entropy, hand-written backprop.

Only NumPy: this file is also the body of the script the page offers for download. Shapes: X [N, F],
y [N] (class ids), each layer's W [n_in, n_out] and b [n_out], logits [N, classes].
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """The hidden activation f(z), elementwise."""
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    return 1.0 / (1.0 + np.exp(-z))  # sigmoid


def slope(name: str, z: np.ndarray) -> np.ndarray:
    """Its derivative f'(z), elementwise (ReLU's is 0 at z = 0, as autograd's)."""
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


def init(sizes: list[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-normal weights (randn * sqrt(2 / n_in)) and zero biases, one (W, b) per layer."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((m, n)) * np.sqrt(2.0 / m), np.zeros(n)) for m, n in zip(sizes[:-1], sizes[1:])]


def softmax(z: np.ndarray) -> np.ndarray:
    """Each row's scores as probabilities (the row's largest score subtracted first: no overflow)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean of -log softmax(logits)[y] over the rows, computed as logsumexp(z) - z_y."""
    m = logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
    return float(np.mean(log_sum - logits[np.arange(len(y)), y]))


def forward(params: list, X: np.ndarray, act: str) -> tuple[np.ndarray, list]:
    """The logits, and each layer's (input a, pre-activation z) kept for the backward pass."""
    cache = []
    a = X
    for i, (W, b) in enumerate(params):
        z = a @ W + b
        cache.append((a, z))
        a = z if i == len(params) - 1 else activate(act, z)  # the last layer's z are the logits
    return a, cache


def backward(params: list, cache: list, logits: np.ndarray, y: np.ndarray, act: str) -> list:
    """Every layer's (dL/dW, dL/db) for the mean cross-entropy, from the output back to the input."""
    n = len(y)
    dz = softmax(logits)
    dz[np.arange(n), y] -= 1.0
    dz /= n  # dL/dz of the output layer: (softmax - one-hot) / N
    grads = [None] * len(params)
    for i in reversed(range(len(params))):
        a_in, _ = cache[i]
        grads[i] = (a_in.T @ dz, dz.sum(axis=0))  # dL/dW = a_in^T dz, dL/db = sum of dz over rows
        if i > 0:
            dz = (dz @ params[i][0].T) * slope(act, cache[i - 1][1])  # back through W, then f'(z)
    return grads


def sgd_step(params: list, grads: list, lr: float) -> list:
    """Plain gradient descent: every weight moves by -lr times its gradient."""
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def train(X: np.ndarray, y: np.ndarray, sizes: list[int], act: str, lr: float, epochs: int, batch: int,
          seed: int) -> tuple[list, list[float]]:
    """Minibatch SGD, rows shuffled each epoch: the final (W, b) list and each epoch's mean batch loss."""
    params = init(sizes, seed)
    rng = np.random.default_rng(seed + 1)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for s in range(0, len(X), batch):
            idx = order[s:s + batch]
            logits, cache = forward(params, X[idx], act)
            total += cross_entropy(logits, y[idx]) * len(idx)
            params = sgd_step(params, backward(params, cache, logits, y[idx], act), lr)
        losses.append(total / len(X))
    return params, losses


def accuracy(params: list, X: np.ndarray, y: np.ndarray, act: str) -> float:
    """The share of rows whose largest logit is their class."""
    return float(np.mean(forward(params, X, act)[0].argmax(axis=1) == y))
