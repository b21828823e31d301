"""Crafted links never crash: random values for every config field of every page end in the page's
defaults plus notices, on the config level (many links, fast). All pairs of values, and links through the
pages themselves on a hosted server: tests/test_links_pairwise.py."""

from __future__ import annotations

import dataclasses
import math
import random
import zlib

import pytest

from core import architectures, explorer, hyperparameters, tuning, when_to_use, xor
from core.backprop import BackpropConfig
from core.config import Config
from core.digits import DigitsConfig
from core.xor.playground import PlaygroundConfig

# (page file, [(config class, URL prefix)]): every config a page reads from its URL
PAGES = {
    "app_pages/activation_explorer.py": [(explorer.CurvesConfig, "f_"), (explorer.CompareConfig, "c_"),
                                         (explorer.DepthConfig, "d_")],
    "app_pages/xor_lab.py": [(xor.PerceptronConfig, "p_"), (xor.XorCompareConfig, "c_"),
                             (xor.SeedStudyConfig, "s_"), (PlaygroundConfig, "g_"), (PlaygroundConfig, "h_")],
    "app_pages/architectures.py": [(architectures.ShapesConfig, "s_"), (architectures.ApproxConfig, "u_")],
    "app_pages/backprop.py": [(BackpropConfig, "")],
    "app_pages/digit_recognizer.py": [(DigitsConfig, "")],
    "app_pages/when_to_use.py": [(when_to_use.DuelConfig, "d_"), (when_to_use.ScalingConfig, "s_"),
                                 (when_to_use.NoiseConfig, "n_"), (when_to_use.CurveConfig, "c_")],
    "app_pages/hyperparameter_tuner.py": [(tuning.SearchSpace, "s_"), (tuning.StudySettings, "t_")],
}
CONFIGS = sorted({(cls, p) for v in PAGES.values() for cls, p in v}, key=lambda cp: (cp[0].__name__, cp[1]))
for _cls in vars(hyperparameters).values():  # the sweeps' configs
    if isinstance(_cls, type) and issubclass(_cls, Config) and _cls is not Config:
        CONFIGS.append((_cls, ""))

NASTY = ["", "-1", "0", "1e309", "nan", "inf", "-inf", "abc", "1,2,3", ",,,", "999999999999999999999",
         "0.5", "-0.0", "x" * 300, "1" * 250, "%00", "1e-320", "[1]", "True", "None", "4,4,4,4,4,4,4,4,4,4,4,4"]


def random_link(rng: random.Random, configs, n_fields: int = 4) -> dict[str, str]:
    """A few of the configs' own fields, each with a hostile or a plausible value."""
    link: dict[str, str] = {}
    fields = [(p, f) for cls, p in configs for f in dataclasses.fields(cls)]
    for p, f in rng.sample(fields, min(n_fields, len(fields))):
        meta = f.metadata
        choices = meta.get("choices")
        if choices and rng.random() < 0.3:
            v = str(rng.choice(choices))
        elif meta.get("hi") is not None and rng.random() < 0.3:
            hi = meta["hi"]
            v = repr(hi * rng.choice([1, 2, 10])) if math.isfinite(hi) else "1"
        else:
            v = rng.choice(NASTY)
        link[p + f.name] = v
    return link


@pytest.mark.parametrize("cls,prefix", CONFIGS, ids=lambda x: getattr(x, "__name__", x))
def test_random_links_end_in_a_valid_config(cls, prefix):
    rng = random.Random(zlib.crc32(f"{cls.__name__}{prefix}".encode()))  # hash() of a str changes every run
    for _ in range(150):
        link = random_link(rng, [(cls, prefix)])
        cfg, notices = cls.from_query(link, prefix)  # never raises
        assert isinstance(cfg, cls)
        assert all(isinstance(n, str) and n for n in notices)
        again, _ = cls.from_query(cfg.to_query(prefix), prefix)
        assert again == cfg  # what the page keeps in its URL reads back the same


# Through the pages themselves: tests/test_links_pairwise.py (a covering set of links per page, hosted).
