"""Benchmark: the tutorial's PyTorch XORNet on seeds 0..99, one by one vs all at once (batched).

    python -m bench.xor_seeds [--seeds 100]

Checks that both give the same solved/unsolved verdict per seed and final losses within 1e-4, then
times the XOR Lab page with AppTest (first render on an empty cache, rerun on a warm cache).
Last line: speedup=<x> solved=<k>/100
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _timing as timing  # noqa: E402
from bench._table import table  # noqa: E402
from core import datasets, xor  # noqa: E402


def plain(seed: int, epochs: int = 1000) -> tuple[float, bool]:
    """The tutorial's loop: nn.Module, BCELoss, torch.optim.Adam(lr=0.1), full batch."""
    X, y = datasets.gate("XOR")
    X, y = torch.tensor(X), torch.tensor(y).view(-1, 1)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    loss_fn = nn.BCELoss()
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        out = net(X)
        return float(loss_fn(out, y)), bool(((out > 0.5).float() == y).all())


def page_times() -> tuple[float, float]:
    """XOR Lab via AppTest: first render with empty caches, then a rerun (warm)."""
    from streamlit.testing.v1 import AppTest

    os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")
    warm_imports = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    warm_imports.run()  # imports torch/altair/sklearn once, as a running server already has
    os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")
    return timing.page_times("app_pages/xor_lab.py", timeout=300, reruns=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=100)
    args = ap.parse_args()
    n = args.seeds
    torch.set_num_threads(torch.get_num_threads())

    t = time.perf_counter()
    ref = [plain(s) for s in range(n)]
    t_plain = time.perf_counter() - t

    cfg = xor.SeedStudyConfig(n_seeds=n)
    xor.run_seed_study(xor.SeedStudyConfig(n_seeds=2, epochs=5))  # warm-up: first-call overheads
    t = time.perf_counter()
    res = xor.run_seed_study(cfg)
    t_batch = time.perf_counter() - t

    ok = xor.solved(res)
    same_verdict = sum(int(ok[s] == ref[s][1]) for s in range(n))
    max_diff = max(abs(res[s].metrics["final_train_loss"] - ref[s][0]) for s in range(n))
    rows = [
        {"method": "plain loop (nn.Module + torch.optim)", "models": n, "seconds": f"{t_plain:.2f}",
         "ms/model": f"{1000 * t_plain / n:.1f}", "solved": f"{sum(r[1] for r in ref)}/{n}"},
        {"method": "batched (core.engine, one stack)", "models": n, "seconds": f"{t_batch:.3f}",
         "ms/model": f"{1000 * t_batch / n:.2f}", "solved": f"{int(ok.sum())}/{n}"},
    ]
    print(table(rows, f"XORNet 2-4-1 sigmoid, BCE, Adam lr 0.1, 1000 epochs, seeds 0..{n - 1}"))
    print(f"\nsame verdict for {same_verdict}/{n} seeds; largest final-loss difference {max_diff:.2e} "
          f"({'within' if max_diff <= 1e-4 else 'OVER'} 1e-4)")

    first, warm = page_times()
    print(table([
        {"XOR Lab page (AppTest)": "first render, empty cache", "seconds": f"{first:.2f}", "goal": "< 2"},
        {"XOR Lab page (AppTest)": "rerun, warm cache", "seconds": f"{warm:.3f}", "goal": "< 0.3"},
    ]))
    print(f"speedup={t_plain / t_batch:.0f} solved={int(ok.sum())}/{n}")


if __name__ == "__main__":
    main()
