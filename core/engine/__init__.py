"""The one training loop, in the order it runs.

Import the training API from here (``from core.engine import TrainConfig, fit``). The parts:
``config`` (TrainConfig), ``activations`` (the registry: one entry per function), ``models``
(build_mlp, the perceptron), ``conv`` (CnnConfig: a LeNet-sized CNN; K of them as grouped
convolutions), ``stack`` (flat weights, views, batched forward), ``dropout`` (seeded row orders
and masks), ``backprop`` (manual gradients, autograd reference), ``optim`` (Adam, SGD, momentum),
``evaluation`` (metrics, early stopping), ``trainer`` (the epoch loop), ``results`` (TrainResult,
the epoch log), ``cores`` (threads and the shard plan), ``fitting`` (fit()), and ``guard`` (what
every run passes through before it allocates anything).
"""

from core.engine.config import LOSSES, OPTIMIZERS, TrainConfig
from core.engine.conv import CnnConfig
from core.engine.cores import shard_plan
from core.engine.fitting import fit
from core.engine.results import TrainResult
from core.engine.trainer import ProgressFn, Trainer, default_eval_every

__all__ = ["CnnConfig", "LOSSES", "OPTIMIZERS", "ProgressFn", "TrainConfig", "TrainResult", "Trainer",
           "default_eval_every", "fit", "shard_plan"]
