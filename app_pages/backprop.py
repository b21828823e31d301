"""Backprop Step by Step: the tutorial's 2-4-1 XOR network, one example at a time, checked against autograd."""

from __future__ import annotations

import streamlit as st

from core import backprop as bp
from core.backprop import charts
from core.backprop import jobs as bpj
from ui import links
from ui.common import config_from_url, seed_state, share_link, sync_url, widget_config
from ui.glossary import tip
from ui.widgets import page_params

WEIGHTS = bp.weight_names()
AGREE = 1e-9  # the on-screen check: every hand-computed number within this of autograd's
METRIC_W = 210  # px a loss metric takes: its label whole, four in a row on a wide screen


@st.cache_data(max_entries=128, show_spinner=False)
def step_view(cfg: bp.BackpropConfig):
    t = bpj.run(cfg)
    return t, bpj.forward_table(t), bpj.backward_table(t), bpj.gradient_table(t)


@st.cache_data(max_entries=32, show_spinner=False)
def history(cfg: bp.BackpropConfig):
    return bp.loss_history(cfg)


# Chart objects kept per state: building an Altair chart costs more than drawing it. Never mutated.
@st.cache_resource(max_entries=128, show_spinner=False)
def network(cfg: bp.BackpropConfig, backward: bool, picked: str, title: str):
    return charts.network_chart(step_view(cfg)[0], backward, picked, title)


@st.cache_resource(max_entries=32, show_spinner=False)
def loss_plot(cfg: bp.BackpropConfig):
    return charts.loss_chart(history(cfg), cfg.step)


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


def move(delta: int | None) -> None:
    """Button callbacks: forward delta steps (None: back to the start)."""
    ss = st.session_state
    ss.bp_step = 0 if delta is None else min(bpj.MAX_STEP, int(ss.bp_step) + delta)


st.title("Backprop Step by Step")
st.markdown(
    "The tutorial's XOR network (2 inputs, 4 sigmoid hidden units, 1 sigmoid output, binary cross-entropy), "
    "trained **one example at a time**. Each step runs forward, then sends the error back through the "
    "network by the chain rule: every derivative below is a product of the one before it and one local "
    "slope. Each number is also computed by PyTorch's autograd, and the two are compared."
)

url = config_from_url(bp.BackpropConfig)
want_w = page_params("backprop").w
seed_state({"bp_seed": url.seed, "bp_lr": url.lr, "bp_step": url.step,
            "bp_w": want_w if want_w in WEIGHTS else "W1[2,1]"})

c = st.columns([1, 1, 1, 3], vertical_alignment="bottom")
c[0].number_input("Seed", 0, 2**31 - 1, key="bp_seed",
                  help=tip("seed", before="First weights: randn × 0.5 from this seed, biases 0"))
c[1].number_input("Learning rate", 1e-4, 10.0, key="bp_lr", format="%.4g",
                  help=tip("learning rate", before="The tutorial uses 0.5"))
c[2].number_input("Step", 0, bpj.MAX_STEP, key="bp_step", help="Updates done so far (4 per epoch)")
with c[3].container(horizontal=True):
    st.button("Next example", icon=":material/skip_next:", on_click=move, args=(1,))
    st.button("Next epoch", icon=":material/fast_forward:", on_click=move, args=(4,))
    st.button("Reset", icon=":material/restart_alt:", on_click=move, args=(None,))
ss = st.session_state
cfg = widget_config(lambda: bp.BackpropConfig(seed=int(ss.bp_seed), lr=float(ss.bp_lr), step=int(ss.bp_step)), url)
t, fwd, bwd, grads = step_view(cfg)

st.markdown(f"**Epoch {cfg.epoch + 1}, example {cfg.example + 1} of 4** (step {cfg.step + 1}): "
            f"input x = ({t.x[0]:g}, {t.x[1]:g}), target y = {t.y:g}, prediction a2 = {t.a2:.4f}, "
            f"loss {t.loss:.4f}.")
diff = t.max_autograd_diff()
n_checked = sum(v.size for v in t.autograd.values())
if diff <= AGREE:
    st.success(f"Autograd agrees to 1e-9: over all {n_checked} numbers of this step (the loss, every "
               f"derivative on the way back, every gradient) the largest difference is {diff:.1e}.",
               icon=":material/verified:")
else:
    st.error(f"Autograd disagrees: the largest difference is {diff:.2e}.", icon=":material/error:")

left, right = st.columns(2)
picked = ss.bp_w
left.markdown("**Forward**: each weight on its edge, each unit's output a = sigmoid(z) inside it")
left.altair_chart(network(cfg, False, picked, ""), width="stretch")
right.markdown("**Backward**: each weight's gradient dL/dw on its edge, dL/dz inside each unit")
right.altair_chart(network(cfg, True, picked, ""), width="stretch")
st.caption("Blue is positive, red negative; a thicker edge is a larger number. The dashed edge is the weight "
           "picked below. Hover an edge or a unit for its exact value.")

st.subheader("The chain rule for one weight")
a, _ = st.columns([1, 3])
a.selectbox("Weight", WEIGHTS, key="bp_w", help="W1[i,j]: input i to hidden j; W2[j]: hidden j to the output. "
            "Its edge is dashed in the drawings.")
picked = ss.bp_w
factors = bpj.chain_for(t, picked)
g = bpj.value_of(t.grads, picked)
with st.container():
    st.latex(bpj.chain_latex(t, picked))
    zero = [m for _, m, v in factors if v == 0.0]
    if zero:
        st.caption(f":material/lightbulb: One factor is exactly 0 on this example ({zero[0]}), so {picked} "
                   "gets no gradient and does not move: it played no part in this output.")
    else:
        upd = -cfg.lr * g
        st.caption(f":material/lightbulb: The update is -lr × gradient = -{cfg.lr:g} × {g:.6g} = {upd:.6g}: "
                   f"{picked} goes from {bpj.value_of(t.params, picked):.6f} to "
                   f"{bpj.value_of(t.new_params, picked):.6f}.")

st.subheader("The update and the new loss")
m = st.container(horizontal=True)  # four in a row, two by two at 1024 px (in four columns the labels were cut)
m.metric("Loss on this example, before", f"{t.loss:.5f}", width=METRIC_W)
m.metric("after the update", f"{t.new_loss:.5f}", f"{t.new_loss - t.loss:+.5f}", delta_color="inverse",
         width=METRIC_W)
m.metric("Mean loss on all four, before", f"{t.mean_loss_before:.5f}", width=METRIC_W)
m.metric("after the update", f"{t.mean_loss_after:.5f}", f"{t.mean_loss_after - t.mean_loss_before:+.5f}",
         delta_color="inverse", width=METRIC_W)
for sentence in bpj.step_notes(t):
    st.caption(f":material/lightbulb: {sentence}")

st.markdown("**The error flowing back**: each value is the upstream value times one local derivative")
st.table(numbers(bwd, "quantity", "chain rule"), hide_index=True)
st.markdown(f"**Every weight's gradient and update** (lr = {cfg.lr:g})")
st.table(numbers(grads, "weight"), hide_index=True)
left, right = st.columns(2)  # the forward table's values need half the width at 1024 px
with left:
    st.markdown("**Forward values**")
    st.table(numbers(fwd, "quantity", "formula"), hide_index=True)
right.altair_chart(loss_plot(cfg), width="stretch")
links.try_next("backprop")

params = cfg.to_query()
if picked != "W1[2,1]":
    params["w"] = picked
sync_url(params, owned=("seed", "lr", "step", "w"))
share_link()
