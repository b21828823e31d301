"""Benchmark: the Activation Explorer's first result (tab ① at its defaults) before and after Step joined the
default set, and Home's neuron (what one slider move recomputes).

    python -m bench.neuron

Each side is timed from cold in-process caches (the claims' gradient-descent runs cleared), alternating the
two sides, best of several (this machine is shared). Prints a side-by-side table and the summary line
``explorer_first_result_ratio=<after/before> home_neuron_ms=<ms>``; asserts nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import table  # noqa: E402
from bench._timing import seconds  # noqa: E402

BEFORE = ("sigmoid", "tanh", "relu", "leaky_relu")  # the default set before Step joined it
REPEATS = 7


def explorer_first(functions: tuple[str, ...]) -> float:
    """Seconds for tab ①'s first result: the curves, the measured table and the tab's claims."""
    from core import explorer as ex
    from core.neuron import jobs as nj
    nj.descend.cache_clear()
    cfg = ex.CurvesConfig(functions=functions)
    return seconds(lambda: (ex.curves(cfg), ex.curves_table(cfg), ex.curve_notes(cfg)))


def home_neuron() -> float:
    """Seconds for Home's neuron after a slider move: sum, activation, diagram, truth table, claim."""
    from core.neuron import NeuronConfig
    from core.neuron import charts as nc
    from core.neuron import jobs as nj
    from core.neuron.claims import perceptron_gate
    cfg = NeuronConfig(w1=-0.8)

    def move() -> None:
        n = nj.evaluate(cfg)
        nc.diagram_svg(n)
        nj.formula(n), nj.formula(nj.evaluate(cfg, "step")), nj.truth_table(cfg), perceptron_gate(cfg)
    return seconds(move)


def main() -> None:
    from core import explorer as ex
    after = ex.DEFAULT_CURVES
    explorer_first(after), home_neuron()  # imports and first-call overheads, once for both sides
    b, a, h = [], [], []
    for _ in range(REPEATS):  # alternate the sides: a load spike hits both
        b.append(explorer_first(BEFORE))
        a.append(explorer_first(after))
        h.append(home_neuron())
    rows = [{"job": "Explorer ① first result", "before (4 functions)": f"{min(b) * 1000:.0f} ms",
             f"after ({len(after)}, with Step)": f"{min(a) * 1000:.0f} ms", "after/before": f"{min(a) / min(b):.2f}"},
            {"job": "Home neuron, one slider move", "before (4 functions)": "-",
             f"after ({len(after)}, with Step)": f"{min(h) * 1000:.0f} ms", "after/before": "-"}]
    load = os.getloadavg()[0]
    print(table(rows, f"Step in the Explorer's defaults; Home's neuron ({os.cpu_count()} cores, load {load:.1f}), "
                      f"best of {REPEATS}"))
    print(f"explorer_first_result_ratio={min(a) / min(b):.2f} home_neuron_ms={min(h) * 1000:.0f}")


if __name__ == "__main__":
    main()
