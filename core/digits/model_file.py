"""Digit model files: safetensors weights + JSON metadata, never a pickle; validated in full before use.

A file holds one MLP (:class:`~core.digits.jobs.DigitsConfig`) or one CNN
(:class:`~core.digits.jobs.DigitsCnn`: conv layers, then a dense head): its config and its state.
A file is checked (size, header length, JSON depth, every field's type and range, tensor shapes, the
model's size against this server's caps) before anything is built from it; anything else is a
:class:`ModelFileError` with a one-line reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import typing
from typing import Any

import numpy as np
import torch

from core import settings
from core.config import ConfigError, type_hints
from core.digits.jobs import SIDE, DigitsCnn, DigitsConfig
from core.engine import TrainResult
from core.engine.conv import CnnConfig, cnn_macs, conv_sides, layer_shapes, n_params, state_names
from core.serve.cache import decode_results, encode_results
from core.serve.caps import violations

MAX_MODEL_BYTES = 50_000_000
MODEL_VERSION = 1
MODEL_FORMAT = "nnlab-digits"


def config_classes() -> dict[str, type[DigitsConfig]]:
    """The configs a model file may hold, by class name: the MLP's and the CNN's."""
    return {"DigitsConfig": DigitsConfig, "DigitsCnn": DigitsCnn}

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


def _config_from(raw: Any, cls: type[DigitsConfig] = DigitsConfig) -> DigitsConfig:
    """A DigitsConfig (or DigitsCnn) from a model file's config dict: every field's type, then its range."""
    if not isinstance(raw, dict):
        raise ModelFileError(f"the model's settings should be a mapping, not a {type(raw).__name__}")
    hints = type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
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
        return cls(**values)
    except ConfigError as e:
        raise ModelFileError(f"the model's settings are invalid ({e})") from None


def _check_item(item: dict, cfg: DigitsConfig) -> None:
    """Every field of a model's JSON besides its config: types and ranges."""
    metrics = item.get("metrics")
    if not isinstance(metrics, dict) or len(metrics) > 200:
        raise ModelFileError("the model file's metrics should be a mapping of names to numbers")
    for k, v in metrics.items():
        if not (isinstance(k, str) and len(k) <= 60 and _is_num(v)):
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
            isinstance(k, str) and not k.startswith("_") and (isinstance(v, (str, bool)) or _is_num(v))
            and len(str(v)) <= 200 for k, v in extra.items())):
        raise ModelFileError("the model file's extra fields should be a few plain values")
    for k, ok in _EXTRA_TYPES.items():  # the ones the app reads
        if k in extra and not ok(extra[k]):
            raise ModelFileError(f"the model file's extra field {k} has the wrong type")


#: extra fields the app reads, and their types (private "_" ones, the app's own memos, are never read from a file)
_EXTRA_TYPES = {"cut_short": lambda v: isinstance(v, bool), "cut_short_epoch": _is_int, "stacks": _is_int,
                "dataset": lambda v: isinstance(v, str)}


def _within_caps(cfg: DigitsConfig, lim: settings.Limits | None) -> None:
    """A model wider or deeper than this server trains is refused before anything is built from it (what
    the page builds from a model grows with its widths: a 0.64 MB file of ten 4,096-wide layers held 1.3 GB).
    A CNN's channels are widths too, and its parameters and its multiply-adds per image are held to those of
    the widest, deepest MLP the caps allow (a CNN's cost is in its kernels and maps, which no width shows)."""
    over = [m for f, m in violations(cfg, lim) if f in ("hidden", "channels")]
    if over:
        raise ModelFileError(f"this server reads models within its caps: {over[0]}")
    if isinstance(cfg, CnnConfig):
        lim = lim or settings.limits()
        if not (len(cfg.hidden) <= min(5, lim.max_layers) and all(1 <= w <= lim.max_width for w in cfg.hidden)):
            raise ModelFileError(f"this server reads models within its caps: a CNN's dense layers are 0-5 layers "
                                 f"of 1-{lim.max_width:,} units, not {str(list(cfg.hidden))[:40]}")
        side = SIDE[cfg.dataset]
        try:
            params, macs = n_params(cfg, side, 10), cnn_macs(cfg, side, 10)
        except ValueError as e:
            raise ModelFileError(f"the model's settings are invalid ({e})") from None
        top = max_cnn_params(lim)
        if params > top or macs > MACS_PER_PARAM * top:
            raise ModelFileError(f"this server reads models within its caps: a CNN of {params:,} parameters and "
                                 f"{macs:,} multiply-adds per image is over its {top:,} and "
                                 f"{MACS_PER_PARAM * top:,}")


