"""XOR Lab: a perceptron that cannot learn XOR, networks that can, and a Playground to go further."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import streamlit as st
import torch

from core import datasets, xor
from core.config import ConfigError
from core.engine.activations import HIDDEN, REGISTRY
from core.engine.models import INITS
from core.serve.cache import batch_key
from core.xor import charts
from core.xor.playground import (
    PlaygroundConfig,
    export_script,
    hidden_surfaces,
    make_points,
    new_trainer,
    summary,
    surface,
)
from core.xor.scratch import ScratchNet
from ui.common import (
    cached_results,
    config_from_url,
    seed_state,
    share_link,
    show_config_error,
    sync_url,
    widget_config,
)

ACT_LABEL = {n: REGISTRY[n].label for n in HIDDEN}


# ---- cached computations (pure functions of frozen configs) ------------------------------------
@st.cache_data(max_entries=64)
def perceptron_run(cfg: xor.PerceptronConfig):
    h, p = xor.run_perceptron(cfg)
    return h, xor.perceptron_lines(h), xor.truth_table(cfg, p), xor.best_linear_accuracy(cfg.gate)


@st.cache_data(max_entries=32)
def compare_run(cfg: xor.XorCompareConfig) -> xor.XorCompareResult:
    return xor.run_xor_compare(cfg)


@st.cache_data(max_entries=32)
def diagnose_seed(cfg: xor.SeedStudyConfig, k: int):
    return xor.diagnose(seed_results(cfg)[k])


def seed_results(cfg: xor.SeedStudyConfig, progress=None):
    return cached_results(batch_key([cfg], "xor-gate"), lambda: xor.run_seed_study(cfg, progress))


# Chart objects for the perceptron tab, kept per setting: building an Altair chart costs more than
# drawing it (a warm rerun of this tab went from ~0.45 s to ~0.3 s). They are never mutated.
@st.cache_resource(max_entries=256, show_spinner=False)
def perceptron_chart(cfg: xor.PerceptronConfig, epoch: int, title: str, size: int = 240):
    _, lines, _, _ = perceptron_run(cfg)
    return charts.perceptron_view(gate_points(cfg.gate), lines[lines.epoch == epoch], title=title, size=size)


@st.cache_resource(max_entries=64, show_spinner=False)
def error_chart(cfg: xor.PerceptronConfig):
    return charts.error_bars(perceptron_run(cfg)[0].errors)


def gate_points(gate: str) -> pd.DataFrame:
    X, y = datasets.gate(gate)
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "target": y.astype(int)})


# ---- page ---------------------------------------------------------------------------------------
st.title("XOR Lab")
st.markdown(
    "A single neuron draws one straight line, and no straight line separates XOR's four points. "
    "Add one hidden layer and the network bends the boundary. Everything below is trained live, "
    "seeded, and cached: change a setting and watch it retrain."
)

url_p = config_from_url(xor.PerceptronConfig, "p_")
url_c = config_from_url(xor.XorCompareConfig, "c_")
url_s = config_from_url(xor.SeedStudyConfig, "s_")
url_g = config_from_url(PlaygroundConfig, "g_")
url_g2 = config_from_url(PlaygroundConfig, "h_")

TABS = {
    "perceptron": "① Perceptron",
    "compare": "② NumPy vs PyTorch",
    "seeds": "③ 100 seeds",
    "playground": "④ Playground",
}
asked = st.query_params.get("tab", "perceptron")
tab_p, tab_c, tab_s, tab_g = st.tabs(
    list(TABS.values()), key="xor_tab", on_change="rerun", default=TABS.get(asked, TABS["perceptron"])
)
open_tab = next((name for name, t in zip(TABS, (tab_p, tab_c, tab_s, tab_g)) if t.open), "perceptron")
p_cfg, c_cfg, s_cfg, g_cfg, g2_cfg = url_p, url_c, url_s, url_g, None

# ---- 1. the perceptron --------------------------------------------------------------------------
with tab_p:
    if tab_p.open:
        seed_state({"p_gate": url_p.gate, "p_lr": url_p.lr, "p_epochs": url_p.epochs, "p_seed": url_p.seed})
        c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
        c1.segmented_control("Logic gate", list(datasets.GATES), key="p_gate", required=True)
        c2.number_input("Learning rate", 1e-4, 10.0, key="p_lr", format="%.4g")
        c3.number_input("Max epochs", 1, 10_000, key="p_epochs", help="The tutorial uses 100 (1,000 for XOR).")
        c4.number_input("Seed", 0, 2**31 - 1, key="p_seed")
        p_cfg = widget_config(lambda: xor.PerceptronConfig(
            gate=st.session_state.p_gate,
            lr=st.session_state.p_lr,
            epochs=st.session_state.p_epochs,
            seed=st.session_state.p_seed,
        ), url_p)
        hist, lines, table, best_line = perceptron_run(p_cfg)
        n_ep = len(hist.errors)
        if hist.converged:
            st.success(
                f"**{p_cfg.gate}** learned in {n_ep} epoch{'s' * (n_ep != 1)}: the last epoch made no "
                "mistakes, so training stopped.",
                icon=":material/check_circle:",
            )
        else:
            st.error(
                f"**{p_cfg.gate}** not learned after {n_ep} epochs: its last pass over the four inputs "
                f"still made {hist.errors[-1]} mistake{'s' * (hist.errors[-1] != 1)}. The best any straight "
                f"line can do on {p_cfg.gate} is {best_line:.0%} of the points, so the perceptron rule keeps "
                "moving the line forever.",
                icon=":material/block:",
            )
        left, right = st.columns([1, 1])
        with left:
            shown = st.slider("Show the line after epoch", 0, n_ep, n_ep, key="p_show")
            st.altair_chart(perceptron_chart(p_cfg, shown, f"{p_cfg.gate}: the line after epoch {shown}"),
                            width="content")
        with right:
            st.altair_chart(error_chart(p_cfg), width="stretch")
            st.caption("Truth table and the perceptron's answers now")
            st.dataframe(table, hide_index=True, width="stretch")
            w, b = hist.weights[-1], hist.bias[-1]
            st.caption(
                f"Final rule: output 1 when {w[0]:.3f}·x1 + {w[1]:.3f}·x2 + {b:.3f} > 0. "
                "Update after each mistake: w += lr·error·x, b += lr·error."
            )
        st.subheader("All four gates, side by side")
        cols = st.columns(4)
        for col, g in zip(cols, datasets.GATES):
            cfg_g = p_cfg.replace(gate=g, epochs=1000 if g == "XOR" else max(100, p_cfg.epochs))
            h_g, lines_g, _, _ = perceptron_run(cfg_g)
            verdict = (
                f"learned in {len(h_g.errors)} epochs" if h_g.converged else f"never learned ({len(h_g.errors)} epochs)"
            )
            col.altair_chart(perceptron_chart(cfg_g, len(h_g.errors), f"{g}: {verdict}", 170), width="content")
        st.caption(
            "XOR's 1s sit on one diagonal and its 0s on the other: any line that puts both blue points "
            "on one side puts an orange one with them."
        )

# ---- 2. NumPy vs PyTorch ------------------------------------------------------------------------
with tab_c:
    if tab_c.open:
        seed_state(
            {
                "c_hidden": url_c.hidden,
                "c_np_lr": url_c.numpy_lr,
                "c_np_ep": url_c.numpy_epochs,
                "c_t_lr": url_c.torch_lr,
                "c_t_ep": url_c.torch_epochs,
                "c_seed": url_c.seed,
            }
        )
        st.markdown(
            "The same 2-H-1 sigmoid network, trained two ways: **NumPy** with backprop written by hand "
            "(plain gradient descent on binary cross-entropy) and **PyTorch** with autograd and Adam."
        )
        c = st.columns(6)
        c[0].number_input("Hidden units", 1, 16, key="c_hidden")
        c[1].number_input("NumPy learning rate", 1e-4, 20.0, key="c_np_lr", format="%.4g")
        c[2].number_input("NumPy epochs", 1, 20_000, key="c_np_ep")
        c[3].number_input("PyTorch learning rate", 1e-4, 5.0, key="c_t_lr", format="%.4g")
        c[4].number_input("PyTorch epochs", 1, 20_000, key="c_t_ep")
        c[5].number_input("Seed", 0, 2**31 - 1, key="c_seed")
        c_cfg = widget_config(lambda: xor.XorCompareConfig(
            hidden=st.session_state.c_hidden,
            numpy_lr=st.session_state.c_np_lr,
            numpy_epochs=st.session_state.c_np_ep,
            torch_lr=st.session_state.c_t_lr,
            torch_epochs=st.session_state.c_t_ep,
            seed=st.session_state.c_seed,
        ), url_c)
        cr = compare_run(c_cfg)
        preds = cr.predictions
        for name in ("NumPy", "PyTorch"):
            ok = ((preds[name] > 0.5).astype(int) == preds["target"]).all()
            final = cr.losses[cr.losses.net.str.startswith(name)].loss.iloc[-1]
            msg = f"**{name}**: final loss {final:.4f}; " + (
                "solves XOR (all four outputs on the right side of 0.5)"
                if ok
                else "does not solve XOR with these settings"
            )
            (st.success if ok else st.warning)(msg)
        a, b = st.columns([3, 2])
        a.altair_chart(charts.loss_curves(cr.losses, y="loss", color="net", title="Training loss"), width="stretch")
        b.caption("Outputs on the four inputs")
        b.dataframe(preds, hide_index=True, width="stretch")
        s1, s2 = st.columns(2)
        pts = gate_points("XOR").rename(columns={"target": "label"})
        for col, name in ((s1, "NumPy"), (s2, "PyTorch")):
            col.altair_chart(
                charts.decision_surface(
                    cr.surface[cr.surface.net == name].drop(columns="net"),
                    pts,
                    title=f"{name}: P(output = 1) over the plane",
                ),
                width="content",
            )
        st.subheader("What each hidden unit computes")
        st.caption(
            "Each small map is one hidden unit's output over the plane. The output neuron adds these "
            "bent planes up: XOR needs at least two of them."
        )
        for name in ("NumPy", "PyTorch"):
            hid = cr.hidden[cr.hidden.net == name].drop(columns="net")
            st.altair_chart(
                charts.heatmap_grid(hid, "unit", "a", columns=min(8, c_cfg.hidden), title=name), width="content"
            )
        with st.expander("The NumPy network's forward and backward pass (core/scratch.py)"):
            st.code(
                inspect.getsource(ScratchNet.forward) + "\n" + inspect.getsource(ScratchNet.backward), language="python"
            )
            st.caption("A test checks these gradients against PyTorch autograd in float64 (relative error < 1e-6).")

# ---- 3. many seeds ------------------------------------------------------------------------------
with tab_s:
    if tab_s.open:
        seed_state(
            {
                "s_width": url_s.hidden[0],
                "s_act": url_s.activation,
                "s_opt": url_s.optimizer,
                "s_lr": url_s.lr,
                "s_epochs": url_s.epochs,
                "s_init": url_s.init,
                "s_n": url_s.n_seeds,
            }
        )
        st.markdown(
            "Is solving XOR luck? Train the same network from many random starts **at once** "
            "(one batched run) and count how many get there. Defaults: the tutorial's PyTorch XORNet."
        )
        c = st.columns(7)
        c[0].number_input("Hidden units", 1, 32, key="s_width")
        c[1].selectbox("Activation", HIDDEN, key="s_act", format_func=ACT_LABEL.get)
        c[2].selectbox("Optimizer", ("adam", "sgd", "momentum"), key="s_opt")
        c[3].number_input("Learning rate", 1e-5, 10.0, key="s_lr", format="%.4g")
        c[4].number_input("Epochs", 1, 20_000, key="s_epochs")
        c[5].selectbox("Init", INITS, key="s_init", help="default: PyTorch's; small: randn*0.5 as in the tutorial")
        c[6].number_input("Seeds", 1, 1000, key="s_n")
        s_cfg = widget_config(lambda: xor.SeedStudyConfig(
            hidden=(st.session_state.s_width,),
            activation=st.session_state.s_act,
            optimizer=st.session_state.s_opt,
            lr=st.session_state.s_lr,
            epochs=st.session_state.s_epochs,
            init=st.session_state.s_init,
            n_seeds=st.session_state.s_n,
            first_seed=url_s.first_seed,
        ), url_s)
        bar = st.empty()

        def report(epoch: int, total: int, _trainer) -> None:
            bar.progress(epoch / total, text=f"Training {s_cfg.n_seeds} networks at once: epoch {epoch}/{total}")

        results = seed_results(s_cfg, report)
        bar.empty()
        ok = xor.solved(results)
        secs = sum(r.seconds for r in results)
        m1, m2, m3 = st.columns(3)
        m1.metric("Solved XOR", f"{int(ok.sum())}/{len(ok)}")
        m2.metric("Median final loss", f"{np.median([r.metrics['final_train_loss'] for r in results]):.4f}")
        m3.metric("Training time (all seeds, one batch)", f"{secs:.2f} s")
        n_div = sum(r.diverged for r in results)
        if n_div:
            st.warning(f"{n_div} of {len(results)} runs diverged (the loss became NaN or infinite) and stopped "
                       "early: the learning rate is too high for them.", icon=":material/warning:")
        hist_all = pd.concat([r.history.assign(model=i) for i, r in enumerate(results)], ignore_index=True)
        failed = [i for i in range(len(results)) if not ok[i]]
        st.altair_chart(
            charts.many_curves(hist_all, y="train_loss", title="Loss of every seed (faint) and the median (red)"),
            width="stretch",
        )
        if not failed:
            st.success("Every seed solved XOR with these settings.")
        else:
            st.subheader("Open a failed seed")
            pick = st.selectbox(
                "Failed seed", failed, format_func=lambda i: f"seed {s_cfg.first_seed + i}", key="s_pick"
            )
            d = diagnose_seed(s_cfg, pick)
            for f in d["findings"]:
                st.markdown(f"- {f}")
            a, b = st.columns(2)
            a.caption("Its outputs")
            a.dataframe(d["outputs"], hide_index=True)
            b.caption("Its hidden units on the four inputs (slope = the activation's derivative there)")
            b.dataframe(d["units"].pivot(index="unit", columns="input", values="a").round(3))
            r = results[pick]
            g = datasets.grid(1.0, 41) + 0.5  # the unit square with a margin: [-0.5, 1.5]^2
            with torch.no_grad():
                p = torch.sigmoid(r.model()(torch.as_tensor(g)))[:, 0].numpy()
            st.altair_chart(
                charts.decision_surface(
                    pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": p}),
                    gate_points("XOR").rename(columns={"target": "label"}),
                    title=f"Seed {s_cfg.first_seed + pick}: its output over the plane",
                ),
                width="content",
            )

# ---- 4. playground ------------------------------------------------------------------------------


def playground_controls(
    prefix: str, cfg: PlaygroundConfig, inherit: PlaygroundConfig | None = None
) -> PlaygroundConfig | None:
    """Widgets for one setting; returns its config (None when a value is not accepted).

    With ``inherit``, only the network controls are shown; data and training come from ``inherit``.
    """
    full = inherit is None
    k = lambda name: f"{prefix}{name}"  # noqa: E731
    seed_state(
        {
            k("dataset"): cfg.dataset,
            k("noise"): cfg.noise,
            k("train"): cfg.train_frac,
            k("batch"): cfg.batch_size,
            k("features"): list(cfg.features),
            k("layers"): len(cfg.hidden),
            k("act"): cfg.activation,
            k("lr"): cfg.lr,
            k("reg"): "L1" if cfg.l1 else "L2" if cfg.l2 else "none",
            k("rate"): max(cfg.l1, cfg.l2) or 0.001,
            k("init"): cfg.init,
            k("loss"): cfg.loss,
            k("seeds"): cfg.n_seeds,
            k("seed"): cfg.seed,
            k("epochs"): cfg.epochs,
        }
    )
    for i in range(6):
        seed_state({k(f"w{i}"): cfg.hidden[i] if i < len(cfg.hidden) else 4})
    if full:
        a, b = st.columns(2)
        a.selectbox(
            "Data",
            datasets.TOY_SETS + ("csv",),
            key=k("dataset"),
            format_func=lambda s: {"csv": "my CSV points"}.get(
                s, s + (" (regression)" if datasets.is_regression(s) else "")
            ),
        )
        b.slider("Noise", 0.0, 0.5, key=k("noise"), step=0.05)
        st.pills(
            "Input features",
            datasets.FEATURES,
            selection_mode="multi",
            key=k("features"),
            format_func=datasets.FEATURE_LABELS.get,
        )
    n_layers = st.slider("Hidden layers", 0, 6, key=k("layers"))
    widths = []
    if n_layers:
        wc = st.columns(3) + st.columns(3)
        for i in range(int(n_layers)):
            widths.append(
                wc[i].selectbox(
                    f"Layer {i + 1}", range(1, 9), key=k(f"w{i}"), help="neurons in this layer" if i == 0 else None
                )
            )
    a, b = st.columns(2)
    a.selectbox("Activation", HIDDEN, key=k("act"), format_func=ACT_LABEL.get)
    b.number_input("Learning rate", 1e-5, 10.0, key=k("lr"), format="%.4g")
    a, b = st.columns(2)
    a.selectbox("Regularisation", ("none", "L1", "L2"), key=k("reg"))
    b.number_input(
        "Regularisation rate",
        0.0,
        10.0,
        key=k("rate"),
        format="%.4g",
        disabled=st.session_state[k("reg")] == "none",
    )
    if full:
        with st.expander("Training: batch, split, initialisation, loss, seeds, epochs"):
            a, b = st.columns(2)
            a.number_input("Batch size", 1, 2000, key=k("batch"))
            b.slider("Training share", 0.1, 0.9, key=k("train"), step=0.1)
            a, b = st.columns(2)
            a.selectbox("Init", INITS, key=k("init"))
            b.selectbox(
                "Loss",
                ("auto", "mse", "ce"),
                key=k("loss"),
                format_func={
                    "auto": "auto (cross-entropy / squared)",
                    "mse": "squared error",
                    "ce": "cross-entropy",
                }.get,
            )
            a, b = st.columns(2)
            a.number_input("Seeds at once", 1, 100, key=k("seeds"), help="Train this setting from this many seeds.")
            b.number_input("Epochs", 1, 5000, key=k("epochs"))
    ss = st.session_state
    reg, rate = ss[k("reg")], ss[k("rate")]
    net = dict(
        hidden=tuple(int(w) for w in widths),
        activation=ss[k("act")],
        lr=ss[k("lr")],
        l1=rate if reg == "L1" else 0.0,
        l2=rate if reg == "L2" else 0.0,
    )
    try:
        if inherit is not None:
            return inherit.replace(**net)
        return PlaygroundConfig(
            dataset=ss[k("dataset")],
            noise=ss[k("noise")],
            train_frac=ss[k("train")],
            features=tuple(ss[k("features")]),
            batch_size=ss[k("batch")],
            init=ss[k("init")],
            loss=ss[k("loss")],
            n_seeds=ss[k("seeds")],
            seed=ss[k("seed")],
            epochs=ss[k("epochs")],
            **net,
        )
    except ConfigError as e:
        show_config_error(e)
        return None


def trainer_for(slot: str, cfg: PlaygroundConfig, pts) -> object:
    """The live trainer of a slot; a new one (same seeds: same starting weights) when the setting changes."""
    key = (cfg, pts.X.shape[0], float(pts.X.sum()))
    if st.session_state.get(f"{slot}_key") != key or st.session_state.get(f"{slot}_reset"):
        st.session_state[f"{slot}_trainer"] = new_trainer(cfg, pts)
        st.session_state[f"{slot}_key"] = key
        st.session_state[f"{slot}_reset"] = False
    return st.session_state[f"{slot}_trainer"]


def draw_setting(title: str, cfg: PlaygroundConfig, pts, trainer) -> None:
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
    st.altair_chart(
        charts.decision_surface(
            surface(trainer, cfg, k),
            pts.frame(),
            title="Output over the plane",
            domain=dom,
            extent=datasets.EXTENT,
            size=300,
        ),
        width="content",
    )
    h = trainer.history()
    long = h.melt(
        id_vars=["model", "epoch"],
        value_vars=[c for c in ("train_eval_loss", "test_loss") if c in h],
        var_name="series",
        value_name="loss",
    ).dropna()
    long["series"] = long["series"].map({"train_eval_loss": "train", "test_loss": "test"})
    if len(long):
        st.altair_chart(
            charts.band_curves(long, y="loss", series="series", title="Loss (median and 10-90% band over seeds)"),
            width="stretch",
        )
    with st.expander("Every neuron's output"):
        hs = hidden_surfaces(trainer, cfg, k)
        if len(hs):
            st.altair_chart(
                charts.heatmap_grid(
                    hs,
                    "neuron",
                    "a",
                    columns=8,
                    size=80,
                    domain=(-1.0, 1.0) if REGISTRY[cfg.activation].symmetric else (0.0, 1.0),
                ),
                width="content",
            )


with tab_g:
    if tab_g.open:
        st.markdown(
            "TensorFlow Playground's ground, and past it: many seeds at once, a second setting beside "
            "the first, seeded reset, initialisation and loss choices, your own points, and an export."
        )
        ctrl, out = st.columns([2, 3], gap="large")
        with ctrl:
            g_cfg = playground_controls("g_", url_g) or url_g
            csv_points = None
            if g_cfg.dataset == "csv":
                up = st.file_uploader(
                    "Your points: CSV with columns x1, x2, label (0/1, or numbers for regression)",
                    type=["csv", "txt"],
                    key="g_csv",
                )
                if up is not None:
                    try:
                        csv_points = datasets.points_from_csv(up.getvalue())
                    except ValueError as e:
                        st.error(f"Could not use {up.name}: {e}")
                if csv_points is None:
                    st.info("Upload a CSV to train on your own points; until then the XOR set is shown.")
                    g_cfg = g_cfg.replace(dataset="xor")
            compare = st.toggle(
                "Compare with a second setting (same data)",
                key="g_compare",
                value=bool(st.query_params.get("cmp") == "1"),
            )
            g2_cfg = None
            if compare:
                with st.container(border=True):
                    st.caption("Setting B: same data, features, batch, seeds and epochs; change the network.")
                    from_url = any(q.startswith("h_") for q in st.query_params)
                    g2_cfg = playground_controls(
                        "h_", url_g2 if from_url else g_cfg.replace(activation="relu"), inherit=g_cfg
                    )
        with out:
            pts = make_points(g_cfg, csv_points)
            tr_a = trainer_for("pg_a", g_cfg, pts)
            tr_b = trainer_for("pg_b", g2_cfg, pts) if g2_cfg is not None else None
            st.session_state.setdefault("pg_playing", False)

            b1, b2, b3, b4 = st.columns([1, 1, 1, 2])
            b1.button(
                "⏸ Pause" if st.session_state.pg_playing else "▶ Play",
                key="pg_play",
                type="primary",
                on_click=lambda: st.session_state.update(pg_playing=not st.session_state.pg_playing),
            )
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
                res = tr_a.results()[0]
                st.download_button(
                    "Export setting A as a PyTorch script",
                    export_script(res, g_cfg),
                    file_name="nnlab_playground_model.py",
                    mime="text/x-python",
                    key="pg_export",
                )

# ---- the URL holds every control ------------------------------------------------------------------
params = {**p_cfg.to_query("p_"), **c_cfg.to_query("c_"), **s_cfg.to_query("s_"), **g_cfg.to_query("g_")}
if open_tab != "perceptron":
    params["tab"] = open_tab
if g2_cfg is not None:
    params.update({"cmp": "1", **g2_cfg.to_query("h_")})
sync_url(params)
share_link()
