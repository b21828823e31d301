"""Tuning speed: the same seeded TPE study on digits with 1 and 2 worker processes, then with the median
pruner; and how fast the views draw a 10,000-trial study.

    python bench/tuning.py [--trials 30] [--epochs 20] [--storage URL] [--fake-trials 10000] [--views-only]
    python bench/tuning.py --default    # the page's default study, as the page starts it: how long it lasts
    python bench/tuning.py --stop       # how soon workers end after Stop: mid-trial, and while still starting

``--views-only`` skips the worker runs and prints only the view timings (each view: read + build).

Throughput is measured from the storage's own timestamps (first trial start to last trial end), so
interpreter start-up is left out. The last line is the summary the issue asks for:
``trials_per_min=<2 workers, no pruning> scaling_2_workers=<1-worker span / 2-worker span>
pruned_epoch_saving=<1 - epochs trained with pruning / without> best_acc_delta=<pruned best - unpruned best>``
(the pruning pair both run on 1 worker, so each is reproducible).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optuna  # noqa: E402

from bench.fake_study import populate_fake  # noqa: E402
from core import tuning  # noqa: E402
from core.tuning import charts, landscape, notes, pareto  # noqa: E402
from core.tuning.trial import param_count  # noqa: E402

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)


def run_study(url: str, label: str, workers: int, pruner: str, trials: int, epochs: int) -> dict:
    name = f"bench-{label}-{uuid.uuid4().hex[:6]}"
    st = tuning.StudySettings(dataset="digits", sampler="tpe", pruner=pruner, n_trials=trials, epochs=epochs, seed=0)
    tuning.create_study(name, tuning.SearchSpace(), st, url)
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [subprocess.Popen([sys.executable, "-m", "core.tuning", "worker", "--storage", url, "--study", name],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(workers)]
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"worker failed: {err[-500:]}")
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    f = tuning.read_study(url, name)
    t = f.trials[f.trials["state"].isin(["COMPLETE", "PRUNED"])]
    span = (t["end"].max() - t["start"].min()).total_seconds()
    best = f.best()
    return {"run": label, "workers": workers, "pruner": pruner, "trials": len(t),
            "pruned": int((t["state"] == "PRUNED").sum()), "epochs": int(t["epochs"].sum()),
            "span_s": span, "wall_s": wall, "cpu_s": cpu, "trials_per_min": len(t) / span * 60,
            "best_acc": float(best["value"]) if best is not None else float("nan")}


def default_study(url: str) -> None:
    """The page's default study (its space and settings) on the page's default worker count: wall seconds
    from the workers' start to their exit, with the machine's load (a shared machine runs it slower)."""
    workers = min(2, tuning.max_workers())  # the page's Workers box
    st, name = tuning.StudySettings(), f"default-{uuid.uuid4().hex[:6]}"
    tuning.create_study(name, tuning.SearchSpace(), st, url)
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    procs = tuning.start_workers(url, name, workers)
    for p in procs:
        p.wait()
    wall = time.perf_counter() - t0
    f = tuning.read_study(url, name)
    print(f"default study: {st.n_trials} trials x {st.epochs} epochs, {workers} workers: {wall:.1f} s "
          f"({f.counts['COMPLETE']} completed, {f.counts['PRUNED']} pruned, {int(f.trials['epochs'].sum()):,} "
          f"epochs trained; best {f.best()['value']:.4f}); load average {load0:.1f} -> {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")


def stop_latency(url: str) -> None:
    """Seconds from Stop to the workers' exit, as the page stops its own workers (the stop flag, then
    SIGTERM): once trials run, and right after the start, while the workers still load PyTorch."""
    for when in ("mid-trial", "starting"):
        name = f"stop-{uuid.uuid4().hex[:6]}"
        tuning.create_study(name, tuning.SearchSpace(), tuning.StudySettings(), url)
        procs = tuning.start_workers(url, name, min(2, tuning.max_workers()))
        if when == "mid-trial":
            while tuning.read_study(url, name, with_curves=False).counts["COMPLETE"] < 3:
                time.sleep(0.1)
        else:
            time.sleep(0.8)  # past the interpreter's start, into the imports
        t0 = time.perf_counter()
        tuning.request_stop(url, name)
        tuning.signal_workers(procs)
        for p in procs:
            p.wait()
        c = tuning.read_study(url, name, with_curves=False).counts
        print(f"stop {when}: workers exited {time.perf_counter() - t0:.2f} s after Stop; {c['RUNNING']} trials "
              f"left running, {c['INTERRUPTED']} interrupted (queued again)")


def time_views(url: str, n: int) -> list[tuple[str, float, float]]:
    """(label, wall s, this process's CPU s) per step. CPU seconds hardly change when other programs
    share the cores; wall seconds are what a visitor waits on this machine now."""
    name = f"fake-{uuid.uuid4().hex[:6]}"
    t0, c0 = time.perf_counter(), time.process_time()
    populate_fake(url, name, n, epochs=10)
    made, made_cpu = time.perf_counter() - t0, time.process_time() - c0
    tuning.close_storages()  # a cold connection, as a fresh page would have
    t0, c0 = time.perf_counter(), time.process_time()
    f = tuning.read_study(url, name)
    read, read_cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = [(f"make {n:,} fake trials (bulk insert)", made, made_cpu), ("read the study (4 queries)", read, read_cpu)]
    # a filter as a student might set one: finished trials, accuracy 0.9 and up, two activations, lr range
    flt = tuning.TrialFilter(states=("COMPLETE", "PRUNED"), value=(0.9, 1.0), ranges={"lr": (1e-3, 3e-2)},
                             choices={"activation": ("relu", "tanh")})
    views = {
        "trials table + CSV": lambda: (charts.trials_table(f.trials, f.params), charts.trials_csv(f.trials, f.params)),
        "optimisation history": lambda: charts.history(f.trials).to_dict(),
        "parallel coordinates": lambda: charts.parallel_coordinates(f.trials, f.params).to_dict(),
        "parameter importance": lambda: charts.importance(tuning.param_importance(f)).to_dict(),
        "slice plots": lambda: charts.slices(f.trials, f.params).to_dict(),
        "learning curves": lambda: charts.learning_curves(f.curves, f.trials).to_dict(),
        "timeline per worker": lambda: charts.timeline(f.trials).to_dict(),
        "compare two studies": lambda: (charts.compare(f.trials, f.trials, "a", "b").to_dict(),
                                        charts.compare_table({"a": f.trials, "b": f.trials})),
        "contour lr x width": lambda: landscape.contour(f.trials, "lr", "width").to_dict(),
        "contour batch size x activation": lambda: landscape.contour(f.trials, "batch_size", "activation").to_dict(),
        "EDF (empirical distribution)": lambda: charts.edf({"a": f.trials}).to_dict(),
        "EDF of two studies": lambda: charts.edf({"a": f.trials, "b": f.trials}).to_dict(),
        "rank lr x batch size": lambda: landscape.rank(f.trials, "lr", "batch_size").to_dict(),
        "filter + history of the kept trials": lambda: charts.history(tuning.apply_filter(f, flt).trials).to_dict(),
        # the fake study has one objective: its trials' parameter counts (computed here) as the second
        "Pareto front: accuracy x parameters": lambda: pareto.pareto_chart(
            f.trials.assign(value2=[param_count(64, (int(w),) * int(n), 10) for w, n in zip(f.trials["width"],
                                                                                            f.trials["layers"])]),
            "accuracy+params", f.params).to_dict(),
        "notes: save a trial's note (the read brings them all)": lambda: notes.store_note_on_trial(url, name, 3, "b"),
        "filter + learning curves": lambda: (lambda g: charts.learning_curves(g.curves, g.trials).to_dict())(
            tuning.apply_filter(f, flt)),
    }
    tuning.param_importance(f)  # first call imports the evaluator's modules (once per server)
    for label, fn in views.items():
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        rows.append((f"view: {label} (read + build)", read + time.perf_counter() - t0,
                     read_cpu + time.process_time() - c0))
    return rows


def print_views(url: str, n: int) -> None:
    """The view-timing table: each view's read + build seconds on an ``n``-trial fake study."""
    views = time_views(url, n)
    load = os.getloadavg()[0]
    print(f"{'views of a ' + format(n, ',') + '-trial study':<60}{'wall s':>9}{'cpu s':>9}")
    print("-" * 78)
    for label, s, c in views:
        print(f"{label:<60}{s:>9.2f}{c:>9.2f}")
    worst = max(s for label, s, _ in views if label.startswith("view:"))
    worst_cpu = max(c for label, _, c in views if label.startswith("view:"))
    print(f"slowest view: {worst:.2f} s wall, {worst_cpu:.2f} s CPU (goal < 2 s); load average {load:.1f} "
          f"on {os.cpu_count()} cores")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--storage", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fake-trials", type=int, default=10_000)
    ap.add_argument("--views-only", action="store_true", help="skip the worker runs; time only the views")
    ap.add_argument("--default", action="store_true", help="only time the page's default study")
    ap.add_argument("--stop", action="store_true", help="only time how soon Stop ends the workers")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="nnlab-bench-tuning-")
    os.environ.setdefault("NNLAB_DATA_DIR", tmp)
    url = args.storage or f"sqlite:///{tmp}/bench.db"
    if args.default or args.stop:
        (default_study if args.default else stop_latency)(url)
        return
    if args.views_only:
        print(f"storage {tuning.mask_url(url)}; views only; {os.cpu_count()} cores")
        print_views(url if url.startswith("sqlite") else f"sqlite:///{tmp}/views.db", args.fake_trials)
        return
    print(f"storage {tuning.mask_url(url)}; digits, TPE seed 0, {args.trials} trials x {args.epochs} epochs; "
          f"{os.cpu_count()} cores")
    one = run_study(url, "1w", 1, "none", args.trials, args.epochs)
    two = run_study(url, "2w", 2, "none", args.trials, args.epochs)
    pruned = run_study(url, "1w-median", 1, "median", args.trials, args.epochs)
    runs = [one, two, pruned]
    head = f"{'run':<11}{'workers':>8}{'pruner':>8}{'trials':>8}{'pruned':>8}{'epochs':>8}{'span s':>9}" \
           f"{'wall s':>8}{'cpu s':>8}{'trials/min':>11}{'best acc':>10}"
    print(head)
    print("-" * len(head))
    for r in runs:
        print(f"{r['run']:<11}{r['workers']:>8}{r['pruner']:>8}{r['trials']:>8}{r['pruned']:>8}{r['epochs']:>8}"
              f"{r['span_s']:>9.1f}{r['wall_s']:>8.1f}{r['cpu_s']:>8.1f}{r['trials_per_min']:>11.1f}"
              f"{r['best_acc']:>10.4f}")
    print("span: first trial start to last trial end (from storage); wall: process start to exit; "
          "cpu: the workers' user+sys seconds (equal work in 1w and 2w means the span only needs free cores)")
    print()
    print_views(url if url.startswith("sqlite") else f"sqlite:///{tmp}/views.db", args.fake_trials)
    print()
    scaling = one["span_s"] / two["span_s"]
    saving = 1 - pruned["epochs"] / one["epochs"]
    delta = pruned["best_acc"] - one["best_acc"]
    print(f"trials_per_min={two['trials_per_min']:.1f} scaling_2_workers={scaling:.2f} "
          f"pruned_epoch_saving={saving:.2f} best_acc_delta={delta:+.4f}")


if __name__ == "__main__":
    main()
