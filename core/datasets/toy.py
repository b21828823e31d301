"""Small data sets: logic gates, 2-D toy sets (TensorFlow Playground's and more), CSV points.

Arrays are NumPy float32 unless noted; ``X`` is [N, F], ``y`` is [N] (class ids or targets).
"""

from __future__ import annotations

import io

import numpy as np

GATES: dict[str, tuple[int, int, int, int]] = {
    # outputs for inputs (0,0), (0,1), (1,0), (1,1)
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "XOR": (0, 1, 1, 0),
}

GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)

CLASSIFICATION_SETS = ("xor", "circle", "gauss", "spiral")
REGRESSION_SETS = ("plane", "gaussian")
TOY_SETS = CLASSIFICATION_SETS + REGRESSION_SETS
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
FEATURE_LABELS = {"x1": "x1", "x2": "x2", "x1sq": "x1²", "x2sq": "x2²", "x1x2": "x1·x2",
                  "sinx1": "sin(x1)", "sinx2": "sin(x2)"}
EXTENT = 6.0  # toy points lie in [-EXTENT, EXTENT]^2


def gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Truth table of a logic gate: X [4, 2] in {0,1}, y [4] in {0,1}."""
    if name not in GATES:
        raise KeyError(f"unknown gate {name!r}; known: {', '.join(GATES)}")
    return GATE_INPUTS.copy(), np.array(GATES[name], dtype=np.float32)


def toy_2d(name: str, n: int = 400, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D data set: X [n, 2] in about [-6, 6]^2; y [n] in {0, 1} (classification) or [-1, 1].

    noise is 0..1 (a fraction of the set's natural scale), as in TensorFlow Playground.
    """
    if name not in TOY_SETS:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(TOY_SETS)}")
    rng = np.random.default_rng(seed)
    if name == "xor":
        X = rng.uniform(-5, 5, size=(n, 2))
        X += np.sign(X) * 0.3  # a small margin around the axes
        y = (X[:, 0] * X[:, 1] < 0).astype(np.float32)
        X += rng.normal(0, noise * 2.0, size=X.shape)
    elif name == "circle":
        radius = 5.0
        inner = np.arange(n) < n // 2
        r = np.where(inner, rng.uniform(0, radius * 0.5, n), rng.uniform(radius * 0.7, radius, n))
        angle = rng.uniform(0, 2 * np.pi, n)
        X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        X += rng.uniform(-radius, radius, size=X.shape) * noise * 0.5
        y = inner.astype(np.float32)
    elif name == "gauss":
        pos = np.arange(n) < n // 2
        centre = np.where(pos[:, None], 2.0, -2.0)
        X = centre + rng.normal(0, 0.5 + noise * 3.0, size=(n, 2))
        y = pos.astype(np.float32)
    elif name == "spiral":
        half = n // 2
        t = np.tile(np.linspace(0, 1, half, endpoint=False), 2)
        first = np.arange(2 * half) < half
        r = t * 5.0
        angle = 1.75 * t * 2 * np.pi + np.where(first, 0.0, np.pi)
        X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        X += rng.uniform(-1, 1, size=X.shape) * noise * 1.5
        y = first.astype(np.float32)
        if n % 2:
            X, y = np.vstack([X, [[0.0, 0.0]]]), np.append(y, 1.0)
    elif name == "plane":
        X = rng.uniform(-EXTENT, EXTENT, size=(n, 2))
        y = (X[:, 0] + X[:, 1]) / (2 * EXTENT)
        y = y + rng.normal(0, noise * 0.5, n)
    else:  # gaussian bumps, as in Playground's "multi gaussian"
        X = rng.uniform(-EXTENT, EXTENT, size=(n, 2))
        centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
        signs = np.array([-1, 1, -1, 1, -1, 1])
        d2 = ((X[:, None, :] - centres[None]) ** 2).sum(-1)
        y = (signs * np.exp(-d2 / 2.0)).sum(1)
        y = y + rng.normal(0, noise * 0.5, n)
    perm = rng.permutation(len(X))
    return X[perm].astype(np.float32), np.asarray(y, dtype=np.float32)[perm]


def is_regression(name: str) -> bool:
    """True for the toy sets whose target is a real number."""
    return name in REGRESSION_SETS


