"""Seeded samplers and the pruners: the same settings and seed give the same suggestions.

Each trial is sampled by a fresh sampler seeded from (study seed, trial number), built through
Optuna's public constructors. So a study is repeatable however many workers share it, and two
workers never draw the same point by sharing a seed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import optuna

from core.tuning.space import SearchSpace, StudySettings


def trial_seed(seed: int, number: int) -> int:
    """The seed of trial ``number`` of a study seeded ``seed``."""
    return (seed * 1_000_003 + number * 7_919 + 12_345) % (2**32 - 1)


class PerTrialSeed(optuna.samplers.BaseSampler):
    """A sampler that hands each trial to its own instance of ``make(seed)``, seeded per trial.

    Optuna calls ``before_trial``, then the sampling methods, then ``after_trial`` with the trial's
    FrozenTrial; the instance for the current trial number is kept until another number comes.
    Samplers whose state is a function of the stored trials (random, TPE, grid) lose nothing.
    """

    def __init__(self, make: Callable[[int], optuna.samplers.BaseSampler], seed: int) -> None:
        self._make = make
        self._seed = seed
        self._current: tuple[int, optuna.samplers.BaseSampler] | None = None

    def _for(self, trial: optuna.trial.FrozenTrial) -> optuna.samplers.BaseSampler:
        if self._current is None or self._current[0] != trial.number:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                self._current = (trial.number, self._make(trial_seed(self._seed, trial.number)))
        return self._current[1]

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self._for(trial).before_trial(study, trial)

    def infer_relative_search_space(self, study: optuna.Study, trial: optuna.trial.FrozenTrial
                                    ) -> dict[str, optuna.distributions.BaseDistribution]:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study: optuna.Study, trial: optuna.trial.FrozenTrial,
                        search_space: dict[str, optuna.distributions.BaseDistribution]) -> dict[str, Any]:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, param_name: str,
                           param_distribution: optuna.distributions.BaseDistribution) -> Any:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, state: optuna.trial.TrialState,
                    values: Sequence[float] | None) -> None:
        self._for(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        """Nothing to do: every trial is seeded from the study seed and its number."""


def make_sampler(space: SearchSpace, st: StudySettings) -> optuna.samplers.BaseSampler:
    """The study's sampler, seeded per trial: the same settings give the same suggestions.

    TPE is multivariate with the constant liar, which keeps parallel workers apart.
    """
    if st.sampler == "grid":
        grid = space.grid(st.grid_points)
        return PerTrialSeed(lambda s: optuna.samplers.GridSampler(grid, seed=s), st.seed)
    if st.sampler == "random":
        return PerTrialSeed(lambda s: optuna.samplers.RandomSampler(seed=s), st.seed)
    startup = min(10, max(3, st.n_trials // 4))
    return PerTrialSeed(lambda s: optuna.samplers.TPESampler(seed=s, n_startup_trials=startup, multivariate=True,
                                                             constant_liar=True), st.seed)


def make_pruner(st: StudySettings) -> optuna.pruners.BasePruner:
    """The study's pruner, fed the validation accuracy after every epoch (step = epoch)."""
    if st.pruner == "median":
        # judged from the 3rd finished trial on, after the first epoch(s): on digits/TPE (bench/tuning.py)
        # this spares ~45% of the epochs for a best accuracy within 0.005 of the unpruned study's
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=max(1, st.epochs // 20))
    if st.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1, st.epochs // 8), reduction_factor=3)
    if st.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=max(1, st.epochs // 8), max_resource=st.epochs,
                                              reduction_factor=3)
    return optuna.pruners.NopPruner()
