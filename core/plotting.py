"""Helpers every page's chart builders share."""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections.abc import Iterable

import altair as alt
import numpy as np
import pandas as pd

# tick labels of a log axis: powers of ten only, 10, 1, 0.1, 0.01, 0.001, then 1e-4, 1e-5 (Vega's default
# mixed 0.000001 with 1e-7)
LOG_LABELS = ("abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) > 1e-6 ? '' : "
              "datum.value >= 0.001 ? format(datum.value, '~g') : format(datum.value, '.0e')")

#: one colour for a sign on every page (weights, gradients, contributions, outputs): positive blue,
#: negative red, zero white; Vega's "redblue" diverging scheme runs red -> white -> blue. The glossary's
#: "sign colours" entry says so; a canvas outside Vega uses POSITIVE and NEGATIVE.
SIGN_SCHEME = "redblue"
POSITIVE = "#2166ac"
NEGATIVE = "#b2182b"


def _reuse_altair_converters() -> None:
    """Make Altair build its schema-to-class table once per process, not once per encoding channel.

    Altair 6's ``SchemaBase.from_dict`` (which every shorthand channel such as ``x="epoch:Q"`` goes
    through) makes a new converter each call, hashing the JSON of all ~580 schema classes to find the
    channel's class. Measured on the Digit Recognizer's warm page: 19% of each visitor's script time;
    building the XOR seed chart went from 8.8 ms to 3.0 ms. The table depends only on the classes, so
    one converter per set of classes gives the same objects. Idempotent.
    """
    from altair.utils import schemapi

    base = schemapi.SchemaBase
    if getattr(base.from_dict, "_nnlab_reuse", False):
        return
    converters: dict[tuple, object] = {}

    def from_dict(cls, dct, validate=True):  # noqa: ANN001, ANN202 - Altair's own signature
        if validate:
            cls.validate(dct)
        classes = tuple(cls._default_wrapper_classes())
        key = (cls._default_wrapper_classes.__func__, len(classes))
        conv = converters.get(key)
        if conv is None:
            conv = converters[key] = schemapi._FromDict(classes)
        return conv.from_dict(dct, cls)

    from_dict._nnlab_reuse = True  # type: ignore[attr-defined]
    base.from_dict = classmethod(from_dict)  # type: ignore[assignment, method-assign]


_reuse_altair_converters()


def _shape(spec: object, key: str = "") -> object:
    """A spec with what its validity cannot depend on blanked: its data's names and its titles' text (any
    string is valid there)."""
    if isinstance(spec, dict):
        return {k: "" if isinstance(v, str) and (k == "title" or (k == "name" and key == "data")) else _shape(v, k)
                for k, v in spec.items()}
    if isinstance(spec, list):
        return [_shape(v, key) for v in spec]
    return spec


VALIDATED_SHAPES = 4096  # spec shapes remembered as valid


def _validate_each_shape_once() -> None:
    """Validate a chart spec against Vega-Lite's JSON schema once per shape, not once per drawing.

    Streamlit converts every chart with ``to_dict()``, which validates the whole spec (jsonschema, in
    Python): 5-7 ms a chart, 13% of a hosted server's lock while a class of 30 drew the XOR Lab (py-spy).
    A visitor's chart differs from another's in its data's name and its title, which any string fills
    validly, so a spec of a shape already found valid is valid; any other is validated as before (and
    an invalid one raises as before). Idempotent.
    """
    from altair.utils import schemapi

    base = schemapi.SchemaBase
    if getattr(base.validate, "_nnlab_once", False):
        return
    check = base.validate.__func__  # type: ignore[attr-defined]
    valid: dict[bytes, None] = {}

    def validate(cls, instance, schema=None):  # noqa: ANN001, ANN202 - Altair's own signature
        if schema is not None:
            return check(cls, instance, schema)
        try:
            blob = json.dumps([cls.__qualname__, _shape(instance)], sort_keys=True).encode()
        except (TypeError, ValueError):  # not JSON (Altair's own error path): validated as before
            return check(cls, instance, schema)
        key = hashlib.blake2b(blob, digest_size=16).digest()
        if key in valid:
            return None
        check(cls, instance, schema)
        if len(valid) >= VALIDATED_SHAPES:
            valid.clear()
        valid[key] = None
        return None

    validate._nnlab_once = True  # type: ignore[attr-defined]
    base.validate = classmethod(validate)  # type: ignore[assignment, method-assign]


_validate_each_shape_once()


def sign_scale(limit: float) -> alt.Scale:
    """A colour scale for signed numbers in [-limit, limit]: red negative, white 0, blue positive."""
    lim = float(limit) if limit and np.isfinite(limit) and limit > 0 else 1.0
    return alt.Scale(scheme=SIGN_SCHEME, domain=[-lim, lim], domainMid=0)


def downsample(df: pd.DataFrame, x: str, max_points: int = 300, by: str | None = None) -> pd.DataFrame:
    """Keep at most ``max_points`` evenly spaced x values (per group), always the last one."""
    xs = np.sort(df[x].unique())
    if len(xs) <= max_points:
        return df
    keep = set(xs[np.linspace(0, len(xs) - 1, max_points).round().astype(int)])
    return df[df[x].isin(keep)]


def fit_width(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Stretch a chart to its container's width but keep its declared height.

    Streamlit draws charts with Vega-Lite's "fit" autosize, which squeezes legends, axes and the title
    into the declared height: a chart with a legend below its plot was drawn about 20 px tall and its
    title was cut. "fit-x" fits only the width.
    """
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def fixed_size(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Draw a chart at its declared width and height, legends and title around it (small multiples)."""
    return chart.properties(autosize=alt.AutoSizeParams(type="pad"))


def wrapped_labels(labels: Iterable[str], width: int = 24, names: dict[str, str] | None = None) -> str:
    """A legend or axis ``labelExpr`` that breaks each label longer than ``width`` characters onto several lines.

    A legend is never narrower than its longest label, and Vega clips what sticks out past the chart:
    "NumPy (gradient descent, hand-written backprop)" lost its end in a half-width column at 1024 px.
    ``names`` shows a label as other words first (a column's code name as plain words).
    """
    names = names or {}
    shown = {s: names.get(s, s) for s in dict.fromkeys(labels)}
    long = [(s, textwrap.wrap(t, width, break_on_hyphens=False)) for s, t in shown.items() if len(t) > width or t != s]
    return "".join(f"datum.label === {json.dumps(s)} ? {json.dumps(lines)} : " for s, lines in long) + "datum.label"
