"""bench.hosted's price table: each page's default run and its most expensive link within the hosted caps,
each in a fresh process, measured (CPU seconds, peak RSS growth) beside its price.

    python -m bench.hosted --calibrate                 # the whole table
    python -m bench.hosted_price [name ...]            # some rows (names: RUNS; --help lists them)
    python -m bench.hosted_price --epochs              # the cost model's terms: one epoch of small stacks

A row's run is what the page runs for that request (the XOR Lab's seed study with its retry of the failed
seeds; Network Shapes' four shapes and their checks; When to Use's every cross-validated model), built
first (imports and data are not part of the run), then measured alone. Its price is
:func:`core.serve.price.request_price` of the page's request (a tuning study: all its trials); "likely s"
is the price's likely_seconds (early stopping assumed at 3 x patience + 5 epochs), "bound s" its
seconds. "Most expensive link within the caps": every capped field of a page's costliest tab at its cap
(widths, layers, seeds), then its epochs (or, where memory binds first, its seeds) as high as the budget
admits (found by the price itself).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MNIST_SAMPLE = Path(os.environ.get("NNLAB_MNIST_SAMPLE", "/work/shared/data/mnist-sample"))


def most(make: Callable[[int], Any], hi: int, data: Any = None, lo: int = 1) -> Any:
    """The request ``make(n)`` with the largest n (at most ``hi``: epochs, seeds) the hosted budget admits."""
    from core import settings
    from core.serve.price import check

    best = make(lo)
    while lo <= hi:
        mid = (lo + hi) // 2
        cfg = make(mid)
        if check(cfg, data, settings.HOSTED) is None:
            best, lo = cfg, mid + 1
        else:
            hi = mid - 1
    return best


# ---- the rows: (page, request, run(), the data its price reads) -----------------------------------------
def _xor(name: str):
    from core.xor import jobs as xj
    from core.xor import playground as pg

    if name == "xor-seeds":  # the seeds tab: the study, then the retry of its failed seeds 10x longer
        cfg = xj.SeedStudyConfig()

        def run():
            res = xj.run_seed_study(cfg)
            return res + list(xj.retry_longer(cfg, res).values())
        return "xor", cfg, run, None
    if name == "playground":
        cfg = pg.PlaygroundConfig()
    else:  # the Playground at every cap: 100 seeds of six layers of 32 on 7 features of 2,000 points
        cfg = most(lambda e: pg.PlaygroundConfig(hidden=(32,) * 6, n_seeds=100, n_points=2000, train_frac=0.9,
                                                        features=pg.datasets.FEATURES, epochs=e), 2000)

    def play():
        tr = pg.new_trainer(cfg, pg.make_points(cfg))
        tr.run()
        return tr.results()
    return "xor", cfg, play, None


def _activations(name: str):
    import core.explorer as ex

    if name == "depth":
        cfg = ex.DepthConfig()
        return "activations", cfg, lambda: ex.run_depth(cfg), None
    if name == "compare":
        cfg = ex.CompareConfig()
    else:  # as many seeds as memory admits, then as many epochs as time admits
        seeds = most(lambda k: ex.CompareConfig(n_seeds=k, epochs=1), 20).n_seeds
        cfg = most(lambda e: ex.CompareConfig(n_seeds=seeds, epochs=e), 500)
    return "activations", cfg, lambda: ex.run_compare(cfg), None


def _backprop(name: str):
    from core.backprop import jobs as bj

    cfg = bj.BackpropConfig() if name == "backprop" else bj.BackpropConfig(step=bj.MAX_STEP, mode="batch")
    return "backprop", cfg, lambda: [bj.run(cfg), bj.loss_history(cfg)], None  # the page's step and its history


def _architectures(name: str):
    from core import architectures as ar

    if name == "approx":
        cfg = ar.ApproxConfig()
        hiddens = [(w,) for w in cfg.widths] + [h for _, h in cfg.deep_shapes()]
        return "architectures", cfg, lambda: [r for h in hiddens for r in ar.run_width(cfg, h)], None
    cfg = ar.ShapesConfig() if name == "shapes" else most(
        lambda k: ar.ShapesConfig(shallow=(256,), deep=(256,) * 12, wide=(256,), narrow=(16,) * 12, n_seeds=k,
                                  epochs=100), 10)

    def run():  # the four shapes, then the checks the page adds where two shapes have the same budget
        results = {s: ar.run_shape(cfg, s) for s in ar.SHAPES}
        out = [r for rs in results.values() for r in rs]
        if ar.same_budget(ar.shapes_table(cfg, results)):
            out += [r for k in cfg.check_configs() for r in ar.run_check(cfg, k)]
        return out
    return "architectures", cfg, run, None


def _digits(name: str):
    from core.digits import jobs

    if name == "mnist-sample":
        cfg = jobs.default_config("mnist")
        Xtr, _, Xte, _ = jobs.raw_arrays("mnist", MNIST_SAMPLE)
        return "digits", cfg, lambda: jobs.compute([cfg], folder=MNIST_SAMPLE), (len(Xtr), len(Xte))
    base = jobs.default_config("digits")
    cfg = base if name == "digits" else most(
        lambda e: base.replace(hidden=(256,) * 3, augment_copies=5, patience=0, epochs=e), 2000)
    return "digits", cfg, lambda: jobs.compute([cfg]), None


def _convolutions(name: str):
    from core.convolutions import jobs as cj

    cfg = cj.ConvConfig() if name == "conv" else most(lambda e: cj.ConvConfig(epochs=e), 2000)
    return "convolutions", cfg, lambda: cj.compute(cfg), None


def _hyperparameters(name: str):
    from core.hyperparameters import jobs as hp

    if name == "hp-capacity-max":  # the hostile mix's sweep of six stacks, as many epochs as admitted
        cfg = most(lambda e: hp.CapacitySweep(values=("256", "128x128", "192", "64x64", "128", "32x32"),
                                                     seeds=10, epochs=e), 300)
    else:
        cfg = {"hp-lr": hp.LrSweep(), "hp-lr-300": hp.LrSweep(epochs=300), "hp-capacity": hp.CapacitySweep()}[name]
    return "hyperparameters", cfg, lambda: hp.run_sweep(cfg), None


def _when_to_use(name: str):
    from core import when_to_use as wtu

    if name == "wtu-duel":
        cfg = wtu.DuelConfig()
        table = wtu.load_table(cfg.dataset)
        return "when-to-use", cfg, lambda: [wtu.cross_validate(table, m, cfg.folds, cfg.seed, s)
                                            for m, s in cfg.points()], table
    # the noise probes at their largest: 500 noise columns, rotated too, every model, as many folds as admitted
    table = wtu.load_table("breast_cancer")
    cfg = most(lambda k: wtu.NoiseConfig(dataset="breast_cancer", ks=(0, 100, 500), rotate=True,
                                         models=("forest", "boosting", "mlp", "sk_mlp"), folds=k), 5, table, lo=2)
    return "when-to-use", cfg, lambda: [wtu.noise_point(table, k, r, m, cfg.folds, cfg.seed)
                                        for k, r, m in cfg.points()], table


def _tuner(name: str):
    from core import tuning
    from core.tuning.worker import Worker

    url = f"sqlite:///{tempfile.mkdtemp(prefix='nnlab-price-tuning-')}/s.db"
    if name == "tuner":  # the default space and settings, 10 of its 100 trials (each trial is priced alike)
        space, st = tuning.SearchSpace(), tuning.StudySettings(n_trials=10)
    else:  # the widest and deepest space the caps allow, its first 10 trials (TPE's random start)
        space, st = tuning.SearchSpace(width_max=256, layers_max=8), tuning.StudySettings(n_trials=10)
    tuning.create_study("price", space, st, url)

    def run():
        Worker(url, "price").run()
        return []
    return "tuner", (space, st), run, None


PAGES = {"xor-seeds": _xor, "playground": _xor, "playground-max": _xor, "compare": _activations,
         "depth": _activations, "compare-max": _activations, "backprop": _backprop, "backprop-max": _backprop,
         "shapes": _architectures, "approx": _architectures, "shapes-max": _architectures, "digits": _digits,
         "mnist-sample": _digits, "digits-max": _digits, "conv": _convolutions, "conv-max": _convolutions,
         "hp-lr": _hyperparameters, "hp-lr-300": _hyperparameters, "hp-capacity": _hyperparameters,
         "hp-capacity-max": _hyperparameters, "wtu-duel": _when_to_use, "wtu-noise-max": _when_to_use,
         "tuner": _tuner, "tuner-max": _tuner}
RUNS = list(PAGES)


def _price(request: Any, data: Any):
    from core.serve import price as P

    if isinstance(request, tuple):  # a tuning study: all its trials
        space, st = request
        return P.workload_price(st.workload(space))
    return P.request_price(request, data)


def _rss(field: str = "VmRSS") -> int:
    """This process's resident bytes now (VmRSS) or at their peak since the last reset (VmHWM)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> None:
    """Start the peak (VmHWM) afresh, so a transient peak while building the job (scikit-learn reading
    the digits, say) is not counted as the run's (Linux: 5 > /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def price_child(name: str) -> dict:
    """In a fresh process: build the job (imports and data are not part of the run), then measure only the run."""
    page, request, run, data = PAGES[name](name)
    p = _price(request, data)
    rss_now = _rss()
    _reset_peak()
    c0 = time.process_time()
    run()
    cpu = time.process_time() - c0
    grown = max(1, _rss("VmHWM") - rss_now)
    t_ratio, m_ratio = p.likely_seconds / max(cpu, 1e-3), p.peak_bytes / grown
    return {"page": page, "run": name, "likely s": round(p.likely_seconds, 1), "CPU s": round(cpu, 1),
            "time ratio": round(t_ratio, 2), "bound s": round(p.seconds, 1), "priced MB": round(p.peak_bytes / 1e6),
            "peak growth MB": round(grown / 1e6), "mem ratio": round(m_ratio, 2),
            "within 2x": "yes" if all(0.5 <= r <= 2 for r in (t_ratio, m_ratio)) else "no"}


def price_table(names: list[str], echo: bool = False) -> list[dict]:
    """One row per run, each in a fresh process as a hosted server runs it (NNLAB_HOSTED=1: glibc's mmap
    threshold fixed, core.engine.evaluation); outside a page no cap, queue or wall-clock limit applies.
    ``echo``: print each row's JSON as it comes (a long table on a busy machine)."""
    rows = []
    for n in names:
        env = {**os.environ, "NNLAB_DATA_DIR": tempfile.mkdtemp(prefix="nnlab-price-"), "NNLAB_HOSTED": "1"}
        r = subprocess.run([sys.executable, "-m", "bench.hosted_price", "--child", n], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=1800)
        try:
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            rows.append({"run": n, "error": (r.stderr or r.stdout).strip()[-120:]})
        if echo:
            print(json.dumps(rows[-1]), flush=True)
    cols = list(dict.fromkeys(k for row in rows for k in row))  # a failed run's error shows as a column
    return [{c: row.get(c, "") for c in cols} for row in rows]


