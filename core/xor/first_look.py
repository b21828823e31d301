"""Home's first chart: the tutorial's NumPy network (2-4-1 sigmoid, lr 0.5, 2,000 full-batch steps) solving
XOR, trained in well under a second with NumPy alone.

Only NumPy and pandas: Home draws this before torch is imported, so a fresh server's first page is quick.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.xor.scratch import ScratchNet

# XOR's truth table: the four corners of the unit square, 1 where exactly one input is 1
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.float64)


@dataclass(frozen=True)
class FirstLook:
    """A trained ScratchNet's view of the plane and what it did.

    surface: x1, x2, p ([steps**2] rows over [-0.5, 1.5]^2); points: x1, x2, label (the four inputs);
    outputs: P(output = 1) on the four inputs [4]; final_loss: binary cross-entropy after training;
    seconds: wall-clock training time.
    """

    surface: pd.DataFrame
    points: pd.DataFrame
    outputs: np.ndarray
    final_loss: float
    solved: bool
    seconds: float
    hidden: int
    lr: float
    epochs: int
    seed: int


def first_look(seed: int = 0, hidden: int = 4, lr: float = 0.5, epochs: int = 2000, steps: int = 31) -> FirstLook:
    """Train the tutorial's NumPy network on XOR (weights randn*0.5 from ``seed``) and read it over the plane."""
    t0 = time.perf_counter()
    net = ScratchNet(2, hidden, seed)
    hist = net.fit(XOR_X, XOR_Y, lr=lr, epochs=epochs)
    seconds = time.perf_counter() - t0
    axis = np.linspace(-0.5, 1.5, steps)
    g1, g2 = np.meshgrid(axis, axis)
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    out = net.predict_proba(XOR_X)
    return FirstLook(
        surface=pd.DataFrame({"x1": grid[:, 0], "x2": grid[:, 1], "p": net.predict_proba(grid)}),
        points=pd.DataFrame({"x1": XOR_X[:, 0].astype(int), "x2": XOR_X[:, 1].astype(int),
                             "label": XOR_Y.astype(int)}),
        outputs=out,
        final_loss=float(hist.loss[-1]),
        solved=bool(((out > 0.5) == (XOR_Y > 0.5)).all()),
        seconds=seconds, hidden=hidden, lr=lr, epochs=epochs, seed=seed,
    )
