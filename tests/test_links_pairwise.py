"""Every link is safe on a hosted server, by construction, tested by covering arrays (deterministic).

(a) All pairs: for each config a page reads from its URL, every pair of its fields' values (each
choice, each numeric field's two ends and its hosted cap, a tuple's shortest and longest) appears in
at least one link (a greedy pairwise covering array, the same links every run). Each link goes
URL -> config (ranges, choices, constraints) -> caps -> price -> the job's setup (data, split, models;
no training): 0 exceptions. Every page-level param (tab, folder, compare epochs, ...) gets hostile
values through the same reader. (b) Through the pages themselves (AppTest, hosted): every value of
every field at least once, in a few links per page; no exception element, no traceback.
"""

from __future__ import annotations

import dataclasses
import math
import time
import typing
from pathlib import Path
from typing import Any

import pytest

from core import architectures, explorer, hyperparameters, settings, tuning, when_to_use, xor
from core.backprop import BackpropConfig
from core.config import Config, _decode, _encode
from core.convolutions.jobs import ConvConfig
from core.digits import DigitsConfig
from core.neuron import NeuronConfig
from core.optimizers.jobs import OptimizersConfig
from core.optimizers.jobs import run as run_paths
from core.scratch.jobs import ScratchConfig
from core.xor.playground import PlaygroundConfig
from tests.links_setup import (
    _none,
    _setup_approx,
    _setup_backprop,
    _setup_compare,
    _setup_conv,
    _setup_curves,
    _setup_depth,
    _setup_digits,
    _setup_neuron,
    _setup_playground,
    _setup_scratch,
    _setup_seeds,
    _setup_shapes,
    _setup_space,
    _setup_study,
    _setup_sweep,
    _setup_table,
    _setup_xor_compare,
)
from ui import links

ROOT = Path(__file__).resolve().parents[1]


# ---- a deterministic pairwise covering array --------------------------------------------------------
def all_pairs(columns: list[list[Any]]) -> list[tuple[int, ...]]:
    """Rows of value indices in which every pair of values of every two columns appears at least once
    (greedy, deterministic: the same rows every run)."""
    n = len(columns)
    if n == 0:
        return []
    if n == 1:
        return [(i,) for i in range(len(columns[0]))]
    uncovered = {(a, i, b, j) for a in range(n) for b in range(a + 1, n)
                 for i in range(len(columns[a])) for j in range(len(columns[b]))}
    rows: list[tuple[int, ...]] = []
    while uncovered:
        a, i, b, j = min(uncovered)
        row: list[int | None] = [None] * n
        row[a], row[b] = i, j
        for c in range(n):
            if row[c] is not None:
                continue
            best, gain = 0, -1
            for v in range(len(columns[c])):
                g = sum(((d, row[d], c, v) if d < c else (c, v, d, row[d])) in uncovered
                        for d in range(n) if row[d] is not None)
                if g > gain:
                    best, gain = v, g
            row[c] = best
        full = tuple(int(x) for x in row)  # type: ignore[arg-type]
        for p in range(n):
            for q in range(p + 1, n):
                uncovered.discard((p, full[p], q, full[q]))
        rows.append(full)
    return rows


def field_values(cls: type[Config], f: dataclasses.Field) -> list[Any]:
    """The values a covering array tries for one field: each choice, each numeric end (and the hosted
    cap), the default; a tuple at its shortest and longest; both booleans."""
    hint = typing.get_type_hints(cls)[f.name]
    m, default = f.metadata, f.default
    lo, hi, choices, length = m.get("lo"), m.get("hi"), m.get("choices"), m.get("length")
    out: list[Any] = [default]
    if typing.get_origin(hint) is tuple:
        inner = typing.get_args(hint)[0]
        n_lo, n_hi = length or (1, 4)
        if choices:
            k = max(1, n_lo)
            out += [tuple(choices[(s + t) % len(choices)] for t in range(k)) for s in range(len(choices))]
            out.append(tuple(choices[:n_hi]))
        else:
            item = default[0] if default else (lo if lo is not None else 1)
            for e in number_ends(inner, lo, hi, cap_of(cls, f.name)):
                rest = [x for x in default if x != e][: max(0, n_lo - 1)]
                out.append((e, *rest))
            out.append(tuple(inner(item) for _ in range(n_hi)))
            if n_lo == 0:
                out.append(())
    elif choices:
        out += list(choices)
    elif hint is bool:
        out += [not default]
    elif hint in (int, float):
        out += number_ends(hint, lo, hi, cap_of(cls, f.name), outside=True)
    else:
        out += [""]
    seen: list[Any] = []
    for v in out:
        if v not in seen:
            seen.append(v)
    return seen


