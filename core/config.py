"""Frozen, validated, hashable job configs that round-trip through URL query params.

Every kind of job (a perceptron run, a NumPy network, a batch of torch MLPs, ...) is one frozen
dataclass deriving from :class:`Config`. Each field declares its allowed range or choices through
:func:`param`; construction validates them and raises :class:`ConfigError` naming the field.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

CACHE_VERSION = "4"  # bump when training code changes what a config produces

C = TypeVar("C", bound="Config")

# what a server's limits can bound in a field (param(cap=...)): kind -> settings.Limits attribute
CAP_KINDS = {"epochs": "max_epochs", "seeds": "max_seeds", "trials": "max_trials", "width": "max_width",
             "layers": "max_layers"}


class ConfigError(ValueError):
    """A config field is out of range; ``field`` names it, the message says what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConstraintError(ConfigError):
    """Fields each fine alone that do not fit together; ``constraint`` is the rule they break."""

    def __init__(self, constraint: Constraint) -> None:
        super().__init__(constraint.fields[0], constraint.message)
        self.constraint = constraint
        self.fields = constraint.fields


@dataclass(frozen=True)
class Constraint:
    """A rule between fields, declared once on a config (``constraints``), like a field's range.

    ``fields``: the fields it reads (a link that breaks it gets the defaults for them); ``test(cfg)``:
    true when they fit together (it may read only those fields); ``message``: what fitting needs.
    Construction checks it (so every config that exists, and every config a price sees, holds it);
    :meth:`Config.from_query` (a link) and :meth:`Config.choices_given` (a widget's choices) read it.
    """

    name: str
    fields: tuple[str, ...]
    test: Callable[[Any], bool]
    message: str

    def holds(self, cfg: Any) -> bool:
        """Whether ``cfg``'s values of :attr:`fields` fit together."""
        return bool(self.test(cfg))


def seeds_fit(seed: str, count: str, top: int = 2**31 - 1) -> Constraint:
    """``seed`` plus the model index (0 to ``count`` - 1) stays within the seed range (0 to ``top``)."""
    return Constraint(f"{seed}+{count}", (seed, count), lambda c: getattr(c, seed) + getattr(c, count) - 1 <= top,
                      f"{seed} + {count} - 1 must stay within the seed range (at most {top:,}): "
                      "each model's seed is the first seed plus its index")


def ends_in_order(lo: str, hi: str, strict: bool = True) -> Constraint:
    """A range's two ends: ``lo`` < ``hi`` (``strict``) or ``lo`` <= ``hi``."""
    op = "<" if strict else "<="
    test = (lambda c: getattr(c, lo) < getattr(c, hi)) if strict else (lambda c: getattr(c, lo) <= getattr(c, hi))
    return Constraint(f"{lo}{op}{hi}", (lo, hi), test,
                      f"the range is upside down unless {lo} {op} {hi}; low must not exceed high")


