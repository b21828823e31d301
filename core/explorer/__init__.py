"""Activation Explorer's jobs: shapes, softmax and the comparison (jobs), the depth study (depth), their
lessons (claims); charts."""

from core.explorer.claims import compare_notes, curve_notes, depth_notes, softmax_notes  # noqa: F401, E402
from core.explorer.depth import (  # noqa: F401
    BINS,
    PROBE,
    SAME,
    DepthConfig,
    depth_frames,
    init_ratios,
    probe,
    ratio_words,
    run_depth,
)
from core.explorer.jobs import (  # noqa: F401
    COMPARE_SETS,
    DEFAULT_COMPARE,
    DEFAULT_CURVES,
    DEFAULT_DEPTH,
    DEPTH_INITS,
    DESIGNED_INIT,
    INIT_LABEL,
    PARAM_FIELDS,
    REG,
    TEMPERATURES,
    Y_CLIP,
    CompareConfig,
    CurvesConfig,
    compare_bands,
    compare_curves,
    compare_data,
    compare_table,
    curve_frame,
    curves,
    curves_table,
    designed_init,
    evaluate,
    flat_sides,
    run_compare,
    softmax_frame,
    softmax_sweep,
)
