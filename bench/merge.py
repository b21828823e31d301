"""Merged runs: 30 Digit Recognizer runs of one shape (each its own learning rate), one by one vs merged.

    python -m bench.merge [--runs 30] [--repeats 3]

Sides, alternated, best of ``repeats`` (wall seconds on this machine; CPU seconds of this process too):
- one by one: each visitor's run alone, ``core.digits.jobs.compute([cfg])`` (its data, then fit), in turn;
- one stack (before merging): ``compute(cfgs)``, all 30 as one plain stack (every model trains until the
  slowest stops, each as part of one request: not what a visitor alone would get);
- merged: 30 visitor threads each calling ``compute([cfg])`` at once, their fit() joining one batch of the
  server's merger (core.serve.merge, a fair queue of 2 slots): what a hosted server does for a class.
``identical``: every visitor's weights, history, metrics and epochs bit for bit equal to its run alone.
Last line: ``runs=30 merged_s=<a> alone_s=<b> ratio=<merged/alone> identical=<True/False>``.
"""

from __future__ import annotations

import argparse
import hashlib
import threading
import time

import torch

from bench._table import table
from core.digits.jobs import compute, default_config
from core.engine.fitting import set_merge_point
from core.serve import merge
from core.serve.queue import FairQueue


def digest(results) -> str:
    h = hashlib.sha256()
    for r in results:
        for k in sorted(r.state):
            h.update(r.state[k].numpy().tobytes())
        h.update(r.history.to_numpy(dtype="float64").tobytes())
        h.update(repr(sorted(r.metrics.items())).encode())
        h.update(f"{r.stopped_epoch},{r.best_epoch}".encode())
    return h.hexdigest()


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def one_by_one(cfgs):
    return [compute([c])[0] for c in cfgs]


def merged(cfgs, stats: dict):
    """Each config a visitor of its own, all at once, through the merger (one fit each, joined)."""
    m = merge.Merger(FairQueue(2))
    local = threading.local()
    set_merge_point(merge.hook(m, lambda: getattr(local, "sid", None)))
    out: list = [None] * len(cfgs)
    errors: list = []

    def visitor(i: int) -> None:
        local.sid = f"visitor-{i}"
        try:
            out[i] = compute([cfgs[i]])[0]
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(len(cfgs))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        set_merge_point(None)
    if errors:
        raise errors[0]
    stats.update(batches=m.batches_run, merged=m.requests_merged)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.merge", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    base = default_config("digits")
    cfgs = [base.replace(lr=round(0.001 + 0.0005 * k, 5)) for k in range(args.runs)]
    compute([base])  # warm: arrays read, kernels loaded
    sides = {"one by one": lambda: one_by_one(cfgs), "one stack (no merge)": lambda: compute(cfgs),
             "merged (queue, 30 visitors)": None}
    best: dict[str, tuple[float, float]] = {}
    results: dict[str, list] = {}
    stats: dict = {}
    for _ in range(args.repeats):
        for name, fn in sides.items():
            res, wall, cpu = timed(fn if fn is not None else lambda: merged(cfgs, stats))
            results.setdefault(name, res)
            w, c = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(w, wall), min(c, cpu))
    alone = results["one by one"]
    epochs = [r.stopped_epoch for r in alone]
    same = [digest([a]) == digest([b]) for a, b in zip(alone, results["merged (queue, 30 visitors)"])]
    stack_same = [digest([a]) == digest([b]) for a, b in zip(alone, results["one stack (no merge)"])]
    a_wall = best["one by one"][0]
    rows = []
    for name in sides:
        w, c = best[name]
        ident = all(same) if name.startswith("merged") else all(stack_same) if name.startswith("one stack") else True
        rows.append({"side": name, f"wall s (best of {args.repeats})": f"{w:.2f}", "cpu s": f"{c:.2f}",
                     "vs one by one": f"{w / a_wall:.2f}", "each as alone": str(ident)})
    print(table(rows, f"{args.runs} Digit Recognizer runs (default model, lr {cfgs[0].lr}..{cfgs[-1].lr}); "
                      f"epochs each {min(epochs)}-{max(epochs)} (sum {sum(epochs)}), "
                      f"torch threads {torch.get_num_threads()}"))
    print(f"merged batches: {stats.get('batches')}, requests merged: {stats.get('merged')} of {args.runs}")
    m_wall = best["merged (queue, 30 visitors)"][0]
    print(f"runs={args.runs} merged_s={m_wall:.2f} alone_s={a_wall:.2f} ratio={m_wall / a_wall:.2f} "
          f"identical={all(same)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
