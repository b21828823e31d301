"""The Digit Recognizer's core: data, the default models, training through the one loop, evaluation,
the tutorial's sklearn baseline, and model files (safetensors + JSON; never a pickle).

Two data sets: sklearn's 8x8 digits ("digits", the tutorial's split) and MNIST ("mnist", 28x28, from
:mod:`core.datasets.mnist`). Validation rows are carved off the training rows; the test rows are never seen
in training. Augmentation (MNIST-format only) is data: seeded, precomputed, transformed copies of the
training rows appended to them, so training still goes through :func:`core.engine.fit`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from core.config import ConfigError, param
from core.datasets import Dataset, digits_arrays, mnist
from core.engine import ProgressFn, TrainConfig, TrainResult, fit
from core.serve.cache import DiskCache, batch_key, cached, decode_results, encode_results

DATASETS = ("digits", "mnist")
SIDE = {"digits": 8, "mnist": 28}
MODEL_FORMAT = "nnlab-digits"
MODEL_VERSION = 1
MAX_MODEL_BYTES = 50_000_000


@dataclass(frozen=True)
class DigitsConfig(TrainConfig):
    """One digit model: the MLP and its training (TrainConfig) plus the data it learns from.

    The defaults are the page's default model for the 8x8 digits: the tutorial's (100, 50) ReLU MLP
    with dropout 0.2, Adam, early stopping on 10% of the training rows with patience 10, and two
    lightly augmented copies of each training image (test accuracy about 0.98-0.99 over seeds, where
    the same MLP without dropout and augmentation gets about 0.96-0.975). See :func:`default_config`.
    """

    kind: ClassVar[str] = "digits"

    hidden: tuple[int, ...] = param((100, 50), lo=1, hi=4096, length=(0, 20), cap=("width", "layers"),
                                      help="hidden layer widths")
    lr: float = param(0.005, lo=1e-6, hi=10.0)
    batch_size: int = param(256, lo=0, hi=100_000, help="0 means the whole training set")
    epochs: int = param(200, lo=1, hi=100_000, cap="epochs")
    patience: int = param(10, lo=0, hi=10_000, help="early stopping; 0 means off")
    dropout: float = param(0.2, lo=0.0, hi=0.9)
    dataset: str = param("digits", choices=DATASETS, help="8x8 sklearn digits or 28x28 MNIST")
    val_fraction: float = param(0.1, lo=0.0, hi=0.5, help="training rows held out to watch for early stopping")
    augment: float = param(0.5, lo=0.0, hi=2.0, help="strength of random shifts, rotations, scale, stroke width")
    augment_copies: int = param(2, lo=0, hi=20, help="augmented copies of each training image; 0 = none")
    train_limit: int = param(0, lo=0, hi=1_000_000, help="use only the first N training rows; 0 = all")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.patience > 0 and self.val_fraction <= 0:
            raise ConfigError("val_fraction", "early stopping needs a validation share above 0")


def default_config(dataset: str = "digits") -> DigitsConfig:
    """The page's default model for a data set ("digits" or "mnist").

    mnist: 784-256-128-10 ReLU, dropout 0.2, Adam 1e-3, batch 128, early stopping, and four augmented
    copies of each training digit (strength 1, with an elastic warp). Trained on the shared sample's
    4,000 digits it scored 0.970 on the sample's 1,000 t10k digits and read 97.2% of 1,000 realistic
    uploads made from them (bench/digits.py; seeds 0-2 averaged 97.1%).
    """
    if dataset == "digits":
        return DigitsConfig()
    if dataset == "mnist":
        return DigitsConfig(dataset="mnist", hidden=(256, 128), lr=0.001, batch_size=128, epochs=60,
                            dropout=0.2, augment=1.0, augment_copies=4)
    raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")


# ---- data ------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _mnist_raw(folder: str | None, stamp: tuple) -> tuple[tuple[np.ndarray, ...], str]:
    arrays = mnist.load_raw(folder)
    return arrays, mnist.fingerprint(arrays)


def _stamp(folder: str | Path | None) -> tuple:
    """Changes when the folder's files change (so the memo above reloads)."""
    root = Path(folder) if folder is not None else None
    if root is None or not root.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in root.iterdir() if p.is_file()))


