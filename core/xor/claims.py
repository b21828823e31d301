"""Every lesson and verdict XOR Lab (and Home's first chart) states, as claims of the runs' numbers.

Each function returns its sentence only when the numbers hold it, else the sentence that is true (or
nothing); ``defaults`` runs the page's default job. Imports of the jobs (and so of torch) happen inside
the functions: Home imports this module before torch is loaded.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from core.claims import Said, claim, said

if TYPE_CHECKING:
    import pandas as pd

    from core.engine import TrainResult
    from core.engine.models import Perceptron, PerceptronHistory
    from core.xor.first_look import FirstLook
    from core.xor.jobs import PerceptronConfig, SeedStudyConfig, XorCompareConfig
    from core.xor.playground import LossFindings
    from core.xor.surfaces import NetVerdict, SeedSummary

PAGE = "XOR Lab"
CLEAR = 0.05  # a point nearer the line than this (in input units; the plot spans 2) is drawn on it


# ---- default jobs, run once per process ------------------------------------------------------------
@functools.cache
def _perceptron(gate: str, epochs: int) -> tuple[Any, Any, Any]:
    from core.xor import jobs as xor
    cfg = xor.PerceptronConfig(gate=gate, epochs=epochs)
    h, p = xor.run_perceptron(cfg)
    return cfg, h, p


def four_gates(base: PerceptronConfig | None = None) -> dict[str, tuple[np.ndarray, float, bool]]:
    """The four gates as the perceptron tab's small multiples train them: gate -> (w, b, converged)."""
    from core import datasets
    from core.xor import jobs as xor
    base = base or xor.PerceptronConfig()
    out = {}
    for g in datasets.GATES:
        cfg = base.replace(gate=g, epochs=1000 if g == "XOR" else max(100, base.epochs))
        h, _ = xor.run_perceptron(cfg)
        out[g] = (np.asarray(h.weights[-1], dtype=np.float64), float(h.bias[-1]), bool(h.converged))
    return out


@functools.cache
def _compare() -> tuple[Any, Any]:
    from core.xor import jobs as xor
    cfg = xor.XorCompareConfig()
    return cfg, xor.run_xor_compare(cfg)


@functools.cache
def _seed_study() -> tuple[Any, list, dict]:
    from core.xor import jobs as xor
    cfg = xor.SeedStudyConfig()
    res = xor.run_seed_study(cfg)
    return cfg, res, xor.retry_longer(cfg, res)


@functools.cache
def _playground() -> tuple[Any, Any, Any]:
    from core.xor.playground import PlaygroundConfig, make_points, new_trainer
    cfg = PlaygroundConfig()
    pts = make_points(cfg)
    tr = new_trainer(cfg, pts)
    tr.run()
    return cfg, pts, tr


# ---- ① Perceptron --------------------------------------------------------------------------------------
def _perceptron_default() -> Said:
    cfg, h, p = _perceptron("XOR", 100)
    return perceptron_verdict(cfg, h, p)


@claim("xor.perceptron_learned", page=PAGE, tab="① Perceptron",
       condition="the perceptron finished an epoch with no update (converged)", defaults=_perceptron_default)
def perceptron_verdict(cfg: PerceptronConfig, h: PerceptronHistory, p: Perceptron) -> Said:
    """Whether the gate was learned, counting both things a reader may call 'mistakes': the updates the
    rule made during the last pass and the inputs the final line still gets wrong after it."""
    from core import datasets
    from core.xor.jobs import best_linear_accuracy
    n = len(h.errors)
    X, y = datasets.gate(cfg.gate)
    wrong = int((p.predict(X) != y.astype(int)).sum())
    upd = h.errors[-1]
    best = best_linear_accuracy(cfg.gate)
    return said(
        h.converged,
        f"{cfg.gate} learned in {n} epoch{'s' * (n != 1)}: in the last pass over the four inputs the rule "
        "made no update (every answer was already right), so training stopped.",
        f"{cfg.gate} not learned after {n} epochs. During the last pass over the four inputs the rule made "
        f"{upd} update{'s' * (upd != 1)} (an input answered wrongly at the moment it came up moves the line); "
        f"after that pass the line gets {wrong} of 4 wrong (the table). The best any straight line can do "
        f"on {cfg.gate} is {best:.0%} of the points, so the rule keeps moving the line forever.",
        gate=cfg.gate, epochs=n, converged=bool(h.converged), last_updates=int(upd), wrong=wrong, best_line=best,
    )


