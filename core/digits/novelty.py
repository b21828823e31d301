"""Does this look like a digit at all? A measured "not a digit" flag for a digit model's input.

Two distances, each to the nearest training image: in the model's hidden space (every hidden layer's
activations, cosine; see :func:`core.digits.inside.embed`) and in pixel space (cosine). An input is
flagged when either is larger than for ``QUANTILE`` of the training images themselves (each measured
against the other training images). The thresholds are computed per model from its training rows
only: no test digit and no made non-digit decides them. ``bench/novelty.py`` measures the flag on
:func:`make_non_digits` (letters, shapes, scribbles, blank and nearly blank images, drawn with PIL,
seeded) against the real test digits, and compares other scores (max softmax probability, PCA
reconstruction error, k > 1 neighbours, one space alone); tests/test_novelty.py pins the measurement.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image, ImageDraw

from core.digits import images, inside
from core.engine import TrainResult
from core.engine.conv import conv_sides, is_cnn

K = 1  # neighbours averaged (bench/novelty.py: 1 flagged the most non-digits at the same false flags)
QUANTILE = 0.98  # of the training images' own distances, per space
CALIBRATION_ROWS = 1000
BANK_ROWS = 20_000  # training images searched (a seeded sample when there are more)
# one space's bank holds at most this many float32 values (63 MB: MNIST's pixels at BANK_ROWS rows), so a wide
# model searches fewer rows instead of holding gigabytes; EMBED_FLOATS bounds one chunk of embedding
BANK_FLOATS = BANK_ROWS * 784
EMBED_FLOATS = 8_000_000
CANVAS = 280  # the page's drawing canvas is 280x280, dark ink on white
SPACES = ("hidden", "pixel")


# ---- the score ---------------------------------------------------------------------------------------

@dataclass
class NoveltyModel:
    """A fitted flag: the training bank in each space (unit rows) and the threshold on each distance."""

    banks: dict[str, np.ndarray]  # space -> [M, D] unit-length rows of training images
    bank_index: np.ndarray  # [M] rows of the training set they came from
    thresholds: dict[str, float]  # space -> distances above it are flagged
    calibration: dict[str, np.ndarray] = field(default_factory=dict)  # space -> [C] training rows' own distances
    k: int = K
    quantile: float = QUANTILE
    shifts: bool = True  # a 28x28 input's distance is its nearest of itself and its four one-pixel shifts

    def scores(self, result: TrainResult, X: np.ndarray, exclude: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Space -> mean cosine distance to the k nearest training images: X [N, F] -> [N] each (0 = same)."""
        return {s: shifted_score(result, X, s, self.banks[s], self.k, exclude, self.shifts) for s in self.banks}

    def flags(self, result: TrainResult, X: np.ndarray) -> np.ndarray:
        """True where an input looks unlike the training digits in either space: [N] bool."""
        sc = self.scores(result, X)
        out = np.zeros(len(X), bool)
        for s, v in sc.items():
            out |= v > self.thresholds[s]
        return out


def dims(result: TrainResult, space: str) -> int:
    """Width of a model's rows in a space: every hidden layer side by side (a CNN: its last pooled maps, then its
    dense layers), or the pixels."""
    hidden = tuple(result.config.hidden)  # type: ignore[attr-defined]
    if space == "hidden" and is_cnn(result.config):
        c = result.config
        return c.channels[-1] * conv_sides(int(round(result.n_in ** 0.5)), len(c.channels))[-1] ** 2 + sum(hidden)
    return sum(hidden) if space == "hidden" and hidden else int(result.n_in)


def cnn_layers(result: TrainResult, X: np.ndarray) -> list[np.ndarray]:
    """A CNN's hidden rows for X [N, F]: its last pooled feature maps flattened, then each dense layer's
    activations (eval mode), each [N, width]."""
    net = inside._net(result)
    out: list[np.ndarray] = []
    h = torch.as_tensor(np.asarray(X, np.float32).reshape(len(X), -1))
    dense = False
    with torch.no_grad():
        for m in net:
            h = m(h)
            if isinstance(m, torch.nn.Flatten):
                dense = True
                out.append(h.numpy())
            elif dense and not isinstance(m, (torch.nn.Linear, torch.nn.Dropout)):
                out.append(h.numpy())
    return out


