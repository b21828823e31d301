"""Images and Convolutions' lessons: each a registered claim of the page's numbers (the shift and rotation
tables, the two models' test accuracies and parameter counts, a receptive field's size)."""

from __future__ import annotations

from functools import cache

import pandas as pd

from core.claims import Said, claim, said
from core.convolutions import jobs as J
from core.engine import TrainResult

PAGE = "Images and Convolutions"
COMPARE_TAB, MOVE_TAB, INSIDE_TAB = "① MLP vs CNN", "② Shift and rotate", "③ Inside the CNN"


@cache
def default_results() -> list[TrainResult]:
    """The page's default comparison (8x8 digits, seed 0), from the disk cache when the page trained it."""
    from core.serve.cache import cached
    cfg = J.ConvConfig()
    return cached(J.key(cfg, J.data_id(cfg)), lambda: J.compute(cfg), config_types=J.CONFIG_TYPES)[0]


@cache
def _default_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = J.ConvConfig()
    rs, d = default_results(), J.data(cfg)
    side = J.SIDE[cfg.dataset]
    return J.shift_table(rs, d, side, J.SHIFTS[cfg.dataset]), J.rotation_table(rs, d, side)


@claim("convolutions.budget", page=PAGE, tab=COMPARE_TAB,
       condition="the CNN's test accuracy is at least the MLP's, at a parameter count within 10% of it",
       defaults=lambda: budget(*[r.metrics["final_test_acc"] for r in default_results()],
                               *J.param_counts(J.ConvConfig())))
def budget(mlp_acc: float, cnn_acc: float, mlp_params: int, cnn_params: int) -> Said:
    """The CNN matches or beats the MLP with about as many parameters."""
    close = abs(cnn_params - mlp_params) <= 0.1 * mlp_params
    text = (f"With about as many parameters ({mlp_params:,} in the MLP, {cnn_params:,} in the CNN) the CNN "
            f"scores {cnn_acc:.1%} on the test digits, the MLP {mlp_acc:.1%}: sharing one small filter across "
            "the whole image costs no accuracy here.")
    other = (f"Here the MLP ({mlp_params:,} parameters) scores {mlp_acc:.1%} and the CNN ({cnn_params:,}) "
             f"{cnn_acc:.1%}.")
    return said(close and cnn_acc >= mlp_acc, text, other, mlp_acc=mlp_acc, cnn_acc=cnn_acc)


@cache
def default_sizes() -> list[TrainResult]:
    """The page's parameters-against-accuracy run at its defaults, cached like the page."""
    from core.serve.cache import cached
    cfg = J.SizesConfig()
    return cached(J.sizes_key(cfg), lambda: J.compute_sizes(cfg),
                  config_types=J.CONFIG_TYPES)[0]


@claim("convolutions.sizes", page=PAGE, tab=COMPARE_TAB,
       condition="the most accurate CNN of the sizes beats the most accurate MLP",
       defaults=lambda: sizes(J.sizes_table(default_sizes())))
def sizes(table: pd.DataFrame) -> Said:
    """Over the sizes tried, the best CNN reads more test digits than the best MLP."""
    best = {m: table[table.model == m].sort_values("accuracy").iloc[-1] for m in ("MLP", "CNN")}
    c, m = best["CNN"], best["MLP"]
    text = (f"Across the sizes, the best CNN ({int(c.params):,} parameters) reads {c.accuracy:.1%} of the test "
            f"digits and the best MLP ({int(m.params):,}) {m.accuracy:.1%}: given room to grow, the CNN reads "
            "better.")
    other = (f"Across the sizes, the best MLP ({int(m.params):,} parameters) reads {m.accuracy:.1%} and the best "
             f"CNN ({int(c.params):,}) {c.accuracy:.1%}.")
    return said(c.accuracy > m.accuracy, text, other, cnn_best=float(c.accuracy), mlp_best=float(m.accuracy))


@claim("convolutions.shift", page=PAGE, tab=MOVE_TAB,
       condition="moved by 1 pixel, the CNN loses fewer accuracy points than the MLP",
       defaults=lambda: shift(_default_tables()[0]))
def shift(table: pd.DataFrame) -> Said:
    """Moving every test digit by one pixel hurts the MLP more than the CNN."""
    t = table[table["shift"].isin([0, 1])]
    mlp, cnn = J.drop(t, "MLP", "shift"), J.drop(t, "CNN", "shift")
    text = (f"Move every test digit by one pixel and the MLP loses {mlp:.0f} points of accuracy, the CNN "
            f"{cnn:.0f}: the MLP learned each digit at fixed pixels, the CNN's filters find a stroke wherever "
            "it is and its pooling forgives a small move.")
    other = f"Moved by one pixel, the MLP loses {mlp:.0f} points and the CNN {cnn:.0f}."
    return said(cnn < mlp, text, other, mlp_drop=mlp, cnn_drop=cnn)


@claim("convolutions.rotation", page=PAGE, tab=MOVE_TAB,
       condition="rotated by 20 degrees, the CNN loses fewer accuracy points than the MLP",
       defaults=lambda: rotation(_default_tables()[1]))
def rotation(table: pd.DataFrame) -> Said:
    """Rotating every test digit by 20 degrees hurts the MLP more than the CNN."""
    t = table[table["angle"].isin([0, 20])]
    mlp, cnn = J.drop(t, "MLP", "angle"), J.drop(t, "CNN", "angle")
    text = (f"Turned by 20 degrees, the MLP loses {mlp:.0f} points and the CNN {cnn:.0f}: the CNN keeps more "
            "here too, though its filters do not turn with the digit.")
    other = f"Turned by 20 degrees, the MLP loses {mlp:.0f} points and the CNN {cnn:.0f}."
    return said(cnn < mlp, text, other, mlp_drop=mlp, cnn_drop=cnn)


@claim("convolutions.field", page=PAGE, tab=INSIDE_TAB,
       condition="one unit of conv layer 2 sees a wider square of input pixels than one kernel",
       defaults=lambda: field(J.field_size(J.receptive_field(J.cnn_config(J.ConvConfig()), 8, 1, 1)), 5, 8))
def field(size: int, kernel: int, side: int) -> Said:
    """A layer-2 unit sees more of the image than one kernel does."""
    whole = " (the whole image)" if size >= side else ""
    text = (f"Each kernel is {kernel}x{kernel}, yet one unit of conv layer 2 sees {size}x{size} pixels of the "
            f"{side}x{side} input{whole}: a layer after a pool looks at pooled maps, so each layer sees more.")
    other = f"One unit of conv layer 2 sees {size}x{size} pixels; one kernel covers {kernel}x{kernel}."
    return said(size > kernel, text, other, size=size)
