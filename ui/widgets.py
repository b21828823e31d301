"""Widgets built from a config field's declaration, and the page-side cap check.

A config field declares its range, choices, tuple length, help and server cap once
(:func:`core.config.param`); :func:`field_widget` builds the widget from that declaration, so a page
never retypes a range. In hosted mode the widget's upper end is the server's cap for that field.
:func:`url_config` and :func:`widget_config` run the one cap check (:mod:`core.serve.caps`) on what
a link or the widgets ask for; the price is checked once, at the door (:func:`ui.common.admitted`).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import streamlit as st

from core import settings
from core.config import CAP_KINDS, Config, ConfigError, type_hints
from core.serve import caps
from ui import common, say

C = TypeVar("C", bound=Config)
Part = Literal["value", "item", "length"]
_UNSET: Any = object()


@dataclass(frozen=True)
class Bounds:
    """What a widget for one field (or one part of a tuple field) may offer."""

    lo: float | None
    hi: float | None
    choices: tuple[Any, ...] | None
    length: tuple[int, int] | None
    help: str
    kind: type  # int, float, str or bool: the type of one value (one item for a tuple field)
    is_tuple: bool


def _field(cls: type[Config], name: str) -> dataclasses.Field:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f
    raise KeyError(f"{cls.__name__} has no field {name!r}")


def bounds(cls: type[Config], name: str, lim: settings.Limits | None = None) -> Bounds:
    """The declared range, choices and length of ``cls.name``; with hosted mode on (or ``lim`` given),
    the upper ends lowered to the server's caps that the field declares (``param(cap=...)``)."""
    meta = cls.limits(name)
    hint = type_hints(cls)[name]
    is_tuple = typing.get_origin(hint) is tuple
    kind = typing.get_args(hint)[0] if is_tuple else hint
    lo, hi, length = meta.get("lo"), meta.get("hi"), meta.get("length")
    if lim is None and settings.hosted():
        lim = settings.limits()
    if lim is not None:
        for cap_kind in meta.get("cap", ()):
            cap = getattr(lim, CAP_KINDS[cap_kind])
            if is_tuple and cap_kind == "layers":
                length = (length[0], min(length[1], cap)) if length else (0, cap)
            elif hi is None or cap < hi:
                hi = cap
    if kind is float:
        lo, hi = (None if lo is None else float(lo)), (None if hi is None else float(hi))
    elif kind is int:
        lo, hi = (None if lo is None else int(lo)), (None if hi is None else int(hi))
    return Bounds(lo, hi, meta.get("choices"), length, meta.get("help") or "", kind, is_tuple)


def _number_text(v: float | int) -> str:
    """An int as it is; a float short ('2', '-0.5', '1e-07') when that reads back exactly, else in full."""
    if isinstance(v, int):
        return str(v)
    short = f"{v:g}"
    return short if float(short) == v else repr(float(v))


def numbers_text(values: tuple) -> str:
    """(100, 50) -> '100, 50'; (2.0, -0.5) -> '2, -0.5'; 0.1234567890123 stays whole: how a tuple of
    numbers reads in a text box, so parse_numbers gives back exactly the same tuple."""
    return ", ".join(_number_text(v) for v in values)