def number_ends(kind: type, lo: float | None, hi: float | None, cap: float | None,
                outside: bool = False) -> list[Any]:
    """A number field's ends: lo, hi and the hosted cap, just inside each (a one-row subset, a share
    of 0.995), and with ``outside`` just past them (refused with a notice)."""
    out: list[float] = []
    for end, inward in ((lo, 1), (hi, -1), (cap, -1)):
        if end is None or not math.isfinite(end):
            continue
        span = (hi - lo) if lo is not None and hi is not None and math.isfinite(hi - lo) else 1.0
        step = 1 if kind is int else span * 0.005
        out += [end, end + inward * step]
        if outside:
            out.append(end - inward * step * (1 if kind is int else 200))
    vals = []
    for x in out:
        v = int(x) if kind is int else float(x)
        if v not in vals:
            vals.append(v)
    return vals


def cap_of(cls: type[Config], name: str) -> float | None:
    """The hosted server's cap on one number of a field (its widest layer, its epochs, ...)."""
    from ui.widgets import bounds

    b = bounds(cls, name, settings.HOSTED)
    return b.hi


def pairwise_links(cls: type[Config], prefix: str) -> list[dict[str, str]]:
    """One link per row of the covering array of ``cls``'s fields."""
    fs = dataclasses.fields(cls)
    columns = [field_values(cls, f) for f in fs]
    return [{prefix + f.name: _encode(columns[c][i]) for c, (f, i) in enumerate(zip(fs, row))}
            for row in all_pairs(columns)]


PAGES: dict[str, list[tuple[type[Config], str, Any]]] = {
    "xor": [(xor.PerceptronConfig, "p_", _none), (xor.XorCompareConfig, "c_", _setup_xor_compare),
            (xor.SeedStudyConfig, "s_", _setup_seeds), (PlaygroundConfig, "g_", _setup_playground),
            (PlaygroundConfig, "h_", _setup_playground)],
    "activations": [(explorer.CurvesConfig, "f_", _setup_curves), (explorer.CompareConfig, "c_", _setup_compare),
                    (explorer.DepthConfig, "d_", _setup_depth)],
    "architectures": [(architectures.ShapesConfig, "s_", _setup_shapes),
                      (architectures.ApproxConfig, "u_", _setup_approx)],
    "backprop": [(BackpropConfig, "", _setup_backprop), (ScratchConfig, "fs_", _setup_scratch)],
    "home": [(NeuronConfig, "n_", _setup_neuron)],
    "recap": [],  # no settings: its page run opens it with the hostile page params only
    "digits": [(DigitsConfig, "", _setup_digits)],
    "convolutions": [(ConvConfig, "", _setup_conv)],
    "hyperparameters": [(cls, f"{name}_", _setup_sweep) for name, cls in hyperparameters.SWEEP_TYPES.items()],
    "when-to-use": [(when_to_use.DuelConfig, "d_", _setup_table), (when_to_use.ScalingConfig, "s_", _setup_table),
                    (when_to_use.NoiseConfig, "n_", _setup_table), (when_to_use.CurveConfig, "c_", _setup_table)],
    "tuner": [(tuning.SearchSpace, "s_", _setup_space), (tuning.StudySettings, "t_", _setup_study)],
    "optimizers": [(OptimizersConfig, "", lambda cfg: run_paths(cfg.replace(steps=10)))],
}

HOSTILE = ["", "9" * 400, "٣", "²", "-1", "nan", "inf", "~x", "~someone/x", "../..", "/etc", "x" * 10_000,
           "1e309", "\x00", "%00", "0", "1,2"]


def _reads_as(cls: type[Config], f: dataclasses.Field, raw: str, value: Any) -> bool:
    """Whether a link's text for field ``f`` reads as ``value`` ("٣" is 3)."""
    try:
        length = (f.metadata.get("length") or (1, 1))[1]
        return _decode(str(raw), typing.get_type_hints(cls)[f.name], f.default, length) == value
    except (ValueError, TypeError):
        return False


