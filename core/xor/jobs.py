"""The XOR Lab's jobs: the perceptron on logic gates, NumPy vs PyTorch on XOR, XOR over many seeds,
and the Playground (2-D data sets, features, many seeds, two settings compared, export).

Each job is a frozen config (see :mod:`core.config`) and a function that computes its result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.config import Config, param
from core.engine import TrainConfig, Trainer, TrainResult, activations, fit
from core.engine.models import Perceptron, PerceptronHistory
from core.serve.workload import Workload
from core.xor import workload
from core.xor.scratch import ScratchNet, solves_many

# ---- the perceptron --------------------------------------------------------------------------


@dataclass(frozen=True)
class PerceptronConfig(Config):
    """The tutorial's perceptron: lr 0.1, randn*0.01 weights, stops at an epoch with no errors."""

    kind: ClassVar[str] = "perceptron"

    gate: str = param("XOR", choices=tuple(datasets.GATES))
    lr: float = param(0.1, lo=1e-4, hi=10.0)
    epochs: int = param(100, lo=1, hi=10_000, cap="epochs")
    seed: int = param(42, lo=0, hi=2**31 - 1)

    def workload(self, data: Any = None) -> Workload:
        return workload.perceptron(self, data)


def run_perceptron(cfg: PerceptronConfig) -> tuple[PerceptronHistory, Perceptron]:
    """Train the perceptron on the gate's truth table; returns the history and the trained unit."""
    X, y = datasets.gate(cfg.gate)
    p = Perceptron(2, cfg.lr, cfg.seed)
    return p.fit(X, y, cfg.epochs), p


def _term(v: float, name: str, first: bool = False) -> str:
    """One signed term of a linear rule: '0.123·x1', '+ 0.010·x2', '− 0.010·x2' (never '+ -0.010', never '-0.000')."""
    v = round(float(v), 3) + 0.0  # + 0.0 turns -0.0 into 0.0
    body = f"{abs(v):.3f}{'·' + name if name else ''}"
    if first:
        return ("−" if v < 0 else "") + body
    return ("− " if v < 0 else "+ ") + body


def rule_text(w: np.ndarray, b: float) -> str:
    """The perceptron's rule in words with signs written once: 'output 1 when 0.100·x1 − 0.010·x2 + 0.000 > 0'."""
    return f"output 1 when {_term(w[0], 'x1', True)} {_term(w[1], 'x2')} {_term(b, '')} > 0"


def perceptron_verdict(cfg: PerceptronConfig, h: PerceptronHistory, p: Perceptron) -> str:
    """Whether the gate was learned, counting both things a reader may call 'mistakes': the updates the
    rule made during the last pass (a wrong answer at the moment each input came up) and the inputs the
    final line still gets wrong after that pass (the truth table's count)."""
    n = len(h.errors)
    X, y = datasets.gate(cfg.gate)
    wrong = int((p.predict(X) != y.astype(int)).sum())
    if h.converged:
        return (f"{cfg.gate} learned in {n} epoch{'s' * (n != 1)}: in the last pass over the four inputs the rule "
                "made no update (every answer was already right), so training stopped.")
    upd = h.errors[-1]
    best = best_linear_accuracy(cfg.gate)
    return (f"{cfg.gate} not learned after {n} epochs. During the last pass over the four inputs the rule made "
            f"{upd} update{'s' * (upd != 1)} (an input answered wrongly at the moment it came up moves the line); "
            f"after that pass the line gets {wrong} of 4 wrong (the table). The best any straight line can do "
            f"on {cfg.gate} is {best:.0%} of the points, so the rule keeps moving the line forever.")


def perceptron_lines(h: PerceptronHistory, lo: float = -0.5, hi: float = 1.5) -> pd.DataFrame:
    """The decision line w1*x1 + w2*x2 + b = 0 after each epoch, clipped to the box [lo, hi]^2.

    Returns epoch, x1, x2 (two rows per epoch; none where the weights are zero).
    """
    rows = []
    for epoch, (w, b) in enumerate(zip(h.weights, h.bias)):
        pts = _line_in_box(w[0], w[1], b, lo, hi)
        rows += [{"epoch": epoch, "x1": p[0], "x2": p[1], "end": i} for i, p in enumerate(pts)]
    return pd.DataFrame(rows, columns=["epoch", "x1", "x2", "end"])


def _line_in_box(w1: float, w2: float, b: float, lo: float, hi: float) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    if abs(w2) > 1e-12:
        for x1 in (lo, hi):
            x2 = -(w1 * x1 + b) / w2
            if lo - 1e-9 <= x2 <= hi + 1e-9:
                pts.append((x1, x2))
    if abs(w1) > 1e-12:
        for x2 in (lo, hi):
            x1 = -(w2 * x2 + b) / w1
            if lo - 1e-9 <= x1 <= hi + 1e-9:
                pts.append((x1, x2))
    uniq: list[tuple[float, float]] = []
    for p in pts:
        if all(abs(p[0] - q[0]) + abs(p[1] - q[1]) > 1e-9 for q in uniq):
            uniq.append(p)
    return uniq[:2]


