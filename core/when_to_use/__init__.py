"""When to use neural networks (and when not): tree ensembles against MLPs, computed (models, jobs, claims, charts)."""

from core.when_to_use.claims import curve_notes, duel_notes, noise_notes, rule_notes, scaling_notes  # noqa: F401
from core.when_to_use.data import (  # noqa: F401
    BUILTIN,
    BUILTIN_SHAPES,
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    MAX_CSV_ROWS,
    Table,
    TableShape,
    load_table,
    table_from_csv,
    with_uninformative,
)
from core.when_to_use.jobs import CurveConfig, DuelConfig, NoiseConfig, RuleConfig, ScalingConfig  # noqa: F401
from core.when_to_use.models import (  # noqa: F401
    DATASETS,
    ENGINE_MLP,
    LABELS,
    MODELS,
    NETS,
    RULE_DROPOUT,
    TREES,
    CurvePoint,
    ModelRun,
    cross_validate,
    curve_point,
    engine_epochs,
    fmt_score,
    folds_of,
    metric_name,
    noise_point,
    rule_hidden,
    score,
    settings_effort,
)
