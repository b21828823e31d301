"""Images and Convolutions' jobs: the page's config, its MLP and CNN of a similar parameter budget trained
as the Digit Recognizer trains them (no augmented copies: neither model is shown a moved digit), and the
tests run on them: shifted and rotated test digits, feature maps, occlusion and the receptive field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from scipy import ndimage

from core.config import Config, param
from core.datasets import Dataset
from core.digits.jobs import SIDE, DigitsCnn, DigitsConfig, load_data
from core.engine import TrainResult, fit
from core.engine.conv import CnnConfig, conv_sides, n_params
from core.serve.cache import batch_key

DATASETS = ("digits", "mnist")
SHIFTS = {"digits": (0, 1, 2), "mnist": (0, 1, 2, 3, 4)}  # pixels; 2 on 8x8 is a quarter of the image
ANGLES = (0, 10, 20, 30, 45)  # degrees


CONFIG_TYPES = (DigitsConfig, DigitsCnn)  # what a cached result's configs are read back as


@dataclass(frozen=True)
class ConvConfig(Config):
    """The page's comparison: an MLP and a CNN of a similar parameter count on one digit set, one seed."""

    kind: ClassVar[str] = "conv-compare"
    dataset: str = param("digits", choices=DATASETS, help="8x8 sklearn digits or the shipped 28x28 MNIST sample")
    epochs: int = param(40, lo=1, hi=5000, cap="epochs",
                        help="at most this many epochs (early stopping may end sooner)")
    channels: tuple[int, ...] = param((6, 16), lo=1, hi=64, length=(2, 2), cap="width",
                                      help="feature maps of the CNN's two conv layers")
    seed: int = param(0, lo=0, hi=10_000)
    train_limit: int = param(2000, lo=100, hi=60_000, help="MNIST sample: training digits used (the 8x8 set uses all)")

    def models(self) -> tuple[DigitsConfig, DigitsCnn]:
        """The MLP and the CNN this comparison trains: same data, optimiser and stopping rule."""
        return mlp_config(self), cnn_config(self)

    def workload(self, data: Any = None) -> Any:
        from core.convolutions.workload import compare
        return compare(self, data)


SIZE_STEPS = (0.25, 0.5, 1.0, 2.0)  # widths of both models as multiples of the page's pair


@dataclass(frozen=True)
class SizesConfig(Config):
    """Parameters against accuracy: the page's MLP and CNN at SIZE_STEPS times their widths, on the 8x8 digits."""

    kind: ClassVar[str] = "conv-sizes"
    dataset: str = param("digits", choices=("digits",), help="the 8x8 digits (the 28x28 sample would take minutes)")
    epochs: int = param(40, lo=1, hi=5000, cap="epochs",
                        help="at most this many epochs (early stopping may end sooner)")
    seed: int = param(0, lo=0, hi=10_000)
    train_limit: int = 0

    def models(self) -> list[DigitsConfig]:
        """Every size's MLP, then every size's CNN."""
        w = lambda n, f: max(1, round(n * f))  # noqa: E731
        common = _common(self)
        mlps = [DigitsConfig(hidden=(w(100, f), w(50, f)), **common) for f in SIZE_STEPS]
        cnns = [DigitsCnn(channels=(w(6, f), w(16, f)), kernel=5, hidden=(w(128, f),), **common) for f in SIZE_STEPS]
        return [*mlps, *cnns]

    def workload(self, data: Any = None) -> Any:
        from core.convolutions.workload import sizes
        return sizes(self, data)


def compute_sizes(cfg: SizesConfig) -> list[TrainResult]:
    """Train every size of both models (no cache), one after the other on one split."""
    d = load_data(cfg.models()[0])
    out = []
    for m in cfg.models():
        t0 = time.perf_counter()
        r = fit([m], d)[0]
        r.extra["seconds"] = time.perf_counter() - t0
        out.append(r)
    return out


def sizes_key(cfg: SizesConfig) -> str:
    """The cache key of a sizes run (the 8x8 digits' split is fixed)."""
    from core.digits.jobs import data_identity
    return batch_key(cfg.models(), data_identity(cfg.models()[0]))


