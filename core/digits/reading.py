"""Read people's digits with a trained digit model: a batch of (name, bytes) in, one Reading each out.

The same path as ``python -m core.predict``: :func:`core.digits.images.load_image`, then
:func:`core.digits.images.preprocess` for the model's data set, then :func:`core.digits.predict`. A file that
cannot be read gets a one-line reason and the rest of the batch is still read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from core import digits, settings
from core.digits import images
from core.engine import TrainResult
from core.serve.memory import approx_bytes

# Why one model reads real handwriting and the other does not (the page shows these words).
ADVICE = {
    "digits": (
        "This model learned from sklearn's 8x8 digits: 1,797 scans of 43 people, each squeezed into 64 "
        "blurry cells. A photo or a drawing, once squeezed the same way, looks little like them: in our test "
        "of 1,000 realistic uploads it read only 66% right, the MNIST model 97%. For your own handwriting, "
        "switch to the MNIST model: 28x28 images of 60,000 digits, trained with shifted, rotated, scaled, warped and "
        "thicker/thinner copies, so it has seen digits written the way people write them."
    ),
    "mnist": (
        "This model learned from MNIST (28x28, 60,000 digits) with shifted, rotated, scaled, warped "
        "and thicker/thinner copies, and your image is prepared the way MNIST's were: it reads real "
        "handwriting well. Write one digit per image, large and dark."
    ),
}


def advice(config: Any, test_acc: float | None = None) -> tuple[bool, str]:
    """(reads real handwriting well?, why) for a model's config (and its test accuracy, once trained).

    Computed from the model itself: its data set, augmentation, training rows and test accuracy.
    """
    c = config
    if c.dataset == "digits":
        return False, ADVICE["digits"]
    weak = []
    if not c.augment_copies:
        weak.append("it is trained without augmented copies, so digits written off-centre, slanted or "
                    "with another pen width surprise it")
    if c.train_limit and c.train_limit < 20_000:
        weak.append(f"it sees only {c.train_limit:,} training digits")
    if test_acc is not None and np.isfinite(test_acc) and test_acc < 0.97:
        weak.append(f"its test accuracy is {test_acc:.1%}")
    if weak:
        return False, ("This MNIST model is a small one: " + "; ".join(weak) + ". The default MNIST model "
                       "(all 60,000 digits plus shifted, rotated, scaled, warped and thicker/thinner copies) reads "
                       "real handwriting much better.")
    return True, ADVICE["mnist"]


@dataclass
class Reading:
    """One image read: either digit/probs/steps, or error (a one-line reason)."""

    name: str
    digit: int | None = None
    probs: np.ndarray | None = None  # [10]
    steps: images.Steps | None = None
    error: str | None = None
    seconds: float = 0.0  # bytes -> probabilities

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def confidence(self) -> float:
        return float(self.probs[self.digit]) if self.probs is not None and self.digit is not None else 0.0


class _Readings:
    """Readings kept by (file hash, model, byte limit): a rerun of the page reads nothing again.

    Bounded by entries and by the approximate bytes they hold (each keeps its preprocessing stages).
    """

    def __init__(self, size: int = 64, max_bytes: int = 48_000_000) -> None:
        self.size, self.max_bytes = size, max_bytes
        self.items: OrderedDict[tuple, tuple[Reading, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Reading | None:
        with self.lock:
            hit = self.items.get(key)
            if hit is None:
                return None
            self.items.move_to_end(key)
            return hit[0]

    def put(self, key: tuple, reading: Reading) -> None:
        n = approx_bytes(reading)
        with self.lock:
            self.items[key] = (reading, n)
            self.items.move_to_end(key)
            while len(self.items) > self.size or (
                    len(self.items) > 1 and sum(b for _, b in self.items.values()) > self.max_bytes):
                self.items.popitem(last=False)


READINGS = _Readings()


def _model_key(result: TrainResult) -> str:
    key = result.extra.get("_digest")
    if key is None:
        key = result.extra["_digest"] = digits.model_digest(result)
    return key


def read_one(name: str, data: bytes, result: TrainResult, max_bytes: int = 20_000_000) -> Reading:
    """Read one image's bytes with a trained digit model; never raises for a bad file.

    The same bytes read by the same model again (a rerun) come from :data:`READINGS`, at no cost.
    """
    key = (hashlib.sha256(data).hexdigest(), _model_key(result), max_bytes, settings.limits().image_pixels)
    hit = READINGS.get(key)
    if hit is not None:
        return dataclasses.replace(hit, name=name)
    reading = _read(name, data, result, max_bytes)
    READINGS.put(key, reading)
    return reading


@contextlib.contextmanager
def one_thread():
    """Torch on one thread while a block runs (restored after): reading one image is a few MFLOP, and a second
    thread woken for it waits for a core on a busy machine (measured: 78 ms median per upload on two threads
    with the load above the core count, 0.7 ms on one)."""
    prev = torch.get_num_threads()
    if prev > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != prev:
            torch.set_num_threads(prev)


def _read(name: str, data: bytes, result: TrainResult, max_bytes: int) -> Reading:
    t0 = time.perf_counter()
    dataset = result.config.dataset  # type: ignore[attr-defined]
    try:
        steps = images.preprocess(images.load_image(data, max_bytes=max_bytes), dataset)
        with one_thread():
            probs = digits.predict(result, steps.x[None])[0]
    except images.ImageError as e:
        return Reading(name, error=" ".join(str(e).split()), seconds=time.perf_counter() - t0)
    except (OSError, ValueError, MemoryError) as e:  # a decoder failing in a way load_image did not foresee
        return Reading(name, error=f"the image could not be read ({type(e).__name__})",
                       seconds=time.perf_counter() - t0)
    d = int(np.argmax(probs))
    return Reading(name, d, probs, steps, seconds=time.perf_counter() - t0)


def read_many(items: Iterable[tuple[str, bytes]], result: TrainResult, max_bytes: int = 20_000_000) -> list[Reading]:
    """Read every (name, bytes) in order; bad files get their reason, the others are still read."""
    return [read_one(name, data, result, max_bytes) for name, data in items]


def stage_image(a: np.ndarray, size: int = 112) -> Image.Image:
    """One preprocessing stage as a square-ish greyscale picture ``size`` pixels on its long side.

    Small stages (8x8, 28x28) are enlarged with nearest-neighbour so their pixels stay visible.
    """
    a = np.asarray(a, dtype=np.float32)
    if a.size and a.max() > 1.0:  # uint8 0..255
        a = a / 255.0
    img = Image.fromarray((np.clip(a, 0, 1) * 255).astype(np.uint8), mode="L")
    h, w = a.shape
    s = size / max(h, w)
    resample = Image.Resampling.NEAREST if s >= 1 else Image.Resampling.BOX
    return img.resize((max(1, round(w * s)), max(1, round(h * s))), resample)


def kept_metrics(result: TrainResult) -> dict[str, float]:
    """Accuracy/loss of the weights the model kept (the best epoch under early stopping, else the last).

    Keys: train_acc, val_acc, test_acc, test_loss (NaN where not measured).
    """
    h = result.history
    patience = getattr(result.config, "patience", 0)
    row = h[h["epoch"] == result.best_epoch] if patience and result.best_epoch else h.tail(1)
    if row.empty:
        row = h.tail(1)
    out = {}
    for k in ("train_acc", "val_acc", "test_acc", "test_loss"):
        v = row[k].iloc[-1] if k in row and len(row) else float("nan")
        out[k] = float(result.metrics.get(f"final_{k}", v))
    return out


def model_summary(result: TrainResult) -> str:
    """One line naming a model: data set, layers, test accuracy."""
    c = result.config
    name = "8x8 digits" if c.dataset == "digits" else "MNIST 28x28"  # type: ignore[attr-defined]
    layers = "-".join(str(w) for w in (result.n_in, *c.hidden, result.n_out))
    kind = "MLP"
    if digits.is_cnn(c):
        convs, dense = "-".join(map(str, c.channels)), "-".join(map(str, (*c.hidden, result.n_out)))  # type: ignore[attr-defined]
        kind, layers = "CNN", f"conv{c.kernel}x{c.kernel} {convs} + {dense}"  # type: ignore[attr-defined]
    # a reader built by core.digits.build_reader records its accuracy read the way uploads are read: the
    # number its status line gives, so the page shows one number for one reader
    extra = getattr(result, "extra", None) or {}
    acc = float(extra.get("sample_test_acc", kept_metrics(result)["test_acc"]))
    tail = f", test accuracy {acc:.1%}" if np.isfinite(acc) else ""
    return f"{name} {kind} {layers} ({c.activation}){tail}"
