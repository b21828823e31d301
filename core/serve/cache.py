"""Trained results on disk, keyed by the config's hash: safetensors files, bounded, clearable.

Each entry is one ``<key>.safetensors`` file: tensors (weights, histories) plus a JSON header in
the safetensors metadata. Nothing is ever unpickled: a file that is not safetensors (a pickle, a
torch ``.pt``) fails to decode and counts as a miss. Reading an entry refreshes its mtime; when the
folder grows past ``max_bytes`` the least recently used entries go first.

Faults never lose a result: a result that cannot be stored (a read-only or full disk, the folder
gone) is still returned, flagged ``extra["_not_cached"]`` with the reason. A read error (permission,
a file another process is replacing) is a miss and the file is left alone; only a file that reads
but fails to decode (ours, and corrupt) is recomputed, and the new entry replaces it. Entries are
written atomically (a temporary file, then ``os.replace``) and readable as the umask allows (group-
readable with the usual 022/002), and each read takes one file whole through one open handle (a
rename by another process meanwhile leaves it on the version it opened), so several processes, users
and servers may share one folder; files that vanish while listing, sizing or trimming (another process
trimmed them) are skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save_file

from core import settings
from core.config import CACHE_VERSION, Config
from core.engine import TrainConfig, TrainResult

NOT_CACHED = "_not_cached"  # key in TrainResult.extra: why this result could not be stored


def _umask() -> int:
    """This process's umask, read without changing it (Linux /proc; else the usual 022)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


class DiskCache:
    """A folder of safetensors files with a size bound (LRU by modification time)."""

    def __init__(self, root: Path | str | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else settings.data_dir() / "cache"
        with contextlib.suppress(OSError):  # read-only or not a folder: gets miss, puts say why they failed
            self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes if max_bytes is not None else settings.limits().cache_mb * 1_000_000
        self.last_error: str | None = None  # why the last put failed (None: stored)

    def path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"bad cache key {key!r}")
        return self.root / f"{key}.safetensors"

    def get(self, key: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
        """(tensors, meta) stored under key, or None (missing, unreadable or corrupt: a miss).

        The file is read once, through one open handle: another process replacing it meanwhile (an
        atomic rename) leaves this read on the version it opened, so meta and tensors always come from
        one write. A file that cannot be read (permissions, gone) is left alone: it may be someone
        else's. A file that reads but does not decode as our safetensors entry (corrupt, or a pickle
        planted under our name) is never loaded; it is removed (unless another process has replaced it
        since) and recomputed by the caller.
        """
        p = self.path(key)
        try:
            with open(p, "rb") as fh:
                raw = fh.read()
                opened = os.fstat(fh.fileno())
        except OSError:
            return None  # missing, or not ours to read: a miss, and the file stays
        try:
            tensors, meta = _decode(raw)
        except (SafetensorError, ValueError, RuntimeError, AttributeError, TypeError, KeyError):
            with contextlib.suppress(OSError):  # ours and corrupt: recomputed, and the new entry replaces it
                now = os.stat(p)
                if (now.st_ino, now.st_dev) == (opened.st_ino, opened.st_dev):  # not a newer, good entry
                    p.unlink()
            return None
        with contextlib.suppress(OSError):  # read-only, or trimmed by another process just now: still good
            os.utime(p)
        return tensors, meta

    def put(self, key: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> bool:
        """Store atomically (a temp file, then rename), then trim to max_bytes. Returns whether it was
        stored; on failure ``last_error`` says why (nothing is raised: the caller still has its result)."""
        p = self.path(key)
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{key}.", suffix=".tmp")
            os.close(fd)
            save_file({k: v.contiguous() for k, v in tensors.items()}, tmp,
                      metadata={"meta": json.dumps(meta, default=_json_default)})
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, p)
            tmp = None
        except (OSError, SafetensorError, TypeError, ValueError) as e:
            self.last_error = _why(e)
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self.last_error = None
        self.trim()
        return True

    def _stats(self) -> list[tuple[Path, float, int]]:
        """(path, mtime, size) of every entry, oldest first; entries that vanish meanwhile are skipped."""
        out = []
        try:
            names = list(self.root.glob("*.safetensors"))
        except OSError:
            return []
        for q in names:
            try:
                st = q.stat()
            except OSError:  # another process trimmed it between the listing and now
                continue
            out.append((q, st.st_mtime, st.st_size))
        out.sort(key=lambda t: t[1])
        return out

    def entries(self) -> list[Path]:
        """Entry files, least recently used first."""
        return [q for q, _, _ in self._stats()]

    def size(self) -> int:
        """Total bytes stored."""
        return sum(n for _, _, n in self._stats())

    def trim(self) -> None:
        """Delete least recently used entries until the folder fits max_bytes."""
        files = self._stats()
        total = sum(n for _, _, n in files)
        for q, _, n in files:
            if total <= self.max_bytes:
                break
            total -= n
            with contextlib.suppress(OSError):  # not ours to delete (another user's file in a shared folder)
                q.unlink(missing_ok=True)

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        n = 0
        for q in self.entries():
            try:
                q.unlink()
                n += 1
            except OSError:
                pass
        return n


def _decode(raw: bytes) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, meta) from the bytes of one entry; raises if they are not our safetensors entry."""
    n = int.from_bytes(raw[:8], "little") if len(raw) >= 8 else -1
    if n <= 0 or n > min(100_000_000, len(raw) - 8):
        raise ValueError("not a safetensors file")  # e.g. a pickle: never loaded
    header = json.loads(raw[8:8 + n])
    meta = json.loads(header.get("__metadata__", {}).get("meta", "{}"))
    if not isinstance(meta, dict):
        raise ValueError("not our entry")
    return load_bytes(raw), meta


def _why(e: BaseException) -> str:
    import errno

    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return "the server's disk is full"
    if isinstance(e, OSError) and e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the cache folder is read-only"
    if isinstance(e, OSError):
        return f"the cache folder cannot be written ({e.strerror or type(e).__name__})"
    return f"the result could not be encoded ({type(e).__name__})"


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


def encode_results(results: Sequence[TrainResult],
                   configs: bool = True) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """TrainResults -> safetensors tensors + JSON meta (``configs=False``: see :func:`pack_results`)."""
    tensors: dict[str, torch.Tensor] = {}
    items = []
    for i, r in enumerate(results):
        for name, t in r.state.items():
            tensors[f"{i}/state/{name}"] = t.detach().clone()
        history = r.history_columns()  # its arrays: no frame is made for a result that never had one
        for col, a in history.items():
            a = np.ascontiguousarray(a if a.dtype == np.float32 else a.astype(np.float64))  # float32 as trained
            tensors[f"{i}/hist/{col}"] = torch.from_numpy(a if a.flags.writeable else a.copy())  # a frame's: read-only
        items.append(_item(r, list(history), configs))
    return tensors, {"results": items}


def _item(r: TrainResult, columns: list[str], config: bool = True) -> dict[str, Any]:
    """A result's JSON part (both layouts): config (unless left out), history column names, metrics and the rest."""
    return {
        **({"config": r.config.to_dict()} if config else {}), "config_class": type(r.config).__name__,
        "columns": columns, "metrics": r.metrics, "n_in": r.n_in, "n_out": r.n_out,
        "stopped_epoch": r.stopped_epoch, "best_epoch": r.best_epoch, "diverged": r.diverged,
        "seconds": r.seconds, "extra": {k: v for k, v in r.extra.items() if not str(k).startswith("_")},
    }


