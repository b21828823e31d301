"""Shared links keep working: real links from each page open with their settings in the widgets, and
the page keeps them in its URL (the query-param names and meanings are a contract). Every config class
round-trips through its URL query exactly (many-digit floats included); NaN, inf and over-long values are
refused with a notice."""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
import random
import typing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from streamlit.testing.v1 import AppTest

import core
from core.config import Config, ConfigError

TIMEOUT = 300
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)


def open_link(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("ignored" in w.value for w in at.warning), [w.value for w in at.warning]
    return at


def kept(at: AppTest, query: dict[str, str]) -> None:
    """The page still holds every setting of the link in its URL."""
    for k, v in query.items():
        got = at.query_params[k]
        assert (got[-1] if isinstance(got, list) else got) == v, k


def test_xor_lab_links():
    # many-digit floats: a lossy encoding ("%g" keeps 6 digits) would change them in the page's URL
    q = {"p_gate": "OR", "p_lr": "0.05123456789012345", "p_epochs": "50", "p_seed": "3"}
    at = open_link("app_pages/xor_lab.py", q)
    assert at.session_state["p_gate"] == "OR"
    assert at.number_input(key="p_lr").value == 0.05123456789012345 and at.number_input(key="p_epochs").value == 50
    assert at.number_input(key="p_seed").value == 3
    kept(at, q)
    q = {"tab": "seeds", "s_hidden": "3", "s_activation": "tanh", "s_optimizer": "sgd", "s_lr": "0.5000000000000001",
         "s_epochs": "30", "s_init": "xavier", "s_n_seeds": "5"}
    at = open_link("app_pages/xor_lab.py", q)
    assert at.number_input(key="s_width").value == 3 and at.selectbox(key="s_act").value == "tanh"
    assert at.selectbox(key="s_opt").value == "sgd" and at.selectbox(key="s_init").value == "xavier"
    assert at.number_input(key="s_epochs").value == 30 and at.number_input(key="s_n").value == 5
    assert at.metric[0].value.endswith("/5")
    kept(at, q)
    q = {"tab": "playground", "g_dataset": "circle", "g_hidden": "3,2,2", "g_activation": "relu",
         "g_lr": "0.1234567890123", "g_l2": "0.010000000000000002", "g_epochs": "20", "g_features": "x1,x2,x1x2",
         "cmp": "1", "h_activation": "sigmoid"}
    at = open_link("app_pages/xor_lab.py", q)
    assert at.selectbox(key="g_dataset").value == "circle" and at.slider(key="g_layers").value == 3
    assert [at.selectbox(key=f"g_w{i}").value for i in range(3)] == [3, 2, 2]
    assert at.selectbox(key="g_reg").value == "L2" and at.number_input(key="g_rate").value == 0.010000000000000002
    assert at.number_input(key="g_lr").value == 0.1234567890123
    assert at.session_state["g_features"] == ["x1", "x2", "x1x2"]
    assert at.selectbox(key="h_act").value == "sigmoid"
    assert any("epoch 0/20" in m.value for m in at.markdown)
    kept(at, q)


def test_activation_explorer_links():
    q = {"f_functions": "elu,softplus", "f_x_min": "-3.0000000000000004", "f_elu_alpha": "0.5",
         "f_softplus_beta": "2.0"}
    at = open_link("app_pages/activation_explorer.py", q)
    assert at.multiselect(key="f_functions").value == ["elu", "softplus"]
    assert at.number_input(key="f_xmin").value == -3.0000000000000004
    assert at.slider(key="f_elu").value == 0.5 and at.slider(key="f_beta").value == 2.0
    kept(at, q)
    q = {"tab": "depth", "d_functions": "tanh,relu", "d_depth": "3", "d_width": "8", "d_epochs": "1",
         "d_init": "he", "d_lr": "0.0021234567890123"}
    at = open_link("app_pages/activation_explorer.py", q)
    assert at.slider(key="d_depth").value == 3 and at.number_input(key="d_width").value == 8
    assert at.session_state["d_init"] == "he" and at.number_input(key="d_lr").value == 0.0021234567890123
    kept(at, q)


def test_digit_recognizer_links():
    q = {"hidden": "24", "lr": "0.012345678901234568", "epochs": "4", "patience": "0", "dropout": "0.1",
         "optimizer": "sgd",
         "train_limit": "300", "cmp_epochs": "3"}
    at = open_link("app_pages/digit_recognizer.py", q)
    assert at.text_input(key="d_hidden").value == "24" and at.number_input(key="d_lr").value == 0.012345678901234568
    assert at.number_input(key="d_epochs").value == 4 and at.toggle(key="d_es").value is False
    assert at.slider(key="d_dropout").value == 0.1 and at.selectbox(key="d_opt").value == "sgd"
    labels = {m.label: m.value for m in at.metric}
    assert labels["Epochs run"] == "4"
    kept(at, q)
    at = open_link("app_pages/digit_recognizer.py", {**q, "tab": "compare"})
    assert at.number_input(key="d_cmp_epochs").value == 3
    kept(at, {**q, "tab": "compare"})


def test_tuner_links():
    q = {"s_lr_low": "0.0012345678901234567", "s_width_max": "64", "s_activations": "relu,tanh", "t_sampler": "random",
         "t_n_trials": "12", "t_epochs": "3", "t_seed": "5"}
    at = open_link("app_pages/hyperparameter_tuner.py", q)
    num = {w.label: w.value for w in at.number_input}
    assert num["lr low"] == 0.0012345678901234567 and num["width max"] == 64 and num["Trials"] == 12
    assert num["Epochs per trial"] == 3 and num["Seed"] == 5
    assert [w for w in at.multiselect if w.label == "Activations"][0].value == ["relu", "tanh"]
    assert [w for w in at.selectbox if w.label == "Sampler"][0].value == "random"


def test_a_hosted_link_over_a_cap_opens_with_the_default_there_and_says_so(monkeypatch):
    from core import settings
    from core.xor import SeedStudyConfig

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in {"tab": "seeds", "s_epochs": str(settings.HOSTED.max_epochs + 1), "s_n_seeds": "4"}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/xor_lab.py")
    at.run()
    assert not at.exception
    assert any("caps what one visitor may train" in w.value for w in at.warning)
    assert at.number_input(key="s_epochs").value == SeedStudyConfig().epochs
    assert at.number_input(key="s_epochs").max == settings.HOSTED.max_epochs
    assert at.number_input(key="s_n").value == 4  # the rest of the link is kept


def test_the_tuners_link_to_the_digit_recognizer_is_the_same_address():
    from core import tuning
    from ui import links

    best = {"lr": 0.01, "layers": 2, "width": 32, "activation": "tanh", "dropout": 0.1, "optimizer": "adam",
            "batch_size": 64}
    sts = tuning.StudySettings(epochs=7)
    q = tuning.digits_query(best, sts)
    assert links.url("digits", q) == tuning.digits_link(best, sts)
    assert links.PAGES["digits"] == "app_pages/digit_recognizer.py" and links.exists("digits")


# ---- every config's URL query round-trips exactly; NaN, inf and over-long values are refused ------------
def all_config_classes() -> list[type[Config]]:
    """Every subclass of Config in core (each module imported, so none is missed)."""
    for m in pkgutil.walk_packages(core.__path__, "core."):
        if not m.name.endswith("__main__"):
            importlib.import_module(m.name)

    def subclasses(c):
        for s in c.__subclasses__():
            yield s
            yield from subclasses(s)

    return sorted(set(subclasses(Config)), key=lambda c: f"{c.__module__}.{c.__qualname__}")


CONFIGS_ALL = all_config_classes()
# floats a lossy encoding gets wrong (%g keeps 6 digits, %.10f loses small ones, float32 loses the 17th digit)
TRICKY = (0.1234567890123, 1e-7, 3.0000000000000004, 0.1 + 0.2, 1 / 3, 2 / 3 * 1e-5, math.pi, 123.45678901234567,
          9.999999999999999e-06, 0.30000000000000004, 1.0000000000000002, 5e-324, 0.9999999999999999)
PREFIX = "q_"


def field_info(cls, f: dataclasses.Field) -> tuple[Any, Any]:
    """(the field's type hint, its element type for a tuple else None)."""
    hint = typing.get_type_hints(cls)[f.name]
    inner = typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else None
    return hint, inner


def tricky_floats(lo: float, hi: float, rng: random.Random) -> list[float]:
    """Many-digit floats inside [lo, hi]: the fixed ones that fit, both ends' neighbours, random ones."""
    vals = [v for t in TRICKY for v in (t, -t) if lo <= v <= hi]
    vals += [math.nextafter(lo, hi), math.nextafter(hi, lo), lo + (hi - lo) * 0.1234567890123, rng.uniform(lo, hi)]
    if lo > 0:
        vals.append(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return [v for v in vals if lo <= v <= hi]


def random_entry(kind, meta, rng: random.Random) -> Any:
    """One random valid-looking scalar of a field's kind (range and choices as declared)."""
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
    if choices is not None:
        return rng.choice(choices)
    if kind is bool:
        return rng.random() < 0.5
    if kind is int:
        lo, hi = int(lo if lo is not None else -1000), int(hi if hi is not None else 1000)
        small = max(lo, 0)  # some wide ranges are narrowed by server caps or other fields
        return rng.choice([lo, hi, rng.randint(lo, hi), rng.randint(small, min(hi, small + 1000))])
    if kind is float:
        lo, hi = (lo if lo is not None else -1e6), (hi if hi is not None else 1e6)
        return rng.choice(tricky_floats(lo, hi, rng))
    if kind is str:  # free text: a formula of x with many-digit numbers, or a layer shape like 128x64
        if meta.get("help", "").startswith("a formula"):
            return f"sin({rng.uniform(-5, 5)!r}*x) + abs(x)/{rng.uniform(1, 9)!r}"
        return "x".join(str(rng.randint(1, 1024)) for _ in range(rng.randint(1, 4)))
    raise AssertionError(f"no generator for {kind}")


def random_value(cls, f: dataclasses.Field, rng: random.Random) -> Any:
    hint, inner = field_info(cls, f)
    if hint is tuple:  # an untyped tuple (the abstract Sweep's values): nothing a URL could carry
        return f.default
    if inner is None:
        return random_entry(hint, f.metadata, rng)
    n_lo, n_hi = f.metadata.get("length") or (0, 6)
    n = rng.randint(n_lo, n_hi)
    choices = f.metadata.get("choices")
    if choices is not None:
        return tuple(rng.sample(list(choices), min(n, len(choices))))
    out: list = []
    while len(out) < n:  # distinct entries (several fields refuse repeats)
        v = random_entry(inner, f.metadata, rng)
        if v not in out:
            out.append(v)
    return tuple(out)


def random_config(cls, rng: random.Random):
    """A valid config with every field drawn at random (fields that do not fit together are drawn again)."""
    fields = dataclasses.fields(cls)
    values = {f.name: random_value(cls, f, rng) for f in fields}
    for _ in range(200):
        try:
            return cls(**values)
        except ConfigError as e:
            f = next((f for f in fields if f.name == e.field), None)
            if f is None or rng.random() < 0.2:
                values = {f.name: random_value(cls, f, rng) for f in fields}
            else:
                values[f.name] = random_value(cls, f, rng)
    raise AssertionError(f"no valid random {cls.__name__} in 200 draws")


def assert_round_trip(cfg: Config) -> None:
    """The config's URL query, written into a real query string and read back, is the same config, bit for bit."""
    cls = type(cfg)
    q = cfg.to_query(PREFIX)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in q.items())
    url = parse_qs(urlencode(q), keep_blank_values=True)  # what a browser's address bar gives back
    back, notices = cls.from_query({k: v[-1] for k, v in url.items()}, PREFIX)
    assert notices == [], (cfg, q, notices)
    assert back == cfg, (q, back)
    for f in dataclasses.fields(cls):  # exact: same type and the same bits (repr shows all 17 digits)
        assert repr(getattr(back, f.name)) == repr(getattr(cfg, f.name)), (f.name, q)
    assert back.key() == cfg.key()  # the same cache key: the link brings back the same cached run


def test_the_round_trip_tests_see_every_config_class():
    names = {c.__name__ for c in CONFIGS_ALL}
    assert {"TrainConfig", "DigitsConfig", "PerceptronConfig", "XorCompareConfig", "SeedStudyConfig",
            "PlaygroundConfig", "CurvesConfig", "CompareConfig", "DepthConfig", "ShapesConfig", "ApproxConfig",
            "BackpropConfig", "DuelConfig", "ScalingConfig", "NoiseConfig", "CurveConfig", "SearchSpace",
            "StudySettings", "Sweep", "LrSweep", "BatchSweep", "CapacitySweep", "ActivationSweep",
            "DropoutSweep"} <= names


def has_floats(cls) -> bool:
    return any(float in field_info(cls, f) for f in dataclasses.fields(cls))


@pytest.mark.parametrize("cls", [c for c in CONFIGS_ALL if has_floats(c)], ids=lambda c: c.__name__)
def test_many_digit_floats_round_trip_exactly(cls):
    """Each float field (and each float list) at many-digit values, one field at a time."""
    rng = random.Random(f"floats-{cls.__name__}")
    base = cls()
    tried = 0
    for f in dataclasses.fields(cls):
        hint, inner = field_info(cls, f)
        if float not in (hint, inner):
            continue
        lo, hi = f.metadata["lo"], f.metadata["hi"]
        values = tricky_floats(lo, hi, rng)
        if inner is float:
            n_lo, n_hi = f.metadata["length"]
            values = [tuple(values[:n]) for n in range(max(n_lo, 1), min(n_hi, len(values)) + 1)
                      if n >= n_lo] + [tuple(tricky_floats(lo, hi, rng)[:n_hi]) for _ in range(3)]
        fits = 0
        for v in values:
            try:
                cfg = base.replace(**{f.name: v})
            except ConfigError:  # valid alone, not beside the defaults (x_min above the default x_max)
                continue
            assert_round_trip(cfg)
            fits += 1
        assert fits, f"no many-digit value of {f.name} could be tried"
        tried += fits
    assert tried


@pytest.mark.parametrize("cls", CONFIGS_ALL, ids=lambda c: c.__name__)
def test_random_configs_round_trip_exactly(cls):
    rng = random.Random(f"configs-{cls.__name__}")
    for _ in range(60):
        assert_round_trip(random_config(cls, rng))


NOT_FINITE = ("nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999")


@pytest.mark.parametrize("cls", CONFIGS_ALL, ids=lambda c: c.__name__)
def test_nan_inf_and_over_long_values_are_refused_with_a_notice(cls):
    """Never accepted, never raising: the field keeps its default and one notice names it."""
    default = cls()
    for f in dataclasses.fields(cls):
        hint, inner = field_info(cls, f)
        name = PREFIX + f.name
        bad: list[str] = []
        if hint in (int, float):
            bad += NOT_FINITE
        elif inner in (int, float):
            ok = default.to_query(PREFIX).get(name) or str(f.metadata.get("lo", 1))
            first = ok.split(",")[0] or "1"
            bad += [f"{first},{x}" for x in NOT_FINITE] + [f"{x},{first}" for x in NOT_FINITE]
        entry = "0.1234567890123" if float in (hint, inner) else "1" if int in (hint, inner) else "x"
        bad += [entry + "1" * 5000, ",".join([entry] * 5000), "0." + "1" * 300]
        for raw in bad:
            cfg, notices = cls.from_query({name: raw}, PREFIX)
            assert cfg == default, (name, raw[:60], cfg)
            assert len(notices) == 1 and f"`{name}=" in notices[0] and "ignored" in notices[0], (raw[:60], notices)
            assert len(notices[0]) < 200  # the notice quotes the start of the value, not all of it


def test_values_that_only_fit_together_are_kept_together():
    """Each field was once checked beside the defaults: x_min=7 (above the default x_max 6) was dropped even
    with x_max=9 in the same link, and 12 many-digit logits (about 230 characters) were refused as too long."""
    from core.explorer import CurvesConfig
    from core.tuning import SearchSpace

    for cfg in (CurvesConfig(x_min=7.000000000000001, x_max=9.123456789012345),
                CurvesConfig(logits=tuple(-99.12345678901234 + 15.1234567890123 * i for i in range(12))),
                SearchSpace(lr_low=0.5123456789012345, lr_high=0.9, layers_min=5, layers_max=8, width_min=300,
                            width_max=400, dropout_low=0.6, dropout_high=0.7)):
        assert_round_trip(cfg)
    # alone, a value that does not fit beside the defaults is still refused, by name, and the rest is kept
    cfg, notices = CurvesConfig.from_query({"f_x_min": "7", "f_temperature": "2.5"}, "f_")
    assert cfg == CurvesConfig(temperature=2.5)
    assert len(notices) == 1 and notices[0].startswith("`f_x_min=7` ignored (the x range needs min < max")


def test_an_activation_explorer_link_keeps_many_digit_logits():
    q = {"tab": "softmax", "f_logits": "0.1234567890123,-2.5"}
    at = open_link("app_pages/activation_explorer.py", q)
    kept(at, q)


def test_a_when_to_use_link_keeps_many_digit_shares():
    q = {"tab": "curve", "c_dataset": "iris", "c_models": "forest", "c_fractions": "0.3123456789012345,1.0"}
    at = open_link("app_pages/when_to_use.py", q)
    kept(at, q)


# ---- the Share popover's link is URL-encoded -----------------------------------------------------------
def _share_query(at: AppTest) -> dict[str, str]:
    """The query of the link the Share popover shows, decoded as a browser would."""
    from urllib.parse import urlsplit

    shown = [c.value for c in at.code if "?" in c.value]
    assert len(shown) == 1, [c.value for c in at.code]
    return {k: v[-1] for k, v in parse_qs(urlsplit(shown[0]).query, keep_blank_values=True).items()}


def _page(file: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(Path(APP).parent / file), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_share_link_round_trips_special_characters():
    # backprop owns only its own params, so another one stays in the address and in the Share link
    odd = "x**2 + 1 & y # 50% = ü, ñ 中"
    at = _page("app_pages/backprop.py", {"seed": "3", "note": odd})
    q = _share_query(at)
    assert q["note"] == odd and q["seed"] == "3"
    again = _page("app_pages/backprop.py", q)
    assert _share_query(again)["note"] == odd


def test_a_formula_with_a_plus_reopens_as_that_formula():
    link = {"tab": "approx", "u_function": "formula", "u_formula": "x**2 + 1", "u_widths": "1,2", "u_deep": "0",
            "u_n_seeds": "1", "u_epochs": "10"}
    q = _share_query(_page("app_pages/architectures.py", link))
    assert q["u_formula"] == "x**2 + 1"  # unencoded, "+" came back as a space: the default formula
    at = _page("app_pages/architectures.py", q)
    assert not any("ignored" in w.value for w in at.warning)
    assert _share_query(at)["u_formula"] == "x**2 + 1"


def test_share_url_encodes_every_reserved_character():
    from urllib.parse import urlsplit

    from ui.common import share_url

    params = {"a": "+ & # % =", "b": "spaces and ümlauts 中", "c": "?/;:@"}
    url = share_url("http://host/page", params)
    assert url.count("?") == 1 and "#" not in url and " " not in url
    assert {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()} == params
    assert share_url("http://host/page", {}) == "http://host/page"
