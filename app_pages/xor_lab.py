"""XOR Lab: a perceptron that cannot learn XOR, networks that can, and a Playground to go further."""

from __future__ import annotations

import inspect

import pandas as pd
import streamlit as st

from core import datasets, xor
from core.engine.activations import HIDDEN, REGISTRY
from core.serve.cache import batch_key
from core.xor import charts, hidden_space
from core.xor import claims as xc
from core.xor.playground import PlaygroundConfig
from core.xor.scratch import ScratchNet
from core.xor.surfaces import all_histories, compare_verdicts, probability_surface, seed_summary
from ui import links, playground_edit, say, vega
from ui.common import cached_results, share_link, sync_url
from ui.exercise import show as show_exercise
from ui.glossary import tip
from ui.playground import playground_tab
from ui.widgets import field_widget, page_params, url_config, widget_config

ACT_LABEL = {n: REGISTRY[n].label for n in HIDDEN}
P, C, S = xor.PerceptronConfig, xor.XorCompareConfig, xor.SeedStudyConfig


# ---- cached computations (pure functions of frozen configs) ------------------------------------
@st.cache_data(max_entries=64)
def perceptron_run(cfg: xor.PerceptronConfig):
    """(history, lines per epoch, truth table, best straight line's accuracy, the unit, final rule)."""
    h, p = xor.run_perceptron(cfg)
    return (h, xor.perceptron_lines(h), xor.truth_table(cfg, p), xor.best_linear_accuracy(cfg.gate),
            p, xor.rule_text(h.weights[-1], h.bias[-1]))


@st.cache_data(max_entries=32)
def compare_run(cfg: xor.XorCompareConfig) -> xor.XorCompareResult:
    return xor.run_xor_compare(cfg)


@st.cache_data(max_entries=32)
def numpy_share(cfg: xor.XorCompareConfig) -> tuple[int, int]:
    """How many of 100 seeds the NumPy network solves XOR from at cfg's NumPy settings (one batched run)."""
    return xor.numpy_solve_share(cfg)


@st.cache_data(max_entries=32)
def diagnose_seed(cfg: xor.SeedStudyConfig, k: int, _result, _longer):
    """Seed k's diagnosis; keyed by (cfg, k), given the study's result for it and its longer run (not hashed,
    and not read again: a class of 30 evicted the studies from the result cache, and each reread took 0.1 s)."""
    return xor.diagnose(_result, _longer)


def seed_key(cfg: xor.SeedStudyConfig) -> str:
    return batch_key([cfg], "xor-gate")


def seed_results(cfg: xor.SeedStudyConfig, progress=None):
    return cached_results(seed_key(cfg), lambda: xor.run_seed_study(cfg, progress), request=cfg)


def longer_runs(cfg: xor.SeedStudyConfig, results: list) -> dict:
    """The study's failed seeds (of ``results``, cfg's) retrained RETRY_FACTOR times longer (one batched run,
    cached): {index: result}."""
    failed = seed_summary(results).failed
    if not failed:
        return {}
    longer = cached_results(batch_key([cfg], f"xor-gate-retry-{xor.RETRY_FACTOR}"),
                            lambda: list(xor.retry_longer(cfg, results).values()), request=cfg)  # priced in cfg
    return dict(zip(failed, longer))


# The perceptron tab's charts are kept per setting as Vega-Lite specs (ui/vega.py): building an Altair
# chart costs more than drawing it (a warm rerun of this tab went from ~0.45 s to ~0.3 s with chart objects kept).
def perceptron_chart(cfg: xor.PerceptronConfig, epoch: int, title: str, size: int = 210, where=None) -> None:
    def build():
        lines = perceptron_run(cfg)[1]
        return charts.perceptron_view(gate_points(cfg.gate), lines[lines.epoch == epoch], title=title, size=size)

    vega.altair(f"xor.perceptron:{cfg.key()}:{epoch}:{size}:{title}", build, where=where, width="content")


