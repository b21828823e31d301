"""Network Shapes: the four shapes side by side and universal approximation (jobs), a safe formula parser, charts."""

from core.architectures.jobs import (  # noqa: F401
    SHAPE_LABELS,
    SHAPES,
    TARGET_LABELS,
    TARGETS,
    ApproxConfig,
    ShapesConfig,
    approx_notes,
    approx_table,
    contributions,
    fits_frame,
    n_params,
    parse_widths,
    run_shape,
    run_width,
    shapes_curves,
    shapes_notes,
    shapes_table,
    target,
)
