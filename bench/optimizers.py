"""Benchmark: the Optimizers page at its defaults (and on Rosenbrock), first result, cold and warm.

    python -m bench.optimizers

- first result: the three paths (torch.optim, 400 steps each) and the surface grid, by core alone, with
  imports already loaded (a running server), best of several;
- cold: the page through AppTest with empty caches; warm: the same session rerun (results from the caches);
- a step: the page rerun after moving the step slider (what Play does each frame; the paths are cached).
The machine's 1-minute load average is printed with each row: the 2 cores are shared.
Goal (issue 24): first result under 2 s warm. Last line: ``optimizers: first_result_s=... page_warm_s=...``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import table  # noqa: E402
from bench._timing import best_of, open_page, seconds, timed_run  # noqa: E402

PAGE = "app_pages/optimizers.py"


def first_result(cfg) -> float:
    """Best of 3: the paths and the surface grid, by core alone."""
    from core.optimizers import jobs as oj

    return best_of(lambda: (oj.run(cfg), oj.grid(cfg.surface)), 3)


def page_run(params: dict[str, str]) -> tuple[float, float, float]:
    """(cold, warm, a step) seconds of AppTest runs of the page with these params."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page(PAGE, params, timeout=300)
    cold = timed_run(at)
    warm, step = [], []
    for i in range(3):  # alternate a rerun and a step: a load spike hits both
        warm.append(seconds(at.run))
        step.append(seconds(lambda i=i: at.slider(key="o_step").set_value(10 * (i + 1)).run()))
    return cold, min(warm), min(step)


def main() -> None:
    from core.optimizers import jobs as oj

    first_result(oj.OptimizersConfig(steps=20))  # imports and first-call overheads, paid once by a server
    page_run({"steps": "20"})
    rows, summary = [], {}
    for name, params in (("valley (defaults)", {}), ("rosenbrock lr 0.001, 2000 steps",
                                                     {"surface": "rosenbrock", "lr": "0.001", "steps": "2000"})):
        cfg = oj.OptimizersConfig.from_query(params)[0]
        load = os.getloadavg()[0]
        first = first_result(cfg)
        cold, warm, step = page_run(params)
        rows.append({"run": name, "first result (s)": f"{first:.3f}", "page cold (s)": f"{cold:.2f}",
                     "page warm (s)": f"{warm:.3f}", "a step (s)": f"{step:.3f}",
                     "first < 2 s": "yes" if first < 2 else "NO", "load avg": f"{load:.1f}"})
        summary = summary or {"first": first, "warm": warm, "step": step}
    print(table(rows, f"Optimizers page ({os.cpu_count()} cores)"))
    print(f"optimizers: first_result_s={summary['first']:.3f} page_warm_s={summary['warm']:.3f} "
          f"step_s={summary['step']:.3f}")


if __name__ == "__main__":
    main()
