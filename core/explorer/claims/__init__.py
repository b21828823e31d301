"""The Activation Explorer's lessons and verdicts: each a registered claim of its tab's numbers.

One module per tab: :mod:`.curves` (① shapes and slopes, ② softmax), :mod:`.learning` (③ effect on
learning), :mod:`.depth` (④ depth); :mod:`.page` holds the page's name, its tabs and its default jobs.
Each claim returns its sentence only when the numbers hold it, else the sentence that is true (or '').
The bundles (``curve_notes``, ``softmax_notes``, ``compare_notes``, ``depth_notes``) gather a tab's
claims for the page. Importing this package registers them all (core.claims.load_all).
"""

from core.explorer.claims.curves import (  # noqa: F401
    both_sides_flat,
    clipped,
    curve_notes,
    no_slope,
    one_side_flat,
    sigmoid_slope,
    softmax_notes,
    steepest_flattest,
    step_needs_slope,
    sums_to_one,
    temperature_effect,
)
from core.explorer.claims.depth import (  # noqa: F401
    PLATEAU,
    dead_units,
    dead_without_plateau,
    depth_accuracy,
    depth_notes,
    init_matched,
    input_effect,
    loss_fall,
    shared_init_hurts,
    signal_size,
    still_vanishing,
    tanh_in_depth,
    vanishing_at_init,
)
from core.explorer.claims.learning import (  # noqa: F401
    compare_notes,
    first_to_level,
    loss_ratio,
    ranking,
)
from core.explorer.claims.page import (  # noqa: F401
    PAGE,
    default_compare,
    default_depth,
)
