"""Optimizers: SGD, momentum and Adam (torch.optim's own) on a loss surface of two parameters, from the same
start, stepped live; lr and momentum as sliders."""

from __future__ import annotations

import streamlit as st

from core.optimizers import charts as oc
from core.optimizers import claims as ocl
from core.optimizers import jobs as oj
from ui import links, say, vega
from ui.common import admitted, seed_state, share_link, sync_url, widget_config
from ui.glossary import tip
from ui.widgets import field_widget, page_params, url_config

C = oj.OptimizersConfig
LR_CHOICES = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
FRAME_S = 0.15  # Play shows a new step every this many seconds
FRAMES = 80  # ... and crosses the whole run in about this many frames


@st.cache_data(max_entries=32, show_spinner=False)
def paths(cfg: oj.OptimizersConfig):
    return oj.run(cfg)


@st.cache_data(max_entries=4, show_spinner=False)
def surface_grid(surface: str):
    return oj.grid(surface)


st.title("Optimizers", help=tip("optimizer", "loss surface"))
st.markdown(
    "Training walks downhill on the loss. Here the loss depends on just two parameters, so the whole surface "
    "fits on screen, and three optimizers start from the same point: plain SGD, SGD with momentum, and Adam. "
    "Each path is torch.optim's own algorithm, stepped on these two numbers.",
    help=tip("loss", "sgd", "momentum", "adam", "parameters", "gradient"))

url_cfg = url_config(C)
ss = st.session_state
seed_state({"o_surface": url_cfg.surface, "o_lr": url_cfg.lr, "o_momentum": url_cfg.momentum,
            "o_steps": url_cfg.steps})
row = st.container(horizontal=True)
field_widget(C, "surface", label="Surface", key="o_surface", container=row, width=290,
             format_func=lambda s: f"{oj.SURFACES[s].label}: {oj.SURFACES[s].formula}")
lr_options = tuple(sorted({*LR_CHOICES, float(ss.o_lr)}))
row.select_slider("Learning rate (all three)", lr_options, key="o_lr", width=260,
                  help=tip("learning rate"))
field_widget(C, "momentum", label="Momentum β", key="o_momentum", widget="slider", step=0.01, container=row,
             width=200, help=tip("momentum", before="How much of its last step momentum keeps (0: plain SGD)."))
field_widget(C, "steps", label="Steps", key="o_steps", container=row, width=130)
cfg = widget_config(lambda: C(surface=ss.o_surface, lr=float(ss.o_lr), momentum=float(ss.o_momentum),
                              steps=int(ss.o_steps)), url_cfg)
surf = oj.SURFACES[cfg.surface]
with admitted(cfg):  # hosted: priced at the door, then a training slot, like every page's work (three paths)
    run = paths(cfg)
grid = surface_grid(cfg.surface)
reached = oj.steps_to(run, surf.threshold)

seed_state({"o_step": min(page_params("optimizers").step, cfg.steps), "o_playing": False})
ss.o_step = min(int(ss.o_step), cfg.steps)


def _play() -> None:
    if ss.o_playing:
        ss.o_playing = False
    else:
        ss.o_playing = True
        if ss.o_step >= cfg.steps:
            ss.o_step = 0


st.button("⏸ Pause" if ss.o_playing else "▶ Play", key="o_play", type="primary", on_click=_play,
          help="Step the three optimizers forward together, from the step shown.")


def draw(name: str, step: int, build) -> None:
    """One of the view's charts at ``step``: a still view's kept per setting and step as a Vega-Lite spec
    (ui/vega.py); Play's frames are drawn as they come, never kept (one visitor's frames would crowd the shared
    memo)."""
    if ss.o_playing:
        st.altair_chart(build(), width="stretch")
    else:
        vega.altair(f"optimizers:{cfg.key()}:{name}:{step}", build, width="stretch")


@st.fragment(run_every=FRAME_S if ss.o_playing else None)
def view() -> None:
    """The step slider and the two charts; while playing, each run moves the step on."""
    if ss.o_playing:
        ss.o_step = min(cfg.steps, int(ss.o_step) + max(1, cfg.steps // FRAMES))
        if ss.o_step >= cfg.steps:
            ss.o_playing = False
            st.rerun(scope="app")  # the end: the button reads Play again, the timer stops
    st.slider("Step", 0, cfg.steps, key="o_step", disabled=ss.o_playing)
    step = int(ss.o_step)
    now = run[run["step"] == step].set_index("optimizer")
    cols = st.columns(3)
    for col, name in zip(cols, oj.OPTIMIZERS):
        loss = now.loc[name, "loss"]
        col.metric(f"{name}: loss at step {step}", "diverged" if loss != loss else f"{loss:.3g}",
                   help=f"Got below {surf.threshold:g} at step {reached[name]}." if reached[name] is not None
                   else f"Not below {surf.threshold:g} within {cfg.steps} steps.")
    draw("surface", step, lambda: oc.surface_chart(grid, run, cfg.surface, step))
    st.caption("Dark is low loss (the valley's floor), light is high (the colour is log10 of the loss); the crosses "
               "mark the start and the minimum; each dot is where an optimizer stands at this step.")
    draw("loss", step, lambda: oc.loss_chart(run, step, surf.threshold))
    if not ss.o_playing and st.query_params.get("step") != (str(step) if step < cfg.steps else None):
        if step < cfg.steps:  # the whole paths (the page's first view) need no param
            st.query_params["step"] = str(step)
        elif "step" in st.query_params:
            del st.query_params["step"]


view()
say.lesson(ocl.momentum_passes_valley(reached, cfg), "markdown")
say.lesson(ocl.adam_even_steps(oj.first_step(run), cfg), "markdown")
say.lesson(ocl.adam_between(reached, oj.longest_step(run), cfg), "markdown")
links.try_next("optimizers")

params = cfg.to_query()
if int(ss.o_step) < cfg.steps:  # at the last step (the first view) the link needs no step
    params["step"] = str(int(ss.o_step))
sync_url(params)
share_link()