MACS_PER_PARAM = 25  # a CNN reuses each kernel weight at every pixel: LeNet on 28x28 does ~4 per parameter


def max_cnn_params(lim: settings.Limits | None = None) -> int:
    """The largest CNN a server reads: as many parameters as the widest, deepest 28x28 MLP its caps allow."""
    lim = lim or settings.limits()
    w = lim.max_width
    return 784 * w + w + (lim.max_layers - 1) * (w * w + w) + 10 * w + 10


def _expected_shapes(cfg: DigitsConfig, n_in: int) -> dict[str, list[int]]:
    """Tensor name -> shape of a model's state, from its config (MLP: build_mlp's, CNN: build_cnn's names)."""
    expected = {}
    if isinstance(cfg, CnnConfig):
        k = cfg.kernel
        for li, ((wn, bn), (o, i)) in enumerate(zip(state_names(cfg), layer_shapes(cfg, SIDE[cfg.dataset], 10))):
            expected[f"0/state/{wn}"] = [o, i // (k * k), k, k] if li < len(cfg.channels) else [o, i]
            expected[f"0/state/{bn}"] = [o]
        return expected
    widths = [n_in, *cfg.hidden, 10]
    step = 3 if cfg.dropout > 0 else 2
    for li in range(len(widths) - 1):
        expected[f"0/state/{li * step}.weight"] = [widths[li + 1], widths[li]]
        expected[f"0/state/{li * step}.bias"] = [widths[li + 1]]
    return expected


def import_model(data: bytes, lim: settings.Limits | None = None) -> TrainResult:
    """Load a file made by :func:`export_model`, checking everything; raises ModelFileError with why.

    Reads only safetensors (raw tensors + JSON), never a pickle. Before anything is built: the header
    size (at most MAX_HEADER_BYTES) and JSON nesting (at most MAX_JSON_DEPTH), the marker and version,
    every field's type and range (the config builds a valid DigitsConfig; metrics are numbers; epochs
    and sizes are whole numbers), the tensor names, dtypes and shapes against the config, and that
    every weight is finite; the layers within this server's caps (``lim``, default
    ``settings.limits()``: widths and layers, so its parameters too). Nothing but ModelFileError leaves
    this function for a bad file.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load

    if not data:
        raise ModelFileError("the model file is empty")
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(f"the model file is {len(data) / 1e6:.1f} MB; the limit is {MAX_MODEL_BYTES / 1e6:g} MB")
    # safetensors: an 8-byte little-endian header length, then the JSON header; a header 128 (mod 256) bytes
    # long starts with 0x80 like a pickle, so only a file that is not shaped like safetensors is called one
    looks_safetensors = data[8:9] == b"{"
    if not looks_safetensors and (data[:2] == b"PK" or data[:1] == b"\x80"):
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
    classes = config_classes()
    cls = classes.get(item.get("config_class")) if isinstance(item.get("config_class"), str) else None
    if cls is None:
        raise ModelFileError("the model file holds a model of another kind, not a digit model")
    cfg = _config_from(item.get("config"), cls)
    if isinstance(cfg, CnnConfig):
        try:
            conv_sides(SIDE[cfg.dataset], len(cfg.channels))
        except ValueError as e:
            raise ModelFileError(f"the model's settings are invalid ({e})") from None
    _within_caps(cfg, lim)
    _check_item(item, cfg)
    n_in = SIDE[cfg.dataset] ** 2
    if item["n_in"] != n_in or item["n_out"] != 10:
        raise ModelFileError(f"a {cfg.dataset} model must map {n_in} inputs to 10 classes")
    expected = _expected_shapes(cfg, n_in)
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
                                   config_types=tuple(classes.values()))
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