def sizes_table(results: list[TrainResult]) -> pd.DataFrame:
    """One row per model: model ("MLP"/"CNN"), params, accuracy (test), seconds (training)."""
    rows = []
    for r in results:
        c = r.config
        cnn = isinstance(c, CnnConfig)
        params = n_params(c, 8, 10) if cnn else mlp_params(c, 8)  # type: ignore[arg-type]
        rows.append({"model": "CNN" if cnn else "MLP", "params": params, "accuracy": r.metrics["final_test_acc"],
                     "seconds": r.extra.get("seconds", float("nan"))})
    return pd.DataFrame(rows)


def _common(cfg: Any) -> dict[str, Any]:
    limit = cfg.train_limit if cfg.dataset == "mnist" else 0
    base = dict(dataset=cfg.dataset, epochs=cfg.epochs, seed=cfg.seed, augment=0.0, augment_copies=0,
                train_limit=limit, patience=8, dropout=0.0)
    if cfg.dataset == "mnist":
        base.update(lr=0.002, batch_size=128)
    return base


def mlp_config(cfg: ConvConfig) -> DigitsConfig:
    """The MLP: 64-100-50-10 on the 8x8 digits (12,060 weights), 784-64-10 on 28x28 (50,890)."""
    return DigitsConfig(hidden=(100, 50) if cfg.dataset == "digits" else (64,), **_common(cfg))


def cnn_config(cfg: ConvConfig) -> DigitsCnn:
    """The CNN: two 5x5 conv layers (``channels``), 2x2 pools, a dense layer near the MLP's parameter count."""
    return DigitsCnn(channels=cfg.channels, kernel=5, hidden=(128,) if cfg.dataset == "digits" else (64,),
                     **_common(cfg))


def mlp_params(cfg: DigitsConfig, side: int) -> int:
    """Weights and biases of an MLP on side x side images with 10 outputs."""
    widths = [side * side, *cfg.hidden, 10]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def param_counts(cfg: ConvConfig) -> tuple[int, int]:
    """(MLP, CNN) trainable parameters."""
    side = SIDE[cfg.dataset]
    mlp, cnn = cfg.models()
    return mlp_params(mlp, side), n_params(cnn, side, 10)


def key(cfg: ConvConfig, data_id: str) -> str:
    """The cache key of the comparison on its data."""
    return batch_key(list(cfg.models()), data_id)


def data_id(cfg: ConvConfig) -> str:
    """What the data is (the MNIST sample's contents hash), for the cache key."""
    from core.digits.jobs import data_identity
    return data_identity(mlp_config(cfg), sample_dir(cfg))


def sample_dir(cfg: ConvConfig) -> str | None:
    """The folder the MNIST data comes from: the shipped sample (None for the 8x8 digits)."""
    if cfg.dataset != "mnist":
        return None
    from core.datasets.mnist import SAMPLE_DIR
    return str(SAMPLE_DIR)


def data(cfg: ConvConfig) -> Dataset:
    """The split both models train and are tested on."""
    return load_data(mlp_config(cfg), sample_dir(cfg))


def compute(cfg: ConvConfig) -> list[TrainResult]:
    """Train the MLP, then the CNN (no cache); each result's extra holds its training seconds."""
    d = data(cfg)
    out = []
    for m in cfg.models():
        t0 = time.perf_counter()
        r = fit([m], d)[0]
        r.extra["seconds"] = time.perf_counter() - t0
        r.extra["dataset"] = cfg.dataset
        out.append(r)
    return out


# ---- tests on the trained models ---------------------------------------------------------------------

def net(result: TrainResult) -> torch.nn.Sequential:
    """The result's model in eval mode (built once, kept in its extra)."""
    m = result.extra.get("_net")
    if m is None:
        m = result.model().eval()
        result.extra["_net"] = m
    return m


