"""Activation Explorer: every common activation, its derivative, and what it does to learning."""

from __future__ import annotations

import streamlit as st

from core import explorer as ex
from core.engine.activations import REGISTRY, table
from core.explorer import charts as ac
from core.explorer.jobs import PARAM_FIELDS
from core.serve.cache import batch_key
from ui import links, say, vega
from ui.common import cached_results, seed_state, share_link, sync_url
from ui.exercise import show as show_exercise
from ui.glossary import tip
from ui.widgets import field_widget, page_params, parse_numbers, progress_bar, url_config, widget_config

LABEL = {n: REGISTRY[n].label for n in REGISTRY}
F, CMP, DEP = ex.CurvesConfig, ex.CompareConfig, ex.DepthConfig
SLIDER_KEYS = {"leaky_alpha": "f_leaky", "elu_alpha": "f_elu", "softplus_beta": "f_beta"}  # field -> widget key
# the measured table's formats (+ 0.0: tanh's mean output is -0.0, shown as "-0")
COMPARE_W, DEPTH_W = 210, 165  # px of each network-and-training setting, of each depth-study number
NUMBERS = {"largest slope": "{:.4g}", "mean output, N(0,1) input": lambda v: f"{v + 0.0:.3g}"}
INIT_SHORT = {"matched": "Each its own", "default": "PyTorch default", "xavier": "Xavier", "he": "He",
              "lecun": "LeCun", "small": "randn*0.5"}


# ---- cached computations (pure functions of frozen configs) ---------------------------------------
@st.cache_data(max_entries=64)
def curves_view(cfg: ex.CurvesConfig):
    return ex.curves(cfg), ex.curves_table(cfg)


def compare_key(cfg: ex.CompareConfig) -> str:
    return batch_key(cfg.train_configs(), cfg.data_key())


def compare_results(cfg: ex.CompareConfig, progress=None):
    return cached_results(compare_key(cfg), lambda: ex.run_compare(cfg, progress), request=cfg)


def depth_results(cfg: ex.DepthConfig, progress=None):
    key = batch_key(cfg.train_configs(), f"depth-probes-{ex.PROBE}-{ex.BINS}-{cfg.key()}")
    return cached_results(key, lambda: ex.run_depth(cfg, progress), request=cfg)


# ---- page -----------------------------------------------------------------------------------------
st.title("Activation Explorer", help=tip("activation"))
st.markdown(
    "Every common activation function, its slope (from autograd, not a typed formula), and what it does "
    "to real training: the same network trained with each one from several seeds at once, and deep "
    "networks where you can watch gradients vanish and ReLU units die.",
    help=tip("autograd", "seed", "gradient", "gradient descent", "loss", "vanishing gradient", "relu", "dead relu",
             "neuron", "perceptron"),
)

url_f = url_config(ex.CurvesConfig, "f_")
url_c = url_config(ex.CompareConfig, "c_")  # hosted: priced once, at the door, when its tab trains it
url_d = url_config(ex.DepthConfig, "d_")
f_cfg, c_cfg, d_cfg = url_f, url_c, url_d
show_hist = None  # which function's histograms the depth tab shows, when not the first

TABS = {"shapes": "① Shapes and slopes", "softmax": "② Softmax", "learn": "③ Effect on learning",
        "depth": "④ Depth"}
link = page_params("activations")
asked = link.tab
tab_list = st.tabs(list(TABS.values()), key="act_tab", on_change="rerun",
                   default=TABS.get(asked, TABS["shapes"]))
tab_f, tab_s, tab_c, tab_d = tab_list
open_tab = next((name for name, t in zip(TABS, tab_list) if t.open), "shapes")

