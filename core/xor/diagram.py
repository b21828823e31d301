"""The Playground's network diagram as compact arrays: what the browser component draws each frame.

A frame is a plain dict (JSON-safe) holding the diagram's layout (node positions and tile sizes in
a logical canvas of ``CANVAS_W`` x height pixels, scaled to fit in the browser), every connection's
weight, every node's output over the plane as a small uint8 picture (base64), the output plane, the
points, the hidden space (:mod:`core.xor.hidden_space`) and the metrics. Pictures travel as bytes:
value ``v`` in a node's range ``(lo, hi)`` is ``round(255 * (v - lo) / (hi - lo))``, row-major with
x1 fastest and x2 growing upward (row 0 is x2 = -EXTENT); :mod:`core.xor.wire` packs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core import datasets
from core.engine import Trainer, cores
from core.engine.activations import REGISTRY
from core.xor import hidden_space
from core.xor.wire import b64, quantize

CANVAS_W = 640  # logical width of the diagram; the browser scales it to its column
CANVAS_H = 380  # logical height available for the tallest layer
TILE_MAX = 44   # a node's picture at most this many logical pixels wide
TILE_MIN = 8    # ... and at least this many (a 32-neuron layer)
HEAD = 18       # room above the columns for their headings ("input", "layer 1: 4", "output")
MAP_STEPS = 20  # each node's picture: MAP_STEPS x MAP_STEPS values over the plane
PLANE_STEPS = 50  # the output plane: PLANE_STEPS x PLANE_STEPS
MAX_CURVE = 240  # loss-curve points sent per frame (the log is thinned to this many)


@dataclass(frozen=True)
class Node:
    """One node of the diagram: layer 0 = inputs, last = output; (x, y) is its tile's centre."""

    layer: int
    index: int
    x: float
    y: float
    size: float
    label: str


def tile_size(n: int, height: float = CANVAS_H) -> float:
    """Side of each tile in a column of n nodes: as large as fits (gap = a quarter tile), clamped."""
    fit = height / (n + 0.25 * (n - 1)) if n > 0 else TILE_MAX
    return float(min(TILE_MAX, max(TILE_MIN, fit)))


def layout(widths: Sequence[int], input_labels: Sequence[str], width: float = CANVAS_W) -> list[Node]:
    """Node positions for a network of layer widths [n_in, h1, ..., n_out]: one column per layer.

    Columns are spread evenly over ``width`` (tile centres inside a margin); each column is centred
    vertically in the height of the tallest one, below a strip of HEAD for the column headings.
    Labels: inputs by feature, hidden "L1 n3", output "out".
    """
    sizes = [tile_size(n) for n in widths]
    heights = [n * s + (n - 1) * 0.25 * s for n, s in zip(widths, sizes)]
    H = max(heights)
    margin = TILE_MAX / 2 + 40  # room for the input labels on the left
    L = len(widths)
    nodes: list[Node] = []
    for li, (n, s, h) in enumerate(zip(widths, sizes, heights)):
        x = margin + (width - margin - TILE_MAX) * (li / (L - 1) if L > 1 else 0.5)
        top = HEAD + (H - h) / 2 + s / 2
        for i in range(n):
            if li == 0:
                label = input_labels[i]
            elif li == L - 1:
                label = "out" if n == 1 else f"out {i + 1}"
            else:
                label = f"L{li} n{i + 1}"
            nodes.append(Node(li, i, float(x), float(top + i * 1.25 * s), s, label))
    return nodes


def edges(trainer: Trainer, k: int = 0) -> list[tuple[int, int, int, float]]:
    """Every connection of model k as (layer l, from node i of layer l, to node j of layer l+1, weight)."""
    out = []
    for li, (W, _) in enumerate(trainer.stack.layers()):
        w = W[k].detach().numpy()
        for j in range(w.shape[0]):
            for i in range(w.shape[1]):
                out.append((li, i, j, float(w[j, i])))
    return out


def hidden_range(activation: str) -> tuple[float, float]:
    """The colour range of a hidden neuron's picture: (-1, 1) for symmetric activations, else (0, 1)."""
    return (-1.0, 1.0) if REGISTRY[activation].symmetric else (0.0, 1.0)