def gate_points(gate: str) -> pd.DataFrame:
    X, y = datasets.gate(gate)
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "target": y.astype(int)})


# ---- page ---------------------------------------------------------------------------------------
st.title("XOR Lab", help=tip("xor"))
st.markdown(
    "A single neuron (a perceptron) draws one straight line, and no straight line separates XOR's four "
    "points. Add one hidden layer and the network bends the boundary. Everything below is trained live, "
    "seeded, and cached: change a setting and watch it retrain.",
    help=tip("neuron", "perceptron", "xor", "linearly separable", "hidden layer", "decision boundary"),
)

url_p = url_config(P, "p_")
url_c = url_config(C, "c_")
url_s = url_config(S, "s_")
url_g = url_config(PlaygroundConfig, "g_")
url_g2 = url_config(PlaygroundConfig, "h_")

TABS = {
    "perceptron": "① Perceptron",
    "compare": "② NumPy vs PyTorch",
    "seeds": "③ 100 seeds",
    "playground": "④ Playground",
}
asked = page_params("xor").tab
tab_p, tab_c, tab_s, tab_g = st.tabs(
    list(TABS.values()), key="xor_tab", on_change="rerun", default=TABS.get(asked, TABS["perceptron"])
)
open_tab = next((name for name, t in zip(TABS, (tab_p, tab_c, tab_s, tab_g)) if t.open), "perceptron")
p_cfg, c_cfg, s_cfg, g_cfg, g2_cfg = url_p, url_c, url_s, url_g, None

# ---- 1. the perceptron --------------------------------------------------------------------------
with tab_p:
    if tab_p.open:
        c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
        field_widget(P, "gate", label="Logic gate", key="p_gate", value=url_p.gate, container=c1,
                     widget="segmented_control", required=True, wrap=True)  # one row cut "AND" at 1024 px
        field_widget(P, "lr", label="Learning rate", key="p_lr", value=url_p.lr, container=c2, format="%.4g",
                     help=tip("learning rate"))
        field_widget(P, "epochs", label="Max epochs", key="p_epochs", value=url_p.epochs, container=c3,
                     help=tip("epoch", before="The tutorial uses 100 (1,000 for XOR)."))
        field_widget(P, "seed", label="Seed", key="p_seed", value=url_p.seed, container=c4, help=tip("seed"))
        p_cfg = widget_config(lambda: xor.PerceptronConfig(
            gate=st.session_state.p_gate,
            lr=st.session_state.p_lr,
            epochs=st.session_state.p_epochs,
            seed=st.session_state.p_seed,
        ), url_p)
        hist, lines, table, best_line, unit, rule = perceptron_run(p_cfg)
        n_ep = len(hist.errors)
        verdict = xc.perceptron_verdict(p_cfg, hist, unit)
        say.lesson(verdict, "success" if verdict.holds else "error",
                   icon=":material/check_circle:" if verdict.holds else ":material/block:")
        say.lesson(xc.perceptron_lines_clear(
            {p_cfg.gate: (hist.weights[-1], float(hist.bias[-1]), bool(hist.converged))}), "caption")
        left, right = st.columns([1, 1])
        with left:
            shown = st.slider("Show the line after epoch", 0, n_ep, n_ep, key="p_show", help=tip("epoch"))
            perceptron_chart(p_cfg, shown, f"{p_cfg.gate}: the line after epoch {shown}")
        with right:
            vega.altair(f"xor.errors:{p_cfg.key()}", lambda: charts.error_bars(hist.errors), width="stretch")
            st.caption("Truth table and the perceptron's answers now", help=tip("truth table"))
            # a static table fits its column (a data grid cut the "right" column at 1024 px)
            st.table(table.style.format({"right": lambda ok: "✓" if ok else "✗"}), hide_index=True)
            st.caption(f"Final rule: {rule}. Update after each mistake: w += lr·error·x, b += lr·error.")
        st.subheader("All four gates, side by side")
        row = st.container(horizontal=True)  # four in a row, two by two at 1024 px (four columns cut each chart)
        gates = {}
        for g in datasets.GATES:
            cfg_g = p_cfg.replace(gate=g, epochs=1000 if g == "XOR" else max(100, p_cfg.epochs))
            h_g = perceptron_run(cfg_g)[0]
            gates[g] = (h_g.weights[-1], float(h_g.bias[-1]), bool(h_g.converged))
            verdict = (
                f"learned in {len(h_g.errors)} epochs" if h_g.converged else f"never learned ({len(h_g.errors)} epochs)"
            )
            perceptron_chart(cfg_g, len(h_g.errors), f"{g}: {verdict}", 170, where=row)
        st.caption(
            "XOR's 1s sit on one diagonal and its 0s on the other: any line that puts both blue points "
            "on one side puts a red one with them."
        )
        say.lesson(xc.perceptron_lines_clear(gates), "caption")
        links.try_next("xor.perceptron", "xor", TABS)