# ---- 1. shapes and slopes -------------------------------------------------------------------------
with tab_f:
    if tab_f.open:
        a, b, c = st.columns([4, 1, 1])
        chosen = field_widget(F, "functions", label="Functions", key="f_functions", value=url_f.functions,
                              container=a, format_func=LABEL.get, wrap=True,  # in one row "Leaky ReLU" was cut
                              help=tip("derivative", "saturation", "sigmoid", "tanh", "leaky relu", "softmax",
                                       before="Softmax is not elementwise: it has its own tab."))
        field_widget(F, "x_min", label="x from", key="f_xmin", value=url_f.x_min, container=b, step=1.0)
        field_widget(F, "x_max", label="x to", key="f_xmax", value=url_f.x_max, container=c, step=1.0)
        for fld, key in SLIDER_KEYS.items():  # a parameter's first value comes from the link even while hidden
            seed_state({key: getattr(url_f, fld)})
        shown = [(name, p, fld) for (name, p), fld in PARAM_FIELDS.items() if fld in SLIDER_KEYS and name in chosen]
        if shown:
            cols = st.columns(len(shown))
            for col, (name, p, fld) in zip(cols, shown):
                field_widget(F, fld, label=f"{LABEL[name]} {p}", key=SLIDER_KEYS[fld], widget="slider",
                             container=col, step=0.01)
        ss = st.session_state
        if not chosen:
            say.status("Choose at least one function to draw. Showing the previous choice.", "warning",
                       icon=":material/warning:")
        else:
            f_cfg = widget_config(lambda: url_f.replace(
                functions=tuple(chosen), x_min=float(ss.f_xmin), x_max=float(ss.f_xmax),
                leaky_alpha=float(ss.f_leaky), elu_alpha=float(ss.f_elu), softplus_beta=float(ss.f_beta)), f_cfg)
        frame, table = curves_view(f_cfg)
        notes = ex.curve_notes(f_cfg)  # claims are not cached by st.cache_data (a Said does not pickle)
        left, right = st.columns(2)
        vega.altair(f"explorer.shapes:{f_cfg.key()}:y", lambda: ac.curves_chart(frame, "y", "The functions f(x)"),
                    where=left, width="stretch")
        vega.altair(f"explorer.shapes:{f_cfg.key()}:slope",
                    lambda: ac.curves_chart(frame, "slope", "Their slopes f'(x), from autograd"), where=right,
                    width="stretch")
        say.lessons(notes, "caption")
        st.subheader("The table, measured")
        st.caption(f"Measured on x from {f_cfg.x_min:g} to {f_cfg.x_max:g} (slopes from autograd on 2,001 points); "
                   "zero-centred means the mean output for standard-normal input is within 0.05 of 0.")
        # measured numbers, then what each is for; static tables, whose headers and cells wrap: at 1024 px
        # a data grid scrolled sideways and hid the last columns
        words = [c for c in ("use", "gotcha") if c in table.columns]
        st.table(table.drop(columns=words).style.format(NUMBERS), hide_index=True)
        if words:
            st.table(table[["function", *words]], hide_index=True)
        links.try_next("activations.shapes", "activations", TABS)

# ---- 2. softmax -------------------------------------------------------------------------------------
with tab_s:
    if tab_s.open:
        st.markdown(
            "Softmax turns a vector of scores (logits) into probabilities that sum to 1, so it acts on the "
            "whole vector, not one number at a time. Dividing the logits by a **temperature** T first "
            "makes it sharper (T < 1) or flatter (T > 1).",
            help=tip("softmax", "logits", "temperature"),
        )
        a, b = st.columns([2, 3])
        field_widget(F, "logits", label="Logits (comma-separated)", key="f_logits", value=url_f.logits, container=a,
                     help=tip("logits", "softmax", before="2 to 12 numbers between -100 and 100"))
        field_widget(F, "temperature", label="Temperature T", key="f_temp", value=url_f.temperature, container=b,
                     widget="slider", step=0.05, help=tip("temperature", "entropy"))
        f_cfg = widget_config(lambda: f_cfg.replace(logits=parse_numbers(st.session_state.f_logits),
                                                    temperature=float(st.session_state.f_temp)), f_cfg)
        left, right = st.columns(2)
        sk = f"explorer.softmax:{f_cfg.logits}:{f_cfg.temperature!r}"
        vega.altair(f"{sk}:bars", lambda: ac.softmax_bars(ex.softmax_frame(f_cfg.logits, f_cfg.temperature),
                                                          "Probabilities at T = 1 and at your T"),
                    where=left, width="stretch")
        vega.altair(f"{sk}:sweep", lambda: ac.softmax_sweep_chart(ex.softmax_sweep(f_cfg.logits), f_cfg.temperature,
                                                                  "Each class's probability as T changes"),
                    where=right, width="stretch")
        say.lessons(ex.softmax_notes(f_cfg.logits, f_cfg.temperature), "caption")
        st.table(table(("softmax",), f_cfg.params(), logits=f_cfg.logits).drop(
            columns=["saturates (|slope| < 0.01)", "mean output, N(0,1) input"]).style.format(NUMBERS), hide_index=True)
        links.try_next("activations.softmax", "activations", TABS)

