"""The XOR Lab's Playground tab: one or two live settings, trained epoch by epoch in the session.

Unlike the other tabs (a config in, a cached result out), the Playground keeps a live trainer per
setting in session state and steps it (Play, Step, Train to the end, Reset), so it lives in its own
module; :func:`playground_tab` is all the page calls.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import datasets
from core.engine.activations import HIDDEN, REGISTRY
from core.xor import charts
from core.xor.playground import (
    PlaygroundConfig,
    Points,
    export_script,
    hidden_surfaces,
    make_points,
    new_trainer,
    summary,
    surface,
)
from core.xor.surfaces import train_test_losses
from ui.common import seed_state
from ui.widgets import field_widget, widget_config

PG = PlaygroundConfig
ACT_LABEL = {n: REGISTRY[n].label for n in HIDDEN}
LOSS_LABEL = {"auto": "auto (cross-entropy / squared)", "mse": "squared error", "ce": "cross-entropy"}
MAX_LAYERS = PG.limits("hidden")["length"][1]  # one width widget per possible layer


def _data_controls(k, cfg: PlaygroundConfig) -> None:
    a, b = st.columns(2)
    field_widget(PG, "dataset", label="Data", key=k("dataset"), value=cfg.dataset, container=a,
                 format_func=lambda s: {"csv": "my CSV points"}.get(
                     s, s + (" (regression)" if datasets.is_regression(s) else "")))
    field_widget(PG, "noise", label="Noise", key=k("noise"), value=cfg.noise, widget="slider", container=b,
                 step=0.05)
    field_widget(PG, "features", label="Input features", key=k("features"), value=cfg.features, widget="pills",
                 format_func=datasets.FEATURE_LABELS.get)


def _training_controls(k, cfg: PlaygroundConfig) -> None:
    with st.expander("Training: batch, split, initialisation, loss, seeds, epochs"):
        a, b = st.columns(2)
        field_widget(PG, "batch_size", label="Batch size", key=k("batch"), value=cfg.batch_size, container=a)
        field_widget(PG, "train_frac", label="Training share", key=k("train"), value=cfg.train_frac,
                     widget="slider", container=b, step=0.1)
        a, b = st.columns(2)
        field_widget(PG, "init", label="Init", key=k("init"), value=cfg.init, container=a)
        field_widget(PG, "loss", label="Loss", key=k("loss"), value=cfg.loss, container=b, format_func=LOSS_LABEL.get)
        a, b = st.columns(2)
        field_widget(PG, "n_seeds", label="Seeds at once", key=k("seeds"), value=cfg.n_seeds, container=a,
                     help="Train this setting from this many seeds.")
        field_widget(PG, "epochs", label="Epochs", key=k("epochs"), value=cfg.epochs, container=b)


def controls(prefix: str, cfg: PlaygroundConfig, inherit: PlaygroundConfig | None = None) -> PlaygroundConfig | None:
    """Widgets for one setting (keys start with ``prefix``); returns its config, None when refused.

    With ``inherit``, only the network controls are shown; data and training come from ``inherit``.
    """
    k = lambda name: f"{prefix}{name}"  # noqa: E731
    seed_state({k("seed"): cfg.seed})
    if inherit is None:
        _data_controls(k, cfg)
    n_layers = field_widget(PG, "hidden", label="Hidden layers", key=k("layers"), value=len(cfg.hidden),
                            part="length", help=None)
    widths = []
    if n_layers:
        wc = st.columns(3) + st.columns(3)
        for i in range(int(n_layers)):
            widths.append(field_widget(PG, "hidden", label=f"Layer {i + 1}", key=k(f"w{i}"), part="item",
                                       widget="selectbox", value=cfg.hidden[i] if i < len(cfg.hidden) else 4,
                                       container=wc[i],
                                       help="neurons in this layer" if i == 0 else None))
    for i in range(int(n_layers or 0), MAX_LAYERS):  # a layer shown later starts at its link value (or 4)
        seed_state({k(f"w{i}"): cfg.hidden[i] if i < len(cfg.hidden) else 4})
    a, b = st.columns(2)
    field_widget(PG, "activation", label="Activation", key=k("act"), value=cfg.activation, container=a,
                 format_func=ACT_LABEL.get)
    field_widget(PG, "lr", label="Learning rate", key=k("lr"), value=cfg.lr, container=b, format="%.4g")
    a, b = st.columns(2)
    seed_state({k("reg"): "L1" if cfg.l1 else "L2" if cfg.l2 else "none"})
    reg = a.selectbox("Regularisation", ("none", "L1", "L2"), key=k("reg"))
    field_widget(PG, "l1" if reg == "L1" else "l2", label="Regularisation rate", key=k("rate"),
                 value=max(cfg.l1, cfg.l2) or 0.001, container=b, format="%.4g", disabled=reg == "none")
    if inherit is None:
        _training_controls(k, cfg)
    ss = st.session_state
    rate = ss[k("rate")]
    net = dict(hidden=tuple(int(w) for w in widths), activation=ss[k("act")], lr=ss[k("lr")],
               l1=rate if reg == "L1" else 0.0, l2=rate if reg == "L2" else 0.0)
    if inherit is not None:
        return widget_config(lambda: inherit.replace(**net), None)
    return widget_config(lambda: PlaygroundConfig(
        dataset=ss[k("dataset")], noise=ss[k("noise")], train_frac=ss[k("train")], features=tuple(ss[k("features")]),
        batch_size=ss[k("batch")], init=ss[k("init")], loss=ss[k("loss")], n_seeds=ss[k("seeds")],
        seed=ss[k("seed")], epochs=ss[k("epochs")], **net), None)


def trainer_for(slot: str, cfg: PlaygroundConfig, pts: Points) -> object:
    """The live trainer of a slot; a new one (same seeds: same starting weights) when the setting changes."""
    key = (cfg, pts.X.shape[0], float(pts.X.sum()))
    if st.session_state.get(f"{slot}_key") != key or st.session_state.get(f"{slot}_reset"):
        st.session_state[f"{slot}_trainer"] = new_trainer(cfg, pts)
        st.session_state[f"{slot}_key"] = key
        st.session_state[f"{slot}_reset"] = False
    return st.session_state[f"{slot}_trainer"]


def draw_setting(title: str, cfg: PlaygroundConfig, pts: Points, trainer) -> None:
    """One setting's metrics, its output over the plane, its loss curves and every neuron's output."""
    s = summary(trainer)
    st.markdown(f"**{title}** · epoch {trainer.epoch}/{cfg.epochs}")
    if s.empty:
        st.caption("Not trained yet: this is the network at its (seeded) starting weights. Press ▶ Play or Step.")
        s = pd.DataFrame(trainer.evaluate()).assign(diverged=False)
    if bool(s.diverged.any()):
        st.error(
            f"{int(s.diverged.sum())} of {len(s)} runs diverged (the loss became NaN or infinite) and "
            "stopped. Lower the learning rate.",
            icon=":material/warning:",
        )
    cols = st.columns(4)
    many = " (median)" if len(s) > 1 else ""
    cols[0].metric("Test loss" + many, f"{s.test_loss.median():.3f}")
    cols[1].metric("Train loss" + many, f"{s.train_eval_loss.median():.3f}")
    if "test_acc" in s:
        cols[2].metric("Test acc." + many, f"{s.test_acc.median():.0%}")
        cols[3].metric("Train acc." + many, f"{s.train_acc.median():.0%}")
    k = 0
    if cfg.n_seeds > 1:
        k = st.slider("Show seed", cfg.seed, cfg.seed + cfg.n_seeds - 1, cfg.seed, key=f"show_{title}") - cfg.seed
    dom = (-1.0, 1.0) if pts.regression else (0.0, 1.0)
    st.altair_chart(charts.decision_surface(surface(trainer, cfg, k), pts.frame(), title="Output over the plane",
                                            domain=dom, extent=datasets.EXTENT, size=300), width="content")
    long = train_test_losses(trainer.history())
    if len(long):
        st.altair_chart(
            charts.band_curves(long, y="loss", series="series", title="Loss (median and 10-90% band over seeds)"),
            width="stretch",
        )
    with st.expander("Every neuron's output"):
        hs = hidden_surfaces(trainer, cfg, k)
        if len(hs):
            dom = (-1.0, 1.0) if REGISTRY[cfg.activation].symmetric else (0.0, 1.0)
            st.altair_chart(charts.heatmap_grid(hs, "neuron", "a", columns=8, size=80, domain=dom), width="content")


def _csv_points(g_cfg: PlaygroundConfig) -> tuple[PlaygroundConfig, object]:
    """The visitor's uploaded points when the data is "csv" (else None); XOR until a file is read."""
    if g_cfg.dataset != "csv":
        return g_cfg, None
    up = st.file_uploader("Your points: CSV with columns x1, x2, label (0/1, or numbers for regression)",
                          type=["csv", "txt"], key="g_csv")
    points = None
    if up is not None:
        try:
            points = datasets.points_from_csv(up.getvalue())
        except ValueError as e:
            st.error(f"Could not use {up.name}: {e}")
    if points is None:
        st.info("Upload a CSV to train on your own points; until then the XOR set is shown.")
        g_cfg = g_cfg.replace(dataset="xor")
    return g_cfg, points