def features(X: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Playground's input features of 2-D points: X [N, 2] -> [N, len(names)]."""
    x1, x2 = X[:, 0], X[:, 1]
    table = {
        "x1": x1, "x2": x2, "x1sq": x1 * x1, "x2sq": x2 * x2,
        "x1x2": x1 * x2, "sinx1": np.sin(x1), "sinx2": np.sin(x2),
    }
    unknown = [n for n in names if n not in table]
    if unknown or not names:
        raise ValueError(f"features must be a non-empty subset of {', '.join(FEATURES)}")
    return np.stack([table[n] for n in names], axis=1).astype(np.float32)


def split(X: np.ndarray, y: np.ndarray, train_frac: float, seed: int = 0):
    """Shuffle and split: returns X_train, y_train, X_test, y_test."""
    rng = np.random.default_rng(seed + 1_000_003)
    perm = rng.permutation(len(X))
    cut = max(1, min(len(X) - 1, int(round(train_frac * len(X)))))
    tr, te = perm[:cut], perm[cut:]
    return X[tr], y[tr], X[te], y[te]


def grid(extent: float = EXTENT, steps: int = 60) -> np.ndarray:
    """A steps x steps grid over [-extent, extent]^2: [steps*steps, 2], x1 fastest."""
    axis = np.linspace(-extent, extent, steps, dtype=np.float32)
    g1, g2 = np.meshgrid(axis, axis)
    return np.stack([g1.ravel(), g2.ravel()], axis=1)


MAX_CSV_BYTES = 2_000_000  # an uploaded CSV (the Playground's points, When to Use's tables)
MAX_CSV_ROWS = 5_000


def csv_text(raw: bytes) -> str:
    """An uploaded CSV's text: refused with a one-line reason when over MAX_CSV_BYTES or not UTF-8."""
    if len(raw) > MAX_CSV_BYTES:
        raise ValueError(f"the file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_CSV_BYTES / 1e6:.0f} MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text: save it as 'CSV UTF-8' and upload it again") from None


# what parsing an uploaded CSV can cost, per byte, measured on the worst files the checks let through
# (2 MB: 5,000 rows x 199 columns read in 0.11 s of CPU and +40 MB; hostile headers are refused in ms)
CSV_PARSE_SECONDS_PER_BYTE = 0.2 / MAX_CSV_BYTES
CSV_PARSE_PEAK_PER_BYTE = 30


def csv_parse_cost(n_bytes: int) -> tuple[float, int]:
    """(CPU seconds, peak bytes) of parsing an uploaded CSV of n_bytes: a bound, twice the measured worst."""
    return n_bytes * CSV_PARSE_SECONDS_PER_BYTE, int(n_bytes * CSV_PARSE_PEAK_PER_BYTE)


def points_from_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray, bool]:
    """A user's 2-D points from CSV bytes with columns x1, x2, label (header optional).

    Returns X [N, 2], y [N], is_regression (labels not all 0/1). Coordinates are rescaled into the
    plane [-6, 6]^2. Raises ValueError with a one-line reason for anything it cannot use.
    """
    text = csv_text(raw)
    n_lines = max(text.count("\n"), text.count("\r"))
    if n_lines > MAX_CSV_ROWS + 1:  # before splitting it into lines
        raise ValueError(f"about {n_lines:,} rows; the limit is {MAX_CSV_ROWS}")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and any(c.isalpha() for c in lines[0]):
        lines = lines[1:]
    if not lines:
        raise ValueError("no rows: expected lines of x1,x2,label")
    if len(lines) > MAX_CSV_ROWS:
        raise ValueError(f"{len(lines)} rows; the limit is {MAX_CSV_ROWS}")
    wide = next((i for i, ln in enumerate(lines) if ln.count(",") != 2), None)
    if wide is not None:  # before numpy builds a row of every field
        raise ValueError(f"expected 3 columns (x1, x2, label), found {lines[wide].count(',') + 1} in row {wide + 1}")
    try:
        arr = np.loadtxt(io.StringIO("\n".join(lines)), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as e:
        raise ValueError(f"could not read numbers: {str(e).splitlines()[0][:80]}") from None
    if arr.shape[1] != 3:
        raise ValueError(f"expected 3 columns (x1, x2, label), found {arr.shape[1]}")
    if not np.isfinite(arr).all():
        raise ValueError("the file holds NaN or infinite values")
    if len(arr) < 4:
        raise ValueError("need at least 4 points")
    X, y = arr[:, :2], arr[:, 2]
    centre = (X.max(0) + X.min(0)) / 2
    span = np.maximum((X.max(0) - X.min(0)) / 2, 1e-9)
    X = (X - centre) / span * (EXTENT * 0.9)
    regression = not np.isin(y, (0.0, 1.0)).all()
    return X.astype(np.float32), y.astype(np.float32), bool(regression)