def _result(item: dict[str, Any], state: dict[str, torch.Tensor], hist: dict[str, np.ndarray],
            types: dict[str, type[TrainConfig]], config: TrainConfig | None = None) -> TrainResult:
    """One TrainResult from its JSON item, its state and its history's columns (a frame when first read);
    ``config``: the config it was trained from, when the reader has it (else rebuilt from the item)."""
    if config is None:
        cls = types.get(item["config_class"], TrainConfig)
        fields = set(cls.__dataclass_fields__)
        config = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in item["config"].items() if k in fields})
    if "epoch" in hist:
        hist["epoch"] = hist["epoch"].astype(np.int64)
    return TrainResult(
        config=config, history=hist, metrics=item["metrics"], state=state,  # type: ignore[arg-type]
        n_in=item["n_in"], n_out=item["n_out"], stopped_epoch=item["stopped_epoch"],
        best_epoch=item["best_epoch"], diverged=item["diverged"], seconds=item["seconds"],
        extra=item.get("extra", {}),
    )


def decode_results(tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                   config_types: Sequence[type[TrainConfig]] = (),
                   configs: Sequence[TrainConfig] | None = None) -> list[TrainResult]:
    """Inverse of :func:`encode_results` (and of :func:`pack_results`); configs are rebuilt as TrainConfig
    (or a listed subclass), or taken from ``configs`` (one per result, in order) when the reader has them."""
    types = {t.__name__: t for t in (TrainConfig, *config_types)}
    if configs is not None and len(configs) != len(meta["results"]):
        raise ValueError("one config per result")
    if meta.get("layout") == PACKED:
        return _unpack(tensors, meta, types, configs)
    out = []
    for i, item in enumerate(meta["results"]):
        prefix = f"{i}/state/"
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        hist = {c: tensors[f"{i}/hist/{c}"].numpy() for c in item["columns"]}
        out.append(_result(item, state, hist, types, None if configs is None else configs[i]))
    return out


PACKED = "packed-1"  # the cache's layout: every result's weights in one tensor, each history column in one


