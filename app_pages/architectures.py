"""Network Shapes: shallow, deep, wide, deep-and-narrow side by side, and universal approximation in 1-D."""

from __future__ import annotations

import time

import streamlit as st

from core import architectures as ar
from core.architectures import charts
from core.architectures import jobs as arj
from core.serve.cache import batch_key
from ui import links, say, vega
from ui.common import cached_results, seed_state, share_link, sync_url
from ui.exercise import show as show_exercise
from ui.glossary import tip
from ui.widgets import field_widget, page_params, url_config, widget_config


def shape_results(cfg: ar.ShapesConfig, shape: str, progress=None):
    return cached_results(batch_key(cfg.shape_configs(shape), cfg.data_key()),
                          lambda: ar.run_shape(cfg, shape, progress), request=cfg)


def check_results(cfg: ar.ShapesConfig, name: str):
    return cached_results(batch_key(cfg.check_configs()[name], cfg.data_key()), lambda: ar.run_check(cfg, name),
                          request=cfg)


# What a warm rerun of the shapes tab shows, kept per setting (the results themselves are memory-cache hits)
@st.cache_data(max_entries=32, show_spinner=False)
def shapes_view(cfg: ar.ShapesConfig):
    results = {s: shape_results(cfg, s) for s in ar.SHAPES}
    table = ar.shapes_table(cfg, results)
    # the checks of Deep and narrow against Shallow: only where the two have about the same parameters
    checks = {k: ar.check_accuracy(check_results(cfg, k)) for k in cfg.check_configs()} if ar.same_budget(table) \
        else {}
    return table, ar.shapes_curves(results), checks


def width_results(cfg: ar.ApproxConfig, hidden: tuple[int, ...]):
    return cached_results(batch_key(cfg.net_configs(hidden), cfg.data_key()), lambda: ar.run_width(cfg, hidden),
                          request=cfg)


@st.cache_data(max_entries=32, show_spinner=False)
def target_of(cfg: ar.ApproxConfig):
    return ar.target(cfg)


def all_widths(cfg: ar.ApproxConfig):
    """(one-layer results by width, deeper results by shape): memory-cache hits once trained."""
    wide = {W: width_results(cfg, (W,)) for W in sorted(cfg.widths)}
    deep = {h: width_results(cfg, h) for _, h in cfg.deep_shapes()}
    return wide, deep


# What a warm rerun shows, kept per setting (frames; the charts are kept as Vega-Lite specs, ui/vega.py)
@st.cache_data(max_entries=32, show_spinner=False)
def approx_table_of(cfg: ar.ApproxConfig):
    return ar.approx_table(cfg, *all_widths(cfg))


@st.cache_data(max_entries=64, show_spinner=False)
def pieces_of(cfg: ar.ApproxConfig, show: int):
    pieces, total = ar.contributions(arj.best(width_results(cfg, (show,))), target_of(cfg))
    gap = float((total["fit"] - total["sum"]).abs().max())
    active = int((pieces.groupby("unit")["y"].apply(lambda v: float(v.abs().max())) > 1e-6).sum())
    return pieces, total, gap, active


def recommend() -> None:
    """The data set changed: fill in the training settings that suit it (visible, editable)."""
    rec = arj.RECOMMENDED[st.session_state.s_dataset]
    st.session_state.update(s_epochs=rec["epochs"], s_batch=rec["batch_size"], s_lr=rec["lr"])


def fmt_widths(h: tuple[int, ...], sep: str = ",") -> str:
    return sep.join(map(str, h))


# Static tables: headers and cells wrap to the page, so every column shows at 1024 px (a data grid
# scrolled sideways); widths get a space after each comma so a long list can wrap too.
SHAPES_FORMAT = {"hidden widths": lambda w: w.replace(",", ", "), "parameters": "{:,}",
                 **{k: "{:.1%}" for k in ("mean test acc", "spread (std)", "min", "max")}}
APPROX_FORMAT = {"error": "{:.3g}", "worst seed": "{:.3g}"}


st.title("Network Shapes")
st.markdown(
    "How many layers, how many neurons? The tutorial names four shapes: **shallow** (1-2 hidden layers), "
    "**deep** (3 or more), **wide** (many neurons per layer) and **deep and narrow**. Here they train side by "
    "side on the same data, several seeds each. The second tab shows why one hidden layer can in principle "
    "fit any continuous function (Cybenko, 1989), and what depth buys for the same number of parameters.",
    help=tip("hidden layer", "neuron", "seed", "universal approximation", "parameters"),
)