def probs(result: TrainResult, X: np.ndarray) -> np.ndarray:
    """Class probabilities of rows X [N, F] -> [N, 10]."""
    with torch.no_grad():
        return torch.softmax(net(result)(torch.as_tensor(np.asarray(X, np.float32).reshape(len(X), -1))), -1).numpy()


def shift_images(X: np.ndarray, side: int, dx: int, dy: int) -> np.ndarray:
    """Rows X [N, side*side] moved dx pixels right and dy down; what leaves the image is lost, blank fills in."""
    imgs = X.reshape(-1, side, side)
    out = np.zeros_like(imgs)
    h, w = side - abs(dy), side - abs(dx)
    ys, yd = (0, dy) if dy >= 0 else (-dy, 0)
    xs, xd = (0, dx) if dx >= 0 else (-dx, 0)
    out[:, yd:yd + h, xd:xd + w] = imgs[:, ys:ys + h, xs:xs + w]
    return out.reshape(len(X), -1)


def rotate_images(X: np.ndarray, side: int, degrees: float) -> np.ndarray:
    """Rows X rotated by ``degrees`` about the image centre (bilinear, blank outside)."""
    imgs = X.reshape(-1, side, side)
    out = ndimage.rotate(imgs, degrees, axes=(2, 1), reshape=False, order=1, mode="constant", cval=0.0)
    return np.clip(out, 0.0, 1.0).astype(np.float32).reshape(len(X), -1)


MOVES = ((1, 0), (-1, 0), (0, 1), (0, -1))  # right, left, down, up: each shift test averages the four


def shift_table(results: list[TrainResult], d: Dataset, side: int, shifts: tuple[int, ...]) -> pd.DataFrame:
    """Test accuracy of each model when every test digit moves ``s`` pixels (mean of right, left, down, up).

    Columns: model ("MLP"/"CNN"), shift (pixels), accuracy."""
    X, y = d.X_test.numpy(), d.y_test.numpy()
    rows = []
    for name, r in zip(("MLP", "CNN"), results):
        for s in shifts:
            views = [X] if s == 0 else [shift_images(X, side, dx * s, dy * s) for dx, dy in MOVES]
            acc = float(np.mean([(probs(r, v).argmax(1) == y).mean() for v in views]))
            rows.append({"model": name, "shift": s, "accuracy": acc})
    return pd.DataFrame(rows)


def rotation_table(results: list[TrainResult], d: Dataset, side: int, angles: tuple[int, ...] = ANGLES
                   ) -> pd.DataFrame:
    """Test accuracy of each model with every test digit rotated (mean of +angle and -angle).

    Columns: model, angle (degrees), accuracy."""
    X, y = d.X_test.numpy(), d.y_test.numpy()
    rows = []
    for name, r in zip(("MLP", "CNN"), results):
        for a in angles:
            views = [X] if a == 0 else [rotate_images(X, side, s * a) for s in (1, -1)]
            acc = float(np.mean([(probs(r, v).argmax(1) == y).mean() for v in views]))
            rows.append({"model": name, "angle": a, "accuracy": acc})
    return pd.DataFrame(rows)


def drop(table: pd.DataFrame, model: str, col: str) -> float:
    """Accuracy lost by ``model`` from the first to the last value of ``col`` (percentage points, >0 = fell)."""
    t = table[table.model == model].sort_values(col)
    return 100 * float(t.accuracy.iloc[0] - t.accuracy.iloc[-1])


def drawing_image(png: bytes, dataset: str) -> np.ndarray:
    """A drawing (image bytes) as the model's input row, preprocessed as the Digit Recognizer reads it
    (ImageError when it holds no ink or is not an image)."""
    from core.digits import images
    return images.preprocess(images.load_image(png), dataset).x


def filters(result: TrainResult) -> pd.DataFrame:
    """The first conv layer's kernels, long: filter, row, col, weight."""
    w = next(v for k, v in result.state.items() if v.dim() == 4).numpy()  # [C, 1, k, k]
    C, _, k, _ = w.shape
    f, r, c = np.meshgrid(np.arange(C), np.arange(k), np.arange(k), indexing="ij")
    return pd.DataFrame({"filter": f.ravel(), "row": r.ravel(), "col": c.ravel(), "weight": w[:, 0].ravel()})


