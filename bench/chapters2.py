"""Benchmark: each default run of the two chapter pages, cold and warm, side by side.

    python -m bench.chapters2 [--only when|hp]

For every tab of "When to Use Neural Networks" and every sweep of "Hyperparameter Effects" at its defaults:
- first result: the first thing the tab draws. The when-to-use tabs draw each model as it finishes, so this
  is the first model's job computed by core alone; a sweep tab draws once its sweep is done: its page cold time;
- cold: the page through AppTest with empty caches (imports already loaded, as on a running server);
- warm: the same session rerun (results from the caches).
The machine's 1-minute load average is printed with each row: the 2 cores are shared, and a busy machine
makes every cold number larger. Goals: first result under 3 s, warm under 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import table  # noqa: E402
from bench._timing import page_times, seconds  # noqa: E402

WTU_PAGE = "app_pages/when_to_use.py"
HP_PAGE = "app_pages/hyperparameters.py"


def first_results():
    """name -> (page, query params, a function computing the tab's first result with core alone)."""
    import core.hyperparameters as hp
    import core.when_to_use as wtu

    def cv(cfg):
        model, scaled = cfg.points()[0]
        return lambda: wtu.cross_validate(wtu.load_table(cfg.dataset), model, cfg.folds, cfg.seed, scaled)

    noise, curve = wtu.NoiseConfig(), wtu.CurveConfig()
    out = {
        "when: head to head": (WTU_PAGE, {}, cv(wtu.DuelConfig())),
        "when: scaling": (WTU_PAGE, {"tab": "scaling"}, cv(wtu.ScalingConfig())),
        "when: useless features": (WTU_PAGE, {"tab": "noise"}, lambda: wtu.noise_point(
            wtu.load_table(noise.dataset), *noise.points()[0], noise.folds, noise.seed)),
        "when: data hunger": (WTU_PAGE, {"tab": "curve"}, lambda: wtu.curve_point(
            wtu.load_table(curve.dataset), *curve.points()[0], curve.seed)),
    }
    for name in hp.SWEEP_TYPES:
        out[f"hp: {name}"] = (HP_PAGE, {"sweep": name}, None)  # the page draws the whole sweep at once
    return out


def drew_a_chart(at) -> None:
    """The page drew at least one chart."""
    assert at.get("vega_lite_chart"), "no chart drawn"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=("when", "hp"), default=None)
    args = ap.parse_args()
    import streamlit as st

    os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")
    jobs = first_results()
    # imports and first-call overheads once, as a running server has already paid them
    page_times(WTU_PAGE, {"d_dataset": "iris", "d_folds": "2"}, check=drew_a_chart)
    page_times(HP_PAGE, {"lr_epochs": "1", "lr_seeds": "1"}, check=drew_a_chart)
    rows = []
    for name, (page, params, first) in jobs.items():
        if args.only and not name.startswith(args.only):
            continue
        load = os.getloadavg()[0]
        t_first = None if first is None else seconds(first)
        st.cache_data.clear()
        st.cache_resource.clear()
        os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")
        cold, warm = page_times(page, params, check=drew_a_chart)
        t_first = cold if t_first is None else t_first
        rows.append({"experiment": name, "first result (s)": f"{t_first:.2f}", "page cold (s)": f"{cold:.2f}",
                     "page warm (s)": f"{warm:.3f}", "first < 3 s": "yes" if t_first < 3 else "NO",
                     "warm < 0.3 s": "yes" if warm < 0.3 else "NO", "load avg": f"{load:.1f}"})
        print(f"{name}: first {t_first:.2f} s, cold {cold:.2f} s, warm {warm:.3f} s (load {load:.1f})", flush=True)
    print()
    print(table(rows, f"Chapter pages at their defaults ({os.cpu_count()} cores)"))


if __name__ == "__main__":
    main()
