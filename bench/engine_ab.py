"""Benchmark: the engine's three benchmarks' batched runs, this tree against another commit, alternating.

    python -m bench.engine_ab --before 8c742dd^          # the commit before the server learned workloads
    python -m bench.engine_ab --before main~5 --rounds 3

What it times (each best of several inside one process, after a warm-up), the runs the benchmarks
``bench.xor_seeds``, ``bench.activations`` and ``bench.digits`` call batched:
  xor_seeds    the XOR Lab's 100 seeds (core.xor.run_seed_study)
  activations  the Activation Explorer's comparison, 24 models, evaluated at the end (core.engine.fit)
  digits       the Digit Recognizer's default model: load (split, augment) + fit, nothing cached

The other commit is checked out into a temporary git worktree; the two trees run in turn, ``--rounds``
times each (the machine is shared: alternating keeps its load alike on both sides), and each side's
best is compared. Last line: ``xor_seeds=<after/before> activations=<..> digits=<..>`` (1.00 = the same).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import table  # noqa: E402

NAMES = ("xor_seeds", "activations", "digits")

# run inside the tree under test (its own imports): prints one JSON line of best-of-n seconds
PROBE = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
from core import digits, explorer, xor
from core.datasets import digits_arrays
from core.digits import jobs
from core.engine import fit

def best(f, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)

def digits_run():
    getattr(jobs, "_LOADED", {}).clear()  # a tree that keeps loaded data: load it again, as the other does
    digits.compute(digits.default_config("digits"))

xor.run_seed_study(xor.SeedStudyConfig(n_seeds=2, epochs=5))
cfg = explorer.CompareConfig()
ds = explorer.compare_data(cfg.dataset)
fit(explorer.CompareConfig(n_seeds=1, epochs=1).train_configs(), ds)
digits_arrays()
print(json.dumps({"xor_seeds": best(lambda: xor.run_seed_study(xor.SeedStudyConfig(n_seeds=100)), 3),
                  "activations": best(lambda: fit(cfg.train_configs(), ds, eval_every=cfg.epochs), 2),
                  "digits": best(digits_run, 5)}))
'''


def probe(root: Path) -> dict[str, float]:
    """One process in ``root``: the three best-of-n times."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(root)], cwd=root, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True, help="the commit to compare with (any git revision)")
    ap.add_argument("--rounds", type=int, default=2, help="processes per side, alternating")
    a = ap.parse_args()
    rev = subprocess.run(["git", "rev-parse", "--short", a.before], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="nnlab-ab-") as tmp:
        other = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(other), rev], cwd=ROOT, check=True)
        try:
            got: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
            for r in range(a.rounds):
                for side, root in (("before", other), ("after", ROOT)) if r % 2 == 0 else \
                        (("after", ROOT), ("before", other)):
                    got[side].append(probe(root))
                    print(f"round {r + 1} {side}: " + "  ".join(f"{k} {v:.3f}" for k, v in got[side][-1].items()),
                          flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False)
    best = {side: {k: min(x[k] for x in runs) for k in NAMES} for side, runs in got.items()}
    rows = [{"benchmark": k, f"before ({rev}) s": f"{best['before'][k]:.3f}", "after s": f"{best['after'][k]:.3f}",
             "after / before": f"{best['after'][k] / best['before'][k]:.2f}"} for k in NAMES]
    print()
    print(table(rows, f"Engine, batched runs: best of {a.rounds} processes a side, alternating"))
    print(" ".join(f"{k}={best['after'][k] / best['before'][k]:.2f}" for k in NAMES))


if __name__ == "__main__":
    main()