# ---- 3. effect on learning ----------------------------------------------------------------------------
with tab_c:
    if tab_c.open:
        st.markdown(
            "The same MLP trained with each chosen activation, from several seeds, **all at once, batched**. "
            "Lines are the mean over seeds; bands span the best and worst seed. Each function uses its "
            "default parameters here.",
            help=tip("mlp", "loss", "accuracy", "test set"),
        )
        field_widget(CMP, "functions", label="Activations", key="c_functions", value=url_c.functions,
                     format_func=LABEL.get,
                     help=tip("sigmoid", "tanh", "relu", "leaky relu", "elu", "gelu", "silu", "softplus"))
        a, c, _ = st.columns([2, 1, 3])
        field_widget(CMP, "dataset", label="Data", key="c_dataset", value=url_c.dataset, container=a, help=None,
                     format_func=lambda s: "sklearn digits (8x8)" if s == "digits" else f"2-D {s} (XOR Lab)")
        field_widget(CMP, "n_seeds", label="Seeds", key="c_seeds", value=url_c.n_seeds, container=c,
                     help=tip("seed", before="Models per activation (at least 1), trained together"))
        with st.expander("Network and training", icon=":material/tune:"):
            # boxes of a fixed width that wrap: four a row on a wide screen, two at 1024 px (in four columns
            # the init read "PyTorch def")
            row, w = st.container(horizontal=True), dict(width=COMPARE_W)
            field_widget(CMP, "hidden", label="Hidden widths", key="c_hidden", value=url_c.hidden, container=row,
                         help="e.g. 128, 64: two hidden layers", **w)
            field_widget(CMP, "epochs", label="Epochs", key="c_epochs", value=url_c.epochs, container=row,
                         help=tip("epoch"), **w)
            field_widget(CMP, "lr", label="Learning rate", key="c_lr", value=url_c.lr, container=row, format="%.4g",
                         help=tip("learning rate"), **w)
            field_widget(CMP, "batch_size", label="Batch size", key="c_batch", value=url_c.batch_size, container=row,
                         help=tip("batch"), **w)
            field_widget(CMP, "optimizer", label="Optimizer", key="c_opt", value=url_c.optimizer, container=row,
                         help=tip("adam", "sgd", "momentum"), **w)
            field_widget(CMP, "init", label="Init", key="c_init", value=url_c.init, container=row,
                         format_func=INIT_SHORT.get, **w,
                         help=tip("xavier init", "he init", "lecun init",
                                  before="Each its own: Xavier for sigmoid and tanh, He for the ReLU family."))
            field_widget(CMP, "first_seed", label="First seed", key="c_first", value=url_c.first_seed, container=row,
                         **w)
            field_widget(CMP, "noise", label="Noise (2-D sets)", key="c_noise", value=url_c.noise, container=row,
                         widget="slider", step=0.05, help=None, **w)
        ss = st.session_state
        if not ss.c_functions:
            say.status("Choose at least one activation to train. Showing the previous choice.", "warning",
                       icon=":material/warning:")
        else:
            c_cfg = widget_config(lambda: ex.CompareConfig(
                dataset=ss.c_dataset, functions=tuple(ss.c_functions), n_seeds=int(ss.c_seeds),
                hidden=parse_numbers(ss.c_hidden, int), epochs=int(ss.c_epochs), lr=float(ss.c_lr),
                batch_size=int(ss.c_batch), optimizer=ss.c_opt, init=ss.c_init, first_seed=int(ss.c_first),
                noise=float(ss.c_noise)), url_c)
        bar, report = progress_bar(f"Training {len(c_cfg.train_configs())} networks at once")
        results = compare_results(c_cfg, report)
        bar.empty()
        notes = ex.compare_notes(results)
        table = ex.compare_table(results)
        key = compare_key(c_cfg)
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
            vega.altair(f"{key}:acc", lambda: ac.band_chart(ex.compare_bands(ex.compare_curves(results), "test_acc"),
                                                            "test accuracy", "Test accuracy"),
                        of=results, width="stretch")
            say.lesson(notes["acc"], "caption")
        with right:
            vega.altair(f"{key}:loss", lambda: ac.band_chart(ex.compare_bands(ex.compare_curves(results), "test_loss"),
                                                             "test loss (log)", "Test loss", log_y=True),
                        of=results, width="stretch")
            say.lesson(notes["loss"], "caption")
        left, right = st.columns([3, 2], vertical_alignment="center")
        vega.altair(f"{key}:ranking", lambda: ac.ranking_chart(table, "Ranked by final test accuracy"), of=results,
                    where=left, width="stretch")
        say.lesson(notes["table"], "caption", where=right)
        # full width, and only columns that vary: at 1024 px the last column was cut. Seeds per activation is
        # in the caption above; "diverged" shows when a run did.
        drop = ["name", "seeds"] + ([] if table["diverged"].any() else ["diverged"])
        st.dataframe(
            table.drop(columns=drop), hide_index=True, width="stretch",
            column_config={"rank": st.column_config.NumberColumn(width="small"),
                           **{k: st.column_config.NumberColumn(format="%.4f")
                              for k in ("mean test acc", "std", "min", "max", "mean test loss")}})
        links.try_next("activations.learn", "activations", TABS)