SH, AP = ar.ShapesConfig, ar.ApproxConfig
url_s = url_config(SH, "s_")
url_u = url_config(AP, "u_")
s_cfg, u_cfg = url_s, url_u
u_show = 8  # the width taken apart (its URL key only when another is chosen)
TABS = {"shapes": "① Four shapes", "approx": "② Universal approximation"}
link = page_params("architectures")
asked = link.tab
tab_s, tab_u = st.tabs(list(TABS.values()), key="arch_tab", on_change="rerun", default=TABS.get(asked, TABS["shapes"]))
open_tab = "approx" if tab_u.open else "shapes"
ss = st.session_state

# ---- 1. the four shapes ----------------------------------------------------------------------------
with tab_s:
    if tab_s.open:
        seed_state({f"s_{s}": fmt_widths(url_s.hidden(s)) for s in ar.SHAPES})
        a, b = st.columns([3, 1])
        field_widget(SH, "dataset", label="Data", key="s_dataset", value=url_s.dataset, container=a,
                     widget="segmented_control", required=True, on_change=recommend,
                     format_func={"digits": "sklearn digits (8x8)", "spiral": "2-D spiral"}.get,
                     help="8x8 images of handwritten digits (10 classes), or two interleaved spirals of 2-D points")
        field_widget(SH, "n_seeds", label="Seeds per shape", key="s_seeds", value=url_s.n_seeds, container=b,
                     help=tip("seed", before="Trained together as one batched stack"))
        cols = st.columns(4)
        for col, s in zip(cols, ar.SHAPES):
            field_widget(SH, s, label=f"{ar.SHAPE_LABELS[s]}: hidden widths", key=f"s_{s}", container=col,
                         help=f"{arj.SHAPE_HINTS[s]}; e.g. 256 or 32,32,32,32")
        with st.expander("Training", icon=":material/tune:"):
            e = st.columns(4)
            field_widget(SH, "epochs", label="Epochs", key="s_epochs", value=url_s.epochs, container=e[0],
                         help=tip("epoch"))
            field_widget(SH, "lr", label="Learning rate (Adam)", key="s_lr", value=url_s.lr, container=e[1],
                         format="%.4g", help=tip("learning rate", "adam"))
            field_widget(SH, "batch_size", label="Batch size", key="s_batch", value=url_s.batch_size, container=e[2],
                         help=tip("batch"))
            field_widget(SH, "first_seed", label="First seed", key="s_first", value=url_s.first_seed, container=e[3],
                         help=tip("seed"))

        def shapes_from_widgets() -> ar.ShapesConfig:
            return ar.ShapesConfig(dataset=ss.s_dataset, n_seeds=int(ss.s_seeds), epochs=int(ss.s_epochs),
                                   lr=float(ss.s_lr), batch_size=int(ss.s_batch), first_seed=int(ss.s_first),
                                   **{s: ar.parse_widths(ss[f"s_{s}"]) for s in ar.SHAPES})

        s_cfg = widget_config(shapes_from_widgets, url_s)
        data_name = "digits (64 pixels, 10 classes)" if s_cfg.dataset == "digits" else "the 2-D spiral"
        st.caption(f"ReLU, Adam lr {s_cfg.lr:g}, batch {s_cfg.batch_size}, {s_cfg.epochs} epochs on {data_name}; "
                   f"{s_cfg.n_seeds} seeds per shape trained as one batched stack. Cached after the first run.",
                   help=tip("relu", "test set", "accuracy", "learning curve"))
        slots = st.columns(4)
        results = {}
        bar = st.empty()
        for col, s in zip(slots, ar.SHAPES):
            def report(epoch: int, total: int, _tr, s=s) -> None:
                what = f"Training {ar.SHAPE_LABELS[s]} ({s_cfg.n_seeds} seeds at once)"
                bar.progress(min(1.0, epoch / max(total, 1)), text=f"{what}: epoch {epoch}/{total}")

            rs = shape_results(s_cfg, s, report)
            results[s] = rs
            acc = [r.metrics["final_test_acc"] for r in rs]
            mean = sum(acc) / len(acc)
            spread = (sum((a - mean) ** 2 for a in acc) / len(acc)) ** 0.5
            p = ar.n_params(rs[0].n_in, s_cfg.hidden(s), rs[0].n_out)
            # the widths under the name, not in the label: "Deep and narrow (16,16,16,16,16,16)" was cut at 1024 px
            col.metric(ar.SHAPE_LABELS[s], f"{mean:.1%}",
                       f"± {spread:.1%} over {len(rs)} seeds", delta_color="off", delta_arrow="off",
                       help="Mean test accuracy (on held-out images), and its spread (std) over the seeds")
            col.caption(f"hidden {fmt_widths(s_cfg.hidden(s), ', ')} · {p:,} parameters · "
                        f"trained in {sum(r.seconds for r in rs):.2f} s when first run")
        bar.empty()
        table, curves, checks = shapes_view(s_cfg)
        notes = ar.shapes_notes(table, checks, s_cfg.epochs)
        say.lessons([notes["best"], notes["fewer"]], "caption")
        say.lesson(notes["narrow"], "caption", help=tip("he init", "initialisation", "linearly separable"))
        left, right = st.columns(2)
        sk = f"architectures.shapes:{s_cfg.key()}"  # the charts are functions of the settings' results alone
        ran = [r for rs in results.values() for r in rs]
        vega.altair(f"{sk}:curves", lambda: charts.curves_chart(curves), of=ran, where=left, width="stretch")
        vega.altair(f"{sk}:params", lambda: charts.params_chart(table), of=ran, where=right, width="stretch")
        # the widths say the layers; the seconds are one run's (in the captions above), not a comparison
        st.table(table.drop(columns=["layers", "seconds"]).style.format(SHAPES_FORMAT), hide_index=True)
        links.try_next("architectures.shapes", "architectures", TABS)

