"""Trained results on disk, keyed by the config's hash: safetensors files, bounded, clearable.

Each entry is one ``<key>.safetensors`` file: tensors (weights, histories) plus a JSON header in
the safetensors metadata. Nothing is ever unpickled. Reading an entry refreshes its mtime; when
the folder grows past ``max_bytes`` the least recently used entries go first.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from core import settings
from core.config import CACHE_VERSION, Config
from core.engine import TrainConfig, TrainResult


class DiskCache:
    """A folder of safetensors files with a size bound (LRU by modification time)."""

    def __init__(self, root: Path | str | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else settings.data_dir() / "cache"
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes if max_bytes is not None else settings.limits().cache_mb * 1_000_000

    def path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"bad cache key {key!r}")
        return self.root / f"{key}.safetensors"

    def get(self, key: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
        """(tensors, meta) stored under key, or None (missing or unreadable: treated as a miss)."""
        p = self.path(key)
        if not p.exists():
            return None
        try:
            tensors = load_file(str(p))
            with open(p, "rb") as fh:
                n = int.from_bytes(fh.read(8), "little")
                header = json.loads(fh.read(n))
            meta = json.loads(header.get("__metadata__", {}).get("meta", "{}"))
            os.utime(p)
            return tensors, meta
        except (SafetensorError, OSError, ValueError, json.JSONDecodeError):
            p.unlink(missing_ok=True)
            return None

    def put(self, key: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Store atomically (write to a temp file, then rename), then trim to max_bytes."""
        p = self.path(key)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        os.close(fd)
        try:
            save_file({k: v.contiguous() for k, v in tensors.items()}, tmp,
                      metadata={"meta": json.dumps(meta, default=_json_default)})
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.trim()

    def entries(self) -> list[Path]:
        return sorted(self.root.glob("*.safetensors"), key=lambda q: q.stat().st_mtime)

    def size(self) -> int:
        """Total bytes stored."""
        return sum(q.stat().st_size for q in self.entries())

    def trim(self) -> None:
        """Delete least recently used entries until the folder fits max_bytes."""
        files = self.entries()
        total = sum(q.stat().st_size for q in files)
        for q in files:
            if total <= self.max_bytes:
                break
            total -= q.stat().st_size
            q.unlink(missing_ok=True)

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        files = self.entries()
        for q in files:
            q.unlink(missing_ok=True)
        return len(files)


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON-able: {type(o).__name__}")


def batch_key(configs: Sequence[Config], data_key: str) -> str:
    """Cache key of a batch of configs trained on one data set."""
    blob = json.dumps([CACHE_VERSION, data_key, [c.key() for c in configs]])
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def encode_results(results: Sequence[TrainResult]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """TrainResults -> safetensors tensors + JSON meta."""
    tensors: dict[str, torch.Tensor] = {}
    items = []
    for i, r in enumerate(results):
        for name, t in r.state.items():
            tensors[f"{i}/state/{name}"] = t.detach().clone()
        for col in r.history.columns:
            tensors[f"{i}/hist/{col}"] = torch.tensor(r.history[col].to_numpy(dtype=np.float64))
        items.append({
            "config": r.config.to_dict(), "config_class": type(r.config).__name__,
            "columns": list(r.history.columns), "metrics": r.metrics, "n_in": r.n_in, "n_out": r.n_out,
            "stopped_epoch": r.stopped_epoch, "best_epoch": r.best_epoch, "diverged": r.diverged,
            "seconds": r.seconds, "extra": r.extra,
        })
    return tensors, {"results": items}


def decode_results(tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                   config_types: Sequence[type[TrainConfig]] = ()) -> list[TrainResult]:
    """Inverse of :func:`encode_results`; configs are rebuilt as TrainConfig (or a listed subclass)."""
    types = {t.__name__: t for t in (TrainConfig, *config_types)}
    out = []
    for i, item in enumerate(meta["results"]):
        cls = types.get(item["config_class"], TrainConfig)
        fields = set(cls.__dataclass_fields__)
        cfg_dict = {k: tuple(v) if isinstance(v, list) else v for k, v in item["config"].items() if k in fields}
        prefix = f"{i}/state/"
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        hist = pd.DataFrame({c: tensors[f"{i}/hist/{c}"].numpy() for c in item["columns"]})
        if "epoch" in hist:
            hist["epoch"] = hist["epoch"].astype(np.int64)
        out.append(TrainResult(
            config=cls(**cfg_dict), history=hist, metrics=item["metrics"], state=state,
            n_in=item["n_in"], n_out=item["n_out"], stopped_epoch=item["stopped_epoch"],
            best_epoch=item["best_epoch"], diverged=item["diverged"], seconds=item["seconds"],
            extra=item.get("extra", {}),
        ))
    return out


def cached(key: str, compute: Callable[[], list[TrainResult]], cache: DiskCache | None = None,
           config_types: Sequence[type[TrainConfig]] = ()) -> tuple[list[TrainResult], bool]:
    """Results under key from the disk cache, or computed and stored. Returns (results, was_hit)."""
    cache = cache or DiskCache()
    hit = cache.get(key)
    if hit is not None:
        try:
            return decode_results(*hit, config_types=config_types), True
        except (KeyError, TypeError, ValueError):
            pass  # an entry from an older layout: recompute
    results = compute()
    cache.put(key, *encode_results(results))
    return results, False
