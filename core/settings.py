"""Settings from the environment: data folder, hosted-mode limits, tuning storage URL.

Pages may copy Streamlit secrets into these variables at start-up (see ``app.py``); core reads
only the environment, so it stays free of Streamlit.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path


def data_dir() -> Path:
    """Folder for caches, downloads and tuning storage: $NNLAB_DATA_DIR or ~/.cache/nnlab."""
    root = Path(os.environ.get("NNLAB_DATA_DIR") or Path.home() / ".cache" / "nnlab")
    root.mkdir(parents=True, exist_ok=True)
    return root


def hosted() -> bool:
    """True when NNLAB_HOSTED is set to 1/true/yes: caps apply to what one visitor may ask for."""
    return os.environ.get("NNLAB_HOSTED", "").strip().lower() in ("1", "true", "yes", "on")


def merge_on() -> bool:
    """Whether the training queue trains runs of one shape together ($NNLAB_MERGE: 1/0; default: on when
    hosted, off on a laptop)."""
    raw = os.environ.get("NNLAB_MERGE", "").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    return hosted()


def train_workers() -> int:
    """Worker processes that train merged runs off the server's Python lock ($NNLAB_TRAIN_WORKERS; 0 or unset:
    off, a merged run trains on its batch's thread; else that many, at most one per training slot)."""
    return _env_int("NNLAB_TRAIN_WORKERS", 0)


def mnist_dir() -> Path | None:
    """The server owner's MNIST folder ($NNLAB_MNIST_DIR), or None: the data folder's download."""
    env = (os.environ.get("NNLAB_MNIST_DIR") or "").strip()
    if not env:
        return None
    try:
        return Path(env).expanduser()
    except RuntimeError:  # "~someone/x" for an unknown user: no folder
        return None


def downloads_allowed() -> bool:
    """Whether a page may download data (MNIST): on a laptop yes; on a hosted server never, so no visitor
    can make it reach the network (its owner puts the files in $NNLAB_MNIST_DIR or the data folder)."""
    return not hosted()


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. Laptop defaults are generous; hosted ones protect the server."""

    max_epochs: int
    max_width: int
    max_layers: int
    max_seeds: int
    max_trials: int
    max_upload_mb: float
    max_uploads: int
    cache_mb: int
    max_workers: int = 8  # tuning worker processes one machine runs for one study (also capped by its cores)
    # budgets: what bounds a request's work and memory (core.serve.price), whatever its fields say
    run_seconds: float = math.inf  # estimated CPU seconds of one training request
    run_mb: float = math.inf  # estimated peak memory of one training request (MB)
    study_seconds: float = math.inf  # a tuning study, priced as all its trials
    image_pixels: int = 40_000_000  # decoded pixels of one uploaded image (reduced while decoding above this)
    run_wall_seconds: float | None = None  # a run still training after this long stops, marked cut short


LAPTOP = Limits(max_epochs=5000, max_width=1024, max_layers=20, max_seeds=200, max_trials=2000,
                max_upload_mb=20, max_uploads=50, cache_mb=2000)
# max_epochs 2000: the XOR Lab's defaults train 1000 (seeds) and 2000 (NumPy) epochs on 4 points
# run_seconds 60 / run_mb 400: every page's default run fits (see core.serve.price; the MNIST model on the
# 4,000-digit sample prices at about 310 MB); NNLAB_MAX_CONCURRENT x run_mb + the app (~0.5 GB) fit 1.5 GB
HOSTED = Limits(max_epochs=2000, max_width=256, max_layers=12, max_seeds=100, max_trials=100,
                max_upload_mb=5, max_uploads=10, cache_mb=300, max_workers=2,
                run_seconds=60.0, run_mb=400.0, study_seconds=600.0, image_pixels=12_000_000,
                run_wall_seconds=180.0)  # 3x the CPU budget: a busy server may run a priced request slower


def limits() -> Limits:
    """The limits in force now."""
    return HOSTED if hosted() else LAPTOP


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return max(0, int(raw)) if raw else default
    except ValueError:  # not a number: the default
        return default


def keep_studies() -> int:
    """Tuning studies a storage keeps ($NNLAB_KEEP_STUDIES; 20 hosted, 200 on a laptop; 0: no limit):
    starting a new study deletes the oldest beyond this many."""
    return _env_int("NNLAB_KEEP_STUDIES", 20 if hosted() else 200)


def keep_log_days() -> float:
    """Days a tuning worker's log is kept ($NNLAB_KEEP_LOG_DAYS; 7; 0: no limit): starting a worker
    deletes the logs older than this."""
    return float(_env_int("NNLAB_KEEP_LOG_DAYS", 7))


def storage_url() -> str:
    """Optuna storage: $NNLAB_STORAGE (any SQLAlchemy URL) or a SQLite file in the data folder."""
    url = os.environ.get("NNLAB_STORAGE", "").strip()
    return url or f"sqlite:///{data_dir() / 'tuning.db'}"
