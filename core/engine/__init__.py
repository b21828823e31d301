"""The one training loop: activations, models, the batched trainer and fit.

Import the training API from here (``from core.engine import TrainConfig, fit``); the modules
inside are the loop's parts in the order it runs.
"""

from core.engine.train import (  # noqa: F401
    LOSSES,
    OPTIMIZERS,
    ProgressFn,
    TrainConfig,
    Trainer,
    TrainResult,
    default_eval_every,
    fit,
    shard_plan,
)
