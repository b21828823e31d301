"""Teach it: fine-tune a trained digit model on a student's own corrected drawings, without forgetting.

A few epochs over the drawings (each with a few seeded augmented copies, so the lesson is "this shape",
not "these exact pixels") mixed in every step with a fresh seeded sample of the model's training rows,
so the rest of what it knows stays. The original model is never changed; a new TrainResult comes back
with its test accuracy measured again. Nothing is written anywhere: the caller keeps the drawings
(the page keeps them in the session only).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import torch

from core.digits import jobs
from core.digits.workload import cnn_price
from core.engine import TrainResult
from core.serve.workload import DataShape, Lower, Net, Stack, Workload

EPOCHS = 40
COPIES = 8  # augmented copies of each drawing per epoch
MIX = 256  # training rows mixed into every step
LR = 3e-3  # 1e-3 for 30 steps left a drawn L labelled 7 still read as 5: the mixed-in rows outweighed it


@dataclass
class Tuned:
    """A fine-tuned model and what it took: result, seconds, test accuracy before and after (NaN: not measured)."""

    result: TrainResult
    seconds: float
    acc_before: float
    acc_after: float
    drawings: int


def workload(result: TrainResult, n_drawings: int, n_test: int = 0, epochs: int = EPOCHS, copies: int = COPIES,
             mix: int = MIX) -> Workload:
    """What :func:`finetune` trains, for the price: ``epochs`` full-batch steps of the model on the drawings,
    their copies and ``mix`` training rows, then the test rows read twice (before and after)."""
    rows = n_drawings * (1 + copies) + mix
    data = DataShape(rows, int(result.n_in), int(result.n_out), 2 * n_test)
    if jobs.is_cnn(result.config):  # its convolutions, priced as the CNN's training is: full-batch steps
        cfg = result.config.replace(epochs=epochs, batch_size=0, patience=0)  # type: ignore[attr-defined]
        return Workload(beside=cnn_price([cfg], data), lower=(Lower("fewer drawings"),))
    net = Net(tuple(result.config.hidden), epochs, rows, 0, float(result.config.dropout))
    return Workload((Stack((net,), data),), lower=(Lower("fewer drawings"),))


def _accuracy(net: torch.nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((net(torch.as_tensor(X)).argmax(1).numpy() == y).mean())


def _adam(params: list[torch.Tensor], grads, m1: list[torch.Tensor], m2: list[torch.Tensor], t: int, lr: float,
          b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> None:
    """One Adam step in place (torch.optim's rule; its first import costs seconds on a busy machine)."""
    with torch.no_grad():
        for p, g, m, v in zip(params, grads, m1, m2):
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / (1 - b2 ** t)).sqrt_().add_(eps)
            p.addcdiv_(m, denom, value=-lr / (1 - b1 ** t))


def finetune(result: TrainResult, X_new: np.ndarray, y_new: np.ndarray, X_train: np.ndarray, y_train: np.ndarray,
             X_test: np.ndarray | None = None, y_test: np.ndarray | None = None, epochs: int = EPOCHS,
             copies: int = COPIES, mix: int = MIX, lr: float = LR, seed: int = 0) -> Tuned:
    """Fine-tune on drawings X_new [n, F] with labels y_new [n] (0-9), mixing in rows of X_train [N, F] / y_train.

    Each epoch is one Adam step on: the drawings, ``copies`` augmented copies of each, and ``mix`` training
    rows; dropout stays as trained. With X_test/y_test the test accuracy is measured before and after.
    """
    t0 = time.perf_counter()
    if len(X_new) == 0:
        raise ValueError("nothing to learn from: no drawings")
    X_new = np.asarray(X_new, np.float32).reshape(len(X_new), -1)
    y_new = np.asarray(y_new, np.int64)
    if X_new.shape[1] != result.n_in:
        raise ValueError(f"drawings have {X_new.shape[1]} pixels; the model reads {result.n_in}")
    side = int(round(result.n_in ** 0.5))
    net = result.model()
    before = _accuracy(net, X_test, y_test) if X_test is not None else float("nan")
    g = torch.Generator().manual_seed(seed + 4_242)
    rng = np.random.default_rng(seed + 4_243)
    params = list(net.parameters())
    m1 = [torch.zeros_like(q) for q in params]
    m2 = [torch.zeros_like(q) for q in params]
    net.train()
    for e in range(epochs):
        extra = jobs.augment_images(X_new, 0.5, copies, seed + e, side) if copies else X_new[:0]
        pick = rng.choice(len(X_train), min(mix, len(X_train)), replace=False)
        X = np.concatenate([X_new, extra, X_train[pick]])
        y = np.concatenate([y_new] + [y_new] * copies + [y_train[pick]])
        perm = torch.randperm(len(X), generator=g)
        xb, yb = torch.as_tensor(X)[perm], torch.as_tensor(y)[perm]
        loss = torch.nn.functional.cross_entropy(net(xb), yb)
        grads = torch.autograd.grad(loss, params)
        _adam(params, grads, m1, m2, e + 1, lr)
    net.eval()
    after = _accuracy(net, X_test, y_test) if X_test is not None else float("nan")
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    metrics = dict(result.metrics)
    if X_test is not None:
        metrics["final_test_acc"] = after
    extra_info = {k: v for k, v in result.extra.items() if not k.startswith("_")}
    extra_info["finetuned_on"] = int(len(X_new))
    tuned = dataclasses.replace(result, state=state, metrics=metrics, extra=extra_info)
    return Tuned(tuned, time.perf_counter() - t0, before, after, int(len(X_new)))
