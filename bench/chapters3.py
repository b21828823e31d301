"""Benchmark: the first result of each view issue 24 items 2 and 3 added, in a warm process, and its page.

    python -m bench.chapters3

- first result: what the view computes before it draws, by core alone, in a process whose imports and
  first calls are paid already (a running server), caches empty: best of 3 (the machine is shared);
- page cold / warm: the page through AppTest at that view (cold: empty caches; warm: a rerun).
The machine's 1-minute load average is printed with each row. Goal: first result under 2 s.
Last line: ``chapters3: first result < 2 s in k of n views (slowest X s)``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import table  # noqa: E402
from bench._timing import best_of, page_times  # noqa: E402

GOAL = 2.0


def views():
    """name -> (page, query params, the view's first result computed by core alone)."""
    import core.hyperparameters as hp
    import core.when_to_use as wtu
    from core.scratch import jobs as J

    duel = wtu.RuleConfig()
    return {
        "backprop: NumPy from scratch": ("app_pages/backprop.py", {"tab": "scratch"},
                                         lambda: J.compare(J.ScratchConfig())),
        "hp: the tutorial's dropout net": ("app_pages/hyperparameters.py", {"sweep": "dropout"},
                                           hp.run_tutorial_net),
        "when: rule of thumb": ("app_pages/when_to_use.py", {},
                                lambda: wtu.cross_validate(wtu.load_table(duel.dataset), "rule", duel.folds,
                                                           duel.seed, True)),
    }


def main() -> None:
    import streamlit as st

    os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")
    jobs = views()
    for _, _, first in jobs.values():  # imports and first calls, as a running server has paid them
        first()
    rows, firsts = [], []
    for name, (page, params, first) in jobs.items():
        load = os.getloadavg()[0]
        t_first = best_of(first, 3)
        firsts.append(t_first)
        st.cache_data.clear()
        st.cache_resource.clear()
        os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")
        cold, warm = page_times(page, params)
        rows.append({"view": name, "first result (s)": f"{t_first:.2f}", "page cold (s)": f"{cold:.2f}",
                     "page warm (s)": f"{warm:.3f}", f"first < {GOAL:g} s": "yes" if t_first < GOAL else "NO",
                     "load avg": f"{load:.1f}"})
        print(f"{name}: first {t_first:.2f} s, cold {cold:.2f} s, warm {warm:.3f} s (load {load:.1f})", flush=True)
    print()
    print(table(rows, f"Issue 24's new views at their defaults ({os.cpu_count()} cores)"))
    ok = sum(t < GOAL for t in firsts)
    print(f"chapters3: first result < {GOAL:g} s in {ok} of {len(firsts)} views (slowest {max(firsts):.2f} s)")


if __name__ == "__main__":
    main()