def raw_arrays(dataset: str, folder: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X_train [N, side*side] float32 in [0, 1], y_train [N] int64, X_test, y_test for a data set."""
    if dataset == "digits":
        return digits_arrays()
    (tri, trl, tei, tel), _ = _mnist_raw(None if folder is None else str(folder), _stamp(folder))
    f = lambda a: a.reshape(len(a), -1).astype(np.float32) / 255.0  # noqa: E731
    return f(tri), trl.astype(np.int64), f(tei), tel.astype(np.int64)


def data_identity(cfg: DigitsConfig, folder: str | Path | None = None) -> str:
    """What the data is, for cache keys: the data set and (MNIST) a hash of the files' contents."""
    if cfg.dataset == "digits":
        return "sklearn-digits-tutorial-split"
    _, fp = _mnist_raw(None if folder is None else str(folder), _stamp(folder))
    return f"mnist-{fp}"


ELASTIC_PX = 1.0  # typical (rms) displacement of the elastic warp in pixels, at strength 1
ELASTIC_SIGMA = 4.0  # smoothness of the warp: Gaussian sigma in pixels


def _elastic_field(n: int, side: int, rms_px: float, g: torch.Generator) -> torch.Tensor:
    """Smooth random displacements [n, side, side, 2] in grid_sample's normalised units, rms ``rms_px`` pixels."""
    field = torch.rand(n * 2, 1, side, side, generator=g) * 2 - 1
    r = int(3 * ELASTIC_SIGMA)
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-(t ** 2) / (2 * ELASTIC_SIGMA ** 2))
    k = k / k.sum()
    field = F.conv2d(F.pad(field, (r, r, 0, 0), mode="reflect" if r < side else "replicate"), k.view(1, 1, 1, -1))
    field = F.conv2d(F.pad(field, (0, 0, r, r), mode="reflect" if r < side else "replicate"), k.view(1, 1, -1, 1))
    field = field.view(n, 2, side, side)
    field = field / field.pow(2).mean((1, 2, 3), keepdim=True).sqrt().clamp(min=1e-8) * rms_px
    return field.permute(0, 2, 3, 1) * (2.0 / side)


AUGMENT_CHUNK = 256  # rows warped at once: the elastic field's smoothing (conv2d's im2col) takes ~160 kB a row


def augment_images(X: np.ndarray, strength: float, copies: int, seed: int = 0, side: int = 28,
                   out: np.ndarray | None = None, chunk: int = AUGMENT_CHUNK) -> np.ndarray:
    """Seeded augmented copies of images: X [N, side*side] -> [copies * N, side*side] float32.

    Each copy gets a random small rotation (up to 12 degrees x strength), scale (+-10%), shear,
    shift (up to 2 px) and stroke width change (thicker or thinner by about a pixel); 28x28 digits
    also get an elastic distortion (a smooth random warp, rms ELASTIC_PX px x strength), the
    augmentation that most helped MLPs on MNIST (Simard, Steinkraus and Platt 2003).

    Memory: the copies are written ``chunk`` rows at a time into one preallocated array (``out``
    when given: [copies * N, side*side] float32, e.g. the tail of the training array), so the work
    space is a chunk's, not the copies' (the elastic fields alone were 16 bytes per pixel per row at
    once). The numbers are those of warping every row at once: torch's CPU generator is serial, so
    drawing a field in row chunks gives the same values, and each copy's stroke widths (drawn after
    its fields) are applied in a second pass over the output.
    """
    n, F_ = len(X), X.shape[1]
    if copies <= 0 or strength <= 0 or n == 0:
        return np.zeros((0, F_), np.float32)
    if out is None:
        out = np.empty((copies * n, F_), np.float32)
    if out.shape != (copies * n, F_) or out.dtype != np.float32:
        raise ValueError(f"out must be float32 [{copies * n}, {F_}], got {out.dtype} {list(out.shape)}")
    g = torch.Generator().manual_seed(seed + 104_729)
    x_all = torch.as_tensor(X, dtype=torch.float32).view(-1, 1, side, side)
    chunk = max(1, int(chunk))
    for c in range(copies):
        def u(m: int = n) -> torch.Tensor:
            return torch.rand(m, generator=g) * 2 - 1
        angle = u() * (12.0 * strength) * np.pi / 180
        scale = 1 + u() * 0.10 * strength
        shear = u() * 0.15 * strength
        tx, ty = u() * 2.0 * strength / (side / 2), u() * 2.0 * strength / (side / 2)
        cos, sin = torch.cos(angle), torch.sin(angle)
        # output -> input sampling matrix (affine_grid's convention), in normalised coordinates
        theta = torch.stack([
            torch.stack([cos / scale, (-sin + shear) / scale, tx], 1),
            torch.stack([sin / scale, cos / scale, ty], 1),
        ], 1)
        dest = torch.from_numpy(out[c * n:(c + 1) * n]).view(-1, 1, side, side)
        for lo in range(0, n, chunk):  # the warp, a chunk of rows at a time (fields drawn in order)
            hi = min(n, lo + chunk)
            x = x_all[lo:hi]
            grid = F.affine_grid(theta[lo:hi], list(x.shape), align_corners=False)
            if side >= 16 and ELASTIC_PX > 0:  # elastic distortion (Simard et al. 2003): a smooth random warp
                grid = grid + _elastic_field(hi - lo, side, ELASTIC_PX * strength, g)
            dest[lo:hi] = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        # stroke width: blend towards a dilation (thicker) or an erosion (thinner)
        w = u() * strength
        wpos, wneg = w.clamp(min=0).view(-1, 1, 1, 1), (-w).clamp(min=0).view(-1, 1, 1, 1) * 0.6
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            y = dest[lo:hi]
            thick = F.max_pool2d(y, 3, 1, 1)
            thin = -F.max_pool2d(-y, 3, 1, 1)
            y = y + wpos[lo:hi] * (thick - y) - wneg[lo:hi] * (y - thin)
            y = y / y.amax((1, 2, 3), keepdim=True).clamp(min=1e-6)
            dest[lo:hi] = y.clamp(0, 1)
    return out


