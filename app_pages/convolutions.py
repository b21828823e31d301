"""Images and Convolutions: an MLP and a CNN of about the same size on the same digits, what moving or turning
a digit does to each, and what the CNN's filters, feature maps and units see."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

from core.convolutions import charts as cc
from core.convolutions import claims as cl
from core.convolutions import jobs as J
from core.digits import images as di
from core.engine import TrainResult
from ui import links, say, vega
from ui.canvas import digit_canvas
from ui.common import cached_results, seed_state, share_link, sync_url, widget_config
from ui.glossary import tip
from ui.widgets import field_widget, page_params, url_config

st.title("Images and Convolutions")
st.markdown(
    "An MLP reads an image as one long row of pixels: a stroke one pixel to the left lands on other weights. "
    "A CNN slides small grids of weights over the image (a convolution), so the same pattern is found "
    "wherever it is. Here both learn the same digits with about as many parameters each.",
    help=tip("mlp", "cnn", "convolution", "kernel", "weight", "parameters"))

url_cfg = url_config(J.ConvConfig)
ss = st.session_state
seed_state({"c_dataset": url_cfg.dataset, "c_epochs": url_cfg.epochs, "c_seed": url_cfg.seed})
row = st.container(horizontal=True)
field_widget(J.ConvConfig, "dataset", label="Data", key="c_dataset", container=row, width=220,
             format_func={"digits": "8x8 digits (1,797)", "mnist": "28x28 MNIST sample"}.get,
             help="Measured on one core, at 40 epochs: on the 8x8 digits both models train in 1-4 s; on the 28x28 "
                  "MNIST sample (2,000 training digits) the MLP in about 1 s and the CNN in about 40 s (about 1 s "
                  "an epoch; 15 epochs take about 10 s and score about 1 point lower).")
field_widget(J.ConvConfig, "epochs", label="Epochs (at most)", key="c_epochs", container=row, width=160,
             help=tip("epoch", "early stopping"))
field_widget(J.ConvConfig, "seed", label="Seed", key="c_seed", container=row, width=120, help=tip("seed"))
cfg = widget_config(lambda: url_cfg.replace(dataset=ss.c_dataset, epochs=int(ss.c_epochs), seed=int(ss.c_seed)),
                    url_cfg)
side = J.SIDE[cfg.dataset]


def train(c: J.ConvConfig, key: str) -> list[TrainResult]:
    """The MLP and the CNN: from memory, the disk cache, or trained here (priced once at the door)."""
    with st.spinner("Training the MLP, then the CNN..."):
        return cached_results(key, lambda: J.compute(c), J.CONFIG_TYPES, request=c)


@st.cache_resource(show_spinner=False, max_entries=8)
def move_tables(key: str, _results: list[TrainResult], _cfg: J.ConvConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shift and rotation tables of one comparison (``key``: its cache key)."""
    d = J.data(_cfg)
    return (J.shift_table(_results, d, side, J.SHIFTS[_cfg.dataset]), J.rotation_table(_results, d, side))


rkey = J.key(cfg, J.data_id(cfg))  # the comparison's cache key: its two models and their data
ck = f"convolutions:{cfg.key()}:{rkey}"  # the start of its kept charts' keys (ui/vega.py): every setting
results = train(cfg, rkey)
mlp, cnn = results
mlp_params, cnn_params = J.param_counts(cfg)

TABS = {"compare": cl.COMPARE_TAB, "move": cl.MOVE_TAB, "inside": cl.INSIDE_TAB}
asked = page_params("convolutions").tab
tab_list = st.tabs(list(TABS.values()), key="conv_tab", on_change="rerun", default=TABS.get(asked, TABS["compare"]))
tab_a, tab_b, tab_c = tab_list
open_tab = next((name for name, t in zip(TABS, tab_list) if t.open), "compare")

with tab_a:
    if tab_a.open:
        m = J.mlp_config(cfg)
        k = J.cnn_config(cfg)
        st.markdown(
            f"**MLP** {side * side}-{'-'.join(map(str, m.hidden))}-10. **CNN**: two {k.kernel}x{k.kernel} "
            f"convolutions with {k.channels[0]} and {k.channels[1]} feature maps, each followed by 2x2 max "
            f"pooling, then a dense layer of {k.hidden[0]} and the 10 outputs. Same optimiser (Adam), learning "
            "rate, batch and stopping rule; no augmented copies, so neither model ever sees a moved digit.",
            help=tip("feature map", "pooling", "adam", "learning rate", "batch", "augmentation"))
        cols = st.columns(2)
        for col, name, r, n in ((cols[0], "MLP", mlp, mlp_params), (cols[1], "CNN", cnn, cnn_params)):
            col.metric(f"{name}: test accuracy", f"{r.metrics['final_test_acc']:.1%}",
                       help=tip("accuracy"))
            col.caption(f"{n:,} parameters · trained in {r.extra.get('seconds', float('nan')):.1f} s "
                        f"({r.stopped_epoch} epochs) when first trained; cached since.")
        say.lesson(cl.budget(mlp.metrics["final_test_acc"], cnn.metrics["final_test_acc"], mlp_params, cnn_params),
                   "markdown")
        st.markdown("**Parameters against accuracy** on the 8x8 digits: both models at a quarter, half, once "
                    "and twice their widths, same training.")
        sz = J.SizesConfig(epochs=cfg.epochs, seed=cfg.seed)
        skey = J.sizes_key(sz)
        with st.spinner("Training four sizes of each model..."):
            sized = cached_results(skey, lambda: J.compute_sizes(sz), J.CONFIG_TYPES, request=sz)
        table = J.sizes_table(sized)
        vega.altair(f"convolutions.sizes:{sz.key()}:{skey}", lambda: cc.params_chart(table), of=sized, width="stretch")
        st.caption(f"One point per model; all {len(table)} trained in {table.seconds.sum():.1f} s when first run.")
        say.lesson(cl.sizes(table), "markdown")
        links.try_next("convolutions.compare", "convolutions", TABS)

