"""The Optimizers page's claims, each checked on both sides of its condition with real runs
(see core/optimizers/claims.py)."""

import math

from core.optimizers import claims as ocl
from core.optimizers import jobs as oj
from tests.claimcheck import both_sides

DEFAULT = oj.OptimizersConfig()


def reached(cfg):
    return oj.steps_to(oj.run(cfg), oj.SURFACES[cfg.surface].threshold)


def test_momentum_passes_the_valley_faster_than_sgd_at_the_defaults_and_not_when_it_overshoots():
    with both_sides("optimizers.momentum_passes_valley"):
        s = ocl.momentum_passes_valley(reached(DEFAULT), DEFAULT)
        assert s.holds and s.numbers["momentum_steps"] == 61 and s.numbers["sgd_steps"] == 374
        assert "in 61 steps and SGD in 374 steps (6.1× as many)" in s
        # β 0.99 keeps so much velocity that momentum swings back and forth along the valley for long
        swing = DEFAULT.replace(lr=0.1, momentum=0.99)
        n = reached(swing)
        no = ocl.momentum_passes_valley(n, swing)
        assert not no.holds and "did not beat SGD" in no and (n["momentum"], n["SGD"]) == (330, 299)


def test_adams_first_step_is_the_learning_rate_in_each_parameter():
    with both_sides("optimizers.adam_even_steps"):
        s = ocl.adam_even_steps(oj.first_step(oj.run(DEFAULT)), DEFAULT)
        assert s.holds and "(0.080 in x, 0.080 in y)" in s and "1.200 in y and 0.072 in x" in s
        # a round bowl: SGD's first step is about as long both ways, so there is nothing to even out
        bowl = {"Adam": (0.08, 0.08), "SGD": (0.1, 0.12)}
        assert not ocl.adam_even_steps(bowl, DEFAULT).holds
        off = {"Adam": (0.08, 0.02), "SGD": (0.072, 1.2)}  # not lr in both: not Adam's first step
        assert not ocl.adam_even_steps(off, DEFAULT).holds


def test_adam_lands_between_momentum_and_sgd_at_the_defaults():
    run = oj.run(DEFAULT)
    with both_sides("optimizers.adam_between"):
        s = ocl.adam_between(reached(DEFAULT), oj.longest_step(run), DEFAULT)
        assert s.holds and "in 187 steps" in s and "at least 112 of them" in s
        assert math.isclose(s.numbers["momentum_longest_dx"], oj.longest_step(run)["momentum"])
        slow = DEFAULT.replace(momentum=0.0)  # momentum β 0 is plain SGD: the same steps, not fewer
        no = ocl.adam_between(reached(slow), oj.longest_step(oj.run(slow)), slow)
        assert not no.holds and no.startswith("The order here")
