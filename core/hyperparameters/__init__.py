"""What each hyperparameter does: seeded, batched sweeps on sklearn's digits (jobs), verdicts (notes), charts."""

from core.hyperparameters.jobs import (  # noqa: F401
    DATA_KEY,
    SWEEP_TYPES,
    SWEEPS,
    TITLES,
    ActivationSweep,
    BatchSweep,
    CapacitySweep,
    DropoutSweep,
    LrSweep,
    Sweep,
    bands,
    curves,
    digits_data,
    gradient_noise,
    parse_shape,
    run_sweep,
    shape_label,
    summary,
)
from core.hyperparameters.notes import (  # noqa: F401
    activation_notes,
    batch_notes,
    capacity_notes,
    dropout_notes,
    lr_notes,
)
