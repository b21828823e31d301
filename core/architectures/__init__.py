"""Network Shapes: the four shapes side by side and universal approximation (jobs), a safe formula parser, charts."""

from core.architectures.claims import approx_notes, pieces_add_up, same_budget, shapes_notes  # noqa: F401
from core.architectures.jobs import (  # noqa: F401
    SHAPE_LABELS,
    SHAPES,
    TARGET_LABELS,
    TARGETS,
    ApproxConfig,
    ShapesConfig,
    approx_table,
    check_accuracy,
    contributions,
    fits_frame,
    n_params,
    parse_widths,
    run_check,
    run_shape,
    run_width,
    shapes_curves,
    shapes_table,
    target,
)