def embed(result: TrainResult, X: np.ndarray, space: str, batch: int = 8192) -> np.ndarray:
    """:func:`core.digits.inside.embed` for an MLP; for a CNN its "hidden" rows are :func:`cnn_layers`, each
    scaled to length 1, side by side and divided by sqrt(layers) (the same cosine as the MLP's)."""
    if space != "hidden" or not is_cnn(result.config):
        return inside.embed(result, X, space, batch=batch)
    parts = []
    for i in range(0, len(X), batch):
        layers = cnn_layers(result, X[i:i + batch])
        parts.append(np.concatenate([inside.unit_norm(a) for a in layers], 1) / np.float32(np.sqrt(len(layers))))
    return np.concatenate(parts) if parts else np.zeros((0, dims(result, space)), np.float32)


def bank_rows(result: TrainResult, n: int, spaces: tuple[str, ...] = SPACES) -> int:
    """Training rows a bank keeps: all of ``n`` up to BANK_ROWS, fewer where a space's rows are wide."""
    widest = max(dims(result, s) for s in spaces)
    return max(1, min(n, BANK_ROWS, BANK_FLOATS // widest))


def _embed(result: TrainResult, X: np.ndarray, space: str) -> np.ndarray:
    """Unit float32 rows of X in a space, embedded in chunks of at most EMBED_FLOATS values."""
    batch = max(1, min(8192, EMBED_FLOATS // (3 * dims(result, space))))  # activations, unit copies, the join
    return inside.unit_norm(embed(result, X, space, batch=batch).astype(np.float32, copy=False))


def shift_views(X: np.ndarray) -> list[np.ndarray]:
    """X [N, F] and, for images 16 px or wider, its four one-pixel shifts (as :func:`core.digits.predict` reads)."""
    X = np.asarray(X, np.float32).reshape(len(X), -1)
    side = int(round(X.shape[1] ** 0.5)) if len(X) else 0
    if side < 16:
        return [X]
    imgs = X.reshape(-1, side, side)
    return [X] + [np.roll(imgs, d, axis).reshape(len(X), -1) for axis in (1, 2) for d in (1, -1)]


def shifted_score(result: TrainResult, X: np.ndarray, space: str, bank: np.ndarray, k: int = K,
                  exclude: np.ndarray | None = None, shifts: bool = True) -> np.ndarray:
    """:func:`knn_score` of X in a space, the smallest over X and its one-pixel shifts when ``shifts``: where a
    person's digit lands after centring by mass is uncertain by about a pixel, a non-digit's shape is not
    (bench/novelty.py: fewer real uploads flagged and more non-digits, for both shipped readers)."""
    views = shift_views(X) if shifts else [np.asarray(X, np.float32).reshape(len(X), -1)]
    return np.min([knn_score(_embed(result, v, space), bank, k, exclude) for v in views], 0)


def knn_score(E: np.ndarray, bank: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Mean cosine distance from unit rows E [N, D] to their k nearest unit rows of bank [M, D]: [N].

    exclude: for each query its own row in bank (or -1), left out (a training image is not its own neighbour).
    """
    out = np.empty(len(E), np.float32)
    for i in range(0, len(E), 512):
        d = 1.0 - E[i:i + 512] @ bank.T  # [n, M]
        if exclude is not None:
            ex = exclude[i:i + 512]
            rows = np.nonzero(ex >= 0)[0]
            d[rows, ex[rows]] = np.inf
        part = np.partition(d, k - 1, axis=1)[:, :k]
        out[i:i + 512] = part.mean(1)
    return out


def fit(result: TrainResult, X_train: np.ndarray, seed: int = 0, quantile: float = QUANTILE,
        k: int = K, spaces: tuple[str, ...] = SPACES, shifts: bool = True) -> NoveltyModel:
    """Fit the flag to a model and its training images X_train [N, F] (raw, not augmented)."""
    rng = np.random.default_rng(seed + 31)
    n, m = len(X_train), bank_rows(result, len(X_train), spaces)
    bank_index = np.sort(rng.choice(n, m, replace=False)) if n > m else np.arange(n)
    pick = np.sort(rng.choice(len(bank_index), min(CALIBRATION_ROWS, len(bank_index)), replace=False))
    banks, thresholds, calib = {}, {}, {}
    for s in spaces:
        banks[s] = _embed(result, X_train[bank_index], s)
        # each sample row left out of its own search, scored as an input is (over its shifts)
        calib[s] = shifted_score(result, X_train[bank_index[pick]], s, banks[s], k, pick, shifts)
        thresholds[s] = float(np.quantile(calib[s], quantile))
    return NoveltyModel(banks, bank_index, thresholds, calib, k, quantile, shifts)


# ---- other scores the bench compares (larger = less like a digit) ------------------------------------

def max_softmax_score(result: TrainResult, X: np.ndarray) -> np.ndarray:
    """1 - the top class probability: [N]."""
    with torch.no_grad():
        p = torch.softmax(inside._net(result)(torch.as_tensor(np.asarray(X, np.float32).reshape(len(X), -1))), -1)
    return 1.0 - p.numpy().max(1)


def pixel_knn_score(X: np.ndarray, X_bank: np.ndarray, k: int = K, exclude: np.ndarray | None = None) -> np.ndarray:
    """Mean cosine distance to the k nearest training images in pixel space: [N]."""
    return knn_score(inside.unit_norm(np.asarray(X, np.float32)), inside.unit_norm(np.asarray(X_bank, np.float32)),
                     k, exclude)


def pca_fit(X_bank: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean [F], components [n, F]) of training images."""
    mu = X_bank.mean(0)
    _, _, vt = np.linalg.svd(X_bank - mu, full_matrices=False)
    return mu, vt[:n_components]


def pca_score(X: np.ndarray, pca: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Relative reconstruction error |x - x_hat| / |x - mean| from the PCA: [N]."""
    mu, V = pca
    Z = (np.asarray(X, np.float32) - mu)
    R = Z - (Z @ V.T) @ V
    return np.linalg.norm(R, axis=1) / np.maximum(np.linalg.norm(Z, axis=1), 1e-6)


# ---- the made set of non-digits --------------------------------------------------------------------

KINDS = ("letter", "shape", "scribble", "blank")
LETTERS = ("L", "T", "X", "H", "A", "E", "F", "K", "M", "N", "W", "V", "Y", "R", "U", "P")
# left out on purpose: letters that are written like digits (O/0, I/1, Z/2, S/5, G/6, B/8, q/9); a plain
# ring is a zero, so the rings here are double rings, a ring with a cross, or a filled disc


def _letter(d: ImageDraw.ImageDraw, ch: str, box: tuple[float, float, float, float], w: int) -> None:
    """Draw a capital letter as strokes (a pen's letter, not a font) inside box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    S = {
        "L": [[(x0, y0), (x0, y1), (x1, y1)]],
        "T": [[(x0, y0), (x1, y0)], [(xm, y0), (xm, y1)]],
        "X": [[(x0, y0), (x1, y1)], [(x1, y0), (x0, y1)]],
        "H": [[(x0, y0), (x0, y1)], [(x1, y0), (x1, y1)], [(x0, ym), (x1, ym)]],
        "A": [[(x0, y1), (xm, y0), (x1, y1)], [((x0 + xm) / 2, ym), ((xm + x1) / 2, ym)]],
        "E": [[(x1, y0), (x0, y0), (x0, y1), (x1, y1)], [(x0, ym), (x1 - (x1 - x0) * 0.2, ym)]],
        "F": [[(x1, y0), (x0, y0), (x0, y1)], [(x0, ym), (x1 - (x1 - x0) * 0.2, ym)]],
        "K": [[(x0, y0), (x0, y1)], [(x1, y0), (x0, ym), (x1, y1)]],
        "M": [[(x0, y1), (x0, y0), (xm, ym), (x1, y0), (x1, y1)]],
        "N": [[(x0, y1), (x0, y0), (x1, y1), (x1, y0)]],
        "W": [[(x0, y0), ((x0 + xm) / 2, y1), (xm, ym), ((xm + x1) / 2, y1), (x1, y0)]],
        "V": [[(x0, y0), (xm, y1), (x1, y0)]],
        "Y": [[(x0, y0), (xm, ym), (x1, y0)], [(xm, ym), (xm, y1)]],
        "R": [[(x0, y1), (x0, y0), (x1, y0), (x1, ym), (x0, ym), (x1, y1)]],
        "U": [[(x0, y0), (x0, y1), (x1, y1), (x1, y0)]],
        "P": [[(x0, y1), (x0, y0), (x1, y0), (x1, ym), (x0, ym)]],
    }[ch]
    for line in S:
        d.line(line, fill=0, width=w, joint="curve")


def _shape(d: ImageDraw.ImageDraw, kind: str, box: tuple[float, float, float, float], w: int,
           rng: np.random.Generator) -> None:
    x0, y0, x1, y1 = box
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    r = min(x1 - x0, y1 - y0) / 2
    if kind == "square":
        d.rectangle(box, outline=0, width=w)
    elif kind == "triangle":
        d.polygon([(xm, y0), (x1, y1), (x0, y1)], outline=0, width=w)
    elif kind == "filled box":
        d.rectangle(box, fill=0)
    elif kind == "filled disc":
        d.ellipse((xm - r, ym - r, xm + r, ym + r), fill=0)
    elif kind == "double ring":
        d.ellipse((xm - r, ym - r, xm + r, ym + r), outline=0, width=w)
        d.ellipse((xm - r * 0.45, ym - r * 0.45, xm + r * 0.45, ym + r * 0.45), outline=0, width=w)
    elif kind == "ring with a cross":
        d.ellipse((xm - r, ym - r, xm + r, ym + r), outline=0, width=w)
        d.line([(xm - r, ym), (xm + r, ym)], fill=0, width=w)
        d.line([(xm, ym - r), (xm, ym + r)], fill=0, width=w)
    elif kind == "star":
        pts = [(xm + (r if i % 2 == 0 else r * 0.4) * math.sin(i * math.pi / 5),
                ym - (r if i % 2 == 0 else r * 0.4) * math.cos(i * math.pi / 5)) for i in range(10)]
        d.polygon(pts, outline=0, width=w)
    elif kind == "hash":
        for f in (1 / 3, 2 / 3):
            d.line([(x0 + (x1 - x0) * f, y0), (x0 + (x1 - x0) * f, y1)], fill=0, width=w)
            d.line([(x0, y0 + (y1 - y0) * f), (x1, y0 + (y1 - y0) * f)], fill=0, width=w)
    elif kind == "plus":
        d.line([(xm, y0), (xm, y1)], fill=0, width=w)
        d.line([(x0, ym), (x1, ym)], fill=0, width=w)
    elif kind == "zigzag":
        n = int(rng.integers(4, 8))
        d.line([(x0 + (x1 - x0) * i / n, y0 if i % 2 else y1) for i in range(n + 1)], fill=0, width=w, joint="curve")
    elif kind == "spiral":
        t = np.linspace(0, 4 * math.pi, 120)
        d.line([(xm + r * tt / t[-1] * math.cos(tt), ym + r * tt / t[-1] * math.sin(tt)) for tt in t], fill=0,
               width=w, joint="curve")
    elif kind == "grid of dots":
        for gx in np.linspace(x0, x1, 4):
            for gy in np.linspace(y0, y1, 4):
                d.ellipse((gx - w, gy - w, gx + w, gy + w), fill=0)
    else:
        raise ValueError(kind)


SHAPES = ("square", "triangle", "filled box", "filled disc", "double ring", "ring with a cross", "star", "hash",
          "plus", "zigzag", "spiral", "grid of dots")


def _png(img: Image.Image) -> bytes:
    b = io.BytesIO()
    img.save(b, "PNG")
    return b.getvalue()


def make_non_digits(n: int = 120, seed: int = 0) -> list[tuple[str, str, bytes]]:
    """Seeded images that are not digits, drawn like the page's canvas (280x280 PNG, dark ink on white):
    (kind, name, png bytes) cycling through letters, shapes, scribbles and blank or nearly blank images."""
    rng = np.random.default_rng(seed + 2_718)
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        img = Image.new("L", (CANVAS, CANVAS), 255)
        d = ImageDraw.Draw(img)
        w = int(rng.integers(14, 26))
        size = rng.uniform(120, 210)
        cx, cy = CANVAS / 2 + rng.uniform(-30, 30), CANVAS / 2 + rng.uniform(-30, 30)
        aspect = rng.uniform(0.6, 1.0)
        box = (cx - size * aspect / 2, cy - size / 2, cx + size * aspect / 2, cy + size / 2)
        j = i // len(KINDS)
        if kind == "letter":
            ch = LETTERS[j % len(LETTERS)]
            _letter(d, ch, box, w)
            name = f"letter {ch}"
        elif kind == "shape":
            sh = SHAPES[j % len(SHAPES)]
            square = (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)
            round_ = sh in ("square", "double ring", "ring with a cross", "star", "filled disc")
            _shape(d, sh, square if round_ else box, w, rng)
            name = sh
        elif kind == "scribble":
            pts = [(cx, cy)]
            for _ in range(int(rng.integers(8, 20))):
                px, py = pts[-1]
                pts.append((float(np.clip(px + rng.normal(0, 60), 20, CANVAS - 20)),
                            float(np.clip(py + rng.normal(0, 60), 20, CANVAS - 20))))
            d.line(pts, fill=0, width=w, joint="curve")
            name = "scribble"
        else:
            sub = j % 4
            if sub == 0:
                name = "blank"
            elif sub == 1:
                r = rng.uniform(3, 8)
                d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=0)
                name = "a dot"
            elif sub == 2:
                a = np.asarray(img, np.float32) - rng.uniform(0, 40, img.size[::-1])
                img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
                name = "faint noise"
            else:
                x = rng.uniform(40, 200)
                d.line([(x, cy), (x + rng.uniform(10, 30), cy + rng.uniform(-5, 5))], fill=0, width=max(4, w // 3))
                name = "a short tick"
        if kind in ("letter", "shape") and rng.random() < 0.5:
            img = img.rotate(float(rng.uniform(-15, 15)), fillcolor=255, resample=Image.Resampling.BILINEAR)
        out.append((kind, name, _png(img)))
    return out


def prepare(items: list[tuple[str, str, bytes]], dataset: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Preprocess made images the way the page does: (X [N, F] of those that could be read, refused [N_all] bool,
    names [N_all]). A refused image (blank, a speck) is one the page already declines to read."""
    X, refused = [], []
    for _, _, data in items:
        try:
            X.append(images.preprocess(images.load_image(data), dataset).x)
            refused.append(False)
        except images.ImageError:
            refused.append(True)
    F = {"digits": 64, "mnist": 784}[dataset]
    return (np.stack(X) if X else np.zeros((0, F), np.float32)), np.array(refused), [n for _, n, _ in items]


@dataclass
class Measurement:
    """How the flag does on a model: made non-digits flagged (or refused as blank) vs real test digits flagged."""

    non_digits: int
    flagged: int  # made non-digits flagged, counting those the reader refuses outright (blank, a speck)
    refused: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (flagged, of)
    test_digits: int
    test_flagged: int

    @property
    def flag_rate(self) -> float:
        return self.flagged / max(self.non_digits, 1)

    @property
    def false_rate(self) -> float:
        return self.test_flagged / max(self.test_digits, 1)


def made_set(dataset: str, n_made: int = 120, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The made non-digits ready for a model of a data set: (kinds [N], X [n_read, F], refused [N] bool)."""
    items = make_non_digits(n_made, seed)
    X, refused, _ = prepare(items, dataset)
    return [k for k, _, _ in items], X, refused


def measure(result: TrainResult, model: NoveltyModel, X_test: np.ndarray, n_made: int = 120,
            seed: int = 0, made: tuple[list[str], np.ndarray, np.ndarray] | None = None) -> Measurement:
    """The flag on ``n_made`` made non-digits (drawn like the canvas, preprocessed like the page; or
    ``made`` from :func:`made_set`) and on real test digits X_test [N, F] (as the data set stores them)."""
    dataset = "mnist" if result.n_in == 784 else "digits"
    kinds, X, refused = made if made is not None else made_set(dataset, n_made, seed)
    fl = model.flags(result, X) if len(X) else np.zeros(0, bool)
    flagged = refused.copy()
    flagged[~refused] = fl
    by_kind = {k: (int(flagged[[i for i, kk in enumerate(kinds) if kk == k]].sum()), kinds.count(k))
               for k in KINDS}
    test_fl = model.flags(result, X_test)
    return Measurement(len(kinds), int(flagged.sum()), int(refused.sum()), by_kind, len(X_test), int(test_fl.sum()))