# ---- the cost model's terms: one epoch (its steps and one evaluation) of a stack, measured beside its price --
EPOCH_STACKS = [(1, 1, 4, 10), (1, 6, 32, 10), (10, 3, 32, 50), (100, 1, 4, 10), (100, 6, 4, 10), (100, 6, 32, 10),
                (100, 1, 32, 10), (20, 4, 32, 10)]  # models, hidden layers, width, batch: the Playground's 2,000 points


def epoch_table(reps: int = 3) -> list[dict]:
    """CPU seconds of one epoch of each stack in EPOCH_STACKS (one thread, as on a busy server; median of
    ``reps``, the stacks alternating) beside the price of one more epoch (test_price.py pins these)."""
    import statistics

    import torch

    from core.datasets import FEATURES
    from core.engine import cores
    from core.serve.price import request_price
    from core.xor import playground as pg

    cores.machine_busy = lambda: True  # one thread, no helper: what a loaded server runs
    torch.set_num_threads(1)

    def cfg(K: int, L: int, H: int, B: int, epochs: int) -> Any:
        return pg.PlaygroundConfig(hidden=(H,) * L, n_seeds=K, batch_size=B, n_points=2000, train_frac=0.9,
                                   features=FEATURES, epochs=epochs)

    trainers = {s: pg.new_trainer(cfg(*s, 5000), pg.make_points(cfg(*s, 1))) for s in EPOCH_STACKS}
    cpu: dict[tuple, list[float]] = {s: [] for s in EPOCH_STACKS}
    for _ in range(reps):
        for s, tr in trainers.items():
            c0 = time.process_time()
            tr.run(1, eval_every=1)
            cpu[s].append(time.process_time() - c0)
    rows = []
    for s in EPOCH_STACKS:
        priced = (request_price(cfg(*s, 101)).seconds - request_price(cfg(*s, 1)).seconds) / 100
        measured = statistics.median(cpu[s][1:] or cpu[s])  # the first epoch pays the workspaces
        rows.append({"models": s[0], "layers": s[1], "width": s[2], "batch": s[3], "CPU ms": round(1e3 * measured, 1),
                     "priced ms": round(1e3 * priced, 1), "ratio": round(priced / measured, 2)})
    return rows


def main() -> None:
    from bench._table import table

    args = sys.argv[1:]
    if args[:1] == ["--child"]:
        print(json.dumps(price_child(args[1])))
        return
    if args[:1] == ["--epochs"]:
        rows = epoch_table()
        print(table(rows, "\none epoch of a stack (its steps and one evaluation), CPU vs priced, one thread"))
        print(f"epoch_rows={len(rows)} within_1.5x={sum(0.67 <= r['ratio'] <= 1.5 for r in rows)}")
        return
    if any(a.startswith("-") for a in args) or not set(args) <= set(RUNS):
        print(__doc__.strip() + "\n\nrows: " + " ".join(RUNS))
        unknown = [a for a in args if a not in RUNS and a not in ("-h", "--help")]
        if unknown:
            sys.exit(f"unknown row(s): {' '.join(unknown)}")
        return
    rows = price_table(args or RUNS, echo=True)
    print(table(rows, "\nprice vs measured: each page's default run and its most expensive link, each in a fresh "
                      "process"))
    off = [r["run"] for r in rows if r.get("within 2x") != "yes"]
    print(f"price_rows={len(rows)} within_2x={len(rows) - len(off)} off={','.join(off) or '-'}")


if __name__ == "__main__":
    main()
