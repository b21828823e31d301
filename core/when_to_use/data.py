"""The tables the "When to use neural networks" page compares models on: scikit-learn's own sets, the
digits images, and a student's CSV (bounded and validated, one plain line for anything unusable)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from core.datasets import MAX_CSV_BYTES, MAX_CSV_ROWS, csv_text  # noqa: F401 (re-exported: the page's help)

MAX_CSV_COLUMNS = 200
MIN_ROWS = 20
MIN_PER_CLASS = 5  # every class needs a row in each of up to 5 folds
MAX_CLASSES = 20  # a numeric target with more distinct whole values than this is a regression target

#: name -> (label, loader name in sklearn.datasets, task)
BUILTIN = {
    "breast_cancer": ("Breast cancer (tabular)", "load_breast_cancer", "classification"),
    "wine": ("Wine (tabular)", "load_wine", "classification"),
    "iris": ("Iris (tabular)", "load_iris", "classification"),
    "diabetes": ("Diabetes (tabular, regression)", "load_diabetes", "regression"),
    "digits": ("Digits (8x8 images)", "load_digits", "classification"),
}


LEVELS = 256  # distinct values per feature that count (histogram boosting bins at most 255, plus missing)


@dataclass(frozen=True)
class TableShape:
    """What a request's price needs of a table: rows x features, classes (0: a regression target), and
    levels, the mean number of distinct values per feature (at most LEVELS)."""

    rows: int
    features: int
    classes: int
    levels: float = float(LEVELS)


#: the built-in tables' shapes, known without loading them (a test checks them against the tables)
BUILTIN_SHAPES = {
    "breast_cancer": TableShape(569, 30, 2, 256.0),
    "wine": TableShape(178, 13, 3, 98.2),
    "iris": TableShape(150, 4, 3, 30.8),
    "diabetes": TableShape(442, 10, 0, 108.9),
    "digits": TableShape(1797, 64, 10, 13.9),
}
#: an upload whose size is not known yet is priced as the largest the caps allow
LARGEST_CSV = TableShape(MAX_CSV_ROWS, MAX_CSV_COLUMNS - 1, MAX_CLASSES)


@dataclass(frozen=True, eq=False)
class Table:
    """One data set: X [N, F] float64, y [N] (int64 class ids 0..C-1, or float64 values)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str  # "classification" | "regression"
    features: tuple[str, ...]
    classes: tuple[str, ...] = ()  # class names, in id order (classification)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.X.shape[0]), int(self.X.shape[1])

    @cached_property
    def levels(self) -> float:
        """Mean number of distinct values per feature, each counted up to LEVELS."""
        if not self.X.size:
            return 0.0
        distinct = 1 + np.count_nonzero(np.diff(np.sort(self.X, axis=0), axis=0), axis=0)  # per column
        return float(np.mean(np.minimum(distinct, LEVELS)))

    @property
    def table_shape(self) -> TableShape:
        return TableShape(*self.shape, self.n_classes, self.levels)

    def describe(self) -> str:
        """'569 rows x 30 features, 2 classes' (or 'regression')."""
        n, f = self.shape
        what = f"{self.n_classes} classes" if self.task == "classification" else "a numeric target (regression)"
        return f"{n:,} rows x {f} features, {what}"


@lru_cache(maxsize=8)
def load_table(name: str) -> Table:
    """One of :data:`BUILTIN` (digits pixels as 0..16, as scikit-learn ships them)."""
    if name not in BUILTIN:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(BUILTIN)}")
    from sklearn import datasets as skd

    label, loader, task = BUILTIN[name]
    d = getattr(skd, loader)()
    X = np.asarray(d.data, dtype=np.float64)
    feats = tuple(str(f) for f in getattr(d, "feature_names", [])) or tuple(f"x{i}" for i in range(X.shape[1]))
    if name == "digits":
        feats = tuple(f"pixel r{i // 8}c{i % 8}" for i in range(64))
    if task == "classification":
        names = getattr(d, "target_names", None)
        classes = tuple(str(c) for c in names) if names is not None else tuple(str(c) for c in np.unique(d.target))
        return Table(name, X, np.asarray(d.target, dtype=np.int64), task, feats, classes)
    return Table(name, X, np.asarray(d.target, dtype=np.float64), task, feats)


def _short(name: str, n: int = 30) -> str:
    return name if len(name) <= n else name[:n - 3] + "..."


def _blank(row: list[str]) -> bool:
    """A record pandas skips: an empty or whitespace-only line."""
    return len(row) <= 1 and not "".join(row).strip()


