"""A 2-layer neural network in NumPy with backprop written by hand (the tutorial's XOR solver).

    z1 = X @ W1 + b1     a1 = sigmoid(z1)      [N, H]
    z2 = a1 @ W2 + b2    a2 = sigmoid(z2)      [N, 1]
    loss = binary cross-entropy(a2, y)

Backward is the chain rule, one line per step; tests check every gradient against torch autograd.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), with z clipped to +-500 so exp cannot overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def bce(a: np.ndarray, y: np.ndarray, eps: float = 1e-8) -> float:
    """Mean binary cross-entropy of probabilities a against 0/1 targets y (same shape)."""
    return float(-np.mean(y * np.log(a + eps) + (1 - y) * np.log(1 - a + eps)))


@dataclass
class ScratchHistory:
    """loss per epoch [E]; snapshots of the weights every few epochs (epoch -> params)."""

    loss: list[float] = field(default_factory=list)
    snapshots: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)


class ScratchNet:
    """2-H-1 sigmoid network; weights randn*0.5 from ``default_rng(seed)``, biases 0."""

    def __init__(self, n_in: int = 2, n_hidden: int = 4, seed: int = 0, dtype: type = np.float64) -> None:
        rng = np.random.default_rng(seed)
        self.W1 = (rng.standard_normal((n_in, n_hidden)) * 0.5).astype(dtype)
        self.b1 = np.zeros((1, n_hidden), dtype=dtype)
        self.W2 = (rng.standard_normal((n_hidden, 1)) * 0.5).astype(dtype)
        self.b2 = np.zeros((1, 1), dtype=dtype)

    def params(self) -> dict[str, np.ndarray]:
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    def forward(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """X [N, n_in] -> the intermediate values z1, a1 [N, H], z2, a2 [N, 1]."""
        z1 = X @ self.W1 + self.b1
        a1 = sigmoid(z1)
        z2 = a1 @ self.W2 + self.b2
        a2 = sigmoid(z2)
        return {"X": X, "z1": z1, "a1": a1, "z2": z2, "a2": a2}

    def backward(self, cache: dict[str, np.ndarray], y: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the mean BCE loss; y [N, 1]. Returns dW1, db1, dW2, db2."""
        X, a1, a2 = cache["X"], cache["a1"], cache["a2"]
        n = len(X)
        dz2 = (a2 - y) / n                      # sigmoid + cross-entropy: the derivative collapses
        dW2 = a1.T @ dz2
        db2 = dz2.sum(axis=0, keepdims=True)
        da1 = dz2 @ self.W2.T                   # the error sent back to the hidden layer
        dz1 = da1 * a1 * (1 - a1)               # times sigmoid'(z1)
        dW1 = X.T @ dz1
        db1 = dz1.sum(axis=0, keepdims=True)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def step(self, grads: dict[str, np.ndarray], lr: float) -> None:
        """Plain gradient descent on every parameter."""
        for name, p in self.params().items():
            p -= lr * grads[name]

    def fit(self, X: np.ndarray, y: np.ndarray, lr: float = 0.5, epochs: int = 2000,
            snapshot_every: int = 0) -> ScratchHistory:
        """Full-batch gradient descent; y [N] or [N, 1]."""
        y = y.reshape(-1, 1).astype(self.W1.dtype)
        X = X.astype(self.W1.dtype)
        h = ScratchHistory()
        for epoch in range(1, epochs + 1):
            cache = self.forward(X)
            h.loss.append(bce(cache["a2"], y))
            self.step(self.backward(cache, y), lr)
            if snapshot_every and (epoch % snapshot_every == 0 or epoch == epochs):
                h.snapshots[epoch] = {k: v.copy() for k, v in self.params().items()}
        return h

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """X [N, n_in] -> P(y = 1) [N]."""
        return self.forward(X.astype(self.W1.dtype))["a2"][:, 0]


def solves_many(seeds: range | list[int], X: np.ndarray, y: np.ndarray, n_hidden: int = 4, lr: float = 0.5,
                epochs: int = 2000) -> np.ndarray:
    """Train one ScratchNet per seed, all at once (the same steps, stacked on a leading seed axis).

    Each seed starts from exactly ScratchNet(n_in, n_hidden, seed)'s weights and takes the same
    full-batch steps as ScratchNet.fit. Returns [S] bool: whether every output lands on the right side of 0.5.
    """
    nets = [ScratchNet(X.shape[1], n_hidden, s) for s in seeds]
    W1 = np.stack([n.W1 for n in nets])   # [S, n_in, H]
    b1 = np.stack([n.b1 for n in nets])   # [S, 1, H]
    W2 = np.stack([n.W2 for n in nets])   # [S, H, 1]
    b2 = np.stack([n.b2 for n in nets])   # [S, 1, 1]
    X = X.astype(np.float64)
    t = y.reshape(1, -1, 1).astype(np.float64)
    n = len(X)
    for _ in range(epochs):
        a1 = sigmoid(X @ W1 + b1)               # [S, N, H]
        a2 = sigmoid(a1 @ W2 + b2)              # [S, N, 1]
        dz2 = (a2 - t) / n
        dz1 = (dz2 @ W2.transpose(0, 2, 1)) * a1 * (1 - a1)
        W2 -= lr * (a1.transpose(0, 2, 1) @ dz2)
        b2 -= lr * dz2.sum(1, keepdims=True)
        W1 -= lr * (X.T @ dz1)
        b1 -= lr * dz1.sum(1, keepdims=True)
    p = sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)[:, :, 0]
    return ((p > 0.5) == (y.reshape(1, -1) > 0.5)).all(1)