def open_link(cls: type[Config], prefix: str, setup, link: dict[str, Any]) -> tuple[Config, list[str]]:
    """URL -> config -> constraints -> caps -> price -> the job's setup (no training)."""
    from core.serve import price
    from ui.widgets import link_config

    cfg, notices, capped = link_config(cls, link, prefix)
    assert isinstance(cfg, cls)
    assert not cfg.broken()
    for f in dataclasses.fields(cls):  # a value the link asked for and did not get is named in a notice
        asked = link.get(prefix + f.name)
        asked = asked[-1] if isinstance(asked, list) else asked
        if asked is not None and not _reads_as(cls, f, asked, getattr(cfg, f.name)):
            said = notices + capped
            assert any(f"`{prefix + f.name}" in n or f.name in n for n in said), (f.name, asked, said)
    assert cls.from_query(cfg.to_query(prefix), prefix)[0] == cfg  # what the page keeps in its URL reads back
    msg = price.check(cfg)
    assert msg is None or (isinstance(msg, str) and msg)
    setup(cfg)
    return cfg, notices + capped


@pytest.fixture
def hosted(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_all_pairs_of_every_config_open_on_a_hosted_server(page, hosted):
    t0 = time.perf_counter()
    n = 0
    for cls, prefix, setup in PAGES[page]:
        for link in pairwise_links(cls, prefix):
            try:
                open_link(cls, prefix, setup, link)
            except Exception as e:  # noqa: BLE001 (the test reports which link broke and how)
                raise AssertionError(f"{cls.__name__} {link}: {type(e).__name__}: {e}") from e
            n += 1
    params = links.PAGE_PARAMS.get(page)
    if params is not None:
        for f in dataclasses.fields(params):
            for v in [*HOSTILE, *field_values(params, f)]:
                for link in ({f.name: _encode(v) if not isinstance(v, str) else v},
                             {f.name: [_encode(v) if not isinstance(v, str) else v, "1"]}):  # a repeated key
                    open_link(params, "", _none, link)
                    n += 1
    print(f"\n{page}: {n} links in {time.perf_counter() - t0:.1f} s")


# ---- (b) through the pages themselves -----------------------------------------------------------------
PAGE_FILES = {"xor": "app_pages/xor_lab.py", "activations": "app_pages/activation_explorer.py",
              "architectures": "app_pages/architectures.py", "backprop": "app_pages/backprop.py",
              "digits": "app_pages/digit_recognizer.py", "convolutions": "app_pages/convolutions.py",
              "hyperparameters": "app_pages/hyperparameters.py",
              "when-to-use": "app_pages/when_to_use.py", "tuner": "app_pages/hyperparameter_tuner.py",
              "optimizers": "app_pages/optimizers.py", "home": "app_pages/home.py", "recap": "app_pages/recap.py"}
# the tab that shows a config (its URL prefix) on its page, so the link's run reaches that config's job
TAB_OF = {("xor", "p_"): {"tab": "perceptron"}, ("xor", "c_"): {"tab": "compare"}, ("xor", "s_"): {"tab": "seeds"},
          ("xor", "g_"): {"tab": "playground"}, ("xor", "h_"): {"tab": "playground", "cmp": "1"},
          ("activations", "f_"): {"tab": "shapes"}, ("activations", "c_"): {"tab": "learn"},
          ("activations", "d_"): {"tab": "depth"}, ("architectures", "s_"): {"tab": "shapes"},
          ("architectures", "u_"): {"tab": "approx"}, ("digits", ""): {"tab": "train"},
          ("backprop", "fs_"): {"tab": "scratch"},
          ("convolutions", ""): {"tab": "compare"},
          ("when-to-use", "d_"): {"tab": "duel"}, ("when-to-use", "s_"): {"tab": "scaling"},
          ("when-to-use", "n_"): {"tab": "noise"}, ("when-to-use", "c_"): {"tab": "curve"},
          **{("hyperparameters", f"{n}_"): {"sweep": n} for n in hyperparameters.SWEEP_TYPES}}
CHEAP_CAPS = ("epochs", "seeds", "trials")  # at their low end in every page link: each link trains in moments
# hostile page params: each page param gets every one of these in some link (the whole list at level (a))
PAGE_HOSTILE = ["²", "~someone/x", "../..", "x" * 10_000, "-1", "nan", "", ["٣", "9" * 400]]


def cheap_values(cls: type[Config], f: dataclasses.Field) -> list[Any]:
    """The values a page link gives one field: every choice, both booleans, a number's low end and its
    default, a tuple's shortest and its default; a field bounding the work (epochs, seeds, trials) only
    its low end (its high end is priced and refused at level (a))."""
    hint = typing.get_type_hints(cls)[f.name]
    m = f.metadata
    lo, choices, length = m.get("lo"), m.get("choices"), m.get("length")
    if set(m.get("cap") or ()) & set(CHEAP_CAPS) and lo is not None:
        return [max(int(lo), 1) if hint is int else lo]
    if typing.get_origin(hint) is tuple:
        if choices:  # one choice a link (or the fewest the field takes); covering_links packs them
            k = max(1, (length or (1, 1))[0])
            return [tuple(choices[(s + t) % len(choices)] for t in range(k)) for s in range(0, len(choices), k)]
        return [f.default, tuple(f.default[: max(1, (length or (1, 1))[0])])]
    if choices:
        return list(choices)
    if hint is bool:
        return [False, True]
    if hint in (int, float) and lo is not None:
        return [f.default, hint(lo)]
    return [f.default]


def f_choices(col: list[Any]) -> bool:
    """Whether a column holds tuples of a field's choices (not numbers)."""
    return bool(col) and isinstance(col[0], tuple) and bool(col[0]) and isinstance(col[0][0], str)


def pack(col: list[tuple], n: int, f: dataclasses.Field) -> list[tuple]:
    """``col``'s choices in at most ``n`` tuples (within the field's length), each choice in one."""
    items = list(dict.fromkeys(x for t in col for x in t))
    lo_len, hi_len = f.metadata.get("length") or (1, len(items))
    k = min(hi_len, max(lo_len, -(-len(items) // n)))
    out = [tuple(items[s:s + k]) for s in range(0, len(items), k)]
    if len(out[-1]) < lo_len:  # the last one short: fill it from the front
        out[-1] = tuple(dict.fromkeys(out[-1] + tuple(items)))[:lo_len] if lo_len <= len(items) else out[-1]
    return out


def covering_links(page: str) -> list[dict[str, Any]]:
    """Links that give every field of every config of ``page`` each of its cheap values at least once, and
    every page param each hostile value (link i: value i of each field, cycled). A hostile page param falls
    back to its default, so the hostile values ride on the links of a config the page shows at its default
    tab (that config still opens with each of its values, on its own tab)."""
    params = links.PAGE_PARAMS.get(page)
    names = [f.name for f in dataclasses.fields(params)] if params is not None else []
    defaults = {f.name: f.default for f in dataclasses.fields(params)} if params is not None else {}
    if params is not None:
        hostile = [{n: v for n in names} for v in PAGE_HOSTILE]
    else:  # a page with no params of its own still opens with stray ones
        hostile = [{"tab": "../..", "step": "9" * 400, "x": "٣"}]
    out: list[dict[str, Any]] = []
    for cls, prefix, _ in PAGES[page]:
        fs = dataclasses.fields(cls)
        cols = [cheap_values(cls, f) for f in fs]
        # a tuple of choices takes several a link, spread over the links the other fields need anyway
        n = max([len(c) for c in cols if not f_choices(c)] or [1])
        cols = [pack(c, n, f) if f_choices(c) else c for f, c in zip(fs, cols)]
        tab = TAB_OF.get((page, prefix), {})
        at_default = all(k in defaults and str(defaults[k]) == v for k, v in tab.items())
        rows = max(len(c) for c in cols)
        if hostile and at_default:
            rows = max(rows, len(hostile))
        for i in range(rows):
            # value i of each field, then its first (the default of a number or a tuple): every value once,
            # and a costly end (a batch of 1) in one link, not in every other one
            link = {**{prefix + f.name: _encode(c[i] if i < len(c) else c[0]) for f, c in zip(fs, cols)}, **tab}
            if hostile and at_default and i < len(hostile):
                link.update(hostile[i])
            out.append(link)
        if at_default:
            hostile = []
    return out + [dict(h) for h in hostile]  # no config shown at the default tab: the hostile links alone


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(PAGE_FILES))
def test_every_value_of_every_field_opens_each_hosted_page(page, hosted, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from core.engine import guard
    from core.serve import merge
    from ui.common import install_run_guard

    monkeypatch.setattr(guard, "_current", [None])
    install_run_guard()  # what app.py does before a page: every training priced, checked, queued
    # hosted, a run waits a quarter second for other visitors' runs of its shape; one visitor here has none
    monkeypatch.setattr(merge.merger(), "window", 0.0)
    t0 = time.perf_counter()
    todo = covering_links(page)
    for link in todo:
        at = AppTest.from_file(str(ROOT / PAGE_FILES[page]), default_timeout=120)  # the page alone: one run
        at.query_params.update(link)
        at.run()
        assert not at.exception, ({k: str(v)[:40] for k, v in link.items()}, [e.value[:400] for e in at.exception])
        shown = " ".join(str(getattr(e, "value", "")) for e in at.markdown)
        assert "Traceback" not in shown
    print(f"\n{page}: {len(todo)} page links in {time.perf_counter() - t0:.1f} s")
