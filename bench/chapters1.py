"""Benchmark: each default experiment of Network Shapes and Backprop Step by Step, cold and warm.

    python -m bench.chapters1

For each experiment: the time to its first result on an empty cache (the first shape's stack, the first
width's fit, the first step's trace), the whole default run on an empty cache, and a rerun of the page
on a warm cache (AppTest, after the server's imports). Prints a side-by-side table; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _timing as timing  # noqa: E402
from bench._table import table  # noqa: E402


def fresh_data_dir() -> None:
    os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")


def page_times(page: str, **params: str) -> tuple[float, float]:
    """(first render on an empty cache, median of three reruns on a warm cache) of one page through AppTest."""
    fresh_data_dir()
    # the median of three reruns: this machine is shared, single timings jump
    return timing.page_times(f"app_pages/{page}.py", params, timeout=600, pick=statistics.median)


def first_results() -> dict[str, float]:
    """Seconds to the first thing each experiment shows, from nothing cached (data already loaded)."""
    from core import architectures as ar
    from core import backprop as bp
    from core.architectures import jobs as arj
    from core.backprop import jobs as bpj

    out = {}
    arj.shapes_data("digits")  # sklearn's digits, loaded once per server process
    cfg = ar.ShapesConfig()
    out["shapes"] = timing.seconds(lambda: ar.run_shape(cfg, ar.SHAPES[0]))
    spiral = ar.ShapesConfig(dataset="spiral", **arj.RECOMMENDED["spiral"])
    out["spiral"] = timing.seconds(lambda: ar.run_shape(spiral, ar.SHAPES[0]))
    u = ar.ApproxConfig()
    out["approx"] = timing.seconds(lambda: ar.run_width(u, (min(u.widths),)))
    out["backprop"] = timing.seconds(lambda: bpj.run(bp.BackpropConfig()))
    return out


def main() -> None:
    from streamlit.testing.v1 import AppTest

    fresh_data_dir()
    warm_imports = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    warm_imports.run()  # imports torch/altair/sklearn once, as a running server already has
    first = first_results()
    runs = [
        ("Four shapes, digits (4 stacks x 3 seeds)", "shapes", "architectures", {}),
        ("Four shapes, spiral (recommended settings)", "spiral", "architectures",
         {"s_dataset": "spiral", "s_epochs": "200", "s_batch_size": "32"}),
        ("Universal approximation (9 widths + 12 deep, 3 seeds each)", "approx", "architectures", {"tab": "approx"}),
        ("Backprop step, defaults", "backprop", "backprop", {}),
        ("Backprop at step 8000 (2,000 epochs replayed)", None, "backprop", {"step": "8000"}),
    ]
    rows = []
    for name, key, page, params in runs:
        cold, warm = page_times(page, **params)
        rows.append({"experiment (default run)": name,
                     "first result s": f"{first[key]:.2f}" if key else "-",
                     "whole page cold s": f"{cold:.2f}", "rerun warm s (median of 3)": f"{warm:.3f}",
                     "goal": "first < 3, warm < 0.3"})
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(table(rows, f"Network Shapes and Backprop Step by Step ({os.cpu_count()} cores, 1-min load {load:.1f})"))


if __name__ == "__main__":
    main()