# ---- 2. NumPy vs PyTorch ------------------------------------------------------------------------
with tab_c:
    if tab_c.open:
        st.markdown(
            "The same 2-H-1 sigmoid network, trained two ways: **NumPy** with backprop written by hand "
            "(plain gradient descent on the binary cross-entropy loss) and **PyTorch** with autograd and Adam.",
            help=tip("sigmoid", "backpropagation", "gradient descent", "binary cross-entropy", "cross-entropy",
                     "gradient", "autograd", "adam", "loss"),
        )
        c = st.columns(3) + st.columns(3)  # two rows: six in one squeezed each label onto three lines at 1024 px
        field_widget(C, "hidden", label="Hidden units", key="c_hidden", value=url_c.hidden, container=c[0])
        field_widget(C, "numpy_lr", label="NumPy learning rate", key="c_np_lr", value=url_c.numpy_lr,
                     container=c[1], format="%.4g", help=tip("learning rate"))
        field_widget(C, "numpy_epochs", label="NumPy epochs", key="c_np_ep", value=url_c.numpy_epochs, container=c[2],
                     help=tip("epoch"))
        field_widget(C, "torch_lr", label="PyTorch learning rate", key="c_t_lr", value=url_c.torch_lr,
                     container=c[3], format="%.4g", help=tip("adam", before="PyTorch trains with Adam here."))
        field_widget(C, "torch_epochs", label="PyTorch epochs", key="c_t_ep", value=url_c.torch_epochs, container=c[4])
        field_widget(C, "seed", label="Seed", key="c_seed", value=url_c.seed, container=c[5],
                     help=tip("seed"))
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
        for v in compare_verdicts(preds, cr.losses):
            said = xc.net_solves(v)
            say.lesson(said, "success" if said.holds else "warning")
        say.lesson(xc.numpy_share_sentence(numpy_share(c_cfg), c_cfg), "caption", help=tip("weight"))
        ck = f"xor.compare:{c_cfg.key()}"  # what the charts below draw is a function of the settings alone
        a, b = st.columns(2)  # the table's five columns need half the width at 1024 px
        vega.altair(f"{ck}:loss", lambda: charts.loss_curves(cr.losses, y="loss", color="net", title="Training loss"),
                    where=a, width="stretch")
        b.caption("Outputs on the four inputs")
        b.table(preds.style.format({"NumPy": "{:.3f}", "PyTorch": "{:.3f}"}), hide_index=True)
        row = st.container(horizontal=True)  # side by side when both fit, one under the other at 1024 px
        pts = gate_points("XOR").rename(columns={"target": "label"})
        for name in ("NumPy", "PyTorch"):
            vega.altair(f"{ck}:surface:{name}", lambda name=name: charts.decision_surface(
                cr.surface[cr.surface.net == name].drop(columns="net"),
                pts,
                title=f"{name}: P(output = 1) over the plane",
            ), where=row, width="content")
        st.subheader("What each hidden unit computes", help=tip("weight", "bias", "activation"))
        say.lesson(xc.hidden_units_caption(c_cfg), "caption")
        for name in ("NumPy", "PyTorch"):
            vega.altair(f"{ck}:hidden:{name}", lambda name=name: charts.heatmap_grid(
                cr.hidden[cr.hidden.net == name].drop(columns="net"), "unit", "a", columns=min(4, c_cfg.hidden),
                size=100, title=name), width="content")
        st.subheader("The hidden space: the hidden layer moves the four points",
                     help=tip("hidden space", "linearly separable", "epoch"))
        st.caption(
            "Each point drawn at its hidden units' values instead of its inputs. The output neuron is a "
            "straight line (dashed) in this space: where each weight times its hidden value, plus the bias, is 0. "
            "Slide through training epoch by epoch and watch the hidden layer move (0,1) and (1,0) away from "
            "(0,0) and (1,1); the sentence under each view says whether the line separates them yet (whether "
            "XOR has become linearly separable there).",
            help=tip("weight", "bias", "epoch", "linearly separable"),
        )

        @st.cache_data(max_entries=16)
        def hidden_history(cfg: xor.XorCompareConfig) -> pd.DataFrame:
            return hidden_space.xor_history(cfg)

        hh = hidden_history(c_cfg)
        last = int(hh.step.max())
        epochs_at = {n: dict(zip(g.step, g.epoch)) for n, g in hh.groupby("net")}
        step = st.select_slider(
            "Training progress", options=list(range(last + 1)), value=last, key="c_hs_step",
            format_func=lambda i: " · ".join(f"{n} epoch {e.get(i, max(e.values()))}" for n, e in epochs_at.items()),
        )
        h1, h2 = st.columns(2)
        for col, name in ((h1, "NumPy"), (h2, "PyTorch")):
            g = hh[hh.net == name]
            snap = g[g.step == min(step, int(g.step.max()))]
            vega.altair(f"{ck}:space:{name}:{step}", lambda snap=snap, name=name: hidden_space.xor_chart(
                snap, title=f"{name}: epoch {int(snap.epoch.iloc[0])}", size=210), where=col, width="content")
            say.lesson(xc.hidden_space_caption(snap), "caption", where=col)
        with st.expander("The NumPy network's forward and backward pass (core/scratch.py)"):
            st.code(  # wrapped, not scrolled sideways, in a 1024 px window
                inspect.getsource(ScratchNet.forward) + "\n" + inspect.getsource(ScratchNet.backward),
                language="python", wrap_lines=True,
            )
            st.caption("A test checks these gradients against PyTorch autograd in float64 (relative error < 1e-6).")
            st.caption(tip("autograd", "backpropagation", "binary cross-entropy"), help=tip("chain rule"))
        links.try_next("xor.compare", "xor", TABS)