def truth_table(cfg: PerceptronConfig, p: Perceptron) -> pd.DataFrame:
    """x1, x2, target, the perceptron's answer, and whether it is right."""
    X, y = datasets.gate(cfg.gate)
    out = p.predict(X)
    return pd.DataFrame({"x1": X[:, 0].astype(int), "x2": X[:, 1].astype(int), "target": y.astype(int),
                         "perceptron": out, "right": out == y.astype(int)})


def best_linear_accuracy(gate: str, steps: int = 181) -> float:
    """The best accuracy any straight line reaches on the gate (searched over angles and offsets).

    For XOR this is 0.75: no line splits the four points, which is why the perceptron never converges.
    """
    X, y = datasets.gate(gate)
    theta = np.linspace(0, np.pi, steps)
    W = np.stack([np.cos(theta), np.sin(theta)], 1)              # [A, 2] line normals
    proj = X @ W.T                                                # [4, A]
    cuts = np.concatenate([proj - 1e-6, proj + 1e-6])             # [8, A] offsets next to each point
    side = proj[None, :, :] > cuts[:, None, :]                    # [8, 4, A]
    right = (side == (y > 0.5)[None, :, None]).mean(1)            # [8, A]
    return float(np.maximum(right, 1 - right).max())


# ---- NumPy vs PyTorch on XOR -----------------------------------------------------------------


@dataclass(frozen=True)
class XorCompareConfig(Config):
    """The tutorial's two XOR solvers on the same 2-H-1 sigmoid network."""

    kind: ClassVar[str] = "xor-compare"

    hidden: int = param(4, lo=1, hi=16, cap="width")
    numpy_lr: float = param(0.5, lo=1e-4, hi=20.0)
    numpy_epochs: int = param(2000, lo=1, hi=20_000, cap="epochs")
    torch_lr: float = param(0.1, lo=1e-4, hi=5.0)
    torch_epochs: int = param(1000, lo=1, hi=20_000, cap="epochs")
    seed: int = param(42, lo=0, hi=2**31 - 1)

    def workload(self, data: Any = None) -> Workload:
        return workload.solvers(self, data)


@dataclass
class XorCompareResult:
    """Loss curves (epoch, loss, net), grids of output/hidden units, and final predictions."""

    losses: pd.DataFrame
    surface: pd.DataFrame      # x1, x2, p, net
    hidden: pd.DataFrame       # x1, x2, unit, a, net
    predictions: pd.DataFrame  # x1, x2, target, numpy, torch


def xor_torch_config(cfg: XorCompareConfig) -> TrainConfig:
    """The PyTorch XORNet of the tutorial as a TrainConfig (Adam, BCE, full batch)."""
    return TrainConfig(hidden=(cfg.hidden,), activation="sigmoid", optimizer="adam", lr=cfg.torch_lr,
                       epochs=cfg.torch_epochs, seed=cfg.seed)


def run_xor_compare(cfg: XorCompareConfig, grid_steps: int = 41) -> XorCompareResult:
    """Train both networks on XOR and evaluate them over the plane [-0.5, 1.5]^2."""
    X, y = datasets.gate("XOR")
    net = ScratchNet(2, cfg.hidden, cfg.seed)
    h = net.fit(X, y, cfg.numpy_lr, cfg.numpy_epochs)
    tr = Trainer([xor_torch_config(cfg)], datasets.make_dataset(X, y, task="binary"))
    tr.run(eval_every=1)
    res = tr.results()[0]

    g = _unit_grid(grid_steps)
    fw = net.forward(g.astype(np.float64))
    capture: list = []
    with torch.no_grad():
        logits = tr.forward(torch.as_tensor(g), capture=capture)
    p_torch = torch.sigmoid(logits)[0, :, 0].numpy()
    a_torch = capture[0][1][0].numpy()

    numpy_curve = pd.DataFrame({"epoch": np.arange(1, len(h.loss) + 1), "loss": h.loss,
                                "net": "NumPy (gradient descent, hand-written backprop)"})
    torch_curve = pd.DataFrame({"epoch": res.history.epoch, "loss": res.history.train_loss,
                                "net": "PyTorch (Adam, autograd)"})
    losses = pd.concat([numpy_curve, torch_curve], ignore_index=True)
    surface = pd.concat([
        pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": fw["a2"][:, 0], "net": "NumPy"}),
        pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": p_torch, "net": "PyTorch"}),
    ], ignore_index=True)
    hid = []
    for name, a in (("NumPy", fw["a1"]), ("PyTorch", a_torch)):
        for u in range(cfg.hidden):
            hid.append(pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "unit": f"h{u + 1}", "a": a[:, u], "net": name}))
    with torch.no_grad():
        p4 = torch.sigmoid(tr.forward(torch.as_tensor(X)))[0, :, 0].numpy()
    preds = pd.DataFrame({"x1": X[:, 0].astype(int), "x2": X[:, 1].astype(int), "target": y.astype(int),
                          "NumPy": net.predict_proba(X).round(3), "PyTorch": p4.round(3)})
    return XorCompareResult(losses, surface, pd.concat(hid, ignore_index=True), preds)


