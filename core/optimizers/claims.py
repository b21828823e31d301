"""Every lesson the Optimizers page states, as claims of the three paths' numbers."""

from __future__ import annotations

import functools

import pandas as pd

from core.claims import Said, claim, said
from core.optimizers import jobs as oj

PAGE = "Optimizers"
TAB = "surface"
EVEN = 0.05  # Adam's first step is "the learning rate in each parameter" when both are within 5% of it


@functools.cache
def default_paths() -> pd.DataFrame:
    """The page's default run (the narrow valley, lr 0.08, momentum 0.9, 400 steps)."""
    return oj.run(oj.OptimizersConfig())


def _steps(n: int | None) -> str:
    return "never (within the run)" if n is None else f"{n} steps"


def _n(n: int | None) -> float:
    return float("inf") if n is None else float(n)


def _momentum_defaults() -> Said:
    c = oj.OptimizersConfig()
    return momentum_passes_valley(oj.steps_to(default_paths(), oj.SURFACES[c.surface].threshold), c)


@claim("optimizers.momentum_passes_valley", page=PAGE, tab=TAB,
       condition="momentum's steps to the loss threshold < SGD's, at the same lr (never = infinitely many)",
       defaults=_momentum_defaults)
def momentum_passes_valley(steps: dict[str, int | None], cfg: oj.OptimizersConfig) -> Said:
    """Momentum gets through the narrow valley (its loss below the threshold) in fewer steps than SGD."""
    m, s = steps["momentum"], steps["SGD"]
    thr = oj.SURFACES[cfg.surface].threshold
    holds = m is not None and _n(m) < _n(s)
    times = f" ({s / m:.1f}× as many)" if holds and s is not None else ""
    return said(holds,
                f"At the same learning rate ({cfg.lr:g}), momentum got the loss below {thr:g} in {m} steps and SGD "
                f"in {_steps(s)}{times}. Each momentum step keeps {cfg.momentum:g} of the last one: the small, "
                "steady slope along the valley's floor adds up step after step, while the pushes across the "
                "steep sides alternate in sign and cancel.",
                f"Here momentum did not beat SGD to a loss below {thr:g}: momentum took {_steps(m)}, SGD "
                f"{_steps(s)}. With β = {cfg.momentum:g} at lr {cfg.lr:g} its kept velocity overshoots more than "
                "it gains (try a smaller learning rate or β).",
                momentum_steps=_n(m), sgd_steps=_n(s), lr=cfg.lr, beta=cfg.momentum)


def _adam_defaults() -> Said:
    return adam_even_steps(oj.first_step(default_paths()), oj.OptimizersConfig())


@claim("optimizers.adam_even_steps", page=PAGE, tab=TAB,
       condition="Adam's first step moves each parameter by lr (within 5%) while SGD's first step is over 2x "
                 "longer across the valley than along it",
       defaults=_adam_defaults)
def adam_even_steps(first: dict[str, tuple[float, float]], cfg: oj.OptimizersConfig) -> Said:
    """Adam's first step is the learning rate in each parameter, whatever each slope is."""
    (ax, ay), (sx, sy) = first["Adam"], first["SGD"]
    even = all(abs(v - cfg.lr) <= EVEN * cfg.lr for v in (ax, ay))
    uneven = min(sx, sy) > 0 and max(sx, sy) / min(sx, sy) > 2
    return said(even and uneven,
                f"Adam's first step moved each parameter by the learning rate ({ax:.3f} in x, {ay:.3f} in y), "
                f"though SGD's first step, which follows the slope, was {sy:.3f} in y and {sx:.3f} in x "
                f"({max(sx, sy) / min(sx, sy):.0f}× longer one way): Adam divides each parameter's step by the size "
                "of its own recent gradients, so it walks along the valley's floor as fast as across it.",
                f"Here Adam's first step ({ax:.3f} in x, {ay:.3f} in y) is not the learning rate in both "
                "parameters, or the slope is about as steep both ways (SGD's first step: "
                f"{sx:.3f} in x, {sy:.3f} in y).",
                adam_dx=ax, adam_dy=ay, sgd_dx=sx, sgd_dy=sy, lr=cfg.lr)


def _adam_between_defaults() -> Said:
    c = oj.OptimizersConfig()
    p = default_paths()
    return adam_between(oj.steps_to(p, oj.SURFACES[c.surface].threshold), oj.longest_step(p), c)


@claim("optimizers.adam_between", page=PAGE, tab=TAB,
       condition="momentum's steps to the threshold < Adam's < SGD's (never = infinitely many), and "
                 "momentum's longest step in x > lr",
       defaults=_adam_between_defaults)
def adam_between(steps: dict[str, int | None], longest: dict[str, float], cfg: oj.OptimizersConfig) -> Said:
    """Adam gets through the valley faster than SGD and slower than momentum."""
    m, a, s = (_n(steps[k]) for k in ("momentum", "Adam", "SGD"))
    sf = oj.SURFACES[cfg.surface]
    thr, far = sf.threshold, abs(sf.minimum[0] - sf.start[0])
    return said(m < a < s and longest["momentum"] > cfg.lr,
                f"Adam got below {thr:g} in {steps['Adam']} steps: sooner than SGD, later than momentum. Its steps "
                f"are about the learning rate ({cfg.lr:g}) in each parameter at most, so the {far:g} from the start "
                f"to the minimum along x take at least {far / cfg.lr:.0f} of them; momentum's steps grow longer "
                f"as its velocity builds (its longest in x: {longest['momentum']:.2f}).",
                f"The order here: momentum {_steps(steps['momentum'])}, Adam {_steps(steps['Adam'])}, SGD "
                f"{_steps(steps['SGD'])} to get below {thr:g}.",
                momentum_steps=m, adam_steps=a, sgd_steps=s, momentum_longest_dx=longest["momentum"])