# ---- 3. many seeds ------------------------------------------------------------------------------
with tab_s:
    if tab_s.open:
        st.markdown(
            "Is solving XOR luck? Train the same network from many random starts, one seed each, **at once** "
            "(one batched run) and count how many get there. Defaults: the tutorial's PyTorch XORNet.",
            help=tip("seed", "batch"),
        )
        c = st.columns(4) + st.columns(4)[:3]  # two rows: seven selects in one row were cut to "Sig", "ad" at 1024 px
        field_widget(S, "hidden", label="Hidden units", key="s_width", value=url_s.hidden[0], part="item",
                     widget="number_input", container=c[0])
        field_widget(S, "activation", label="Activation", key="s_act", value=url_s.activation, container=c[1],
                     format_func=ACT_LABEL.get, help=tip("activation", "sigmoid"))
        field_widget(S, "optimizer", label="Optimizer", key="s_opt", value=url_s.optimizer, container=c[2],
                     help=tip("optimizer", "adam", "sgd", "momentum"))
        field_widget(S, "lr", label="Learning rate", key="s_lr", value=url_s.lr, container=c[3], format="%.4g",
                     help=tip("learning rate"))
        field_widget(S, "epochs", label="Epochs", key="s_epochs", value=url_s.epochs, container=c[4],
                     help=tip("epoch"))
        field_widget(S, "init", label="Init", key="s_init", value=url_s.init, container=c[5],
                     help=tip("initialisation", before="default: PyTorch's own, as in the tutorial's PyTorch XORNet "
                              "(this tab's defaults); small: randn*0.5, biases 0, as in the tutorial's NumPy "
                              "network (tab ②)"))
        field_widget(S, "n_seeds", label="Seeds", key="s_n", value=url_s.n_seeds, container=c[6], help=tip("seed"))
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
        sm = seed_summary(results)
        m1, m2, m3 = st.columns(3)
        m1.metric("Solved XOR", f"{sm.n_solved}/{sm.n}")
        m2.metric("Median final loss", f"{sm.median_loss:.4f}", help=tip("loss"))
        m3.metric("Training time", f"{sm.seconds:.2f} s", help="All seeds together, in one batched run")
        say.lesson(xc.seeds_diverged(sm), "warning", icon=":material/warning:")
        failed = sm.failed
        vega.altair(f"{seed_key(s_cfg)}:curves", lambda: charts.many_curves(
            all_histories(results), y="train_loss", title="Loss of every seed (faint) and the median (red)"),
            of=results, width="stretch")
        if not failed:
            say.lesson(xc.all_seeds_solve(sm), "success")
        else:
            with st.spinner(f"Retraining the {len(failed)} failed seeds {xor.RETRY_FACTOR}x longer..."):
                longer = longer_runs(s_cfg, results)
            say.lesson(xc.retry_sentence(s_cfg, longer), "info", icon=":material/replay:")
            st.subheader("Open a failed seed", help=tip("weight", "gradient", "derivative", "saturation", "plateau",
                                                        "local minimum"))
            pick = st.selectbox(
                "Failed seed", failed, format_func=lambda i: f"seed {s_cfg.first_seed + i}", key="s_pick"
            )
            d = diagnose_seed(s_cfg, pick, results[pick], longer.get(pick))
            say.lessons([xc.seed_symptoms(d), xc.seed_flat(d), xc.seed_more_epochs(d)], "markdown")
            # the two tables side by side cut the units table's last column at 1024 px: one above the other
            a = b = st.container()
            a.caption("Its outputs")
            a.dataframe(d["outputs"], hide_index=True, width="content")
            b.caption("Its hidden units on the four inputs: each unit's output a, and in brackets its slope "
                      "(the activation's derivative there; near 0, almost no gradient passes)",
                      help=tip("derivative", "saturation"))
            u = d["units"]
            b.dataframe(u.assign(cell=[f"{a:.3f} ({s:.3f})" for a, s in zip(u.a, u.slope)])
                        .pivot(index="unit", columns="input", values="cell"), width="content")
            vega.altair(f"{seed_key(s_cfg)}:surface:{pick}", lambda: charts.decision_surface(
                probability_surface(results[pick]),
                gate_points("XOR").rename(columns={"target": "label"}),
                title=f"Seed {s_cfg.first_seed + pick}: its output over the plane",
            ), of=results, width="content")
        links.try_next("xor.seeds", "xor", TABS)

# ---- 4. playground ------------------------------------------------------------------------------
with tab_g:
    if tab_g.open:
        g_cfg, g2_cfg = playground_tab(url_g, url_g2)
        links.try_next("xor.playground", "xor", TABS)

# ---- the URL holds every control ------------------------------------------------------------------
params = {**p_cfg.to_query("p_"), **c_cfg.to_query("c_"), **s_cfg.to_query("s_"), **g_cfg.to_query("g_")}
if open_tab != "perceptron":
    params["tab"] = open_tab
if g2_cfg is not None:
    params.update({"cmp": "1", **g2_cfg.to_query("h_")})
params.update(playground_edit.view_params())
show_exercise("xor", open_tab)  # predict, then run (core.exercises)
sync_url(params)
share_link()