with tab_b:
    if tab_b.open:
        shifts, rots = move_tables(rkey, results, cfg)
        st.markdown(
            "Every test digit moved a few pixels (right, left, up and down, averaged), then turned, and read by "
            "the same two trained models. A network that still reads a moved digit has translation invariance.",
            help=tip("translation invariance", "accuracy", "pooling"))
        left, right = st.columns(2)
        vega.altair(f"{ck}:shift", lambda: cc.accuracy_lines(shifts, "shift", "shift (pixels)"), of=results,
                    where=left, width="stretch")
        vega.altair(f"{ck}:rotation", lambda: cc.accuracy_lines(rots, "angle", "rotation (degrees, both ways)"),
                    of=results, where=right, width="stretch")
        say.lesson(cl.shift(shifts), "markdown")
        say.lesson(cl.rotation(rots), "markdown")
        links.try_next("convolutions.move", "convolutions", TABS)

with tab_c:
    if tab_c.open:
        d = J.data(cfg)
        draw_col, show_col = st.columns([1, 2])
        with draw_col:
            st.markdown("**Draw a digit** (until you do, a test digit is shown)")
            drawing = digit_canvas("c_canvas")
        image, source = d.X_test[0].numpy(), f"the first test digit (a {int(d.y_test[0])})"
        drawn = False
        if drawing:
            try:
                image, source, drawn = J.drawing_image(drawing, cfg.dataset), "your drawing", True
            except di.ImageError as e:
                say.status(f"The drawing could not be read: {e}", "warning", where=draw_col)

        def chart(name: str, build, **kwargs) -> None:
            """The test digit's charts are kept (ui/vega.py, per comparison and ``name``); a drawing's are built
            at each run: every stroke is a new image, and keeping each would push the charts every visitor
            shares out of the server's memo."""
            if drawn:
                st.altair_chart(build(), **kwargs)
            else:
                vega.altair(f"{ck}:test0:{name}", build, of=results, **kwargs)

        occ, cls, p = J.occlusion(cnn, image, patch=2 if side <= 8 else 4)
        with show_col:
            st.markdown(f"**Occlusion map** of {source}: the CNN says **{cls}** ({p:.0%} sure).",
                        help=tip("occlusion map", "saliency"))
            chart("occlusion", lambda: cc.occlusion_chart(occ))
            st.caption("Each pixel: how much the probability of that answer falls when a small square around it is "
                       "blanked. Blue: the pixel helped it say that digit; red: it argued against.")
        st.markdown("**Filters of conv layer 1** (blue positive, red negative weights)", help=tip("kernel"))
        vega.altair(f"{ck}:filters", lambda: cc.filters_chart(J.filters(cnn)), of=results, width="content")
        maps = functools.cache(lambda: J.feature_maps(cnn, image))  # only when a chart is built
        st.markdown(f"**Feature maps** of {source}: conv layer 1, then conv layer 2 (dark: strong response)",
                    help=tip("feature map"))
        chart("maps1", lambda: cc.maps_chart(maps(), 1), width="content")
        chart("maps2", lambda: cc.maps_chart(maps(), 2), width="content")
        s2 = side // 2
        c1, c2 = st.columns(2)
        r = c1.slider("Unit row (conv layer 2)", 0, s2 - 1, s2 // 2, key="c_unit_row")
        c = c2.slider("Unit column (conv layer 2)", 0, s2 - 1, s2 // 2, key="c_unit_col")
        fld = J.receptive_field(J.cnn_config(cfg), side, r, c)
        st.markdown("**Receptive field** of one unit of conv layer 2 (blue outline; orange: the unit's own spot)",
                    help=tip("receptive field"))
        chart(f"field:{r}:{c}", lambda: cc.field_chart(fld, pd.DataFrame({
            "row": np.repeat(np.arange(side), side), "col": np.tile(np.arange(side), side),
            "value": np.asarray(image).reshape(-1)})), width="content")
        say.lesson(cl.field(J.field_size(fld), J.cnn_config(cfg).kernel, side), "markdown")
        links.try_next("convolutions.inside", "convolutions", TABS)

params = cfg.to_query()
if open_tab != "compare":
    params["tab"] = open_tab
sync_url(params)
share_link()