def node_maps(trainer: Trainer, features: Sequence[str], activation: str, k: int = 0,
              steps: int = MAP_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Every input, hidden and output node's value over a steps x steps grid, quantized.

    Returns (maps uint8 [n_nodes, steps, steps] in diagram order, ranges float32 [n_nodes, 2]).
    Inputs use +-their largest |value| over the grid; hidden nodes their activation's range;
    the output its probability (0, 1) or, for regression, (-1, 1).
    """
    g = datasets.grid(datasets.EXTENT, steps)
    F = datasets.features(g, tuple(features))
    capture: list = []
    with torch.no_grad():
        logits = trainer.forward(torch.as_tensor(F), capture=capture)
    maps, ranges = [], []
    for f in range(F.shape[1]):
        m = float(np.abs(F[:, f]).max()) or 1.0
        maps.append(quantize(F[:, f], -m, m))
        ranges.append((-m, m))
    lo, hi = hidden_range(activation)
    for _, a in capture:
        an = a[k].numpy()
        for n in range(an.shape[1]):
            maps.append(quantize(an[:, n], lo, hi))
            ranges.append((lo, hi))
    out, out_range = _outputs(trainer, logits[k])
    for j in range(out.shape[1]):
        maps.append(quantize(out[:, j], *out_range))
        ranges.append(out_range)
    return np.stack(maps).reshape(-1, steps, steps), np.asarray(ranges, dtype=np.float32)


def _outputs(trainer: Trainer, logits: torch.Tensor) -> tuple[np.ndarray, tuple[float, float]]:
    """Logits [N, n_out] of one model -> what the page shows (probability or value) and its range."""
    if trainer.task == "binary":
        return torch.sigmoid(logits).numpy(), (0.0, 1.0)
    if trainer.task == "multiclass":
        return torch.softmax(logits, -1).numpy(), (0.0, 1.0)
    return logits.numpy(), (-1.0, 1.0)


def output_plane(trainer: Trainer, features: Sequence[str], k: int = 0, steps: int = PLANE_STEPS) -> np.ndarray:
    """Model k's output over the plane, quantized: uint8 [steps, steps] (row 0 at x2 = -EXTENT)."""
    g = datasets.grid(datasets.EXTENT, steps)
    with torch.no_grad():
        logits = trainer.forward(torch.as_tensor(datasets.features(g, tuple(features))))
    out, rng = _outputs(trainer, logits[k])
    return quantize(out[:, 0], *rng).reshape(steps, steps)


def pack_points(X: np.ndarray, y: np.ndarray, train: np.ndarray, regression: bool) -> np.ndarray:
    """Points as uint8 [N, 4]: x1, x2 (0..255 over [-EXTENT, EXTENT]), label (class 0/1 as 0/255,
    or a value in (-1, 1)), split (1 = train)."""
    e = datasets.EXTENT
    lab = quantize(y, -1.0, 1.0) if regression else np.where(np.asarray(y) > 0.5, 255, 0).astype(np.uint8)
    return np.stack([quantize(X[:, 0], -e, e), quantize(X[:, 1], -e, e), lab,
                     np.asarray(train, dtype=np.uint8)], 1).astype(np.uint8)


def loss_curves(trainer: Trainer, k: int = 0, keep: int = MAX_CURVE) -> dict[str, list[float]]:
    """Model k's evaluated epochs and their train/test loss, thinned to at most ``keep`` points."""
    ep, tr, te = [], [], []
    for row in trainer.rows:
        if "test_loss" in row:
            ep.append(int(row["epoch"]))
            tr.append(float(row["train_eval_loss"][k]) if "train_eval_loss" in row else float(row["train_loss"][k]))
            te.append(float(row["test_loss"][k]))
    if len(ep) > keep:
        idx = np.unique(np.linspace(0, len(ep) - 1, keep).round().astype(int))
        ep, tr, te = [ep[i] for i in idx], [tr[i] for i in idx], [te[i] for i in idx]
    clean = lambda v: [round(x, 5) if np.isfinite(x) else None for x in v]  # noqa: E731
    return {"epoch": ep, "train": clean(tr), "test": clean(te)}


def frame(trainer: Trainer, features: Sequence[str], activation: str, points: tuple[np.ndarray, ...],
          k: int = 0, epochs: int = 0, title: str = "", regression: bool = False,
          metrics: dict[str, float] | None = None, discretize: bool = False, show_test: bool = True) -> dict:
    """Everything the component draws for model k now (JSON-safe; arrays as base64 uint8).

    discretize: the output plane (and the output node's picture) as two colours, split where the output
    crosses the middle of its range (probability 0.5, or value 0), as TensorFlow Playground draws it.
    show_test: without it the test points are left out (of the plane and of the hidden space).

    points: (X [N, 2], y [N], train [N] bool) of the setting. Keys: widths, nodes (x, y, size, label per
    node), weights (per layer [out][in]), biases (per layer [out]), maps (uint8 [n_nodes, MAP_STEPS^2]),
    map_steps, plane (uint8 [PLANE_STEPS^2]), plane_steps, points (uint8 [N, 4]), hidden (the hidden
    space: see :func:`hidden_space.payload`), curve, epoch, epochs, metrics, title, regression, extent.
    """
    with cores.training_threads(0):  # tiny forwards: one thread (a busy thread pool costs 10x here)
        return _frame(trainer, features, activation, points, k, epochs, title, regression, metrics,
                      discretize, show_test)


def two_colours(q: np.ndarray) -> np.ndarray:
    """Quantized outputs as two classes: 255 where the value is at least the middle of its range, else 0."""
    return np.where(np.asarray(q) >= 128, 255, 0).astype(np.uint8)


def _frame(trainer: Trainer, features: Sequence[str], activation: str, points: tuple[np.ndarray, ...],
           k: int, epochs: int, title: str, regression: bool, metrics: dict[str, float] | None,
           discretize: bool = False, show_test: bool = True) -> dict:
    widths = [trainer.n_in, *trainer.stack.hidden_widths, trainer.n_out]
    labels = [datasets.FEATURE_LABELS.get(f, f) for f in features]
    nodes = layout(widths, labels)
    maps, ranges = node_maps(trainer, features, activation, k)
    plane = output_plane(trainer, features, k)
    if discretize:
        maps[-trainer.n_out:] = two_colours(maps[-trainer.n_out:])
        plane = two_colours(plane)
    X, y, train = points
    if not show_test:
        keep = np.asarray(train, bool)
        X, y, train = np.asarray(X)[keep], np.asarray(y)[keep], np.asarray(train, bool)[keep]
    layers = trainer.stack.layers()
    hs = None
    if trainer.stack.hidden_widths:
        F = torch.as_tensor(datasets.features(np.asarray(X, dtype=np.float32), tuple(features)))
        hs = hidden_space.payload(hidden_space.of_trainer(trainer, F, k), y, np.asarray(train, bool),
                                  hidden_range(activation), layer=len(trainer.stack.hidden_widths))
    return {
        "title": title,
        "epoch": int(trainer.epoch),
        "epochs": int(epochs),
        "regression": bool(regression),
        "extent": datasets.EXTENT,
        "widths": widths,
        "nodes": [[round(n.x, 2), round(n.y, 2), round(n.size, 2), n.label] for n in nodes],
        "height": round(max(n.y + n.size / 2 for n in nodes) + 8, 1),
        "weights": [np.round(W[k].detach().numpy().astype(np.float64), 4).tolist() for W, _ in layers],
        "biases": [np.round(b[k, 0].detach().numpy().astype(np.float64), 4).tolist() for _, b in layers],
        "maps": b64(maps),
        "ranges": np.round(ranges.astype(np.float64), 4).tolist(),
        "map_steps": MAP_STEPS,
        "plane": b64(plane),
        "discretized": bool(discretize),
        "plane_steps": PLANE_STEPS,
        "points": b64(pack_points(X, y, train, regression)),
        "hidden": hs,
        "curve": loss_curves(trainer, k),
        "metrics": {m: (round(float(v), 4) if v is not None and np.isfinite(v) else None)
                    for m, v in (metrics or {}).items()},
    }
