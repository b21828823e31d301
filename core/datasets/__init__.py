"""Data sets: gates, 2-D toy sets and CSV points (toy), the training tensors (dataset), sklearn digits and MNIST."""

from core.datasets.dataset import (  # noqa: F401
    Dataset,
    make_dataset,
)
from core.datasets.digits import (  # noqa: F401
    digits_arrays,
)
from core.datasets.toy import (  # noqa: F401
    CLASSIFICATION_SETS,
    EXTENT,
    FEATURE_LABELS,
    FEATURES,
    GATE_INPUTS,
    GATES,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    REGRESSION_SETS,
    TOY_SETS,
    csv_parse_cost,
    csv_text,
    features,
    gate,
    grid,
    is_regression,
    points_from_csv,
    split,
    toy_2d,
)