def pack_results(results: Sequence[TrainResult],
                 configs: bool = True) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """TrainResults -> a few tensors + JSON meta, the result cache's layout. A tensor per array (the model
    file's layout, :func:`encode_results`) cost 25 us each of Python to write and as much to read: 100 XOR
    results are 1,000 arrays, 18 ms a write, on the server's one lock while a class waits. Results of
    other layouts (not all float32 weights, not one set of history columns) are stored that way still.
    ``configs=False`` leaves the configs out, for a reader that has them (a training worker's results to the
    server, :mod:`core.serve.workers`: pickled whole, 3,000 XOR results were 96 MB and 0.7-0.9 s to unpickle
    on the server's one lock)."""
    states = [list(r.state.items()) for r in results]
    hists = [r.history_columns() for r in results]
    cols = list(hists[0]) if hists else []
    if any(t.dtype != torch.float32 for st in states for _, t in st) or any(list(h) != cols for h in hists):
        return encode_results(results, configs)
    tensors = {"state": torch.cat([t.detach().reshape(-1) for st in states for _, t in st] or [torch.zeros(0)])}
    for c in cols:
        arrays = [h[c] for h in hists]
        dtype = arrays[0].dtype if len({a.dtype for a in arrays}) == 1 and arrays[0].dtype in (
            np.float32, np.float64, np.int64) else np.float64
        tensors[f"hist/{c}"] = torch.from_numpy(np.concatenate([a.astype(dtype, copy=False) for a in arrays]))
    items = [{**_item(r, cols, configs), "rows": len(h[cols[0]]) if cols else 0,
              "state": [[name, list(t.shape)] for name, t in st]} for r, st, h in zip(results, states, hists)]
    return tensors, {"layout": PACKED, "results": items}


def _unpack(tensors: dict[str, torch.Tensor], meta: dict[str, Any],
            types: dict[str, type[TrainConfig]], configs: Sequence[TrainConfig] | None = None) -> list[TrainResult]:
    flat = tensors["state"]
    columns = {k[len("hist/"):]: v.numpy() for k, v in tensors.items() if k.startswith("hist/")}
    out, at, row = [], 0, 0
    for i, item in enumerate(meta["results"]):
        shapes = [(name, [int(d) for d in shape]) for name, shape in item["state"]]
        sizes = [math.prod(shape) for _, shape in shapes]
        if at + sum(sizes) > len(flat):
            raise ValueError("the entry's weights are shorter than its layout")
        parts = flat[at:at + sum(sizes)].clone().split_with_sizes(sizes)  # each result its own copy
        at += sum(sizes)
        state = {name: p.view(shape) for (name, shape), p in zip(shapes, parts)}
        n = int(item["rows"])
        hist = {c: columns[c][row:row + n] for c in item["columns"]}
        if any(len(a) != n for a in hist.values()):
            raise ValueError("the entry's history is shorter than its layout")
        row += n
        out.append(_result(item, state, hist, types, None if configs is None else configs[i]))
    return out


def load(key: str, cache: DiskCache, config_types: Sequence[type[TrainConfig]] = ()) -> list[TrainResult] | None:
    """Results stored under key, or None (a miss: missing, unreadable, corrupt or an older layout)."""
    hit = cache.get(key)
    if hit is None:
        return None
    try:
        return decode_results(*hit, config_types=config_types)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError):
        return None  # an entry from an older layout, or damaged: recompute (the put replaces it)


def cached(key: str, compute: Callable[[], list[TrainResult]], cache: DiskCache | None = None,
           config_types: Sequence[type[TrainConfig]] = ()) -> tuple[list[TrainResult], bool]:
    """Results under key from the disk cache, or computed and stored. Returns (results, was_hit).

    A result that could not be stored is returned all the same, each flagged
    ``extra[NOT_CACHED]`` = the reason (see :func:`not_cached`).
    """
    cache = cache or DiskCache()
    hit = load(key, cache, config_types)
    if hit is not None:
        return hit, True
    results = compute()
    if any(r.extra.get("cut_short") for r in results):  # a run the wall-clock limit stopped is not the config's result
        for r in results:
            r.extra[NOT_CACHED] = "it was cut short by this server's time limit"
        return results, False
    try:
        tensors, meta = pack_results(results)
        stored = cache.put(key, tensors, meta)
        reason = cache.last_error
    except (TypeError, ValueError) as e:
        stored, reason = False, _why(e)
    if not stored:
        for r in results:
            r.extra[NOT_CACHED] = reason or "the result could not be stored"
    return results, False


def not_cached(results: Sequence[TrainResult]) -> str | None:
    """Why these results were not stored on disk (one line), or None when they were."""
    for r in results:
        why = r.extra.get(NOT_CACHED)
        if why:
            return f"not cached: {why}, so this run will train again next time"
    return None


def cut_short(results: Sequence[TrainResult]) -> str | None:
    """One line saying the run was stopped by the wall-clock limit (and at which epoch), or None."""
    cut = [r for r in results if r.extra.get("cut_short")]
    if cut:
        at = min(int(r.extra.get("cut_short_epoch", 0)) for r in cut)
        return (f"cut short: {len(cut)} of {len(results)} model(s) stopped at epoch {at:,} by this server's time "
                "limit; what was trained so far is shown")
    return None