def load_data(cfg: DigitsConfig, folder: str | Path | None = None) -> Dataset:
    """The Dataset a config trains on: train (+ augmented copies), validation and test tensors.

    The validation rows are a seeded share of the training rows (before augmentation, so no copy of
    a validation image is trained on). Raises mnist.MnistUnavailable for MNIST that cannot be had.
    """
    Xtr, ytr, Xte, yte = raw_arrays(cfg.dataset, folder)
    if cfg.train_limit:
        Xtr, ytr = Xtr[:cfg.train_limit], ytr[:cfg.train_limit]
    rng = np.random.default_rng(cfg.seed + 7_919)
    perm = rng.permutation(len(Xtr))
    n_val = int(round(cfg.val_fraction * len(Xtr))) if cfg.val_fraction > 0 else 0
    n_val = min(max(n_val, 1 if cfg.val_fraction > 0 else 0), len(Xtr) - 1)
    Xv, yv = Xtr[perm[:n_val]], ytr[perm[:n_val]]
    Xt, yt = Xtr[perm[n_val:]], ytr[perm[n_val:]]
    if cfg.augment > 0 and cfg.augment_copies > 0:
        extra = augment_images(Xt, cfg.augment, cfg.augment_copies, cfg.seed, SIDE[cfg.dataset])
        Xt = np.concatenate([Xt, extra])
        yt = np.concatenate([yt] + [yt] * cfg.augment_copies)
    t = lambda a, dt=torch.float32: torch.as_tensor(np.ascontiguousarray(a), dtype=dt)  # noqa: E731
    return Dataset(t(Xt), t(yt, torch.long), t(Xte), t(yte, torch.long), "multiclass", 10,
                   t(Xv) if n_val else None, t(yv, torch.long) if n_val else None)


# ---- training --------------------------------------------------------------------------------

def train_key(cfgs: DigitsConfig | Sequence[DigitsConfig], folder: str | Path | None = None) -> str:
    """The disk-cache key of one config (or a stack of configs) on its data."""
    cfgs = [cfgs] if isinstance(cfgs, DigitsConfig) else list(cfgs)
    return batch_key(cfgs, data_identity(cfgs[0], folder))


def compute(cfgs: DigitsConfig | Sequence[DigitsConfig], progress: ProgressFn | None = None,
            folder: str | Path | None = None) -> list[TrainResult]:
    """Train (no cache): configs that differ only in per-model fields train together as one stack."""
    cfgs = [cfgs] if isinstance(cfgs, DigitsConfig) else list(cfgs)
    _check_stackable(cfgs)
    data = load_data(cfgs[0], folder)
    results = fit(cfgs, data, progress=progress)
    for r in results:
        r.extra["dataset"] = r.config.dataset  # type: ignore[attr-defined]
    return results


