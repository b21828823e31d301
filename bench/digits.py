"""Digit Recognizer benchmark: accuracy and speed against the tutorial's sklearn model, one
MNIST-shaped epoch against its FLOP floor, and realistic uploads read through the CLI.

    python -m bench.digits [--sample DIR] [--n-uploads N] [--skip-epoch] [--skip-uploads]

Parts:
1. The page's default 8x8 digits MLP vs the tutorial's MLPClassifier((100, 50), relu, max_iter 500,
   random_state 42) on the same 80/20 split, each timed from arrays to trained model (no cache).
2. One epoch of 784-256-128-10, batch 128, on 60,000 rows of synthetic data through core.engine,
   against its floor: the exact matrix products one epoch needs, timed alone on this machine.
3. Realistic uploads made from the MNIST sample's t10k files (bench/uploads.py), read by
   ``python -m core.predict`` with the MNIST-format default model (trained only on the sample's train
   files) and with the 8x8 model, plus upload-to-prediction latency once the model is loaded.

The last line is ``acc=<test accuracy> sklearn_acc=<a> speedup_vs_sklearn=<x>``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from bench._table import table
from core import digits
from core.datasets import digits_arrays, make_dataset, mnist
from core.digits import images
from core.engine import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "mnist-sample"


def part_digits(repeats: int = 9) -> tuple[float, float, float]:
    digits_arrays()  # both sides start from the same arrays in memory
    cfg = digits.default_config("digits")
    ours, theirs = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = digits.compute(cfg)[0]  # load_data (split + augment) + fit: no cache
        ours.append((time.perf_counter() - t0, r))
        theirs.append(digits.sklearn_baseline("digits"))
    t_ours = min(t for t, _ in ours)
    r = ours[0][1]
    t_sk = min(b["seconds"] for b in theirs)
    acc, sk_acc = r.metrics["final_test_acc"], theirs[0]["acc"]
    print(table([
        {"model": "NN Lab default (100,50) relu, dropout 0.2, aug x2, early stop",
         "test acc": f"{acc:.4f}", f"seconds (best of {repeats})": f"{t_ours:.2f}",
         "epochs": f"{r.stopped_epoch} (best {r.best_epoch})"},
        {"model": "sklearn MLPClassifier (100,50) relu, max_iter 500",
         "test acc": f"{sk_acc:.4f}", f"seconds (best of {repeats})": f"{t_sk:.2f}",
         "epochs": str(theirs[0]["n_iter"])},
    ], "8x8 digits, tutorial split (1437 train / 360 test)"))
    pairs = [b["seconds"] / t for (t, _), b in zip(ours, theirs)]
    print(f"speedup per alternating pair (sklearn / ours): {' '.join(f'{x:.2f}' for x in pairs)}; "
          f"median {float(np.median(pairs)):.2f} (the summary line uses best against best)")
    print()
    return acc, sk_acc, t_sk / t_ours


def _matmul_floor(widths: list[int], B: int, N: int, reps: int = 1) -> tuple[float, float]:
    """(seconds, GFLOP/s): the GEMMs of one epoch alone, best of reps: forward, weight grads, input grads."""
    Ws = [torch.randn(o, i) for i, o in zip(widths[:-1], widths[1:])]
    hs = [torch.randn(B, w) for w in widths]
    gs = [torch.randn(B, w) for w in widths[1:]]
    steps = N // B
    flops = 0
    for li, W in enumerate(Ws):
        o, i = W.shape
        flops += 2 * B * i * o * (3 if li > 0 else 2)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            for li, W in enumerate(Ws):
                torch.mm(hs[li], W.t())  # forward
                torch.mm(gs[li].t(), hs[li])  # dL/dW
                if li > 0:
                    torch.mm(gs[li], W)  # dL/dh of the layer below
        best = min(best, time.perf_counter() - t0)
    return best, flops * steps / best / 1e9


def _plain_epoch(X: torch.Tensor, y: torch.Tensor, B: int, state: dict) -> float:
    """One epoch of the textbook loop (nn.Sequential, torch.optim.Adam, autograd), for context."""
    if not state:
        torch.manual_seed(0)
        state["net"] = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                           torch.nn.ReLU(), torch.nn.Linear(128, 10))
        state["opt"] = torch.optim.Adam(state["net"].parameters(), lr=1e-3)
    net, opt = state["net"], state["opt"]
    t0 = time.perf_counter()
    for idx in torch.randperm(len(X)).split(B):
        loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def part_epoch(N: int = 60_000, B: int = 128, reps: int = 9) -> dict[str, float]:
    """One epoch through core.engine and its GEMM floor, measured alternately (this machine's speed
    drifts by 10-40% over minutes; alternating keeps both sides in the same conditions), best of reps."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(N, 784, generator=g)
    y = torch.randint(0, 10, (N,), generator=g)
    data = make_dataset(X.numpy(), y.numpy(), X[:1000].numpy(), y[:1000].numpy(), task="multiclass", n_classes=10)
    cfg = TrainConfig(hidden=(256, 128), activation="relu", optimizer="adam", lr=1e-3, batch_size=B, epochs=100)
    tr = Trainer([cfg], data)
    tr.run(epochs=1)  # warm-up
    times, floors, ratios, plain = [], [], [], []
    gflops = 0.0
    plain_state: dict = {}
    for _ in range(reps):
        t0 = time.perf_counter()
        tr.run(epochs=1)
        times.append(time.perf_counter() - t0)
        f, gflops = _matmul_floor([784, 256, 128, 10], B, N)
        floors.append(f)
        ratios.append(times[-1] / f)
        plain.append(_plain_epoch(X, y, B, plain_state))
    epoch, floor, plain_epoch = min(times), min(floors), min(plain)
    # what the end-of-epoch evaluation (train sample, test rows) costs by itself
    t0 = time.perf_counter()
    tr._evaluate()
    evaluation = time.perf_counter() - t0
    rows = [
        {"what": "one epoch through core.engine (incl. its end-of-epoch evaluation)", "seconds": f"{epoch:.3f}",
         "x floor": f"{epoch / floor:.2f}"},
        {"what": "  of which the end-of-epoch evaluation", "seconds": f"{evaluation:.3f}", "x floor": ""},
        {"what": "  epoch without the evaluation", "seconds": f"{epoch - evaluation:.3f}",
         "x floor": f"{(epoch - evaluation) / floor:.2f}"},
        {"what": "the textbook loop (nn.Sequential + torch.optim.Adam + autograd, no evaluation)",
         "seconds": f"{plain_epoch:.3f}", "x floor": f"{plain_epoch / floor:.2f}"},
        {"what": f"floor: the epoch's GEMMs alone ({gflops:.0f} GFLOP/s in the last pair)",
         "seconds": f"{floor:.3f}", "x floor": "1.00"},
        {"what": "ratio per alternating pair (epoch / floor right after it)", "seconds": "",
         "x floor": " ".join(f"{r:.2f}" for r in ratios)},
        {"what": "  median of the pairs", "seconds": "", "x floor": f"{float(np.median(ratios)):.2f}"},
    ]
    print(table(rows, f"One MNIST-shaped epoch: 784-256-128-10, batch {B}, {N:,} synthetic rows (best of {reps})"))
    print()
    return {"epoch": epoch, "floor": floor, "eval": evaluation, "ratio": epoch / floor}


