"""Benchmark: the Activation Explorer's default comparison, one model after another vs all at once.

    python -m bench.activations [--seeds 3] [--epochs 50] [--no-page]

The page's default comparison: an MLP 64-128-64-10 on sklearn's digits (80/20 split, random_state
42), Adam lr 1e-3, batch 64, 50 epochs, for 8 activations x 3 seeds. First a plain loop trains the
24 models one by one the tutorial's way (nn.Sequential of torch.nn layers, torch.optim.Adam,
cross-entropy, minibatches), starting from the same weights and visiting the batches in the same
order as the batched trainer; then core.engine trains all 24 in one stack. Checks each model's test
accuracy agrees within 0.5 point, prints the side-by-side table, then times the page's learning tab
with AppTest (cold: empty caches; warm: from the disk cache in a fresh session with memory caches
cleared). Last line: speedup=<x> relu_acc=<a>
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import table  # noqa: E402
from bench._timing import open_page, timed_run  # noqa: E402
from core import explorer  # noqa: E402
from core.engine import TrainConfig, fit  # noqa: E402
from core.engine.activations import REGISTRY  # noqa: E402

TORCH_LAYERS = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU, "softplus": nn.Softplus,
}


def plain(cfg: TrainConfig, ds) -> float:
    """One model, the tutorial's way; returns its test accuracy."""
    torch.manual_seed(cfg.seed)  # same creation order as core.engine.models.build_mlp: same initial weights
    widths = [ds.n_features, *cfg.hidden]
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), TORCH_LAYERS[cfg.activation]()]
    net = nn.Sequential(*layers, nn.Linear(widths[-1], ds.n_outputs))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(cfg.seed)  # the batched trainer's per-model shuffle
    X, y = ds.X_train, ds.y_train
    for _ in range(cfg.epochs):
        net.train()
        perm = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            opt.zero_grad()
            loss = loss_fn(net(X[idx]), y[idx])
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        return float((net(ds.X_test).argmax(1) == ds.y_test).float().mean())


def page_times() -> tuple[float, float]:
    """The page's learning tab via AppTest: cold (empty caches) and warm (disk cache only)."""
    import streamlit as st

    os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")
    # imports torch/altair/sklearn and the page once, as a running server already has
    open_page("app_pages/activation_explorer.py").run()
    st.cache_resource.clear()
    st.cache_data.clear()
    os.environ["NNLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="nnlab-bench-")

    def open_learning_tab() -> float:
        at = open_page("app_pages/activation_explorer.py", {"tab": "learn"})
        dt = timed_run(at)
        assert any("Best:" in c.value for c in at.caption), "the comparison did not render"
        return dt

    cold = open_learning_tab()
    st.cache_resource.clear()  # forget the in-memory results: what a restarted server sees
    st.cache_data.clear()
    warm = open_learning_tab()
    return cold, warm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=explorer.CompareConfig().epochs)
    ap.add_argument("--no-page", action="store_true", help="skip the AppTest page timings")
    ap.add_argument("--threads", type=int, default=0, help="torch threads for both loops (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = explorer.CompareConfig(n_seeds=args.seeds, epochs=args.epochs)
    ds = explorer.compare_data(cfg.dataset)
    configs = cfg.train_configs()
    print(f"{len(configs)} models: {'-'.join(map(str, (ds.n_features, *cfg.hidden, ds.n_outputs)))} on digits, "
          f"{cfg.optimizer} lr {cfg.lr:g}, batch {cfg.batch_size}, {cfg.epochs} epochs, "
          f"{torch.get_num_threads()} threads", flush=True)

    plain_acc, plain_sec = [], []
    cpu = time.process_time()
    for c in configs:
        t = time.perf_counter()
        plain_acc.append(plain(c, ds))
        plain_sec.append(time.perf_counter() - t)
    t_plain, cpu_plain = sum(plain_sec), time.process_time() - cpu
    print(f"plain loop: {t_plain:.1f} s (process CPU {cpu_plain:.1f} s)", flush=True)

    fit(explorer.CompareConfig(n_seeds=1, epochs=1).train_configs(), ds)  # warm-up: first-call overheads
    t, cpu = time.perf_counter(), time.process_time()
    results = fit(configs, ds, eval_every=cfg.epochs)  # like the plain loop: evaluate at the end only
    t_batch, cpu_batch = time.perf_counter() - t, time.process_time() - cpu
    batch_acc = [r.metrics["final_test_acc"] for r in results]
    t = time.perf_counter()
    explorer.run_compare(cfg)  # what the page runs: test metrics every epoch for the curves
    t_page_fit = time.perf_counter() - t

    diff = np.abs(np.array(plain_acc) - np.array(batch_acc)) * 100
    rows = []
    n = cfg.n_seeds
    for i, name in enumerate(cfg.functions):
        pa, ba = np.array(plain_acc[i * n:(i + 1) * n]), np.array(batch_acc[i * n:(i + 1) * n])
        rows.append({"activation": REGISTRY[name].label,
                     "plain acc": f"{pa.mean():.4f}", "plain spread": f"{pa.max() - pa.min():.4f}",
                     "plain s": f"{sum(plain_sec[i * n:(i + 1) * n]):.2f}",
                     "batched acc": f"{ba.mean():.4f}", "batched spread": f"{ba.max() - ba.min():.4f}",
                     "max |diff| (points)": f"{diff[i * n:(i + 1) * n].max():.2f}"})
    rows.append({"activation": "all", "plain acc": f"{np.mean(plain_acc):.4f}", "plain spread": "",
                 "plain s": f"{t_plain:.2f}", "batched acc": f"{np.mean(batch_acc):.4f}",
                 "batched spread": f"batched s: {t_batch:.2f}", "max |diff| (points)": f"{diff.max():.2f}"})
    print(table(rows, f"{len(configs)} models, one by one (plain) vs one stack (batched)"))
    same = int((diff <= 0.5).sum())
    print(f"\nsame test accuracy (within 0.5 point) for {same}/{len(configs)} models"
          f"{'' if same == len(configs) else '  <-- MISMATCH'}")
    print(f"process CPU seconds: plain {cpu_plain:.1f}, batched {cpu_batch:.1f} (ratio {cpu_plain / cpu_batch:.1f}; "
          "wall-clock is what counts, CPU time shows how much of it other processes took)")
    print(f"the page's run (test metrics every epoch): {t_page_fit:.2f} s")
    if not args.no_page:
        cold, warm = page_times()
        print(table([
            {"Activation Explorer, learning tab (AppTest)": "cold: empty caches, trains", "seconds": f"{cold:.2f}",
             "goal": "< 15"},
            {"Activation Explorer, learning tab (AppTest)": "warm disk cache, fresh memory", "seconds": f"{warm:.2f}",
             "goal": "< 2"},
        ]))
    relu = [a for c, a in zip(configs, batch_acc) if c.activation == "relu"]
    print(f"speedup={t_plain / t_batch:.1f} relu_acc={np.mean(relu):.4f}")


if __name__ == "__main__":
    main()