def _check_stackable(cfgs: Sequence[DigitsConfig]) -> None:
    data_fields = ("dataset", "val_fraction", "augment", "augment_copies", "train_limit", "seed")
    for c in cfgs[1:]:
        for f in data_fields:
            if getattr(c, f) != getattr(cfgs[0], f):
                raise ValueError(f"models trained together must share {f!r}")


def train_many(cfgs: Sequence[DigitsConfig], progress: ProgressFn | None = None,
               folder: str | Path | None = None, cache: DiskCache | None = None) -> list[TrainResult]:
    """Several models on one data set (e.g. dropout on/off), trained at once; from the cache if there."""
    results, _ = cached(train_key(cfgs, folder), lambda: compute(cfgs, progress, folder), cache,
                        config_types=(DigitsConfig,))
    return results


def train(cfg: DigitsConfig, progress: ProgressFn | None = None, folder: str | Path | None = None,
          cache: DiskCache | None = None) -> TrainResult:
    """One model through core.engine, from the disk cache when it was trained before."""
    return train_many([cfg], progress, folder, cache)[0]


# ---- evaluation ------------------------------------------------------------------------------

def predict(result: TrainResult, X: np.ndarray, shifts: bool = True) -> np.ndarray:
    """Class probabilities for people's preprocessed digits (eval mode: dropout off): X [N, F] -> [N, 10].

    For a 28x28 model the probabilities are averaged over the image and its four one-pixel shifts:
    where a person's digit lands after centring by mass is uncertain by about a pixel, and the
    average reads more of them right (measured on bench/uploads.py's uploads over three seeds:
    96.8% -> 97.1%). ``shifts=False`` (and the 8x8 model, whose pixels are 4x4 blocks) reads once.
    """
    X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
    side = int(round(X.shape[1] ** 0.5)) if len(X) else 0
    if not shifts or side < 16:
        return _probs(result, X)
    imgs = X.reshape(-1, side, side)
    views = np.stack([imgs] + [np.roll(imgs, d, axis) for axis in (1, 2) for d in (1, -1)])  # [5, N, side, side]
    return _probs(result, views.reshape(5 * len(X), -1)).reshape(5, len(X), -1).mean(0)  # one forward pass


def _probs(result: TrainResult, X: np.ndarray) -> np.ndarray:
    """Class probabilities of the model on rows X [N, F] as they are: [N, 10]."""
    net = _net(result)
    with torch.no_grad():
        logits = net(torch.as_tensor(np.asarray(X, dtype=np.float32).reshape(len(X), -1)))
    return torch.softmax(logits, -1).numpy()


def _net(result: TrainResult) -> torch.nn.Sequential:
    net = result.extra.get("_net")
    if net is None:
        net = result.model()
        result.extra["_net"] = net  # built once per result; the memo keeps predictions fast
    return net


def test_predictions(result: TrainResult, data: Dataset) -> np.ndarray:
    """Probabilities on the data set's test rows (already in the model's input form): [N_test, 10]."""
    return _probs(result, data.X_test.numpy())


def confusion(result: TrainResult, data: Dataset, probs: np.ndarray | None = None) -> pd.DataFrame:
    """Long confusion table over the test rows: true, predicted, count (all 100 cells)."""
    p = test_predictions(result, data) if probs is None else probs
    pred = p.argmax(1)
    true = data.y_test.numpy()
    m = np.zeros((10, 10), np.int64)
    np.add.at(m, (true, pred), 1)
    t, q = np.meshgrid(np.arange(10), np.arange(10), indexing="ij")
    return pd.DataFrame({"true": t.ravel(), "predicted": q.ravel(), "count": m.ravel()})