# ---- 4. depth -----------------------------------------------------------------------------------------
with tab_d:
    if tab_d.open:
        st.markdown(
            "Deep MLPs on digits, one per activation, trained together. Before training and after every "
            "epoch the same 512 training images go through each network to measure each layer's gradient, "
            "its dead units (zero slope on every image), and its pre-activations. Each activation starts from "
            "the init designed for it (He for the ReLU family, Xavier for sigmoid and tanh, LeCun for SELU); "
            "choose one shared init to see what a mismatched one does.",
            help=tip("mlp", "epoch", "pre-activation", "dead relu"),
        )
        field_widget(DEP, "functions", label="Activations", key="d_functions", value=url_d.functions,
                     format_func=LABEL.get, help=tip("sigmoid", "tanh", "relu", "leaky relu", "gelu"))
        field_widget(DEP, "depth", label="Hidden layers", key="d_depth", value=url_d.depth,
                     widget="slider", help=tip("hidden layer"))
        field_widget(DEP, "init", label="Initialisation", key="d_init", value=url_d.init,  # a row: 5 options
                     widget="segmented_control", required=True, format_func=INIT_SHORT.get,
                     help=tip("initialisation", "xavier init", "he init", "lecun init",
                              before="Each its own: Xavier for sigmoid and tanh, He for the ReLU family."))
        row, w = st.container(horizontal=True), dict(width=DEPTH_W)  # five a row, or three: labels on one line
        field_widget(DEP, "width", label="Width", key="d_width", value=url_d.width, container=row, **w)
        field_widget(DEP, "lr", label="Learning rate (Adam)", key="d_lr", value=url_d.lr, container=row, **w,
                     format="%.4g", help=tip("learning rate", "adam"))
        field_widget(DEP, "epochs", label="Epochs", key="d_epochs", value=url_d.epochs, container=row, **w)
        field_widget(DEP, "batch_size", label="Batch size", key="d_batch", value=url_d.batch_size, container=row, **w,
                     help=tip("batch"))
        field_widget(DEP, "seed", label="Seed", key="d_seed", value=url_d.seed, container=row, **w)
        ss = st.session_state
        if not ss.d_functions:
            say.status("Choose at least one activation. Showing the previous choice.", "warning",
                       icon=":material/warning:")
        else:
            d_cfg = widget_config(lambda: ex.DepthConfig(
                functions=tuple(ss.d_functions), depth=int(ss.d_depth), width=int(ss.d_width), init=ss.d_init,
                lr=float(ss.d_lr), epochs=int(ss.d_epochs), batch_size=int(ss.d_batch), seed=int(ss.d_seed)), url_d)
        bar, report = progress_bar(f"Training {len(d_cfg.functions)} networks of depth {d_cfg.depth}")
        results = depth_results(d_cfg, report)
        bar.empty()
        frames = ex.depth_frames(results)
        notes = ex.depth_notes(results)
        dk = f"explorer.depth:{d_cfg.key()}"
        say.lessons([notes["init"], notes["init_shared"]], "caption")  # full width, above the charts it explains
        left, right = st.columns(2)
        with left:
            vega.altair(f"{dk}:grad", lambda: ac.grad_lines(frames["grad"], 0, "Gradient per layer at initialisation"),
                        of=results, width="stretch")
            say.lesson(notes["grad"], "caption")
        with right:
            vega.altair(f"{dk}:acc", lambda: ac.acc_lines(frames["acc"], "Test accuracy while training"), of=results,
                        width="stretch")
            say.lesson(notes["acc"], "caption", help=tip("accuracy", "test set"))
        st.subheader("During training", help=tip("loss", "plateau"))
        n_f = len(d_cfg.functions)
        # two per row: four 160 px maps in a row were cut at 1024 px wide
        size = dict(columns=min(2, n_f), width=190 if n_f > 1 else 320, height=170)
        vega.altair(f"{dk}:grad_map", lambda: ac.layer_heatmap(frames["grad"], "grad_norm",
                                                               "Gradient norm per layer and epoch", log=True, **size),
                    of=results, width="content")
        say.lesson(notes["grad_train"], "caption")
        say.lesson(notes["tanh"], "caption")
        vega.altair(f"{dk}:dead_map", lambda: ac.layer_heatmap(
            frames["dead"], "dead", "Share of dead units per hidden layer and epoch", **size),
            of=results, width="content")
        say.lessons([notes["dead"], notes["plateau"]], "caption")
        st.subheader("Pre-activations, layer by layer")
        labels = [LABEL[f] for f in d_cfg.functions]
        want = link.d_show
        pick = st.segmented_control("Show", labels, key=f"d_hist_{'_'.join(d_cfg.functions)}", required=True,
                                    default=want if want in labels else labels[0])
        if pick != labels[0]:
            show_hist = pick
        h = frames["hist"]
        vega.altair(f"{dk}:hist:{pick}", lambda: ac.preact_hist(h[h["function"] == pick].drop(columns="function"),
                                                                f"{pick}: pre-activation z per hidden layer",
                                                                columns=4, size=110), of=results, width="content")
        st.caption(tip("pre-activation"), help=tip("neuron", "bias"))
        say.lesson(notes[f"hist:{pick}"], "caption")
        links.try_next("activations.depth", "activations", TABS)

# ---- the URL holds every control ------------------------------------------------------------------------
params = {**f_cfg.to_query("f_"), **c_cfg.to_query("c_"), **d_cfg.to_query("d_")}
if open_tab != "shapes":
    params["tab"] = open_tab
if show_hist:
    params["d_show"] = show_hist
show_exercise("activations", open_tab)  # predict, then run (core.exercises)
sync_url(params)
share_link()