def _cli(dataset: str, paths: list[str], sample: Path) -> dict[str, str]:
    """Run the real CLI over the files; file -> the digit it printed (or 'error: ...')."""
    out: dict[str, str] = {}
    chunk = 400  # keep command lines short
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(0, len(paths), chunk):
        run = subprocess.run([sys.executable, "-m", "core.predict", "--dataset", dataset, "--data-dir", str(sample),
                              *paths[i:i + chunk]], capture_output=True, text=True, env=env, cwd=ROOT)
        if run.returncode not in (0, 1):
            raise SystemExit(f"core.predict failed: {run.stderr.strip()}")
        for line in run.stdout.splitlines():
            name, rest = line.split("\t", 1)
            out[name] = rest.split("\t")[0]
    return out


def part_uploads(sample: Path, n: int) -> dict[str, float]:
    from bench.uploads import make_uploads

    _, _, tei, tel = mnist.load_raw(sample)
    ups = make_uploads(tei[:n], tel[:n], seed=0)
    # train (or load from the cache) both default models first, as the CLI will
    t0 = time.perf_counter()
    model = digits.train(digits.default_config("mnist"), folder=sample)
    small = digits.train(digits.default_config("digits"))
    train_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data, _, _ in ups:
            p = Path(tmp) / name
            p.write_bytes(data)
            paths.append(str(p))
        t0 = time.perf_counter()
        got_m = _cli("mnist", paths, sample)
        cli_s = time.perf_counter() - t0
        got_d = _cli("digits", paths, sample)
    right_m, right_d, total = defaultdict(int), defaultdict(int), defaultdict(int)
    for p, (_, _, y, kind) in zip(paths, ups):
        total[kind] += 1
        right_m[kind] += got_m.get(p) == str(y)
        right_d[kind] += got_d.get(p) == str(y)
    # latency: bytes -> prediction, the model already loaded (what the page does per upload)
    lat = []
    for _, data, _, _ in ups[: min(len(ups), 300)]:
        t0 = time.perf_counter()
        steps = images.to_mnist(images.load_image(data))
        digits.predict(model, steps.x[None])
        lat.append(time.perf_counter() - t0)
    lat_ms = np.array(lat) * 1000
    rows = [{"kind": k, "n": total[k], "MNIST-format model": f"{right_m[k] / total[k]:.1%}",
             "8x8 model": f"{right_d[k] / total[k]:.1%}"} for k in total]
    n_all = sum(total.values())
    acc_m, acc_d = sum(right_m.values()) / n_all, sum(right_d.values()) / n_all
    rows.append({"kind": "ALL", "n": n_all, "MNIST-format model": f"{acc_m:.1%}", "8x8 model": f"{acc_d:.1%}"})
    print(table(rows, f"Realistic uploads from the sample's t10k digits, read by `python -m core.predict` "
                      f"(MNIST model trained on the sample's {4000} train digits)"))
    print(f"plain test accuracy of the same models: MNIST-format {model.metrics['final_test_acc']:.4f} "
          f"(sample t10k), 8x8 {small.metrics['final_test_acc']:.4f} (digits split)")
    print(f"upload -> prediction, model loaded: median {np.median(lat_ms):.1f} ms, p95 "
          f"{np.percentile(lat_ms, 95):.1f} ms, max {lat_ms.max():.1f} ms (goal < 100 ms); "
          f"CLI wall time for {n_all} files {cli_s:.1f} s (incl. start-up); training/loading models {train_s:.1f} s")
    print()
    return {"uploads_acc": acc_m, "uploads_acc_8x8": acc_d, "latency_ms": float(np.median(lat_ms))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    ap.add_argument("--n-uploads", type=int, default=1000)
    ap.add_argument("--skip-epoch", action="store_true")
    ap.add_argument("--skip-uploads", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script runs (numbers meaningless)")
    args = ap.parse_args()
    if args.smoke:
        args.n_uploads = min(args.n_uploads, 30)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    if not args.skip_uploads:
        if args.sample.is_dir():
            part_uploads(args.sample, args.n_uploads)
        else:
            print(f"(uploads skipped: no MNIST sample at {args.sample})\n")
    epoch = None
    if not args.skip_epoch:
        epoch = part_epoch(N=6_000, reps=1) if args.smoke else part_epoch()
    acc, sk_acc, speedup = part_digits(repeats=1 if args.smoke else 9)
    if epoch is not None:
        print(f"epoch_vs_floor={epoch['ratio']:.2f} (goal <= 1.5)")
    print(f"acc={acc:.4f} sklearn_acc={sk_acc:.4f} speedup_vs_sklearn={speedup:.2f}")


if __name__ == "__main__":
    main()