def hidden_units_caption(cfg: XorCompareConfig) -> str:
    """What the output neuron does with the hidden units' maps (the sentence under them)."""
    return (f"Each small map is one of the {cfg.hidden} hidden units' output over the plane (a sigmoid of a "
            "tilted plane: a soft step). The output neuron weights these maps, adds them and a bias, and passes "
            "the sum through its own sigmoid to get P(output = 1): XOR needs at least two hidden units.")


def numpy_solve_share(cfg: XorCompareConfig, n_seeds: int = 100) -> tuple[int, int]:
    """How many of seeds 0..n_seeds-1 the NumPy network solves XOR from, at cfg's NumPy settings: (solved, n)."""
    X, y = datasets.gate("XOR")
    ok = solves_many(range(n_seeds), X, y, cfg.hidden, cfg.numpy_lr, cfg.numpy_epochs)
    return int(ok.sum()), n_seeds


def numpy_share_sentence(solved_n: tuple[int, int], cfg: XorCompareConfig) -> str:
    """The share of seeds that solve, said plainly (from numpy_solve_share)."""
    k, n = solved_n
    s = (f"From {n} seeds at these settings (lr {cfg.numpy_lr:g}, {cfg.numpy_epochs:,} epochs, weights randn×0.5) "
         f"the NumPy network solves XOR {k} times out of {n}")
    if k == n:
        return s + ": every start gets there."
    return s + (f"; the other {n - k} start{'s' * (n - k != 1)} get stuck with at least one output on the wrong "
                "side of 0.5. Solving XOR from one seed is likely, not certain: tab ③ counts it for the "
                "PyTorch network.")


def _unit_grid(steps: int) -> np.ndarray:
    axis = np.linspace(-0.5, 1.5, steps, dtype=np.float32)
    g1, g2 = np.meshgrid(axis, axis)
    return np.stack([g1.ravel(), g2.ravel()], 1)


# ---- many seeds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedStudyConfig(TrainConfig):
    """One XOR network trained from ``n_seeds`` seeds at once. Defaults: the tutorial's XORNet."""

    kind: ClassVar[str] = "xor-seeds"

    hidden: tuple[int, ...] = param((4,), lo=1, hi=32, length=(1, 4), cap=("width", "layers"))
    activation: str = param("sigmoid", choices=activations.HIDDEN)
    lr: float = param(0.1, lo=1e-5, hi=10.0)
    epochs: int = param(1000, lo=1, hi=20_000, cap="epochs")
    n_seeds: int = param(100, lo=1, hi=1000, cap="seeds")
    first_seed: int = param(0, lo=0, hi=2**31 - 1)

    def train_configs(self) -> list[TrainConfig]:
        return [self.as_train(seed=self.first_seed + i) for i in range(self.n_seeds)]

    def workload(self, data: Any = None) -> Workload:
        return workload.seeds(self, data)


def solved(results: list[TrainResult]) -> np.ndarray:
    """Whether each model gets all four XOR outputs on the right side of 0.5: [K] bool."""
    return np.array([r.metrics.get("final_train_acc", 0.0) == 1.0 for r in results])


def run_seed_study(cfg: SeedStudyConfig, progress=None) -> list[TrainResult]:
    """Train every seed together (batched); results in seed order."""
    X, y = datasets.gate("XOR")
    return fit(cfg.train_configs(), datasets.make_dataset(X, y, task="binary"), progress=progress)


RETRY_FACTOR = 10  # a failed seed is retrained this many times longer to see whether more epochs help


def retry_longer(cfg: SeedStudyConfig, results: list[TrainResult],
                 factor: int = RETRY_FACTOR) -> dict[int, TrainResult]:
    """Retrain every failed seed of a study ``factor`` times longer (one batched run).

    Returns {index in results: the longer run's result}; empty when every seed solved.
    """
    ok = solved(results)
    failed = [i for i in range(len(results)) if not ok[i]]
    if not failed:
        return {}
    X, y = datasets.gate("XOR")
    cfgs = [results[i].config.as_train(epochs=results[i].config.epochs * factor) for i in failed]
    longer = fit(cfgs, datasets.make_dataset(X, y, task="binary"))
    return dict(zip(failed, longer))