def per_class(result: TrainResult, data: Dataset, probs: np.ndarray | None = None) -> pd.DataFrame:
    """Per digit: precision, recall, f1 and support (test rows)."""
    p = test_predictions(result, data) if probs is None else probs
    pred, true = p.argmax(1), data.y_test.numpy()
    rows = []
    for d in range(10):
        tp = int(((pred == d) & (true == d)).sum())
        npred, ntrue = int((pred == d).sum()), int((true == d).sum())
        prec = tp / npred if npred else float("nan")
        rec = tp / ntrue if ntrue else float("nan")
        f1 = 2 * prec * rec / (prec + rec) if npred and ntrue and (prec + rec) > 0 else float("nan")
        rows.append({"digit": d, "precision": prec, "recall": rec, "f1": f1, "support": ntrue})
    return pd.DataFrame(rows)


def misclassified(result: TrainResult, data: Dataset, probs: np.ndarray | None = None,
                  true: int | None = None, predicted: int | None = None, limit: int = 40) -> pd.DataFrame:
    """Wrong test rows (optionally one confusion cell), most confident first.

    Columns: index (row of the test set), true, predicted, p_predicted, p_true.
    With both true and predicted given and equal, returns that cell's (right) rows instead.
    """
    p = test_predictions(result, data) if probs is None else probs
    pred, y = p.argmax(1), data.y_test.numpy()
    sel = pred != y
    if true is not None:
        sel = (y == true) if (predicted is not None and predicted == true) else sel & (y == true)
    if predicted is not None:
        sel = sel & (pred == predicted)
    idx = np.flatnonzero(sel)
    conf = p[idx, pred[idx]]
    order = idx[np.argsort(-conf, kind="stable")][:limit]
    return pd.DataFrame({"index": order, "true": y[order], "predicted": pred[order],
                         "p_predicted": p[order, pred[order]], "p_true": p[order, y[order]]})


def test_image(data: Dataset, index: int) -> np.ndarray:
    """One test image as a square float array (8x8 or 28x28) in [0, 1], ink = 1."""
    x = data.X_test[index].numpy()
    side = int(round(len(x) ** 0.5))
    return x.reshape(side, side)