def _buttons(tr_a, tr_b, g_cfg: PlaygroundConfig, g2_cfg: PlaygroundConfig | None) -> None:
    """Play/Pause, Step, Reset and Train to the end, acting on both settings."""
    st.session_state.setdefault("pg_playing", False)
    b1, b2, b3, b4 = st.columns([1, 1, 1, 2])
    b1.button("⏸ Pause" if st.session_state.pg_playing else "▶ Play", key="pg_play", type="primary",
              on_click=lambda: st.session_state.update(pg_playing=not st.session_state.pg_playing))
    step = b2.button("Step", key="pg_step", help="One epoch")
    if b3.button("Reset", key="pg_reset", help="Back to the same starting weights (seeded)"):
        st.session_state.pg_a_reset = st.session_state.pg_b_reset = True
        st.session_state.pg_playing = False
        st.rerun()
    done = tr_a.epoch >= g_cfg.epochs and (tr_b is None or tr_b.epoch >= g2_cfg.epochs)
    if step and not done:
        for t in (tr_a, tr_b):
            if t is not None:
                t.run(epochs=1)
    if b4.button("Train to the end", key="pg_all", disabled=done):
        with st.spinner("Training..."):
            for t in (tr_a, tr_b):
                if t is not None:
                    t.run()


def playground_tab(url_g: PlaygroundConfig,
                   url_g2: PlaygroundConfig) -> tuple[PlaygroundConfig, PlaygroundConfig | None]:
    """The whole tab; returns the settings shown (A, and B when comparing) for the page's URL."""
    st.markdown(
        "TensorFlow Playground's ground, and past it: many seeds at once, a second setting beside "
        "the first, seeded reset, initialisation and loss choices, your own points, and an export."
    )
    ctrl, out = st.columns([2, 3], gap="large")
    with ctrl:
        g_cfg = controls("g_", url_g) or url_g
        g_cfg, csv_points = _csv_points(g_cfg)
        compare = st.toggle("Compare with a second setting (same data)", key="g_compare",
                            value=bool(st.query_params.get("cmp") == "1"))
        g2_cfg = None
        if compare:
            with st.container(border=True):
                st.caption("Setting B: same data, features, batch, seeds and epochs; change the network.")
                from_url = any(q.startswith("h_") for q in st.query_params)
                g2_cfg = controls("h_", url_g2 if from_url else g_cfg.replace(activation="relu"), inherit=g_cfg)
    with out:
        pts = make_points(g_cfg, csv_points)
        tr_a = trainer_for("pg_a", g_cfg, pts)
        tr_b = trainer_for("pg_b", g2_cfg, pts) if g2_cfg is not None else None
        _buttons(tr_a, tr_b, g_cfg, g2_cfg)

        @st.fragment(run_every=0.5 if st.session_state.pg_playing else None)
        def live() -> None:
            if st.session_state.pg_playing:
                for t, c in ((tr_a, g_cfg), (tr_b, g2_cfg)):
                    if t is not None:
                        t.run(epochs=max(1, c.epochs // 50))
                if tr_a.epoch >= g_cfg.epochs and (tr_b is None or tr_b.epoch >= g2_cfg.epochs):
                    st.session_state.pg_playing = False
                    st.rerun()
            cols = st.columns(2) if tr_b is not None else [st.container()]
            with cols[0]:
                draw_setting("Setting A", g_cfg, pts, tr_a)
            if tr_b is not None:
                with cols[1]:
                    draw_setting("Setting B", g2_cfg, pts, tr_b)

        live()
        if tr_a.epoch > 0:
            st.download_button("Export setting A as a PyTorch script", export_script(tr_a.results()[0], g_cfg),
                               file_name="nnlab_playground_model.py", mime="text/x-python", key="pg_export")
    return g_cfg, g2_cfg
