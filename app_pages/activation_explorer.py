"""Activation Explorer: every common activation, its derivative, and what it does to learning."""

from __future__ import annotations

import streamlit as st

from core import explorer as ex
from core.config import Config, ConfigError
from core.engine.activations import ELEMENTWISE, HIDDEN, REGISTRY, table
from core.explorer import charts as ac
from core.serve import hosted
from core.serve.cache import batch_key
from ui.common import cached_results, config_from_url, seed_state, share_link, sync_url, widget_config

LABEL = {n: REGISTRY[n].label for n in REGISTRY}


def url_config(cls: type[Config], prefix: str) -> Config:
    """The URL's config; if its values are fine alone but not together, the defaults (with a notice)."""
    try:
        return config_from_url(cls, prefix)
    except ConfigError as e:
        st.warning(f"Link settings starting with `{prefix}` ignored ({e}); using the defaults.",
                   icon=":material/link_off:")
        return cls()


def numbers(text: str, kind: type = float) -> tuple:
    """'2, 1, -0.5' -> (2.0, 1.0, -0.5); raises ValueError with a plain reason."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("enter numbers separated by commas")
    try:
        return tuple(kind(p) for p in parts)
    except ValueError:
        raise ValueError(f"could not read {text!r} as {'whole ' if kind is int else ''}numbers") from None


def notice(text: str) -> None:
    st.caption(f":material/lightbulb: {text}")


# ---- cached computations (pure functions of frozen configs) ---------------------------------------
@st.cache_data(max_entries=64)
def curves_view(cfg: ex.CurvesConfig):
    return ex.curves(cfg), ex.curves_table(cfg), ex.curve_notes(cfg)


def compare_results(cfg: ex.CompareConfig, progress=None):
    return cached_results(batch_key(cfg.train_configs(), cfg.data_key()), lambda: ex.run_compare(cfg, progress))


def depth_results(cfg: ex.DepthConfig, progress=None):
    key = batch_key(cfg.train_configs(), f"depth-probes-{ex.PROBE}-{ex.BINS}-{cfg.key()}")
    return cached_results(key, lambda: ex.run_depth(cfg, progress))


def progress_bar(what: str):
    bar = st.empty()

    def report(epoch: int, total: int, _trainer) -> None:
        bar.progress(min(1.0, epoch / max(total, 1)), text=f"{what}: epoch {epoch}/{total}")

    return bar, report


# ---- page -----------------------------------------------------------------------------------------
st.title("Activation Explorer")
st.markdown(
    "Every common activation function, its slope (from autograd, not a typed formula), and what it does "
    "to real training: the same network trained with each one from several seeds at once, and deep "
    "networks where you can watch gradients vanish and ReLU units die."
)

url_f = url_config(ex.CurvesConfig, "f_")
url_c = url_config(ex.CompareConfig, "c_")
url_d = url_config(ex.DepthConfig, "d_")
f_cfg, c_cfg, d_cfg = url_f, url_c, url_d
show_hist = None  # which function's histograms the depth tab shows, when not the first

TABS = {"shapes": "① Shapes and slopes", "softmax": "② Softmax", "learn": "③ Effect on learning",
        "depth": "④ Depth"}
asked = st.query_params.get("tab", "shapes")
tab_list = st.tabs(list(TABS.values()), key="act_tab", on_change="rerun",
                   default=TABS.get(asked, TABS["shapes"]))
tab_f, tab_s, tab_c, tab_d = tab_list
open_tab = next((name for name, t in zip(TABS, tab_list) if t.open), "shapes")

# ---- 1. shapes and slopes -------------------------------------------------------------------------
with tab_f:
    if tab_f.open:
        seed_state({"f_functions": list(url_f.functions), "f_xmin": url_f.x_min, "f_xmax": url_f.x_max,
                    "f_leaky": url_f.leaky_alpha, "f_elu": url_f.elu_alpha, "f_beta": url_f.softplus_beta})
        a, b, c = st.columns([4, 1, 1])
        a.multiselect("Functions", ELEMENTWISE, key="f_functions", format_func=LABEL.get,
                      help="Softmax is not elementwise: it has its own tab.")
        b.number_input("x from", -1000.0, 1000.0, key="f_xmin", step=1.0)
        c.number_input("x to", -1000.0, 1000.0, key="f_xmax", step=1.0)
        chosen = st.session_state.f_functions
        sliders = [("leaky_relu", "alpha", "f_leaky"), ("elu", "alpha", "f_elu"), ("softplus", "beta", "f_beta")]
        shown = [s for s in sliders if s[0] in chosen]
        if shown:
            cols = st.columns(len(shown))
            for col, (name, p, key) in zip(cols, shown):
                spec = next(s for s in REGISTRY[name].params if s.name == p)
                col.slider(f"{LABEL[name]} {p}", spec.lo, spec.hi, key=key, step=0.01, help=spec.help)
        ss = st.session_state
        if not chosen:
            st.warning("Choose at least one function to draw. Showing the previous choice.",
                       icon=":material/warning:")
        else:
            f_cfg = widget_config(lambda: url_f.replace(
                functions=tuple(chosen), x_min=float(ss.f_xmin), x_max=float(ss.f_xmax),
                leaky_alpha=float(ss.f_leaky), elu_alpha=float(ss.f_elu), softplus_beta=float(ss.f_beta)), f_cfg)
        frame, table, notes = curves_view(f_cfg)
        left, right = st.columns(2)
        left.altair_chart(ac.curves_chart(frame, "y", "The functions f(x)"), width="stretch")
        right.altair_chart(ac.curves_chart(frame, "slope", "Their slopes f'(x), from autograd"), width="stretch")
        for n in notes:
            notice(n)
        st.subheader("The table, measured")
        st.caption(f"Measured on x from {f_cfg.x_min:g} to {f_cfg.x_max:g} (slopes from autograd on 2,001 points); "
                   "zero-centred means the mean output for standard-normal input is within 0.05 of 0.")
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"largest slope": st.column_config.NumberColumn(format="%.4g")})

# ---- 2. softmax -------------------------------------------------------------------------------------
with tab_s:
    if tab_s.open:
        seed_state({"f_logits": ", ".join(f"{v:g}" for v in url_f.logits), "f_temp": url_f.temperature})
        st.markdown(
            "Softmax turns a vector of scores (logits) into probabilities that sum to 1, so it acts on the "
            "whole vector, not one number at a time. Dividing the logits by a **temperature** T first "
            "makes it sharper (T < 1) or flatter (T > 1)."
        )
        a, b = st.columns([2, 3])
        a.text_input("Logits (comma-separated)", key="f_logits", help="2 to 12 numbers between -100 and 100")
        spec = REGISTRY["softmax"].params[0]
        b.slider("Temperature T", spec.lo, spec.hi, key="f_temp", step=0.05)
        f_cfg = widget_config(lambda: f_cfg.replace(logits=numbers(st.session_state.f_logits),
                                                    temperature=float(st.session_state.f_temp)), f_cfg)
        left, right = st.columns(2)
        left.altair_chart(ac.softmax_bars(ex.softmax_frame(f_cfg.logits, f_cfg.temperature),
                                          "Probabilities at T = 1 and at your T"), width="stretch")
        right.altair_chart(ac.softmax_sweep_chart(ex.softmax_sweep(f_cfg.logits), f_cfg.temperature,
                                                  "Each class's probability as T changes"), width="stretch")
        for n in ex.softmax_notes(f_cfg.logits, f_cfg.temperature):
            notice(n)
        st.dataframe(table(("softmax",), f_cfg.params(), logits=f_cfg.logits).drop(
            columns=["saturates (|slope| < 0.01)", "mean output, N(0,1) input"]), hide_index=True, width="stretch")

# ---- 3. effect on learning ----------------------------------------------------------------------------
with tab_c:
    if tab_c.open:
        seed_state({"c_dataset": url_c.dataset, "c_functions": list(url_c.functions), "c_seeds": url_c.n_seeds,
                    "c_hidden": ", ".join(map(str, url_c.hidden)), "c_epochs": url_c.epochs, "c_lr": url_c.lr,
                    "c_batch": url_c.batch_size, "c_init": url_c.init, "c_opt": url_c.optimizer,
                    "c_first": url_c.first_seed, "c_noise": url_c.noise})
        st.markdown(
            "The same MLP trained with each chosen activation, from several seeds, **all at once, batched**. "
            "Lines are the mean over seeds; bands span the best and worst seed. Each function uses its "
            "default parameters here."
        )
        st.multiselect("Activations", HIDDEN, key="c_functions", format_func=LABEL.get)
        a, c, _ = st.columns([2, 1, 3])
        a.selectbox("Data", ex.COMPARE_SETS, key="c_dataset",
                    format_func=lambda s: "sklearn digits (8x8)" if s == "digits" else f"2-D {s} (XOR Lab)")
        c.number_input("Seeds", 0, 20, key="c_seeds", help="Models per activation, trained together")
        with st.expander("Network and training", icon=":material/tune:"):
            e = st.columns(4)
            e[0].text_input("Hidden widths", key="c_hidden", help="e.g. 128, 64: two hidden layers")
            e[1].number_input("Epochs", 1, 500, key="c_epochs")
            e[2].number_input("Learning rate", 1e-5, 1.0, key="c_lr", format="%.4g")
            e[3].number_input("Batch size", 1, 2000, key="c_batch")
            e = st.columns(4)
            e[0].selectbox("Optimizer", ("adam", "sgd", "momentum"), key="c_opt")
            e[1].selectbox("Init", ex.DEPTH_INITS, key="c_init")
            e[2].number_input("First seed", 0, 2**31 - 1, key="c_first")
            e[3].slider("Noise (2-D sets)", 0.0, 0.5, key="c_noise", step=0.05)
        ss = st.session_state
        if not ss.c_functions:
            st.warning("Choose at least one activation to train. Showing the previous choice.",
                       icon=":material/warning:")
        else:
            def compare_from_widgets() -> ex.CompareConfig:
                cfg = ex.CompareConfig(dataset=ss.c_dataset, functions=tuple(ss.c_functions),
                                       n_seeds=int(ss.c_seeds), hidden=numbers(ss.c_hidden, int),
                                       epochs=int(ss.c_epochs), lr=float(ss.c_lr), batch_size=int(ss.c_batch),
                                       optimizer=ss.c_opt, init=ss.c_init, first_seed=int(ss.c_first),
                                       noise=float(ss.c_noise))
                hosted.enforce(cfg)  # this server's caps (hosted mode): refused with the reason
                return cfg

            c_cfg = widget_config(compare_from_widgets, url_c)
        bar, report = progress_bar(f"Training {len(c_cfg.train_configs())} networks at once")
        results = compare_results(c_cfg, report)
        bar.empty()
        notes = ex.compare_notes(results)
        table = ex.compare_table(results)
        curves = ex.compare_curves(results)
        secs = sum(r.seconds for r in results)
        stacks = int(results[0].extra.get("stacks", 1))
        how = "in one batch" if stacks == 1 else f"in {stacks} batches side by side, one per core"
        data_name = "digits" if c_cfg.dataset == "digits" else f"2-D {c_cfg.dataset}"
        shape = "-".join(map(str, (results[0].n_in, *c_cfg.hidden, results[0].n_out)))
        st.caption(f"{len(results)} models ({len(c_cfg.functions)} activations x {c_cfg.n_seeds} seeds), "
                   f"{shape} on {data_name}, {c_cfg.optimizer} lr {c_cfg.lr:g}, batch {c_cfg.batch_size}, "
                   f"{c_cfg.epochs} epochs: {secs:.1f} s of training {how} (cached after the first run).")
        left, right = st.columns(2)
        with left:
            st.altair_chart(ac.band_chart(ex.compare_bands(curves, "test_acc"), "test accuracy",
                                          "Test accuracy (mean, best-to-worst seed band)"), width="stretch")
            if "acc" in notes:
                notice(notes["acc"])
        with right:
            st.altair_chart(ac.band_chart(ex.compare_bands(curves, "test_loss"), "test loss (log)",
                                          "Test loss", log_y=True), width="stretch")
            if "loss" in notes:
                notice(notes["loss"])
        left, right = st.columns([2, 3])
        left.markdown("**Ranked by final test accuracy**")
        left.altair_chart(ac.ranking_chart(table), width="stretch")
        right.dataframe(
            table.drop(columns="name"), hide_index=True, width="stretch",
            column_config={k: st.column_config.NumberColumn(format="%.4f")
                           for k in ("mean test acc", "std", "min", "max", "mean test loss")})
        notice(notes["table"])

# ---- 4. depth -----------------------------------------------------------------------------------------
with tab_d:
    if tab_d.open:
        seed_state({"d_functions": list(url_d.functions), "d_depth": url_d.depth, "d_width": url_d.width,
                    "d_init": url_d.init, "d_lr": url_d.lr, "d_epochs": url_d.epochs, "d_seed": url_d.seed,
                    "d_batch": url_d.batch_size})
        st.markdown(
            "Deep MLPs on digits, one per activation, trained together. Before training and after every "
            "epoch the same 512 training images go through each network to measure each layer's gradient, "
            "its dead units (zero slope on every image), and its pre-activations. The initialisation decides "
            "much of what you see: switch it."
        )
        st.multiselect("Activations", HIDDEN, key="d_functions", format_func=LABEL.get)
        b, c = st.columns([3, 2])
        b.slider("Hidden layers", 2, 20, key="d_depth")
        c.segmented_control("Initialisation", ex.DEPTH_INITS, key="d_init", required=True,
                            format_func={"default": "PyTorch default", "xavier": "Xavier", "he": "He"}.get)
        e = st.columns(5)
        e[0].number_input("Width", 4, 256, key="d_width")
        e[1].number_input("Learning rate (Adam)", 1e-5, 1.0, key="d_lr", format="%.4g")
        e[2].number_input("Epochs", 1, 100, key="d_epochs")
        e[3].number_input("Batch size", 1, 2000, key="d_batch")
        e[4].number_input("Seed", 0, 2**31 - 1, key="d_seed")
        ss = st.session_state
        if not ss.d_functions:
            st.warning("Choose at least one activation. Showing the previous choice.", icon=":material/warning:")
        else:
            def depth_from_widgets() -> ex.DepthConfig:
                cfg = ex.DepthConfig(functions=tuple(ss.d_functions), depth=int(ss.d_depth), width=int(ss.d_width),
                                     init=ss.d_init, lr=float(ss.d_lr), epochs=int(ss.d_epochs),
                                     batch_size=int(ss.d_batch), seed=int(ss.d_seed))
                hosted.enforce(cfg)
                return cfg

            d_cfg = widget_config(depth_from_widgets, url_d)
        bar, report = progress_bar(f"Training {len(d_cfg.functions)} networks of depth {d_cfg.depth}")
        results = depth_results(d_cfg, report)
        bar.empty()
        frames = ex.depth_frames(results)
        notes = ex.depth_notes(results)
        left, right = st.columns(2)
        with left:
            st.altair_chart(ac.grad_lines(frames["grad"], 0, "Gradient per layer at initialisation"),
                            width="stretch")
            notice(notes["grad"])
        with right:
            st.altair_chart(ac.acc_lines(frames["acc"], "Test accuracy while training"), width="stretch")
            notice(notes["acc"])
        st.subheader("During training")
        n_f = len(d_cfg.functions)
        size = dict(columns=min(4, n_f), width=max(140, 640 // min(4, n_f)), height=170)
        st.altair_chart(ac.layer_heatmap(frames["grad"], "grad_norm", "Gradient norm per layer and epoch",
                                         log=True, **size), width="content")
        notice(notes["grad_train"])
        st.altair_chart(ac.layer_heatmap(frames["dead"], "dead", "Share of dead units per hidden layer and epoch",
                                         **size), width="content")
        notice(notes["dead"])
        st.subheader("Pre-activations, layer by layer")
        labels = [LABEL[f] for f in d_cfg.functions]
        want = st.query_params.get("d_show")
        pick = st.segmented_control("Show", labels, key=f"d_hist_{'_'.join(d_cfg.functions)}", required=True,
                                    default=want if want in labels else labels[0])
        if pick != labels[0]:
            show_hist = pick
        h = frames["hist"]
        st.altair_chart(ac.preact_hist(h[h["function"] == pick].drop(columns="function"),
                                       f"{pick}: pre-activation z per hidden layer"), width="content")
        notice(notes[f"hist:{pick}"])

# ---- the URL holds every control ------------------------------------------------------------------------
params = {**f_cfg.to_query("f_"), **c_cfg.to_query("c_"), **d_cfg.to_query("d_")}
if open_tab != "shapes":
    params["tab"] = open_tab
if show_hist:
    params["d_show"] = show_hist
sync_url(params)
share_link()