def sklearn_baseline(dataset: str = "digits", folder: str | Path | None = None, max_iter: int = 500,
                     train_limit: int = 0, raw: bool = False) -> dict[str, Any]:
    """The tutorial's MLPClassifier((100, 50), relu, max_iter 500, random_state 42) on the same split.

    raw (8x8 digits only): the tutorial's exact code, ``load_digits()`` pixels as they come (0-16) and
    ``train_test_split(test_size=0.2, random_state=42)``; otherwise the pixels this app trains on, scaled
    to [0, 1]. Returns {"acc": test accuracy, "seconds": fit time, "n_iter": iterations run, "n_test": test
    rows, "pixels": "0-16" or "0-1"}.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    if raw:
        if dataset != "digits":
            raise ValueError("raw pixels: the tutorial's code is for the 8x8 digits")
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        d = load_digits()
        Xtr, Xte, ytr, yte = train_test_split(d.data, d.target, test_size=0.2, random_state=42)
    else:
        Xtr, ytr, Xte, yte = raw_arrays(dataset, folder)
    if train_limit:
        Xtr, ytr = Xtr[:train_limit], ytr[:train_limit]
    clf = MLPClassifier(hidden_layer_sizes=(100, 50), activation="relu", max_iter=max_iter, random_state=42)
    t0 = time.perf_counter()
    # one BLAS thread: these matrices are small, and on a shared machine more threads made the fit 7x slower
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(Xtr, ytr)
        acc = float((clf.predict(Xte) == yte).mean())
    seconds = time.perf_counter() - t0
    return {"acc": acc, "seconds": seconds, "n_iter": int(clf.n_iter_), "n_test": len(yte),
            "pixels": "0-16" if raw else "0-1"}


# ---- model files -----------------------------------------------------------------------------

class ModelFileError(ValueError):
    """A model file that is not an NN Lab digit model (or is damaged); one-line reason."""


def export_model(result: TrainResult) -> bytes:
    """One safetensors file: the weights and history as tensors, config and metrics as JSON metadata."""
    from safetensors.torch import save

    clean = dataclasses.replace(result, extra={k: v for k, v in result.extra.items() if not k.startswith("_")})
    tensors, meta = encode_results([clean])
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION, **meta}
    return save({k: v.contiguous() for k, v in tensors.items()},
                metadata={"nnlab": json.dumps(meta, default=_jsonable)})


def _jsonable(o: Any) -> Any:
    if isinstance(o, (np.integer, np.floating)):
        return o.item()
    if isinstance(o, tuple):
        return list(o)
    return str(o)


MAX_HEADER_BYTES = 1_000_000  # a model file's JSON header (ours are a few kB)
MAX_JSON_DEPTH = 16  # nesting of any JSON in a model file (ours nest 5 deep)
_HIST_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def _json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """Deepest bracket nesting of a JSON text, outside strings; stops counting past ``limit``."""
    depth = deepest = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _bounded_json(text: str | bytes, what: str) -> Any:
    """json.loads after checking the nesting depth (deep nesting blows the parser's stack)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError(f"not a safetensors file ({what} is not UTF-8 text)") from None
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise ModelFileError(f"the model file's {what} is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ModelFileError(f"not a safetensors file (unreadable {what})") from None


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _config_from(raw: Any) -> DigitsConfig:
    """A DigitsConfig from a model file's config dict: every field's type, then its range."""
    if not isinstance(raw, dict):
        raise ModelFileError(f"the model's settings should be a mapping, not a {type(raw).__name__}")
    hints = typing.get_type_hints(DigitsConfig)
    fields = {f.name for f in dataclasses.fields(DigitsConfig)}
    values: dict[str, Any] = {}
    for k, v in raw.items():
        if k not in fields:
            continue  # a field of a later version: ignored, like a shared link's unknown names
        hint = hints[k]
        ok = (_is_int(v) if hint is int else _is_num(v) if hint is float else isinstance(v, str) if hint is str
              else isinstance(v, bool) if hint is bool else None)
        if typing.get_origin(hint) is tuple:
            inner = typing.get_args(hint)[0]
            ok = isinstance(v, list) and len(v) <= 64 and all(_is_int(x) if inner is int else isinstance(x, str)
                                                              for x in v)
            v = tuple(v) if ok else v
        if not ok:
            raise ModelFileError(f"the model's settings are invalid ({k}: {str(v)[:30]!r} has the wrong type)")
        values[k] = v
    try:
        return DigitsConfig(**values)
    except ConfigError as e:
        raise ModelFileError(f"the model's settings are invalid ({e})") from None


def _check_item(item: dict, cfg: DigitsConfig) -> None:
    """Every field of a model's JSON besides its config: types and ranges."""
    metrics = item.get("metrics")
    if not isinstance(metrics, dict) or len(metrics) > 200:
        raise ModelFileError("the model file's metrics should be a mapping of names to numbers")
    for k, v in metrics.items():
        if not (isinstance(k, str) and len(k) <= 60 and (_is_num(v) or v is None)):
            raise ModelFileError(f"the model file's metrics should be numbers ({str(k)[:30]}: {str(v)[:30]!r})")
    for k in ("n_in", "n_out", "stopped_epoch", "best_epoch"):
        v = item.get(k)
        if not (_is_int(v) and 0 <= v <= max(cfg.epochs, 4096)):
            raise ModelFileError(f"the model file's {k} should be a whole number, got {str(v)[:30]!r}")
    if not isinstance(item.get("diverged"), bool):
        raise ModelFileError("the model file's diverged flag should be true or false")
    secs = item.get("seconds")
    if not (_is_num(secs) and 0 <= secs < 1e9):
        raise ModelFileError("the model file's training time should be a number of seconds")
    cols = item.get("columns")
    if not (isinstance(cols, list) and 0 < len(cols) <= 40 and all(isinstance(c, str) and _HIST_COLUMN.match(c)
                                                                   for c in cols) and "epoch" in cols
            and len(set(cols)) == len(cols)):
        raise ModelFileError("the model file's history columns are not an NN Lab history")
    extra = item.get("extra", {})
    if not (isinstance(extra, dict) and len(extra) <= 50 and all(
            isinstance(k, str) and (v is None or isinstance(v, (str, bool)) or _is_num(v)) and len(str(v)) <= 200
            for k, v in extra.items())):
        raise ModelFileError("the model file's extra fields should be a few plain values")


def import_model(data: bytes) -> TrainResult:
    """Load a file made by :func:`export_model`, checking everything; raises ModelFileError with why.

    Reads only safetensors (raw tensors + JSON), never a pickle. Before anything is built: the header
    size (at most MAX_HEADER_BYTES) and JSON nesting (at most MAX_JSON_DEPTH), the marker and version,
    every field's type and range (the config builds a valid DigitsConfig; metrics are numbers; epochs
    and sizes are whole numbers), the tensor names, dtypes and shapes against the config, and that
    every weight is finite. Nothing but ModelFileError leaves this function for a bad file.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load

    if not data:
        raise ModelFileError("the model file is empty")
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(f"the model file is {len(data) / 1e6:.1f} MB; the limit is {MAX_MODEL_BYTES / 1e6:g} MB")
    if data[:2] == b"PK" or data[:1] == b"\x80":
        raise ModelFileError("this looks like a pickle/zip (e.g. a torch .pt file); only NN Lab .safetensors "
                             "model files are accepted, and pickles are never opened")
    n = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if n <= 0 or n > len(data) - 8:
        raise ModelFileError("not a safetensors file (no valid header)")
    if n > MAX_HEADER_BYTES:
        raise ModelFileError(f"the model file's header claims {n:,} bytes; NN Lab headers are under "
                             f"{MAX_HEADER_BYTES:,}")
    header = _bounded_json(data[8:8 + n], "header")
    if not isinstance(header, dict):
        raise ModelFileError("not a safetensors file (unreadable header)")
    marker = header.get("__metadata__", {})
    marker = marker.get("nnlab") if isinstance(marker, dict) else None
    meta = _bounded_json(marker, "metadata") if isinstance(marker, str) else None
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise ModelFileError("a safetensors file, but not an NN Lab digit model (no nnlab-digits marker)")
    if meta.get("version") != MODEL_VERSION:
        raise ModelFileError(f"model file version {str(meta.get('version'))[:20]!r}; this app reads version "
                             f"{MODEL_VERSION}")
    items = meta.get("results")
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise ModelFileError("the model file should hold exactly one model")
    item = items[0]
    if item.get("config_class") != "DigitsConfig":
        raise ModelFileError("the model file holds a model of another kind, not a digit model")
    cfg = _config_from(item.get("config"))
    _check_item(item, cfg)
    n_in = SIDE[cfg.dataset] ** 2
    if item["n_in"] != n_in or item["n_out"] != 10:
        raise ModelFileError(f"a {cfg.dataset} model must map {n_in} inputs to 10 classes")
    expected = {}
    widths = [n_in, *cfg.hidden, 10]
    step = 3 if cfg.dropout > 0 else 2
    for li in range(len(widths) - 1):
        expected[f"0/state/{li * step}.weight"] = [widths[li + 1], widths[li]]
        expected[f"0/state/{li * step}.bias"] = [widths[li + 1]]
    described = {k: v for k, v in header.items() if k != "__metadata__"}
    if not all(isinstance(v, dict) for v in described.values()):
        raise ModelFileError("not a safetensors file (unreadable header)")
    shapes = {k: v.get("shape") for k, v in described.items() if k.startswith("0/state/")}
    if shapes != expected or any(described[k].get("dtype") != "F32" for k in expected):
        raise ModelFileError("the weights do not match the model's layer sizes (or are not float32)")
    hist = {f"0/hist/{c}" for c in item["columns"]}
    if set(described) - set(expected) != hist:
        raise ModelFileError("the model file's tensors are not the weights and history of one model")
    lengths = {tuple(described[k].get("shape") or ()) for k in hist}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1 or next(iter(lengths))[0] > cfg.epochs + 1:
        raise ModelFileError("the model file's history is not one row per epoch")
    try:
        tensors = load(data)
        (result,) = decode_results(tensors, {"results": [{**item, "config": cfg.to_dict()}]},
                                   config_types=(DigitsConfig,))
    except (SafetensorError, RuntimeError) as e:
        raise ModelFileError(f"the model file is damaged ({str(e)[:60]})") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as e:
        raise ModelFileError(f"the model file is incomplete ({str(e)[:60]})") from None
    if not all(bool(torch.isfinite(v).all()) for v in result.state.values()):
        raise ModelFileError("the weights hold NaN/infinite values")
    return result


def model_digest(result: TrainResult) -> str:
    """A short hash of a model's weights (to tell loaded models apart)."""
    h = hashlib.sha256()
    for k in sorted(result.state):
        h.update(k.encode())
        h.update(result.state[k].numpy().tobytes())
    return h.hexdigest()[:12]