def csv_layout(text: str) -> tuple[str, list[str], str]:
    """(delimiter, column names, the text after the header) of a CSV, checked in one linear pass before
    pandas parses anything: at most MAX_CSV_ROWS rows and MAX_CSV_COLUMNS columns, every column named
    once, no row wider than the header (a trailing delimiter aside). Raises ValueError with one line.

    pandas renames repeated header names in time quadratic in the columns, and builds a column for each
    name or each field of a wide first row, before any limit could be checked (an 80 kB header of one
    name took seconds; 2 MB of names, 800 MB): so nothing reaches it unchecked.
    """
    n_lines = max(text.count("\n"), text.count("\r")) + 1
    if n_lines > MAX_CSV_ROWS + 2:
        raise ValueError(f"the file has about {n_lines:,} rows; the limit is {MAX_CSV_ROWS:,}")
    try:
        sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:  # one column, or nothing to tell by: the usual comma
        sep = ","
    f = io.StringIO(text, newline="")
    reader = csv.reader(f, delimiter=sep)
    try:
        header = next((r for r in reader if not _blank(r)), None)
        if header is None:
            raise ValueError("the file has no header row")
        if len(header) > MAX_CSV_COLUMNS:
            raise ValueError(f"the file has {len(header):,} columns; the limit is {MAX_CSV_COLUMNS}")
        names = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(header)]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(f"two columns are named {_short(name)!r}: give every column its own name")
            seen.add(name)
        body = text[f.tell():]
        rows = 0
        for row in reader:
            if _blank(row):
                continue
            rows += 1
            if rows > MAX_CSV_ROWS:
                raise ValueError(f"the file has over {MAX_CSV_ROWS:,} rows; the limit is {MAX_CSV_ROWS:,}")
            if len(row) > len(names) and not (len(row) == len(names) + 1 and not row[-1].strip()):
                raise ValueError(f"row {rows} has {len(row):,} fields; the header names {len(names)} columns")
    except csv.Error as e:
        raise ValueError(f"could not read it as CSV ({str(e).splitlines()[0][:80]})") from None
    return sep, names, body


def table_from_csv(raw: bytes, target: str = "", name: str = "your CSV") -> Table:
    """A student's table from CSV bytes: numeric feature columns and one target column.

    target: the target column's name (default: the last column). A text target, or a whole-number
    one with at most 20 values, is a class label; any other number is a regression target. Rows with
    missing values are dropped. Raises ValueError with a one-line reason for anything unusable.
    """
    if not raw or not raw.strip():
        raise ValueError("the file is empty")
    text = csv_text(raw)
    sep, names, body = csv_layout(text)
    try:
        # the names are ours (checked above): pandas never reads the header, so it neither renames repeated
        # names nor turns a wide first row into index columns; at most MAX_CSV_ROWS x MAX_CSV_COLUMNS cells
        df = pd.read_csv(io.StringIO(body), sep=sep, header=None, names=names, usecols=range(len(names)),
                         index_col=False, nrows=MAX_CSV_ROWS + 1, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, TypeError) as e:
        raise ValueError(f"could not read it as CSV ({str(e).splitlines()[0][:80]})") from None
    if len(df) > MAX_CSV_ROWS:
        raise ValueError(f"the file has {len(df):,} rows; the limit is {MAX_CSV_ROWS:,}")
    df = df.drop(columns=[c for c in df.columns if c.startswith("Unnamed: ") and df[c].isna().all()])  # trailing ","
    if df.shape[1] < 2:
        raise ValueError("need at least two columns: one or more features and a target")
    target = target.strip() or df.columns[-1]
    if target not in df.columns:
        shown = ", ".join(_short(c) for c in df.columns[:8]) + (", ..." if df.shape[1] > 8 else "")
        raise ValueError(f"no target column named {target!r} (columns: {shown})")
    feats = [c for c in df.columns if c != target and pd.api.types.is_numeric_dtype(df[c])]
    if not feats:
        raise ValueError(f"no numeric feature columns besides the target {target!r}")
    df = df[[*feats, target]].replace([np.inf, -np.inf], np.nan).dropna()
    if len(df) < MIN_ROWS:
        raise ValueError(f"only {len(df)} complete rows (no missing values); need at least {MIN_ROWS}")
    X = df[feats].to_numpy(dtype=np.float64)
    t = df[target]
    numeric = pd.api.types.is_numeric_dtype(t)
    whole = numeric and bool(np.all(np.mod(t.to_numpy(dtype=np.float64), 1) == 0))
    if numeric and not (whole and t.nunique() <= MAX_CLASSES):
        y = t.to_numpy(dtype=np.float64)
        if np.ptp(y) == 0:
            raise ValueError(f"the target {target!r} has one value only")
        return Table(name, X, y, "regression", tuple(feats))
    labels = t.astype(str)
    counts = labels.value_counts()
    if len(counts) < 2:
        raise ValueError(f"the target {target!r} has one class only")
    if len(counts) > MAX_CLASSES:
        raise ValueError(f"the target {target!r} has {len(counts)} classes; the limit is {MAX_CLASSES}")
    rare = counts[counts < MIN_PER_CLASS]
    if len(rare):
        raise ValueError(f"class {rare.index[0]!r} has {int(rare.iloc[0])} rows; every class needs at least "
                         f"{MIN_PER_CLASS}")
    classes = tuple(sorted(counts.index))
    y = labels.map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=np.int64)
    return Table(name, X, y, "classification", tuple(feats), classes)


def with_uninformative(table: Table, k: int, rotate: bool = False, seed: int = 0) -> Table:
    """Grinsztajn et al.'s two probes: k extra columns of pure noise, and/or a random rotation.

    Noise columns are standard normal (independent of the target). The rotation first standardises
    every column (so no one column dominates), then multiplies by a seeded random orthogonal matrix:
    each new feature is a mixture of all the old ones. Returns X [N, F + k].
    """
    rng = np.random.default_rng(seed + 104_729)
    X = table.X
    feats = table.features
    if k > 0:
        X = np.hstack([X, rng.standard_normal((len(X), k))])
        feats = feats + tuple(f"noise {i + 1}" for i in range(k))
    if rotate:
        Z = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)
        q, r = np.linalg.qr(rng.standard_normal((X.shape[1], X.shape[1])))
        X = Z @ (q * np.sign(np.diag(r)))
        feats = tuple(f"mix {i + 1}" for i in range(X.shape[1]))
    return Table(table.name, X, table.y, table.task, feats, table.classes)
