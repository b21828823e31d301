"""XOR Lab's jobs: the perceptron, the NumPy network beside PyTorch, the seed study (jobs), the Playground, charts.

The job names below load :mod:`core.xor.jobs` (and so torch) on first use, not when the package is
imported: Home draws its first chart from :mod:`core.xor.first_look` and :mod:`core.xor.charts`, which
need only NumPy and Altair, before torch has been imported (about 1-2 s on a fresh server).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_JOBS = (
    "RETRY_EVAL_EVERY", "RETRY_FACTOR", "PerceptronConfig", "SeedStudyConfig", "XorCompareConfig", "XorCompareResult",
    "best_linear_accuracy", "diagnose", "numpy_solve_share", "perceptron_lines", "retry_longer", "rule_text",
    "run_perceptron", "run_seed_study", "run_xor_compare", "solved", "truth_table", "xor_torch_config",
)
_CLAIMS = ("hidden_units_caption", "numpy_share_sentence", "perceptron_verdict", "retry_sentence")

if TYPE_CHECKING:  # type checkers and readers see the plain import
    from core.xor.claims import (  # noqa: F401
        hidden_units_caption,
        numpy_share_sentence,
        perceptron_verdict,
        retry_sentence,
    )
    from core.xor.jobs import (  # noqa: F401
        RETRY_EVAL_EVERY,
        RETRY_FACTOR,
        PerceptronConfig,
        SeedStudyConfig,
        XorCompareConfig,
        XorCompareResult,
        best_linear_accuracy,
        diagnose,
        numpy_solve_share,
        perceptron_lines,
        retry_longer,
        rule_text,
        run_perceptron,
        run_seed_study,
        run_xor_compare,
        solved,
        truth_table,
        xor_torch_config,
    )


def __getattr__(name: str) -> Any:
    """``core.xor.<job name>``: imported from core.xor.jobs (or .claims) on first use (PEP 562)."""
    if name in _JOBS or name in _CLAIMS:
        value = getattr(importlib.import_module("core.xor.jobs" if name in _JOBS else "core.xor.claims"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'core.xor' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_JOBS, *_CLAIMS])


__all__ = [*_JOBS, *_CLAIMS]
