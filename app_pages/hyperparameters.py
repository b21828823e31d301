"""Hyperparameter Effects: the tutorial's table of what each setting does, each row a live, seeded sweep."""

from __future__ import annotations

import streamlit as st

import core.hyperparameters as hp
from core.engine.activations import REGISTRY
from core.hyperparameters import charts as hc
from ui import links, say, vega
from ui.common import cached_results, seed_state, share_link, sync_url
from ui.exercise import show as show_exercise
from ui.glossary import tip
from ui.widgets import field_widget, page_params, parse_numbers, progress_bar, url_config, widget_config

TABS = {"lr": "Learning rate", "batch": "Batch size", "capacity": "Layers and neurons", "activation": "Activation",
        "dropout": "Dropout"}
# the tutorial's table of effects: what it says each setting does
SAYS = {
    "lr": "Too high diverges, too low crawls. Start at 0.001 with Adam, 0.01 with SGD.",
    "batch": "Smaller batches: noisier gradients (can escape poor spots), slower per epoch. Larger: smoother, faster.",
    "capacity": "More layers and neurons fit more complex patterns, but train harder and overfit more.",
    "activation": "ReLU is the default for hidden layers; sigmoid and tanh saturate and learn slowly in depth.",
    "dropout": "Higher dropout regularises more (a smaller train/validation gap); lower keeps more capacity. "
               "0.2-0.3 to start, up to 0.5.",
}


def sweep_results(cfg: hp.Sweep, progress=None):
    # request=cfg: the sweep is priced whole, once (all its stacks), before any of it trains
    return cached_results(hp.sweep_key(cfg), lambda: hp.run_sweep(cfg, progress), request=cfg)


@st.cache_data(max_entries=16, show_spinner=False)
def noise_view(batches: tuple[int, ...], hidden: tuple[int, ...], seed: int):
    return hp.gradient_noise(batches, hidden, seed)


TABLE_FORMAT = {"parameters": "{:,}", "train loss": "{:.4f}", "test loss": "{:.4f}", "train acc": "{:.1%}",
                "test acc": "{:.1%}", "gap": "{:.1%}", "loss gap": "{:.4f}", "s / epoch": "{:.3f}"}
# the glossary terms each tab's tutorial line and its values box bring up first
SAYS_TIPS = {"lr": tip("learning rate", "diverge", "adam", "sgd"), "batch": tip("batch", "gradient", "epoch"),
             "capacity": tip("capacity", "overfitting"),
             "activation": tip("relu", "hidden layer", "sigmoid", "tanh", "saturation"),
             "dropout": tip("dropout", "regularisation", "generalisation gap", "capacity")}
# (Activation's values box tips the activations chosen in it: act_terms)
VALUE_TIPS = {"lr": tip("learning rate"), "batch": tip("batch"),
              "capacity": tip("hidden layer", "neuron", "parameters"), "dropout": tip("dropout")}
# the caption above each tab's charts: what the charts show, and the terms the lessons under them bring up first
CHARTS_TIP = tip("learning curve", "loss", "accuracy", "generalisation gap")
NOTE_TIPS = {"lr": "", "batch": tip("initialisation"), "capacity": tip("training set"),
             "activation": tip("gradient", "weight"), "dropout": ""}
# each activation's own line, where its name is shown (the ones the glossary has)
ACT_TIPS = {"sigmoid": tip("sigmoid"), "tanh": tip("tanh"), "relu": tip("relu"), "leaky_relu": tip("leaky relu"),
            "elu": tip("elu"), "gelu": tip("gelu"), "silu": tip("silu"), "softplus": tip("softplus")}
VALUE_LABELS = {"lr": "Learning rates", "batch": "Batch sizes", "capacity": "Hidden layers (e.g. 64, 128x128)",
                "dropout": "Dropout rates"}


def tips(*parts: str) -> str:
    """Several tooltips as one (the empty ones left out)."""
    return "\n\n".join(p for p in parts if p)


