"""The engine's CNN (core.engine.conv) against the MLP, and stacked CNNs against one by one.

    python -m bench.cnn [--sample DIR] [--repeats 3] [--seeds 8] [--skip-accuracy] [--smoke]

1. Speed: ``--seeds`` CNNs that differ only in seed, trained as one stack (grouped convolutions) and one
   by one, on the 8x8 digits and on the MNIST sample (fixed epochs, no early stopping, no augmented
   copies, so both sides do the same work); sides alternate, best of ``--repeats``; torch on one thread
   (the machine has 2 cores shared with others). Checks the stacked models equal the lone ones.
2. Accuracy: the Digit Recognizer's default MLP and a CNN with the same training settings and a similar
   parameter count, on the 8x8 digits and on the MNIST sample's split (4,000 train / 1,000 test digits),
   each timed from arrays to trained model (no cache).

Last line: ``cnn_sample=<pct> mlp_sample=<pct> cnn_params=<n> mlp_params=<n> stacked_speedup=<x>``
(stacked_speedup: one by one / stacked on the MNIST sample).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch

from bench._table import table
from core import digits
from core.digits.jobs import DigitsCnn, DigitsConfig, load_data
from core.engine import Trainer, fit
from core.engine.conv import n_params

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = next((p for p in (ROOT.parent / "shared" / "data" / "mnist-sample", ROOT.parents[1] / "shared" / "data" /
                            "mnist-sample") if p.is_dir()), ROOT.parent / "shared" / "data" / "mnist-sample")


def cnn_for(dataset: str) -> DigitsCnn:
    """The CNN beside the page's default MLP: its training settings and data, conv layers (6, 16) 5x5, and
    a dense head that brings it near the MLP's parameter count (8x8: 12.2k vs 12.1k; 28x28: 206k vs 235k)."""
    mlp = digits.default_config(dataset)
    values = {f.name: getattr(mlp, f.name) for f in dataclasses.fields(mlp) if f.name != "model"}
    return DigitsCnn(**{**values, "hidden": (128,) if dataset == "digits" else (256,), "channels": (6, 16),
                        "kernel": 5})


def mlp_params(n_in: int, hidden: tuple[int, ...], n_out: int) -> int:
    widths = [n_in, *hidden, n_out]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def stacked_vs_alone(name: str, cfg: DigitsCnn, folder: Path | None, seeds: int, repeats: int) -> dict:
    """Best-of-repeats seconds of seeds CNNs as one stack and one by one (alternating), and their agreement."""
    data = load_data(cfg, folder)
    cfgs = [cfg.replace(seed=s) for s in range(seeds)]

    def run(group: list) -> tuple[float, list]:
        t0 = time.perf_counter()
        tr = Trainer(group, data)
        tr.helpers = False  # no helper threads: both sides on one core
        tr.run_unguarded()
        results = tr.results()
        return time.perf_counter() - t0, results

    stacked, alone, pairs = [], [], []
    together: list = []
    lone: list = []
    for _ in range(repeats):
        t, together = run(cfgs)
        stacked.append(t)
        t1, lone = 0.0, []
        for c in cfgs:
            ti, r = run([c])
            t1 += ti
            lone += r
        alone.append(t1)
        pairs.append(t1 / t)
    acc_diff = max(abs(a.metrics["final_test_acc"] - b.metrics["final_test_acc"]) for a, b in zip(together, lone))
    w_diff = max(float((a.state[k] - b.state[k]).abs().max()) for a, b in zip(together, lone) for k in a.state)
    return {"data": name, "models": seeds, "epochs": cfg.epochs, "rows/epoch": len(data.X_train),
            f"stacked s (best of {repeats})": f"{min(stacked):.2f}", f"one by one s (best of {repeats})":
            f"{min(alone):.2f}", "speedup": f"{min(alone) / min(stacked):.2f}",
            "pairs": " ".join(f"{p:.2f}" for p in pairs),
            "max |test acc diff|": f"{acc_diff:.4f}", "max |weight diff|": f"{w_diff:.1e}"}