def param(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[Any, ...] | None = None,
    length: tuple[int, int] | None = None,
    help: str = "",
    cap: str | tuple[str, ...] | None = None,
    local_only: bool = False,
) -> Any:
    """Declare a config field with its allowed range (numbers), choices, or tuple length.

    ``cap`` names what a server's limits bound in this field (see :data:`CAP_KINDS`): "epochs",
    "seeds", "trials", "width" (the widest layer), "layers" (an int, or a tuple's length).
    :func:`core.serve.caps.violations` reads it; no other code matches field names.
    ``local_only``: a path on the server (a folder): a hosted server ignores it in a link
    (:func:`ui.widgets.link_config`); only the server's owner sets it (environment, settings).
    """
    caps = (cap,) if isinstance(cap, str) else tuple(cap or ())
    for c in caps:
        if c not in CAP_KINDS:
            raise ValueError(f"unknown cap {c!r}; known: {', '.join(CAP_KINDS)}")
    meta = {"lo": lo, "hi": hi, "choices": choices, "length": length, "help": help, "cap": caps,
            "local_only": local_only}
    return dataclasses.field(default=default, metadata=meta)


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``, worked out once per class (it evaluates every annotation's string: a
    cached page asked it 13 times a run, 0.02 s of CPU under a profiler). Read it; never change it."""
    return typing.get_type_hints(cls)


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Config:
    """Base class: validation, a stable cache key, and URL query-param conversion."""

    kind: ClassVar[str] = "config"
    # rules between fields (a loss that needs classes, a range's two ends): see Constraint
    constraints: ClassVar[tuple[Constraint, ...]] = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            self._check(f, getattr(self, f.name))
        for c in self.broken():
            raise ConstraintError(c)

    def broken(self) -> list[Constraint]:
        """The declared constraints this config's values break (fields already checked one by one)."""
        return [c for c in type(self).constraints if not c.holds(self)]

    @classmethod
    def choices_given(cls, name: str, given: Config | Mapping[str, Any]) -> tuple[Any, ...]:
        """The declared choices of field ``name`` that fit the other fields' values (a config, or some
        fields' values over the defaults): what a widget offers."""
        choices = cls.limits(name).get("choices") or ()
        rules = [c for c in cls.constraints if name in c.fields]
        if not rules:
            return tuple(choices)
        base = {f.name: f.default for f in dataclasses.fields(cls)}
        base.update(given.__dict__ if isinstance(given, Config) else given)
        out = []
        for v in choices:
            trial = object.__new__(cls)  # unvalidated: only the rules that read this field are asked
            object.__setattr__(trial, "__dict__", {**base, name: v})
            if all(c.holds(trial) for c in rules):
                out.append(v)
        return tuple(out)

    # ---- validation -------------------------------------------------------------------------
    @staticmethod
    def _check(f: dataclasses.Field, value: Any) -> None:
        """One field's declared length, choices and range (ConfigError naming it if outside)."""
        m = f.metadata
        lo, hi, choices, length = m.get("lo"), m.get("hi"), m.get("choices"), m.get("length")
        items = value if isinstance(value, tuple) else (value,)
        if isinstance(value, tuple) and length is not None and not length[0] <= len(value) <= length[1]:
            raise ConfigError(f.name, f"needs {length[0]} to {length[1]} entries, got {len(value)}")
        for v in items:
            if choices is not None and v not in choices:
                allowed = ", ".join(str(c) for c in choices)
                raise ConfigError(f.name, f"{v!r} is not one of: {allowed}")
            if lo is not None or hi is not None:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise ConfigError(f.name, f"must be a number, got {v!r}")
                if isinstance(v, float) and not math.isfinite(v):
                    raise ConfigError(f.name, f"must be finite, got {v!r}")
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    raise ConfigError(f.name, f"{_fmt(v)} is outside the allowed range {_fmt(lo)} to {_fmt(hi)}")

    @classmethod
    def limits(cls, name: str) -> dict[str, Any]:
        """The declared range/choices of one field: {'lo', 'hi', 'choices', 'length', 'help'}."""
        for f in dataclasses.fields(cls):
            if f.name == name:
                return dict(f.metadata)
        raise KeyError(name)

    # ---- identity ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the fields (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def key(self) -> str:
        """Stable 20-hex-digit hash of the kind, code version and every field: the cache key."""
        blob = json.dumps([self.kind, CACHE_VERSION, self.to_dict()], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    # ---- URL query params -------------------------------------------------------------------
    def to_query(self, prefix: str = "") -> dict[str, str]:
        """Fields that differ from the defaults, as strings for ``st.query_params``."""
        default = type(self)()
        out: dict[str, str] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v != getattr(default, f.name):
                out[prefix + f.name] = _encode(v)
        return out

    @classmethod
    def from_query(cls: type[C], params: Mapping[str, Any], prefix: str = "") -> tuple[C, list[str]]:
        """Build a config from query params; returns (config, notices about ignored params).

        Unknown names are left alone (other parts of the page may own them); a known name with a
        bad value falls back to the default for that field and yields a notice.
        """
        hints = type_hints(cls)
        values: dict[str, Any] = {}
        raws: dict[str, str] = {}
        notices: list[str] = []

        def ignore(field: str, reason: str) -> None:
            notices.append(f"`{prefix + field}={raws[field][:40]}` ignored ({reason}); using the default")

        for f in dataclasses.fields(cls):
            name = prefix + f.name
            if name not in params:
                continue
            raw = params[name]
            if isinstance(raw, list):
                raw = raw[-1] if raw else ""
            raws[f.name] = str(raw)
            try:
                v = _decode(str(raw), hints[f.name], f.default, (f.metadata.get("length") or (1, 1))[1])
                Config._check(f, v)  # this field's declared range and choices
                values[f.name] = v
            except (ValueError, TypeError) as e:
                ignore(f.name, e.message if isinstance(e, ConfigError) else "could not be read")
        # checks across fields (x_min < x_max, low <= high) read the link's values together, so a link whose
        # values only fit together (x_min=7&x_max=9) is kept whole; a culprit is dropped until they fit
        while True:
            try:
                return cls(**values), notices
            except ConstraintError as e:
                linked = [f for f in e.fields if f in values]
                if not linked:  # the defaults break a rule: a bug in the config's declaration
                    raise
                for f in linked:
                    values.pop(f)
                said = ", ".join(f"`{prefix + f}={raws[f][:40]}`" for f in linked)
                names = ", ".join(prefix + f for f in e.fields)
                notices.append(f"{said} ignored ({e.message}); using the defaults for {names}")
            except ConfigError as e:
                if e.field in values:
                    values.pop(e.field)
                    ignore(e.field, e.message)
                    continue
                alone = {}  # the culprit is a default: drop the values that do not fit beside the defaults
                for k, v in values.items():
                    try:
                        dataclasses.replace(cls(), **{k: v})
                    except ConfigError as e2:
                        alone[k] = e2.message
                for k, reason in alone.items():
                    values.pop(k)
                    ignore(k, reason)
                if alone:
                    continue
                if values:  # each fits the defaults alone, but the link's values cannot stand together
                    notices.append(f"the link's settings do not fit together ({e.message}); using the defaults")
                    values = {}
                else:
                    raise


def _encode(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, tuple):
        return ",".join(_encode(x) for x in v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


MAX_CHARS = 200  # a longer URL value (or entry of a list) is refused unread


def _decode(raw: str, hint: Any, default: Any, entries: int = 1) -> Any:
    """A URL value as the field's type; a list may hold ``entries`` entries of MAX_CHARS each.

    (One cap for a whole list refused valid links: 12 many-digit logits take about 230 characters.)
    """
    if len(raw) > MAX_CHARS * max(1, entries):
        raise ValueError("too long")
    origin = typing.get_origin(hint)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        parts = [p for p in raw.split(",") if p != ""]
        return tuple(_decode(p, inner, None) for p in parts)
    if hint is bool or isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if hint is int:
        return int(raw)
    if hint is float:
        x = float(raw)
        if not math.isfinite(x):
            raise ValueError(raw)
        return x
    return raw