def from_widgets(name: str, url: hp.Sweep) -> hp.Sweep:
    """The sweep the widgets of tab `name` ask for (ValueError/ConfigError with the reason if refused; the
    caps are checked by :func:`ui.widgets.widget_config`)."""
    ss, p = st.session_state, f"{name}_"
    raw = ss[f"{p}values"]
    if name == "activation":
        values = tuple(raw)
    elif name == "capacity":
        values = tuple(hp.shape_label(hp.parse_shape(v)) for v in parse_numbers(raw, str))
    else:
        values = parse_numbers(raw, int if name == "batch" else float)
    return hp.SWEEP_TYPES[name](values=values, seeds=int(ss[f"{p}seeds"]), epochs=int(ss[f"{p}epochs"]),
                                hidden=hp.parse_shape(ss[f"{p}hidden"]), lr=float(ss[f"{p}lr"]),
                                batch_size=int(ss[f"{p}batch"]), activation=url.activation, dropout=url.dropout,
                                optimizer=ss.get(f"{p}opt", url.optimizer))


def tutorial_net() -> None:
    """The tutorial's exact dropout network against the same without dropout (a fixed, seeded pair)."""
    cfg = hp.TUTORIAL_NET
    st.subheader("The tutorial's own network, with and without dropout", divider="gray")
    st.markdown("The tutorial's code, as written: **64-128-ReLU-Dropout(0.3)-64-ReLU-Dropout(0.3)-10**, against "
                f"the same network without dropout. Adam at lr {cfg.lr:g}, batch {cfg.batch_size}, {cfg.epochs} "
                f"epochs, {cfg.seeds} seeds each; the same images as above. These settings are fixed.",
                help=tip("dropout", "adam", "generalisation gap", "test set"))
    with st.spinner("Training the tutorial's network with and without dropout..."):
        # its own key: evaluated after the last epoch only (a Dropout sweep set to the same values has curves)
        table = hp.summary(cfg, cached_results(hp.tutorial_key(), hp.run_tutorial_net, request=cfg))
    names = {"0": "without dropout", "0.3": "Dropout(0.3)"}
    shown = table.assign(network=table["value"].map(names))[["network", "train acc", "val acc", "test acc", "gap",
                                                                 "train loss", "test loss"]]
    st.table(shown.style.format(TABLE_FORMAT | {"val acc": "{:.1%}"}), hide_index=True)
    say.lessons([hp.tutorial_net_gap(table), hp.tutorial_net_test(table)], "caption")


def sweep_charts(name: str, cfg: hp.Sweep, results: list, table, curves, order: list[str], what: str) -> None:
    """A sweep's charts and what they show; each chart kept per sweep (ui/vega.py: functions of its results)."""
    hk = f"hyperparameters.{name}:{cfg.key()}"

    def per_epoch(metric: str, axis: str, title: str, log_y: bool = False, where=None) -> None:
        """Mean and min-max over seeds of ``metric`` per epoch, one line per swept value."""
        vega.altair(f"{hk}:{metric}", lambda: hc.curve_chart(hp.bands(curves, metric), order, what, axis, title,
                                                             log_y=log_y), of=results, where=where, width="stretch")

    if name == "lr":
        notes = hp.lr_notes(cfg, table, curves)
        left, right = st.columns(2)
        with left:
            per_epoch("train_eval_loss", "training loss (log)", "Training loss per epoch", log_y=True)
            say.lessons([notes["high"], notes["low"]], "caption")
        with right:
            vega.altair(f"{hk}:final", lambda: hc.lr_chart(table, "Final loss against the learning rate"),
                        of=results, width="stretch")
            say.lessons([notes["best"], notes["start"]], "caption")
        if cfg.optimizer == "adam":
            say.status("The tutorial starts plain SGD at lr 0.01: choose SGD above to sweep it.", "caption")
    elif name == "batch":
        noise = noise_view(tuple(sorted(int(v) for v in cfg.values)), cfg.hidden, 0)
        notes = hp.batch_notes(cfg, table, noise)
        left, right = st.columns(2)
        with left:
            per_epoch("train_loss", "mean batch loss (log)", "Training loss per epoch", log_y=True)
            say.lesson(notes["progress"], "caption")
        with right:
            vega.altair(f"{hk}:time", lambda: hc.bar_chart(table, "value", "s / epoch", "batch size",
                                                           "seconds per epoch", order, "Time per epoch", ".3f"),
                        of=results, width="stretch")
            say.lesson(notes["time"], "caption")
        noise["value"] = noise["batch"].astype(str)
        vega.altair(f"{hk}:noise", lambda: hc.bar_chart(
            noise, "value", "noise", "batch size", "|g_batch - g_full| / |g_full|", [str(b) for b in noise["batch"]],
            "Gradient noise at initialisation (16 seeded minibatches each)", ".0%"), width="stretch")
        say.lesson(notes["noise"], "caption")
    elif name == "activation":
        notes = hp.activation_notes(cfg, table, curves)
        left, right = st.columns(2)
        per_epoch("val_acc", "validation accuracy", "Validation accuracy per epoch", where=left)
        per_epoch("train_eval_loss", "training loss (log)", "Training loss per epoch", log_y=True, where=right)
        say.lessons(notes, "caption")
        links.page_link("activations", "Activation Explorer ④ Depth: sigmoid, tanh and ReLU in 10 hidden layers",
                        query={"tab": "depth"})
    else:  # capacity, dropout: the train / held-out gap
        notes = hp.capacity_notes(cfg, table) if name == "capacity" else hp.dropout_notes(cfg, table)
        left, right = st.columns(2)
        vega.altair(f"{hk}:acc", lambda: hc.train_test_chart(table, order, what, "acc",
                                                             "Training and held-out accuracy"),
                    of=results, where=left, width="stretch")
        vega.altair(f"{hk}:loss", lambda: hc.train_test_chart(table, order, what, "loss",
                                                              "Training and held-out loss"),
                    of=results, where=right, width="stretch")
        say.lessons(notes, "caption")
        per_epoch("test_loss", "held-out loss (log)", "Held-out loss per epoch", log_y=True)