def accuracy_row(model: str, cfg: DigitsConfig, folder: Path | None, params: int) -> tuple[dict, float]:
    t0 = time.perf_counter()
    data = load_data(cfg, folder)
    r = fit([cfg], data)[0]
    seconds = time.perf_counter() - t0
    acc = r.metrics["final_test_acc"]
    return {"model": model, "params": f"{params:,}", "test acc": f"{acc:.4f}", "train s": f"{seconds:.1f}",
            "epochs": f"{r.stopped_epoch} (best {r.best_epoch})",
            "s/epoch": f"{seconds / max(1, r.stopped_epoch):.2f}"}, acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script runs (numbers meaningless)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread\n")
    smoke = args.smoke
    limit = 300 if smoke else 0

    # 1. speed: one stack of grouped convolutions vs one model at a time
    speed_rows = []
    fixed = {"patience": 0, "augment_copies": 0, "train_limit": limit}
    speed_rows.append(stacked_vs_alone("8x8 digits", cnn_for("digits").replace(epochs=2 if smoke else 10, **fixed),
                                       None, args.seeds, args.repeats))
    speedup = float("nan")
    if args.sample.is_dir():
        speed_rows.append(stacked_vs_alone("MNIST sample", cnn_for("mnist").replace(epochs=1 if smoke else 2, **fixed),
                                           args.sample, args.seeds, args.repeats))
        speedup = float(speed_rows[-1]["speedup"])
    print(table(speed_rows, f"{args.seeds} CNNs (seeds 0-{args.seeds - 1}): one stack (grouped convolutions) "
                            "vs one by one; fixed epochs, no early stopping"))
    print()

    # 2. accuracy at a similar parameter count, each side as the Digit Recognizer would train it
    accs = {}
    if not args.skip_accuracy:
        for dataset, folder, label in (("digits", None, "8x8 digits (1437 train / 360 test)"),
                                       ("mnist", args.sample, "MNIST sample (4,000 train / 1,000 test)")):
            if dataset == "mnist" and not args.sample.is_dir():
                print(f"(MNIST sample not found at {args.sample})")
                continue
            mlp, cnn = digits.default_config(dataset), cnn_for(dataset)
            if smoke:
                mlp, cnn = (c.replace(epochs=2, train_limit=limit) for c in (mlp, cnn))
            side = digits.SIDE[dataset]
            rows = []
            row, accs[("mlp", dataset)] = accuracy_row(f"MLP {'-'.join(map(str, (side * side, *mlp.hidden, 10)))}",
                                                       mlp, folder, mlp_params(side * side, mlp.hidden, 10))
            rows.append(row)
            row, accs[("cnn", dataset)] = accuracy_row(
                f"CNN conv{cnn.kernel}x{cnn.kernel} {cnn.channels[0]}-{cnn.channels[1]}, pool, "
                f"dense {'-'.join(map(str, (*cnn.hidden, 10)))}", cnn, folder, n_params(cnn, side, 10))
            rows.append(row)
            print(table(rows, f"{label}: same training settings (Adam lr {mlp.lr:g}, batch {mlp.batch_size}, "
                              f"dropout {mlp.dropout:g}, {mlp.augment_copies} augmented copies, early stopping "
                              f"patience {mlp.patience}), seed 0, from arrays"))
            print()
    sample_cnn, sample_mlp = cnn_for("mnist"), digits.default_config("mnist")
    pct = lambda k: f"{100 * accs[k]:.1f}" if k in accs else "nan"  # noqa: E731
    print(f"cnn_sample={pct(('cnn', 'mnist'))} mlp_sample={pct(('mlp', 'mnist'))} "
          f"cnn_params={n_params(sample_cnn, 28, 10)} mlp_params={mlp_params(784, sample_mlp.hidden, 10)} "
          f"stacked_speedup={speedup:.2f}")


if __name__ == "__main__":
    main()
