"""XOR Lab's jobs: the perceptron, the NumPy network beside PyTorch, the seed study (jobs), the Playground, charts."""

from core.xor.jobs import (  # noqa: F401
    PerceptronConfig,
    SeedStudyConfig,
    XorCompareConfig,
    XorCompareResult,
    best_linear_accuracy,
    diagnose,
    perceptron_lines,
    run_perceptron,
    run_seed_study,
    run_xor_compare,
    solved,
    truth_table,
    xor_torch_config,
)