# ---- page -----------------------------------------------------------------------------------------
st.title("Hyperparameter Effects",  # the settings the tabs sweep, named in their labels
         help=tip("hyperparameter", "learning rate", "batch", "neuron", "activation", "dropout"))
st.markdown(
    "The tutorial's table of what each hyperparameter does, one row per tab, each a real sweep: the same "
    f"MLP on scikit-learn's 8x8 digits ({hp.N_TRAIN - hp.N_VAL:,} images to train on, {hp.N_VAL} kept back for "
    "validation, 360 for the test), one setting changed, everything else fixed, several seeds per value, "
    "**trained together in one batched stack** wherever the shape allows. Lines are means over seeds; bands "
    "span the best and worst seed. The best value is chosen on the validation images; the test images only "
    "report how it does on new data.",
    help=tip("hyperparameter", "mlp", "validation set", "test set", "held-out", "seed"),
)

asked = page_params("hyperparameters").sweep
tab_list = st.tabs(list(TABS.values()), key="hp_tab", on_change="rerun", default=TABS.get(asked, TABS["lr"]))
open_tab = next((name for name, t in zip(TABS, tab_list) if t.open), "lr")
cfgs: dict[str, hp.Sweep] = {}

for name, tab in zip(TABS, tab_list):
    cls = hp.SWEEP_TYPES[name]
    p = f"{name}_"
    url = url_config(cls, p)
    cfgs[name] = url
    if not tab.open:
        continue
    with tab:
        st.markdown(f"**The tutorial says:** {SAYS[name]}", help=SAYS_TIPS[name])
        shown = ", ".join(REGISTRY[v].label if name == "activation" else str(v) for v in url.values)
        seed_state({f"{p}values": list(url.values) if name == "activation" else shown,
                    f"{p}hidden": hp.shape_label(url.hidden)})
        a, b, c = st.columns([4, 1, 1])
        if name == "lr":
            a, o = a.columns([3, 1])
            field_widget(cls, "optimizer", label="Optimizer", key=f"{p}opt", value=url.optimizer, container=o,
                         format_func=hp.OPT_LABEL.get,
                         help=tip("optimizer", before="The tutorial starts Adam at a learning rate of 0.001 and "
                                                      "plain SGD at 0.01"))
        if name == "activation":
            field_widget(cls, "values", label="Activations", key=f"{p}values", container=a,
                         format_func=lambda n: REGISTRY[n].label,
                         help=tips(tip("activation"), *(ACT_TIPS.get(v, "") for v in url.values)),
                         wrap=True)  # in one row the last chips were cut at 1024 px
        else:
            field_widget(cls, "values", label=VALUE_LABELS[name], key=f"{p}values", container=a, widget="text_input",
                         help=f"Comma-separated; each value trains from every seed.\n\n{VALUE_TIPS[name]}")
        field_widget(cls, "seeds", label="Seeds", key=f"{p}seeds", value=url.seeds, container=b, help=tip("seed"))
        field_widget(cls, "epochs", label="Epochs", key=f"{p}epochs", value=url.epochs, container=c,
                     help=tip("epoch"))
        with st.expander("Fixed settings", icon=":material/tune:"):
            e = st.columns(3)
            field_widget(cls, "hidden", label="Hidden layers", key=f"{p}hidden", container=e[0],
                         disabled=name == "capacity", help=tip("hidden layer", before="e.g. 64 or 128x64"))
            field_widget(cls, "lr", label=f"Learning rate ({hp.OPT_LABEL[url.optimizer]})", key=f"{p}lr",
                         value=url.lr, container=e[1], format="%.4g", disabled=name == "lr",
                         help=tips(tip("learning rate"), tip("sgd") if url.optimizer == "sgd" else tip("adam")))
            field_widget(cls, "batch_size", label="Batch size", key=f"{p}batch", value=url.batch_size,
                         container=e[2], disabled=name == "batch", help=tip("batch"))
        cfg = widget_config(lambda name=name, url=url: from_widgets(name, url), url)
        cfgs[name] = cfg
        n_stacks = len(cfg.stacks())
        bar, report = progress_bar(f"Training {cfg.n_models()} networks in {n_stacks} "
                                   f"stack{'s' if n_stacks > 1 else ''}")
        results = sweep_results(cfg, report)
        bar.empty()
        table = hp.summary(cfg, results)
        curves = hp.curves(results)
        order = [cfg.label(v) for v in cfg.values]
        what = TABS[name].lower()
        wall = sum({r.extra["stack"]: r.extra["stack_seconds"] for r in results}.values())
        opt = hp.OPT_LABEL[cfg.optimizer]
        fixed = (f"hidden {hp.shape_label(cfg.hidden)}" if name != "capacity" else "hidden layers swept") + \
            (f", {opt} lr {cfg.lr:g}" if name != "lr" else f", {opt}") + \
            (f", batch {cfg.batch_size}" if name != "batch" else "") + \
            (f", {REGISTRY[cfg.activation].label}" if name != "activation" else "")
        st.caption(f"{cfg.n_models()} models ({len(cfg.values)} values x {cfg.seeds} seeds) on digits, {fixed}, "
                   f"{cfg.epochs} epochs: {wall:.1f} s of training in {n_stacks} batched "
                   f"stack{'s' if n_stacks > 1 else ''} (cached after the first run).",
                   help=tips(CHARTS_TIP, ACT_TIPS.get(cfg.activation, "") if name != "activation" else "",
                             NOTE_TIPS[name]))
        sweep_charts(name, cfg, results, table, curves, order, what)
        # a static table that wraps to the page, with only the columns that say something here: at 1024 px
        # a data grid showed 8 of its 11 (seeds are in the caption; diverged runs and parameter counts
        # when there are some, or they differ)
        drop = ["seeds"] + ([] if table["diverged"].any() else ["diverged"]) + \
            ([] if table["parameters"].nunique() > 1 else ["parameters"])
        st.table(table.drop(columns=drop).style.format(TABLE_FORMAT), hide_index=True)
        if name == "dropout":
            tutorial_net()
        links.try_next(f"hyperparameters.{name}", "hyperparameters", TABS)

# ---- the URL holds the open sweep and its settings --------------------------------------------------------
params = cfgs[open_tab].to_query(f"{open_tab}_")
if open_tab != "lr" or "sweep" in st.query_params:
    params["sweep"] = open_tab
show_exercise("hyperparameters", open_tab)  # predict, then run (core.exercises)
sync_url(params)
share_link()