def _distances(gate: str, w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
    from core import datasets
    X, _ = datasets.gate(gate)
    s = X.astype(np.float64) @ w + b
    return X, np.abs(s) / max(float(np.linalg.norm(w)), 1e-12)


def _four_gates_default() -> Said:
    return perceptron_lines_clear(four_gates())


@claim("xor.perceptron_line_clear", page=PAGE, tab="① Perceptron",
       condition=f"every learned gate's final line is at least {CLEAR} from each of the four points",
       defaults=_four_gates_default)
def perceptron_lines_clear(gates: dict[str, tuple[np.ndarray, float, bool]]) -> Said:
    """Whether each learned gate's line passes clear of the points; else which point it touches and why
    that is still a right answer (the rule stops at the first line with no mistakes)."""
    touching = []
    nearest = float("inf")
    for g, (w, b, converged) in gates.items():
        if not converged:
            continue
        X, d = _distances(g, w, b)
        i = int(np.argmin(d))
        nearest = min(nearest, float(d[i]))
        if d[i] < CLEAR:
            pt = f"({int(X[i, 0])},{int(X[i, 1])})"
            s = float(X[i].astype(np.float64) @ w + b)
            where = "exactly through" if d[i] < 1e-9 else f"{d[i]:.3f} from"
            touching.append(f"{g}'s line passes {where} {pt} (w·x + b = {s + 0.0:.3g} there, so it answers "
                            f"{int(s > 0)})")
    return said(
        not touching, "",
        "; ".join(touching) + ". The rule outputs 1 only when w·x + b > 0, so a point on the line gets 0: "
        "every answer is still right, but the perceptron stops at the first line with no mistakes, not at the "
        "line that leaves the widest gap between the classes." if touching else "",
        nearest=nearest, touching=len(touching),
    )


# ---- ② NumPy vs PyTorch ----------------------------------------------------------------------------------
def _net_default() -> Said:
    from core.xor.surfaces import compare_verdicts
    _, cr = _compare()
    return net_solves(compare_verdicts(cr.predictions, cr.losses)[0])


@claim("xor.net_solves", page=PAGE, tab="② NumPy vs PyTorch",
       condition="all four outputs on the right side of 0.5", defaults=_net_default)
def net_solves(v: NetVerdict) -> Said:
    """One network's verdict: its final loss and whether it solves XOR."""
    head = f"**{v.name}**: final loss {v.final_loss:.4f}; "
    return said(v.solved, head + "solves XOR (all four outputs on the right side of 0.5)",
                head + "does not solve XOR with these settings", net=v.name, final_loss=v.final_loss)


def _share_default() -> Said:
    from core.xor import jobs as xor
    cfg = xor.XorCompareConfig()
    return numpy_share_sentence(xor.numpy_solve_share(cfg), cfg)


@claim("xor.numpy_share", page=PAGE, tab="② NumPy vs PyTorch",
       condition="the NumPy network solves XOR from every one of the seeds", defaults=_share_default)
def numpy_share_sentence(solved_n: tuple[int, int], cfg: XorCompareConfig) -> Said:
    """The share of seeds the NumPy network solves XOR from, said plainly (from numpy_solve_share)."""
    k, n = solved_n
    s = (f"From {n} seeds at these settings (lr {cfg.numpy_lr:g}, {cfg.numpy_epochs:,} epochs, weights randn×0.5) "
         f"the NumPy network solves XOR {k} times out of {n}")
    return said(k == n, s + ": every start gets there.",
                s + (f"; the other {n - k} start{'s' * (n - k != 1)} get stuck with at least one output on the wrong "
                     "side of 0.5. Solving XOR from one seed is likely, not certain: tab ③ counts it for the "
                     "PyTorch network."), solved=k, seeds=n)


def _units_default() -> Said:
    from core.xor import jobs as xor
    return hidden_units_caption(xor.XorCompareConfig())


@claim("xor.hidden_units_needed", page=PAGE, tab="② NumPy vs PyTorch",
       condition="the network has at least the two hidden units XOR needs", defaults=_units_default)
def hidden_units_caption(cfg: XorCompareConfig) -> Said:
    """What the output neuron does with the hidden units' maps (the sentence under them)."""
    names = ", ".join(f"h{u + 1}" for u in range(cfg.hidden))
    s = (f"Each small map is one hidden unit's output over the plane ({names}: a sigmoid of a tilted plane, "
         "a soft step). The output neuron weights these maps, adds them and a bias, and passes the sum through "
         "its own sigmoid to get P(output = 1)")
    return said(cfg.hidden >= 2, s + ": XOR needs at least two hidden units, and this network has "
                f"{cfg.hidden}.",
                s + ": with one hidden unit that is one soft step, and no single step splits XOR: it needs at "
                "least two hidden units.", hidden=cfg.hidden)


def _hidden_space_default() -> Said:
    from core.xor import hidden_space
    from core.xor import jobs as xor
    hh = hidden_space.xor_history(xor.XorCompareConfig())
    g = hh[hh.net == "NumPy"]
    return hidden_space_caption(g[g.step == g.step.max()])


@claim("xor.hidden_space_separates", page=PAGE, tab="② NumPy vs PyTorch",
       condition="the output's line in the hidden space puts all four points on their target's side",
       defaults=_hidden_space_default)
def hidden_space_caption(snap: pd.DataFrame) -> Said:
    """What one snapshot of :func:`core.xor.hidden_space.xor_history` shows (which points are where)."""
    net, epoch = snap.net.iloc[0], int(snap.epoch.iloc[0])
    ok = bool(snap.separates.iloc[0])
    side = snap.a * snap.u + snap.b * snap.v + snap.c > 0
    wrong = snap.point[side != (snap.target > 0)].tolist()
    note = snap.note.iloc[0]
    return said(ok,
                f"At epoch {epoch} the output's straight line in {net}'s hidden space separates the four points: "
                f"the hidden layer has made XOR linearly separable. {note}",
                f"At epoch {epoch} the output's line still puts {', '.join(wrong)} on the wrong side. {note}",
                net=net, epoch=epoch, wrong=len(wrong))


# ---- ③ 100 seeds ------------------------------------------------------------------------------------------
def _summary_default() -> Any:
    from core.xor.surfaces import seed_summary
    return seed_summary(_seed_study()[1])


@claim("xor.all_seeds_solve", page=PAGE, tab="③ 100 seeds",
       condition="every seed's four outputs are on the right side of 0.5",
       defaults=lambda: all_seeds_solve(_summary_default()))
def all_seeds_solve(sm: SeedSummary) -> Said:
    """'Every seed solved' only when every seed did; else how many did not."""
    return said(sm.n_solved == sm.n, "Every seed solved XOR with these settings.",
                f"{sm.n - sm.n_solved} of the {sm.n} seeds did not solve XOR with these settings: below, they "
                "are retrained longer and opened one by one.", solved=sm.n_solved, seeds=sm.n)


@claim("xor.seeds_diverged", page=PAGE, tab="③ 100 seeds",
       condition="some run's loss became NaN or infinite", defaults=lambda: seeds_diverged(_summary_default()))
def seeds_diverged(sm: SeedSummary) -> Said:
    """How many runs diverged (nothing when none did)."""
    return said(sm.n_diverged > 0,
                f"{sm.n_diverged} of {sm.n} runs diverged (the loss became NaN or infinite) and stopped early: "
                "the learning rate is too high for them.", "", diverged=sm.n_diverged, seeds=sm.n)


def _retry_default() -> Said:
    cfg, _, longer = _seed_study()
    return retry_sentence(cfg, longer)


@claim("xor.more_epochs_help", page=PAGE, tab="③ 100 seeds",
       condition="every failed seed solves XOR when trained RETRY_FACTOR times longer", defaults=_retry_default)
def retry_sentence(cfg: SeedStudyConfig, longer: dict[int, TrainResult], factor: int | None = None) -> Said:
    """How many failed seeds solve when trained ``factor`` times longer (nothing when none failed)."""
    from core.xor.jobs import RETRY_FACTOR, solved
    factor = factor or RETRY_FACTOR
    if not longer:
        return said(True, "", failed=0, fixed=0)
    ok = solved(list(longer.values()))
    seeds = [cfg.first_seed + i for i, good in zip(longer, ok) if good]
    n, k = len(longer), int(ok.sum())
    s = (f"Trained {factor}x longer ({cfg.epochs * factor:,} epochs), {k} of the {n} failed seed{'s' * (n != 1)} "
         f"solve{'s' * (k == 1)} XOR")
    if k:
        s += f" (seed{'s' * (k != 1)} {', '.join(str(x) for x in seeds)})"
    return said(k == n, s + ": they were on slow plateaus, and more epochs were all they needed.",
                s + (f"; the other {n - k} stay stuck, so for them more epochs do not help: a new seed, more hidden "
                     "units or another learning rate does."), failed=n, fixed=k)


def _diagnosis_default() -> dict:
    from core.xor import jobs as xor
    from core.xor.surfaces import seed_summary
    _, res, longer = _seed_study()
    k = seed_summary(res).failed[0]
    return xor.diagnose(res[k], longer.get(k))


@claim("xor.seed_symptoms", page=PAGE, tab="③ 100 seeds",
       condition="the failed seed shows a symptom: a wrong output, merged inputs, a flat or constant unit",
       defaults=lambda: seed_symptoms(_diagnosis_default()))
def seed_symptoms(d: dict) -> Said:
    """What the failed network does wrong, from :func:`core.xor.jobs.diagnose`, one finding a line."""
    out = []
    if d["wrong"]:
        out.append(f"Wrong on {', '.join(d['wrong'])}: the output there is on the wrong side of 0.5.")
    for p, q in d["merged"]:
        out.append(f"The hidden layer maps {p} and {q} to almost the same values, so the output neuron cannot "
                   "give them different answers.")
    for u in d["dead"]:
        out.append(f"Unit {u} is dead (no output, no gradient) on all four inputs: its slope is below 0.001, so "
                   "almost no gradient reaches its weights.")
    for u in d["saturated"]:
        out.append(f"Unit {u} is saturated on all four inputs: its slope is below 0.001, so almost no gradient "
                   "reaches its weights.")
    for u, m in d["constant"]:
        out.append(f"Unit {u} gives nearly the same output ({m:.2f}) for all four inputs: it carries no "
                   "information about them.")
    return said(bool(out), "\n".join(f"- {s}" for s in out), "", findings=len(out))


@claim("xor.seed_flat", page=PAGE, tab="③ 100 seeds",
       condition="the failed seed's gradient norm is below 1e-3 (a flat region)",
       defaults=lambda: seed_flat(_diagnosis_default()))
def seed_flat(d: dict) -> Said:
    """Whether the failed seed sits on a flat region or is still moving."""
    g, loss = d["grad_norm"], d["loss"]
    return said(g < 1e-3,
                f"The gradient has all but vanished (norm {g:.1e}) while the loss is {loss:.3f}: training sits on "
                "a flat region (a saddle or a local minimum), where each step barely moves the weights.",
                f"The gradient norm is still {g:.2e} with loss {loss:.3f}: it may still be crawling out of a "
                "plateau.", grad_norm=g, loss=loss)


@claim("xor.seed_more_epochs", page=PAGE, tab="③ 100 seeds",
       condition="the failed seed solves XOR when trained longer from the same start",
       defaults=lambda: seed_more_epochs(_diagnosis_default()))
def seed_more_epochs(d: dict) -> Said:
    """Whether more epochs help this seed (nothing before the longer run exists)."""
    e = d["longer_epochs"]
    if e is None:
        return said(False, "", "", longer_epochs=0)
    return said(bool(d["longer_solved"]),
                f"Trained longer ({e:,} epochs) from the same seed, it does solve XOR: here more epochs help.",
                f"Trained longer ({e:,} epochs) from the same seed, it still fails (loss {d['longer_loss']:.3f}): "
                "here more epochs do not help.", longer_epochs=e, longer_loss=d["longer_loss"])


# ---- ④ Playground ------------------------------------------------------------------------------------------
def _trouble_default() -> Said:
    from core.xor.playground import loss_findings
    cfg, pts, tr = _playground()
    return loss_trouble(loss_findings(tr, cfg, pts), cfg.lr)


@claim("xor.playground_loss_trouble", page=PAGE, tab="④ Playground",
       condition="some seed's loss diverged, ended above a constant answer's, or jumps about",
       defaults=_trouble_default)
def loss_trouble(f: LossFindings, lr: float) -> Said:
    """What went wrong with the training loss and the cause (a too-high learning rate); nothing when calm."""
    n = f.n
    of = (lambda m: f"in {m} of {n} seeds, ") if n > 1 else (lambda m: "")
    parts = []
    if f.diverged:
        parts.append(f"{of(len(f.diverged))}the loss diverged (became NaN or infinite) and training stopped")
    if f.worse:
        parts.append(f"{of(len(f.worse))}the loss ended above {f.baseline:.3f}, the loss of a constant answer that "
                     "ignores the inputs: the steps overshoot so far that the network does worse than not learning")
    if f.jumpy:
        parts.append(f"{of(len(f.jumpy))}the loss jumps up and down from epoch to epoch instead of settling")
    s = "; ".join(parts)
    text = (s[:1].upper() + s[1:] + f". The learning rate ({lr:g}) is too high for these steps: each one "
            "overshoots the valley it is trying to descend. Try a tenth of it.") if parts else ""
    return said(not f.calm, text, "", diverged=len(f.diverged), worse=len(f.worse), jumpy=len(f.jumpy), seeds=n)


@claim("xor.playground_diverged", page=PAGE, tab="④ Playground",
       condition="some run diverged while playing", defaults=lambda: playground_diverged(0, _playground()[2].K))
def playground_diverged(n_diverged: int, n: int) -> Said:
    """While Play runs: how many runs diverged (nothing when none did)."""
    return said(n_diverged > 0, f"{n_diverged} of {n} runs diverged (the loss became NaN or infinite) and stopped. "
                "Lower the learning rate.", "", diverged=n_diverged, seeds=n)


# ---- Home's first chart ----------------------------------------------------------------------------------
def _home_default() -> Said:
    from core.xor.first_look import first_look
    return first_look_verdict(first_look())


@claim("home.first_look_solves", page="Home", tab="first chart",
       condition="the NumPy network's four outputs are on the right side of 0.5", defaults=_home_default)
def first_look_verdict(f: FirstLook) -> Said:
    """Under Home's first chart: its final loss, its outputs, and whether it solves XOR."""
    outs = ", ".join(f"{p:.2f}" for p in f.outputs)
    s = f"Final loss {f.final_loss:.3f}; outputs for (0,0), (0,1), (1,0), (1,1): {outs}, "
    return said(f.solved, s + "all four on the right side of 0.5: it solves XOR. Step 1 shows why a single neuron "
                "never can.",
                s + "not all on the right side of 0.5: this start did not solve XOR. Step 1 shows why a single "
                "neuron never can, and step 2 counts how often a start fails.",
                final_loss=f.final_loss, solved=f.solved)