def parse_numbers(text: str, kind: type = float, allow_empty: bool = False) -> tuple:
    """'2, 1, -0.5' -> (2.0, 1.0, -0.5) (';' works too); raises ValueError with a plain reason."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        if allow_empty:
            return ()
        raise ValueError("enter numbers separated by commas")
    try:
        return tuple(kind(p) for p in parts)
    except ValueError:
        raise ValueError(f"could not read {text!r} as {'whole ' if kind is int else ''}numbers") from None


def _default_widget(b: Bounds, part: Part) -> str:
    if part == "length":
        return "slider"
    if b.choices is not None:
        return "multiselect" if b.is_tuple and part == "value" else "selectbox"
    if b.kind is bool:
        return "toggle"
    if b.is_tuple and part == "value":
        return "text_input"
    if b.kind in (int, float):
        return "number_input"
    return "text_input"


def field_widget(
    cls: type[Config],
    name: str,
    *,
    label: str,
    key: str | None = None,
    value: Any = _UNSET,
    widget: str | None = None,
    part: Part = "value",
    container: Any = None,
    lo: float | None = None,
    hi: float | None = None,
    given: Config | Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """A widget for field ``name`` of config class ``cls``, its range and choices read from the field.

    ``widget`` is a Streamlit widget name ("number_input", "slider", "selectbox",
    "segmented_control", "multiselect", "pills", "text_input", "toggle"); by default: a multiselect for
    a tuple with choices, a selectbox for choices, a text input for a tuple of numbers (comma
    separated, see :func:`parse_numbers`), a number input for a number. ``part="item"`` builds a widget
    for one entry of a tuple field, ``part="length"`` one for how many entries it has. ``lo``/``hi``
    narrow the declared range (never widen it). ``value`` is the widget's first value: with a ``key``
    it goes into session state once (a later user change wins), so a page seeds and builds in one call.
    ``help`` defaults to the field's declared help. ``given``: the config (or some fields' values) the
    other widgets hold; a field with choices then offers only those that fit it (the class's declared
    constraints, e.g. no cross-entropy for a regression data set). Other keyword arguments go to the
    widget. Returns the widget's value.
    """
    b = bounds(cls, name)
    if given is not None and b.choices is not None and not b.is_tuple:
        b = dataclasses.replace(b, choices=cls.choices_given(name, given) or b.choices)
        if key is not None and key in st.session_state and st.session_state[key] not in b.choices:
            st.session_state[key] = b.choices[0]  # what it held no longer fits the other settings
    fn = widget or _default_widget(b, part)
    if part == "length":
        if b.length is None:
            raise ValueError(f"{cls.__name__}.{name} declares no length")
        b = dataclasses.replace(b, lo=b.length[0], hi=b.length[1], choices=None, kind=int, is_tuple=False)
    if lo is not None:
        b = dataclasses.replace(b, lo=lo if b.lo is None else max(b.lo, lo))
    if hi is not None:
        b = dataclasses.replace(b, hi=hi if b.hi is None else min(b.hi, hi))
    kwargs.setdefault("help", b.help or None)
    if value is not _UNSET:
        if isinstance(value, tuple):
            value = list(value) if fn in ("multiselect", "pills") else numbers_text(value)
        if key is None:
            kwargs["value" if fn not in ("selectbox", "multiselect", "segmented_control", "pills")
                   else "default"] = value
        else:
            common.seed_state({key: value})
    target = container if container is not None else st
    make = getattr(target, fn)
    if fn in ("number_input", "slider"):
        return make(label, b.lo, b.hi, key=key, **kwargs)
    if fn in ("selectbox", "segmented_control", "multiselect", "pills", "radio"):
        options = kwargs.pop("options", None)
        if options is None:
            options = b.choices if b.choices is not None else range(int(b.lo), int(b.hi) + 1)
        if fn == "selectbox" and "default" in kwargs:  # a selectbox takes an index
            kwargs["index"] = list(options).index(kwargs.pop("default"))
        if fn == "pills" and b.is_tuple and part == "value":
            kwargs.setdefault("selection_mode", "multi")
        return make(label, list(options), key=key, **kwargs)
    return make(label, key=key, **kwargs)


# ---- the one cap check, seen from a page -------------------------------------------------------------
def within_caps(cfg: C) -> tuple[C, list[str]]:
    """``cfg`` with every field over this server's caps (hosted mode) back at its default, and a
    notice per field (from :func:`core.serve.caps.violations`); unchanged on a laptop."""
    if not settings.hosted():
        return cfg, []
    found = caps.violations(cfg)
    if not found:
        return cfg, []
    default = type(cfg)()
    fields = {f for f, _ in found}
    try:
        capped = cfg.replace(**{f: getattr(default, f) for f in fields})
    except ConfigError:  # the defaults do not fit the rest of the link: all defaults
        capped = default
    return capped, [m for _, m in found]


def link_config(cls: type[C], params: Mapping[str, Any], prefix: str = "") -> tuple[C, list[str], list[str]]:
    """What a link's ``params`` ask of config ``cls``: (config, notices, cap notices). The one URL reader
    (job settings and a page's own params alike): each field's range and choices, the class's
    constraints (defaults for the fields of a broken one, one notice naming them), and in hosted mode the
    fields a visitor may not set (a server folder: ignored, saying nothing about it) and the caps."""
    params = dict(params)
    notices: list[str] = []
    if settings.hosted():
        for f in dataclasses.fields(cls):
            if f.metadata.get("local_only") and prefix + f.name in params:
                params.pop(prefix + f.name)
                notices.append(f"`{prefix + f.name}` ignored: on a shared server the data folder is the server "
                               "owner's setting, not a link's")
    try:
        cfg, read = cls.from_query(params, prefix)
    except ConfigError as e:  # cannot happen while the defaults fit; said, never a traceback
        return cls(), [*notices, f"settings starting with `{prefix}` ignored ({e}); using the defaults"], []
    cfg, capped = within_caps(cfg)
    return cfg, notices + read, capped


def url_config(cls: type[C], prefix: str = "") -> C:
    """The config a link asks for: defaults for what is missing, invalid, not a visitor's to set or over
    this server's caps, each with a notice."""
    cfg, notices, capped = link_config(cls, common.query_dict(), prefix)
    if notices:
        items = "\n".join(f"- {n}" for n in notices)
        say.status(f"Some link settings were ignored:\n\n{items}", "warning", icon=":material/link_off:")
    if capped:
        caps = "; ".join(capped)
        say.status(f"This server caps what one visitor may train: {caps}. Using the default there.", "warning",
                   icon=":material/speed:")
    return cfg


def page_params(page: str, show: bool = True) -> Config:
    """A page's own link params (``ui.links.PAGE_PARAMS[page]``: tab, folder, ...), read like its settings;
    ``show=False``: without the notices (a second reader on the same page, which has shown them once)."""
    from ui.links import PAGE_PARAMS

    if show:
        return url_config(PAGE_PARAMS[page])
    return link_config(PAGE_PARAMS[page], common.query_dict())[0]


def query_value(cls: type[Config], param: str, default: Any) -> Any:
    """A page's own query param read as one field of ``cls``: ``param`` is a prefix and the field's
    name (``cmp_epochs``: ``epochs``), so it gets that field's range and this server's cap. ``default``,
    with a notice, when it is bad or over the cap; ``default`` when absent."""
    names = [f.name for f in dataclasses.fields(cls) if param.endswith(f.name)]
    name = max(names, key=len, default=None)  # "cmp_epochs" is "epochs", never a shorter field name
    if name is None:
        raise KeyError(f"{param!r} does not end in a field name of {cls.__name__}")
    if param not in st.query_params:
        return default
    prefix = param[: -len(name)]
    cfg, notices, capped = link_config(cls, {param: st.query_params[param]}, prefix)
    if notices or capped:
        items = "\n".join(f"- {n}" for n in notices + capped)
        say.status(f"Some link settings were ignored:\n\n{items}", "warning", icon=":material/link_off:")
        return default
    return getattr(cfg, name)


def widget_config(build: Callable[[], C], fallback: C) -> C:
    """The config the widgets ask for (``build()``), checked against this server's caps in hosted mode
    (not priced: the door prices the request once); when it is refused the reason is shown next to the
    controls and ``fallback`` is used."""

    def checked() -> C:
        cfg = build()
        if settings.hosted():
            caps.enforce(cfg)  # LimitError is a ValueError: shown like any refused setting
        return cfg

    return common.widget_config(checked, fallback)


def notice(text: str) -> None:
    """A computed lesson or verdict, shown under the chart it is about."""
    st.caption(f":material/lightbulb: {text}")


def progress_bar(what: str) -> tuple[Any, Callable[[int, int, Any], None]]:
    """(placeholder, progress callback for fit/Trainer.run): "what: epoch e/total" while training."""
    bar = st.empty()

    def report(epoch: int, total: int, _trainer: Any) -> None:
        bar.progress(min(1.0, epoch / max(total, 1)), text=f"{what}: epoch {epoch}/{total}")

    return bar, report


def upload_mb(max_bytes: float | None = None) -> int:
    """Megabytes for an uploader's own ``max_upload_size``: the browser refuses a bigger file before it is
    sent, so an over-size file never reaches the app. ``max_bytes``: a tighter limit of that uploader
    (a CSV's); else this server's per-file limit (``settings.limits().max_upload_mb``)."""
    mb = settings.limits().max_upload_mb if max_bytes is None else max_bytes / 1e6
    return max(1, int(-(-mb // 1)))