def feature_maps(result: TrainResult, image: np.ndarray) -> pd.DataFrame:
    """Every conv layer's activation maps (after the activation, before the pool) for one image, long:
    layer (1, 2), map, row, col, value."""
    m = net(result)
    x = torch.as_tensor(np.asarray(image, np.float32).reshape(1, -1))
    rows, layer = [], 0
    with torch.no_grad():
        h = x
        for i, mod in enumerate(m):
            h = mod(h)
            if isinstance(m[i - 1] if i else None, torch.nn.Conv2d):  # the activation right after a conv
                layer += 1
                a = h[0].numpy()
                C, S, _ = a.shape
                c, r, q = np.meshgrid(np.arange(C), np.arange(S), np.arange(S), indexing="ij")
                rows.append(pd.DataFrame({"layer": layer, "map": c.ravel(), "row": r.ravel(), "col": q.ravel(),
                                          "value": a.ravel()}))
    return pd.concat(rows, ignore_index=True)


def occlusion(result: TrainResult, image: np.ndarray, patch: int = 2) -> tuple[pd.DataFrame, int, float]:
    """How much the predicted class's probability falls when a patch x patch square of the image is blanked,
    at every position (the mean over the patches covering a pixel): (long frame row, col, drop), the class,
    its probability on the whole image. drop > 0: the pixel helped it say that class."""
    x = np.asarray(image, np.float32).reshape(-1)
    side = int(round(len(x) ** 0.5))
    p0 = probs(result, x[None])[0]
    cls = int(p0.argmax())
    img = x.reshape(side, side)
    views, spots = [], []
    for r in range(side - patch + 1):
        for c in range(side - patch + 1):
            v = img.copy()
            v[r:r + patch, c:c + patch] = 0.0
            views.append(v.ravel())
            spots.append((r, c))
    p = probs(result, np.stack(views))[:, cls]
    total, count = np.zeros((side, side)), np.zeros((side, side))
    for (r, c), pc in zip(spots, p):
        total[r:r + patch, c:c + patch] += p0[cls] - pc
        count[r:r + patch, c:c + patch] += 1
    d = total / np.maximum(count, 1)
    rr, cc = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    return pd.DataFrame({"row": rr.ravel(), "col": cc.ravel(), "drop": d.ravel()}), cls, float(p0[cls])


def receptive_field(cnn: CnnConfig, side: int, row: int, col: int) -> pd.DataFrame:
    """Which input pixels one unit (row, col) of conv layer 2's maps sees, found by autograd: the gradient
    of that unit through fresh 5x5 convolutions and the pool is non-zero exactly on its field.

    Long frame: row, col, seen (bool), unit (bool: the pixel at the unit's centre in input coordinates)."""
    k = cnn.kernel
    x = torch.ones(1, 1, side, side, requires_grad=True)
    w1 = torch.ones(1, 1, k, k)
    # max pool picks one pixel of four; an average pool over the same window sees all four, which is the field
    h2 = torch.nn.functional.avg_pool2d(torch.nn.functional.conv2d(x, w1, padding=k // 2), 2)
    z = torch.nn.functional.conv2d(h2, torch.ones(1, 1, k, k), padding=k // 2)
    z[0, 0, row, col].backward()
    g = x.grad[0, 0].numpy()
    s2 = conv_sides(side, 2)[1]
    rr, cc = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    centre = (rr // 2 == min(row, s2 - 1)) & (cc // 2 == min(col, s2 - 1))
    return pd.DataFrame({"row": rr.ravel(), "col": cc.ravel(), "seen": (g != 0).ravel(), "unit": centre.ravel()})


def field_size(field: pd.DataFrame) -> int:
    """The side of the square of input pixels a unit sees (its bounding box, inside the image)."""
    seen = field[field.seen]
    return int(max(seen.row.max() - seen.row.min(), seen.col.max() - seen.col.min()) + 1)
