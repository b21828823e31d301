"""Backprop Step by Step: the tutorial's 2-4-1 XOR network, one example at a time or full batch (the
tutorial's), every number checked against autograd."""

from __future__ import annotations

import streamlit as st

from core import backprop as bp
from core.backprop import charts
from core.backprop import claims as bc
from core.backprop import jobs as bpj
from ui import links, say, vega
from ui import scratch as scratch_ui
from ui.common import seed_state, share_link, sync_url
from ui.glossary import tip
from ui.widgets import field_widget, page_params, url_config, widget_config

WEIGHTS = bp.weight_names()
MODE_LABEL = {"example": "one example at a time", "batch": "full batch (the tutorial's)"}
METRIC_W = 210  # px a loss metric takes: its label whole, four in a row on a wide screen


@st.cache_data(max_entries=128, show_spinner=False)
def step_view(cfg: bp.BackpropConfig):
    t = bpj.run(cfg)
    return t, bpj.forward_table(t), bpj.backward_table(t), bpj.gradient_table(t)


@st.cache_data(max_entries=32, show_spinner=False)
def history(cfg: bp.BackpropConfig):
    return bp.loss_history(cfg)


def numbers(df, *text: str):
    """A table to show with st.table: six decimals (|diff| in e-notation), blanks for missing values.

    Static tables wrap their headers and formulas, so every column shows at 1024 px (data grids cut the
    autograd and new-value columns); the |diff| column says how far below six decimals the two agree.
    The text columns are markdown there: "a1[1](1-a1[1])" became a link, so brackets are escaped.
    """
    fmt = {c: (lambda v: f"{v:.1e}") if c == "|diff|" else (lambda v: f"{v + 0.0:.6f}")  # + 0.0: no "-0.000000"
           for c in df.columns if c not in text}
    fmt |= {c: lambda v: str(v).replace("[", "\\[") for c in text}
    return df.style.format(fmt, na_rep="")


def change_text(before: float, after: float) -> str:
    """A metric's change with enough digits to be seen (a change below 1e-5 in e-notation, not +0.00000)."""
    d = after - before
    return f"{d:+.5f}" if abs(d) >= 1e-5 or d == 0 else f"{d:+.2e}"


def move(delta: int | None) -> None:
    """Button callbacks: forward delta steps (None: back to the start; full batch: one step per epoch)."""
    ss = st.session_state
    if delta is not None and ss.get("bp_mode") == "batch":
        delta = 1 if delta == 1 else 10
    ss.bp_step = 0 if delta is None else min(bpj.MAX_STEP, int(ss.bp_step) + delta)


st.title("Backprop Step by Step")
# Two tabs, each drawn only when open: the XOR walk-through, and a NumPy network on the digits (ui.scratch).
BP_TABS = {"step": "Step by step: 2-4-1", "scratch": scratch_ui.TAB}
_asked = page_params("backprop", show=False).tab
tab_step, tab_scratch = st.tabs(list(BP_TABS.values()), key="bp_tab", on_change="rerun",
                                default=BP_TABS.get(_asked, BP_TABS["step"]))