# ---- 2. universal approximation --------------------------------------------------------------------
with tab_u:
    if tab_u.open:
        seed_state({"u_widths": fmt_widths(url_u.widths)})
        st.markdown(
            "One hidden layer computes a sum of bent pieces: each unit is a ReLU (or S-curve) placed and scaled by "
            "its weights, and the output adds them up. More units, more pieces, a closer fit. Below, one network "
            "per width learns the same function, and deeper networks get the same parameter budget.",
            help=tip("universal approximation", "relu", "sigmoid", "weight", "capacity"),
        )
        a, b = st.columns([3, 1])
        field_widget(AP, "function", label="Function", key="u_function", value=url_u.function, container=a,
                     widget="segmented_control", required=True, format_func=ar.TARGET_LABELS.get, help=None)
        field_widget(AP, "activation", label="Activation", key="u_activation", value=url_u.activation, container=b,
                     help=tip("activation"))
        seed_state({"u_formula": url_u.formula})  # kept while another function is shown
        if ss.u_function == "formula":
            field_widget(AP, "formula", label="f(x) =", key="u_formula",
                         help="x, numbers, pi, e, + - * / ** %, and: " + ", ".join(arj.formula.FUNCTIONS))
        with st.expander("Widths and training", icon=":material/tune:"):
            e = st.columns([3, 1, 1, 1, 1])
            field_widget(AP, "widths", label="One-hidden-layer widths", key="u_widths", container=e[0],
                         help="Up to 12 widths from 1 to 256")
            field_widget(AP, "epochs", label="Epochs", key="u_epochs", value=url_u.epochs, container=e[1],
                         help=tip("epoch"))
            field_widget(AP, "lr", label="Learning rate (Adam)", key="u_lr", value=url_u.lr, container=e[2],
                         format="%.4g", help=tip("learning rate", "adam"))
            field_widget(AP, "n_seeds", label="Seeds per net", key="u_seeds", value=url_u.n_seeds, container=e[3],
                         help="The best seed of each net is shown")
            field_widget(AP, "seed", label="Seed", key="u_seed", value=url_u.seed, container=e[4], help=tip("seed"))
            field_widget(AP, "deep", label="Also train 2- and 3-layer nets with the same parameter budgets",
                         key="u_deep", value=url_u.deep, widget="checkbox", help=None)

        def approx_from_widgets() -> ar.ApproxConfig:
            return ar.ApproxConfig(function=ss.u_function, formula=ss.u_formula, widths=ar.parse_widths(ss.u_widths),
                                   activation=ss.u_activation, epochs=int(ss.u_epochs), lr=float(ss.u_lr),
                                   n_seeds=int(ss.u_seeds), deep=bool(ss.u_deep), seed=int(ss.u_seed))

        u_cfg = widget_config(approx_from_widgets, url_u)
        tgt = target_of(u_cfg)
        st.caption(f"Full batch on {arj.N_TRAIN} points of [-3, 3], Adam lr {u_cfg.lr:g}, {u_cfg.epochs} epochs, "
                   f"{u_cfg.n_seeds} seeds per net as one stack (the best seed is shown). Error: mean squared error "
                   f"on {arj.N_GRID} points divided by the function's variance (1 = no better than a flat line).",
                   help=tip("full batch", "mse", "batch"))
        left, right = st.columns(2)
        fits_slot, err_slot = left.empty(), right.empty()
        wide: dict[int, list] = {}
        todo = len(u_cfg.widths) + len(u_cfg.deep_shapes())
        bar = None
        for i, W in enumerate(sorted(u_cfg.widths)):
            t0 = time.perf_counter()
            wide[W] = width_results(u_cfg, (W,))
            if time.perf_counter() - t0 > 0.05:  # it trained: draw the fits so far (the first one shows at once)
                fits_slot.altair_chart(charts.fits_chart(ar.fits_frame(tgt, wide)), width="stretch")
                bar = bar or err_slot.progress(0.0)
                bar.progress((i + 1) / todo, text=f"Trained one hidden layer of {W} ({u_cfg.n_seeds} seeds at once)")
        deep: list = []  # every deeper net's results (the error chart's)
        for i, (_, h) in enumerate(u_cfg.deep_shapes()):
            t0 = time.perf_counter()
            deep += width_results(u_cfg, h)
            if time.perf_counter() - t0 > 0.05:
                bar = bar or err_slot.progress(0.0)
                bar.progress((len(wide) + i + 1) / todo, text=f"Trained {len(h)} layers of {h[0]} (same budget)")
        table = approx_table_of(u_cfg)
        uk = f"architectures.approx:{u_cfg.key()}"  # the charts are functions of the settings' results alone
        one = [r for rs in wide.values() for r in rs]
        vega.altair(f"{uk}:fits", lambda: charts.fits_chart(ar.fits_frame(tgt, wide)), of=one, where=fits_slot,
                    width="stretch")
        vega.altair(f"{uk}:error", lambda: charts.error_chart(table), of=one + deep, where=err_slot, width="stretch")
        say.lessons(ar.approx_notes(table), "caption")

        st.subheader("The sum of bent pieces")
        widths = sorted(u_cfg.widths)
        want = link.u_show
        a, b, c, d = st.columns(4)
        show = a.selectbox("Width to take apart", widths, index=widths.index(want) if want in widths else 0,
                           key=f"u_show_{fmt_widths(u_cfg.widths)}")
        pieces, total, gap, active = pieces_of(u_cfg, show)
        # short labels (long ones were cut at 1024 px), the rest in their help
        b.metric("Active units", f"{active} of {show}",
                 help=tip("dead relu", before="Units adding something on [-3, 3]; the others output zero "
                                              "everywhere there (dead units)"))
        c.metric("Output bias", f"{float(total['offset'].iloc[0]):.3f}",
                 help=tip("bias", before="The output layer's bias in the function's units, plus the target's "
                                         "mean (the network learns the target standardised)"))
        d.metric("Sum vs network", f"{gap:.1e}",
                 help="The largest gap on [-3, 3] between the sum of the pieces plus the bias and the network's "
                      "own output")
        vega.altair(f"{uk}:pieces:{show}", lambda: charts.pieces_chart(
            pieces, total, f"One hidden layer of {show}: each unit's output × its outgoing weight, and their sum"),
            of=wide[show], width="stretch")
        say.lesson(ar.pieces_add_up(show, gap), "caption")
        st.table(table.style.format(APPROX_FORMAT), hide_index=True)
        u_show = show
        links.try_next("architectures.approx", "architectures", TABS)

# ---- the URL holds every control -------------------------------------------------------------------
params = {**s_cfg.to_query("s_"), **u_cfg.to_query("u_")}
if open_tab != "shapes":
    params["tab"] = open_tab
if open_tab == "approx" and u_show != 8:
    params["u_show"] = str(u_show)
show_exercise("architectures", open_tab)  # predict, then run (core.exercises)
sync_url(params)
share_link()