def retry_sentence(cfg: SeedStudyConfig, longer: dict[int, TrainResult], factor: int = RETRY_FACTOR) -> str | None:
    """How many failed seeds solve when trained ``factor`` times longer (None when none failed)."""
    if not longer:
        return None
    ok = solved(list(longer.values()))
    seeds = [cfg.first_seed + i for i, good in zip(longer, ok) if good]
    n, k = len(longer), int(ok.sum())
    s = (f"Trained {factor}x longer ({cfg.epochs * factor:,} epochs), {k} of the {n} failed seed{'s' * (n != 1)} "
         f"solve{'s' * (k == 1)} XOR")
    if k:
        s += f" (seed{'s' * (k != 1)} {', '.join(str(x) for x in seeds)})"
    if k == n:
        return s + ": they were on slow plateaus, and more epochs were all they needed."
    return s + (f"; the other {n - k} stay stuck, so for them more epochs do not help: a new seed, more hidden "
                "units or another learning rate does.")


def diagnose(result: TrainResult, longer: TrainResult | None = None) -> dict:
    """Why one XOR network failed: its outputs, its hidden units on the four inputs, its gradient.

    longer: the same seed trained longer (from retry_longer); only then do the findings say whether more
    epochs help. Returns {"outputs": DataFrame, "units": DataFrame (unit, input, z, a, slope), "findings": [str],
    "grad_norm", "loss"}.
    """
    X, y = datasets.gate("XOR")
    net = result.model().double()
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    first = net[0]
    act = activations.get(result.config.activation)
    with torch.no_grad():
        z = first(Xt)
        a = act(z)
        out = torch.sigmoid(net(Xt))[:, 0]
    slope = activations.derivative(act, z.reshape(-1)).reshape(z.shape)
    net.zero_grad()
    loss_t = torch.nn.functional.binary_cross_entropy_with_logits(net(Xt)[:, 0], yt)
    loss_t.backward()
    loss = float(loss_t.detach())
    gnorm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in net.parameters()))
    units = []
    for u in range(z.shape[1]):
        for i in range(4):
            units.append({"unit": f"h{u + 1}", "input": f"({int(X[i, 0])},{int(X[i, 1])})",
                          "z": float(z[i, u]), "a": float(a[i, u]), "slope": float(slope[i, u])})
    units_df = pd.DataFrame(units)
    findings: list[str] = []
    wrong = [f"({int(X[i, 0])},{int(X[i, 1])})" for i in range(4) if (out[i] > 0.5) != (y[i] > 0.5)]
    if wrong:
        findings.append(f"Wrong on {', '.join(wrong)}: the output there is on the wrong side of 0.5.")
    names = [f"({int(X[i, 0])},{int(X[i, 1])})" for i in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            if y[i] != y[j] and float((a[i] - a[j]).abs().max()) < 0.05:
                findings.append(f"The hidden layer maps {names[i]} and {names[j]} to almost the same values, "
                                "so the output neuron cannot give them different answers.")
    per_unit = units_df.groupby("unit")
    for unit, g in per_unit:
        if (g["slope"].abs() < 1e-3).all():
            kind = "dead (no output, no gradient)" if (g["a"].abs() < 1e-6).all() else "saturated"
            findings.append(f"Unit {unit} is {kind} on all four inputs: its slope is below 0.001, so almost "
                            "no gradient reaches its weights.")
        elif g["a"].max() - g["a"].min() < 0.05:
            findings.append(f"Unit {unit} gives nearly the same output ({g['a'].mean():.2f}) for all four "
                            "inputs: it carries no information about them.")
    if gnorm < 1e-3:
        findings.append(f"The gradient has all but vanished (norm {gnorm:.1e}) while the loss is "
                        f"{float(loss):.3f}: training sits on a flat region (a saddle or a local minimum), "
                        "where each step barely moves the weights.")
    else:
        findings.append(f"The gradient norm is still {gnorm:.2e} with loss {float(loss):.3f}: it may "
                        "still be crawling out of a plateau.")
    if longer is not None:
        e = longer.config.epochs
        if solved([longer])[0]:
            findings.append(f"Trained longer ({e:,} epochs) from the same seed, it does solve XOR: here more "
                            "epochs help.")
        else:
            findings.append(f"Trained longer ({e:,} epochs) from the same seed, it still fails (loss "
                            f"{longer.metrics.get('final_train_loss', float('nan')):.3f}): here more epochs do "
                            "not help.")
    outputs = pd.DataFrame({"x1": X[:, 0].astype(int), "x2": X[:, 1].astype(int), "target": y.astype(int),
                            "output": out.numpy().round(3)})
    return {"outputs": outputs, "units": units_df, "findings": findings, "grad_norm": gnorm,
            "loss": float(loss)}