with tab_step:
    if tab_step.open:
        st.markdown(
            "The tutorial's XOR network (2 inputs, 4 sigmoid hidden units, 1 sigmoid output, binary "
            "cross-entropy), trained by plain gradient descent. The tutorial trains it **full batch**: each of its "
            f"{bpj.EPOCHS:,} epochs "
            "averages the gradient over the four rows and takes one step. Here you choose: **one example at a "
            "time** (the default: each step's numbers fit one table), or the tutorial's **full batch**, which shows "
            "one row's pass and the mean over all four. Each step runs forward, then sends the error back through "
            "the network by the chain rule: every derivative below is a product of the one before it and one local "
            "slope. Each number of the example shown is also computed by PyTorch's autograd, and the two are compared.",
            help=tip("xor", "backpropagation", "gradient descent", "gradient", "epoch", "full batch", "batch", "sgd",
                     "chain rule", "derivative", "sigmoid", "binary cross-entropy", "cross-entropy", "autograd"),
        )

        url = url_config(bp.BackpropConfig)
        want_w = page_params("backprop").w
        BP = bp.BackpropConfig
        seed_state({"bp_seed": url.seed, "bp_lr": url.lr, "bp_step": url.step, "bp_mode": url.mode, "bp_row": url.row,
                    "bp_w": want_w if want_w in WEIGHTS else bc.PICKED})

        mc = st.container(horizontal=True, vertical_alignment="bottom")  # a third of the page cut the labels
        field_widget(BP, "mode", label="Each step trains on", key="bp_mode", container=mc,
                     widget="segmented_control", format_func=MODE_LABEL.get, required=True,
                     help=tip("sgd", "full batch", before="One example: stochastic gradient descent with batch "
                              "size 1. Full batch: the tutorial's, the mean gradient of the four rows."))
        if st.session_state.bp_mode == "batch":
            field_widget(BP, "row", label="Row shown", key="bp_row", container=mc, widget="selectbox", width=260,
                         format_func=lambda i: f"x = ({bpj.EXAMPLES[i][0][0]:g}, {bpj.EXAMPLES[i][0][1]:g}), "
                         f"y = {bpj.EXAMPLES[i][1]:g}",
                         help="The full-batch step uses all four rows; this one's forward and backward pass is shown.")
        c = st.columns([1, 1, 1, 3], vertical_alignment="bottom")
        field_widget(BP, "seed", label="Seed", key="bp_seed", container=c[0],
                     help=tip("seed", before="First weights: randn × 0.5 from this seed, biases 0"))
        field_widget(BP, "lr", label="Learning rate", key="bp_lr", container=c[1], format="%.4g",
                     help=tip("learning rate", before="The tutorial uses 0.5"))
        field_widget(BP, "step", label="Step", key="bp_step", container=c[2],
                     help=tip("epoch", before="Updates done so far: 4 per epoch one example at a time, 1 full batch"))
        batch = st.session_state.bp_mode == "batch"
        with c[3].container(horizontal=True):
            st.button("Next step" if batch else "Next example", icon=":material/skip_next:", on_click=move, args=(1,))
            st.button("Next 10 epochs" if batch else "Next epoch", icon=":material/fast_forward:", on_click=move,
                      args=(4,), help=tip("epoch"))
            st.button("Reset", icon=":material/restart_alt:", on_click=move, args=(None,))
        ss = st.session_state
        cfg = widget_config(lambda: bp.BackpropConfig(seed=int(ss.bp_seed), lr=float(ss.bp_lr), mode=ss.bp_mode,
                                                      step=int(ss.bp_step), row=int(ss.get("bp_row", 0))), url)
        t, fwd, bwd, grads = step_view(cfg)

        if cfg.batch:
            st.markdown(f"**Epoch {cfg.epoch + 1}: one full-batch step** (step {cfg.step + 1}) on the mean gradient of "
                        f"all four rows. Row shown: input x = ({t.x[0]:g}, {t.x[1]:g}), target y = {t.y:g}, prediction "
                        f"a2 = {t.a2:.4f}, loss {t.loss:.4f}; mean loss over the four rows {t.mean_loss_before:.4f}.",
                        help=tip("loss"))
        else:
            st.markdown(f"**Epoch {cfg.epoch + 1}, example {cfg.example + 1} of 4** (step {cfg.step + 1}): "
                        f"input x = ({t.x[0]:g}, {t.x[1]:g}), target y = {t.y:g}, prediction a2 = {t.a2:.4f}, "
                        f"loss {t.loss:.4f}.", help=tip("loss"))
        agrees = bc.autograd_agrees(t)
        say.lesson(agrees, "success" if agrees.holds else "error",
                   icon=":material/verified:" if agrees.holds else ":material/error:")

        left, right = st.columns(2)
        picked = ss.bp_w
        # the charts are kept per setting as Vega-Lite specs (ui/vega.py): building one costs more than drawing it
        bk = f"backprop:{cfg.key()}"
        left.markdown("**Forward**: each weight on its edge, each unit's output a = sigmoid(z) inside it",
                      help=tip("forward pass", "weight", "bias"))
        vega.altair(f"{bk}:forward:{picked}", lambda: charts.network_chart(t, False, picked, ""), where=left,
                    width="stretch")
        right.markdown("**Backward**: each weight's gradient dL/dw on its edge, dL/dz inside each unit")
        vega.altair(f"{bk}:backward:{picked}", lambda: charts.network_chart(t, True, picked, ""), where=right,
                    width="stretch")
        st.caption("Blue is positive, red negative; a thicker edge is a larger number. The dashed edge is the weight "
                   "picked below. Hover an edge or a unit for its exact value.", help=tip("sign colours"))

        st.subheader("The chain rule for one weight")
        a, _ = st.columns([1, 3])
        a.selectbox("Weight", WEIGHTS, key="bp_w", help=tip("weight", "bias", "gradient", before="W1[i,j]: input i to "
                    "hidden j; W2[j]: hidden j to the output. Its edge is dashed in the drawings."))
        picked = ss.bp_w
        with st.container():
            st.latex(bpj.chain_latex(t, picked))
            say.lesson(bc.weight_gets_no_gradient(t, picked), "caption")

        st.subheader("The update and the new loss")
        m = st.container(horizontal=True)  # four in a row, two by two at 1024 px (in four columns the labels were cut)
        m.metric("Loss on the row shown, before" if cfg.batch else "Loss on this example, before", f"{t.loss:.5f}",
                 width=METRIC_W, help=tip("loss"))
        m.metric("after the update", f"{t.new_loss:.5f}", change_text(t.loss, t.new_loss), delta_color="inverse",
                 width=METRIC_W)
        m.metric("Mean loss on all four, before", f"{t.mean_loss_before:.5f}", width=METRIC_W)
        m.metric("after the update", f"{t.mean_loss_after:.5f}", change_text(t.mean_loss_before, t.mean_loss_after),
                 delta_color="inverse", width=METRIC_W)
        say.lessons([bc.update_lowers_loss(t), bc.mean_loss_falls(t), bc.full_batch_lowers_more(t)], "caption")

        st.markdown("**The error flowing back**: each value is the upstream value times one local derivative",
                    help=tip("local derivative"))
        st.table(numbers(bwd, "quantity", "chain rule"), hide_index=True)
        say.lesson(bc.dz2_is_a2_minus_y(t), "caption")
        st.markdown(f"**Every weight's gradient and update** (lr = {cfg.lr:g})" + (
            ": this row's gradient, the mean over the four rows, and the step the mean takes" if cfg.batch else ""))
        st.table(numbers(grads, "weight"), hide_index=True)
        left, right = st.columns(2)  # the forward table's values need half the width at 1024 px
        with left:
            st.markdown("**Forward values**")
            st.table(numbers(fwd, "quantity", "formula"), hide_index=True)
        vega.altair(f"{bk}:loss", lambda: charts.loss_chart(history(cfg), cfg.step, per_epoch=1 if cfg.batch else 4),
                    where=right, width="stretch")
        links.try_next("backprop")

with tab_scratch:
    if tab_scratch.open:
        scratch_params = scratch_ui.render()

if tab_step.open:
    params = cfg.to_query()
    if picked != bc.PICKED:
        params["w"] = picked
    sync_url(params, owned=("seed", "lr", "mode", "step", "row", "w", *scratch_ui.OWNED))
elif tab_scratch.open:
    sync_url(scratch_params)  # the step tab's settings leave the URL
share_link()
