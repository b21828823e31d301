"""The XOR Lab's Playground tab: one or two live settings, trained epoch by epoch in the session.

Unlike the other tabs (a config in, a cached result out), the Playground keeps a live trainer per
setting in session state and steps it (Play, Step, Train to the end, Reset), so it lives in its own
module; :func:`playground_tab` is all the page calls.
"""

from __future__ import annotations

import gc
import hashlib

import pandas as pd
import streamlit as st
import torch
from streamlit.errors import StreamlitInvalidLayoutContextError

from core import datasets, settings
from core.engine.activations import HIDDEN, REGISTRY
from core.serve import queue
from core.xor import charts, diagram
from core.xor import claims as xc
from core.xor.play import PlayLoop, play_label, play_pressed
from core.xor.playground import (
    PlaygroundConfig,
    Points,
    apply_edits,
    export_script,
    loss_findings,
    make_points,
    new_trainer,
    prune_edits,
)
from core.xor.surfaces import train_test_losses
from ui import playground_edit as edit
from ui import say, uploads, vega
from ui.common import check_request, seed_state, thread_slot
from ui.glossary import tip
from ui.playground_view import playground_view
from ui.widgets import field_widget, page_params, upload_mb, widget_config

PG = PlaygroundConfig
ACT_LABEL = {n: REGISTRY[n].label for n in HIDDEN}
LOSS_LABEL = {"auto": "auto", "mse": "squared error", "ce": "cross-entropy"}  # fit a 150 px box
PACE = 100  # epochs per second while playing (TensorFlow Playground: one per animation frame, about 60)
FRAME_S = 0.08  # the page asks for new frames every 0.08 s while playing (it gets about 8-10 a second)
PAIR_W = 150  # px of each control in a pair
SETTING_W = 250  # px of each setting's view when comparing two
SNAPSHOT_S = 0.03  # the Play loop records a frame every 0.03 s; the view plays each batch over FRAME_S
MAX_LAYERS = PG.limits("hidden")["length"][1]  # one width widget per possible layer


def _pair() -> tuple:
    """Two boxes for two controls: side by side when the column is wide enough, else one under the other
    (st.columns(2) squeezed labels and values to a few letters at 1024 px, worse inside Setting B)."""
    row = st.container(horizontal=True, gap="small")
    return row.container(width=PAIR_W), row.container(width=PAIR_W)


def _data_controls(k, cfg: PlaygroundConfig) -> None:
    a, b = _pair()
    field_widget(PG, "dataset", label="Data", key=k("dataset"), value=cfg.dataset, container=a,
                 format_func=lambda s: {"csv": "my CSV points"}.get(
                     s, s + (" (regression)" if datasets.is_regression(s) else "")))
    field_widget(PG, "noise", label="Noise", key=k("noise"), value=cfg.noise, widget="slider", container=b,
                 step=0.05)
    field_widget(PG, "features", label="Input features", key=k("features"), value=cfg.features, widget="pills",
                 format_func=datasets.FEATURE_LABELS.get, wrap=True)  # in one row sin(x2) was cut off


def _training_controls(k, cfg: PlaygroundConfig) -> None:
    with st.expander("Training: batch, split, initialisation, loss, seeds, epochs"):
        a, b = _pair()
        field_widget(PG, "batch_size", label="Batch size", key=k("batch"), value=cfg.batch_size, container=a)
        field_widget(PG, "train_frac", label="Training share", key=k("train"), value=cfg.train_frac,
                     widget="slider", container=b, step=0.1)
        a, b = _pair()
        field_widget(PG, "init", label="Init", key=k("init"), value=cfg.init, container=a,
                     help=tip("initialisation", "xavier init", "he init", "lecun init"))
        field_widget(PG, "loss", label="Loss", key=k("loss"), value=cfg.loss, container=b, format_func=LOSS_LABEL.get,
                     given={"dataset": st.session_state[k("dataset")]},
                     help=tip("cross-entropy", "mse", before="auto: cross-entropy for classes, squared error for "
                              "regression"))
        a, b = _pair()
        field_widget(PG, "n_seeds", label="Seeds at once", key=k("seeds"), value=cfg.n_seeds, container=a,
                     help="Train this setting from this many seeds.")
        field_widget(PG, "epochs", label="Epochs", key=k("epochs"), value=cfg.epochs, container=b)


def controls(prefix: str, cfg: PlaygroundConfig, inherit: PlaygroundConfig | None = None) -> PlaygroundConfig | None:
    """Widgets for one setting (keys start with ``prefix``); returns its config, None when refused.

    With ``inherit``, only the network controls are shown; data and training come from ``inherit``.
    """
    k = lambda name: f"{prefix}{name}"  # noqa: E731
    seed_state({k("seed"): cfg.seed, k("edits"): cfg.edits})
    if inherit is None:
        _data_controls(k, cfg)
    n_layers = field_widget(PG, "hidden", label="Hidden layers", key=k("layers"), value=len(cfg.hidden),
                            part="length", help=None)
    widths = []
    if n_layers:
        row = st.container(horizontal=True)  # narrow boxes side by side, wrapping on a narrow screen
        wc = [row] * MAX_LAYERS
        for i in range(int(n_layers)):
            box = wc[i].container(width=84, gap=None)
            widths.append(field_widget(PG, "hidden", label=f"Layer {i + 1}", key=k(f"w{i}"), part="item",
                                       widget="selectbox", value=cfg.hidden[i] if i < len(cfg.hidden) else 4,
                                       container=box, help="neurons in this layer" if i == 0 else None))
            edit.neuron_buttons(k(f"w{i}"), box)
    for i in range(int(n_layers or 0), MAX_LAYERS):  # a layer shown later starts at its link value (or 4)
        seed_state({k(f"w{i}"): cfg.hidden[i] if i < len(cfg.hidden) else 4})
    a, b = _pair()
    field_widget(PG, "activation", label="Activation", key=k("act"), value=cfg.activation, container=a,
                 format_func=ACT_LABEL.get, help=tip("activation", "tanh", "relu", "sigmoid"))
    field_widget(PG, "lr", label="Learning rate", key=k("lr"), value=cfg.lr, container=b, format="%.4g",
                 help=tip("learning rate", "diverge"))
    a, b = _pair()
    seed_state({k("reg"): "L1" if cfg.l1 else "L2" if cfg.l2 else "none"})
    reg = a.selectbox("Regularisation", ("none", "L1", "L2"), key=k("reg"), help=tip("regularisation", "l1", "l2"))
    field_widget(PG, "l1" if reg == "L1" else "l2", label="Regularisation rate", key=k("rate"),
                 value=max(cfg.l1, cfg.l2) or 0.001, container=b, format="%.4g", disabled=reg == "none")
    if inherit is None:
        _training_controls(k, cfg)
    ss = st.session_state
    rate = ss[k("rate")]
    n_in = len(inherit.features if inherit is not None else ss[k("features")])
    hidden = tuple(int(w) for w in widths)
    net = dict(hidden=hidden, activation=ss[k("act")], lr=ss[k("lr")],
               l1=rate if reg == "L1" else 0.0, l2=rate if reg == "L2" else 0.0,
               edits=prune_edits(tuple(ss[k("edits")]), (n_in, *hidden, 1)))  # a neuron removed takes its edits
    if inherit is not None:
        return widget_config(lambda: inherit.replace(**net), None)
    return widget_config(lambda: PlaygroundConfig(
        dataset=ss[k("dataset")], noise=ss[k("noise")], train_frac=ss[k("train")], features=tuple(ss[k("features")]),
        batch_size=ss[k("batch")], init=ss[k("init")], loss=ss[k("loss")], n_seeds=ss[k("seeds")],
        seed=ss[k("seed")], epochs=ss[k("epochs")], **net), None)


def trainer_for(slot: str, cfg: PlaygroundConfig, pts: Points) -> object:
    """The live trainer of a slot; a new one (same seeds: same starting weights) when the setting changes.

    A weight set by hand is not a new setting: it is set in the live trainer, which trains on from there.
    """
    ss = st.session_state
    key = (cfg.replace(edits=()), pts.X.shape[0], float(pts.X.sum()))
    if ss.get(f"{slot}_key") != key or ss.get(f"{slot}_reset"):
        _stop_loop()  # it trains the old trainer
        ss[f"{slot}_trainer"] = new_trainer(cfg, pts)  # the hand-set weights at the seeded start
        ss[f"{slot}_key"] = key
        ss[f"{slot}_reset"] = False
    elif (new := tuple(e for e in cfg.edits if e not in ss.get(f"{slot}_edits", ()))):
        _stop_loop()
        apply_edits(ss[f"{slot}_trainer"], new)
    ss[f"{slot}_edits"] = cfg.edits
    return ss[f"{slot}_trainer"]


def _metrics(trainer) -> dict[str, float]:
    """The latest evaluated metrics (median over seeds): test_loss, train_loss, (test_acc, train_acc)."""
    row = next((r for r in reversed(trainer.rows) if "test_loss" in r), None)
    ev = {k: torch.as_tensor(v) for k, v in (row or trainer.evaluate()).items()}
    names = {"test_loss": "test_loss", "train_eval_loss": "train_loss", "test_acc": "test_acc",
             "train_acc": "train_acc"}
    return {out: float(ev[k].float().nanmedian()) for k, out in names.items() if k in ev}


def frame_of(cfg: PlaygroundConfig, pts: Points, trainer, k: int = 0, view: dict | None = None) -> dict:
    """What the view draws of seed k of a setting now (:func:`core.xor.diagram.frame`); ``view``: the
    switches (discretize, show_test)."""
    return diagram.frame(trainer, cfg.features, cfg.activation, (pts.X, pts.y, pts.train), k=k, epochs=cfg.epochs,
                         title=f"median of {cfg.n_seeds} seeds:" if cfg.n_seeds > 1 else "",
                         regression=pts.regression, metrics=_metrics(trainer), **(view or {}))


def draw_setting(title: str, cfg: PlaygroundConfig, pts: Points, trainer, live: bool = False,
                 frames: list[dict] | None = None, view: dict | None = None) -> None:
    """One setting: its epoch, then the live view (diagram, output plane, hidden space, loss).

    live: drawn by the Play loop (a redraw every FRAME_S): nothing that costs a chart spec.
    frames: snapshots the loop recorded since the last redraw (the view plays them in order); else now.
    """
    epoch = frames[-1]["epoch"] if frames else trainer.epoch  # live: the newest frame's, as the view shows
    st.markdown(f"**{title}** · epoch {epoch}/{cfg.epochs}", help=tip("epoch"))
    if epoch == 0:
        st.caption("Not trained yet: this is the network at its (seeded) starting weights. Press ▶ Play or Step.",
                   help=tip("weight"))
    if not live:  # at rest: it reads the whole history
        say.lesson(xc.loss_trouble(loss_findings(trainer, cfg, pts), cfg.lr), "error", icon=":material/warning:")
    else:
        say.lesson(xc.playground_diverged(int(trainer.diverged.sum()), trainer.K), "error",
                   icon=":material/warning:")
    k = 0
    if cfg.n_seeds > 1:
        k = st.slider("Show seed", cfg.seed, cfg.seed + cfg.n_seeds - 1, cfg.seed, key=f"show_{title}") - cfg.seed
    st.session_state.setdefault("pg_shown", {})[title] = k  # the Play loop's snapshots draw this seed too
    seq = frames or [frame_of(cfg, pts, trainer, k, view)]
    vkey = f"pg_view_{title}"
    playground_view(seq, key=vkey, interval=FRAME_S, live=live,
                    on_edge=lambda: edit.edge_clicked(title, vkey, lambda: _stop_loop(wait=False)))
    edit.edits_line(edit.PREFIX[title], cfg)
    if not live and cfg.n_seeds > 1:
        long = train_test_losses(trainer.history())
        if len(long):
            # kept per content: a live trainer's history has no cache key (hand-set weights, your points)
            vega.altair(f"xor.playground:loss:{frame_hash(long)}", lambda: charts.band_curves(
                long, y="loss", series="series", title="Loss (median and 10-90% band over seeds)"),
                width="stretch")


def frame_hash(df: pd.DataFrame) -> str:
    """A hash of a frame's columns (names, types and every value): a chart drawn from it alone is kept under it."""
    h = hashlib.sha256()
    for c in df.columns:
        v = df[c].to_numpy()
        h.update(f"{c}:{v.dtype}:{len(v)}:".encode())
        h.update("\0".join(map(str, v)).encode() if v.dtype == object else v.tobytes())
    return h.hexdigest()


@st.cache_data(max_entries=4, show_spinner=False)
def _points(raw: bytes) -> tuple:
    with uploads.parsing(len(raw)):  # hosted: priced from its size, one slot
        return datasets.points_from_csv(raw)


def _csv_points(g_cfg: PlaygroundConfig) -> tuple[PlaygroundConfig, object]:
    """The visitor's uploaded points when the data is "csv" (else None); XOR until a file is read."""
    if g_cfg.dataset != "csv":
        return g_cfg, None
    up = st.file_uploader("Your points: CSV with columns x1, x2, label (0/1, or numbers for regression)",
                          type=["csv", "txt"], key="g_csv",
                          max_upload_size=upload_mb(datasets.MAX_CSV_BYTES))
    points = None
    if up is not None:
        try:
            raw = up.getvalue()
            points = uploads.read_once(raw, lambda: _points(raw), "playground")
        except ValueError as e:
            say.status(f"Could not use {up.name}: {e}", "error")
    if points is None:
        say.status("Upload a CSV to train on your own points; until then the XOR set is shown.")
        g_cfg = g_cfg.replace(dataset="xor")
    elif points[2] and g_cfg.loss == "ce":  # the constraint "loss needs classes", for data known only now
        say.status("Your labels are numbers (a regression): cross-entropy needs classes, so MSE is used.", "info")
        g_cfg = g_cfg.replace(loss="mse")
    return g_cfg, points


def _stop_loop(wait: bool = True) -> None:
    """End the Play loop, if one runs (Pause, Reset, a changed setting).

    Without wait (Pause) it is only told to stop; the paused view then draws under its lock, so it
    shows the weights after the loop's last epochs, never half-way through one.
    """
    loop = st.session_state.get("pg_loop")
    if loop is not None:
        loop.stop(timeout=1.0 if wait else 0.0)
        st.session_state.pg_loop = None
        st.session_state.pg_stopping = loop


def _rerun_panel() -> None:
    """Rerun the panel's fragment (a button inside it started this run), or the app when this run is a
    full one (a fragment rerun cannot be asked for from there)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitInvalidLayoutContextError:
        st.rerun()


def _at_end() -> bool:
    """Every live trainer of the panel has reached its last epoch (read when a button is pressed)."""
    jobs = st.session_state.get("pg_jobs", [])
    return bool(jobs) and all(t.epoch >= epochs for t, epochs in jobs)


def _set_playing(was_playing: bool) -> None:
    """Play or Pause (:func:`core.xor.play.play_pressed`); Play at the last epoch starts again from epoch 0.

    Not a toggle of the current state: Streamlit can replay a click's callback when the click lands
    while a timed fragment rerun is queued (seen: Pause undone 15 ms later), and acting on what the
    button showed is the same however often it runs."""
    ss = st.session_state
    playing, restart = play_pressed(was_playing, _at_end())
    if not playing:
        _stop_loop(wait=False)
    if restart:
        _stop_loop()
        ss.pg_a_reset = ss.pg_b_reset = True  # trainer_for builds them afresh: epoch 0, the same seeded weights
    ss.pg_playing = playing


def _buttons(tr_a, tr_b, g_cfg: PlaygroundConfig, g2_cfg: PlaygroundConfig | None) -> None:
    """Play/Pause, Step, Reset and Train to the end, acting on both settings."""
    ss = st.session_state
    ss.setdefault("pg_playing", False)
    b1 = b2 = b3 = b4 = st.container(horizontal=True)  # buttons keep their labels and wrap when narrow
    ss.pg_jobs = [(t, c.epochs) for t, c in ((tr_a, g_cfg), (tr_b, g2_cfg)) if t is not None]
    done = _at_end()
    b1.button(play_label(ss.pg_playing, done), key="pg_play", type="primary", on_click=_set_playing,
              args=(ss.pg_playing,))
    step = b2.button("Step", key="pg_step", help="One epoch", disabled=ss.pg_playing)
    if b3.button("Reset", key="pg_reset", help="Back to the same starting weights (seeded)"):
        _stop_loop()
        ss.pg_a_reset = ss.pg_b_reset = True
        ss.pg_playing = False
        _rerun_panel()
    if step and not done:
        for t in (tr_a, tr_b):
            if t is not None:
                t.run(epochs=1)
        if _at_end():  # the buttons above were drawn before this step: redraw them (Play again, no Step)
            _rerun_panel()
    if b4.button("Train to the end", key="pg_all", disabled=done or ss.pg_playing):
        with st.spinner("Training..."):
            for t in (tr_a, tr_b):
                if t is not None:
                    t.run()
        _rerun_panel()  # redraw the buttons at the end: Play now plays again from epoch 0


def playground_tab(url_g: PlaygroundConfig,
                   url_g2: PlaygroundConfig) -> tuple[PlaygroundConfig, PlaygroundConfig | None]:
    """The whole tab; returns the settings shown (A, and B when comparing) for the page's URL."""
    st.markdown(
        "TensorFlow Playground's ground, and past it: many seeds at once, a second setting beside "
        "the first, seeded reset, batch size, initialisation and loss choices, your own points, and an export.",
        help=tip("feature", "hidden layer", "loss", "initialisation", "regularisation", "epoch", "batch"),
    )
    ctrl, out = st.columns([2, 3], gap="large")
    with ctrl:
        g_cfg = controls("g_", url_g) or url_g
        g_cfg, csv_points = _csv_points(g_cfg)
        compare = st.toggle("Compare two settings", key="g_compare", value=page_params("xor", show=False).cmp,
                            help="A second network on the same data, drawn beside the first.")
        view = edit.view_switches()
        g2_cfg = None
        if compare:
            with st.container(border=True):
                st.caption("Setting B: same data, features, batch, seeds and epochs; change the network.")
                from_url = any(q.startswith("h_") for q in st.query_params)
                g2_cfg = controls("h_", url_g2 if from_url else g_cfg.replace(activation="relu"), inherit=g_cfg)
    with out:
        pts = make_points(g_cfg, csv_points)
        _panel(g_cfg, g2_cfg, pts, view)
    return g_cfg, g2_cfg



@st.fragment
def _panel(g_cfg: PlaygroundConfig, g2_cfg: PlaygroundConfig | None, pts: Points, view: dict | None = None) -> None:
    """The buttons and the settings' views. A fragment: Play, Pause and Step rerun only this part.

    While playing, a :class:`~core.xor.play.PlayLoop` trains in a background thread at PACE epochs per
    second and the views live in an inner fragment that redraws every FRAME_S from the live weights.
    Pause stops the loop and reruns this outer fragment, which no longer calls the inner one: Streamlit
    drops it and tells the browser to stop its timer.
    """
    tr_a = trainer_for("pg_a", g_cfg, pts)
    tr_b = trainer_for("pg_b", g2_cfg, pts) if g2_cfg is not None else None
    pairs = [(t, c, name) for t, c, name in ((tr_a, g_cfg, "Setting A"), (tr_b, g2_cfg, "Setting B")) if t is not None]
    ss = st.session_state
    loop = ss.get("pg_loop")
    if ss.get("pg_playing") and (loop is None or not loop.alive) and (
            loop is not None and loop.finished or all(t.epoch >= c.epochs for t, c, _ in pairs)):
        ss.pg_playing, ss.pg_loop = False, None  # played to the end: the button reads Play (again) before it is drawn
    _buttons(tr_a, tr_b, g_cfg, g2_cfg)
    if edit.weight_editor():  # a weight set: the settings (and the URL) change, outside this fragment
        st.rerun(scope="app")

    def draw(live: bool, snaps: list[dict] | None = None) -> None:
        if len(pairs) > 1:  # side by side when both fit, one under the other on a narrow screen
            row = st.container(horizontal=True, gap="small")
            cols = [row.container(width=SETTING_W) for _ in pairs]
        else:
            cols = [st.container()]
        for col, (t, c, name) in zip(cols, pairs):
            with col:
                draw_setting(name, c, pts, t, live=live, frames=[s[name] for s in snaps or []], view=view)

    shown = ss.setdefault("pg_shown", {})  # title -> seed shown; read by the loop's thread

    def snapshot() -> dict[str, dict]:  # called by the loop's thread, under its lock: no Streamlit here
        return {name: frame_of(c, pts, t, min(shown.get(name, 0), t.K - 1), view) for t, c, name in pairs}

    loop = ss.get("pg_loop")
    if ss.pg_playing and (loop is None or not loop.alive):  # not at the end (checked above): start the loop
        for t, _, _ in pairs:  # hosted: priced once, on this script thread; the loop then holds a slot
            check_request(list(t.configs))
        # Streamlit runs a full gc.collect(2) after every script run, fragments too: with torch,
        # pandas and Altair loaded that walks ~300k objects, 0.1-0.4 s per redraw (measured), more
        # than everything else in a frame. Freezing what exists now (imports, caches: long-lived;
        # the last run's garbage is already collected) leaves each collection the new objects only.
        gc.freeze()
        ss.pg_loop = PlayLoop([(t, c.epochs) for t, c, _ in pairs], pace=PACE, chunk=2,
                              snapshot=snapshot, snapshot_s=SNAPSHOT_S, slot=thread_slot(),
                              wall_seconds=settings.limits().run_wall_seconds).start()
    if ss.pg_playing:
        @st.fragment(run_every=FRAME_S)
        def live() -> None:
            if ss.pop("pg_edit_rerun", False):  # a weight was clicked: paused, the editor opens at rest
                st.rerun(scope="app")
            loop = ss.get("pg_loop")
            if not ss.pg_playing or loop is None:  # paused meanwhile: the outer rerun removes this fragment
                return
            loop.touch()
            if loop.error is not None:
                say.status(f"Training stopped: {loop.error}", "error")
            if loop.waiting is not None:
                say.status(f"{queue.wait_message(*loop.waiting, queue.training_queue().capacity)}", "info",
                           icon=":material/hourglass_top:")
            if not loop.alive:  # reached the end (or the wall-clock limit): redraw the whole panel at rest
                ss.pg_playing, ss.pg_loop, ss.pg_cut = False, None, loop.cut
                st.rerun(scope="app")
            with loop.lock:  # taking and snapshotting in one hold: a frame recorded meanwhile would be older
                snaps = loop.take() or [snapshot()]  # than this snapshot, and the next frame would step back
            draw(live=True, snaps=snaps)  # from the recorded frames: training goes on meanwhile

        live()
    else:
        cut = ss.pop("pg_cut", None)
        if cut:
            say.status(f"{cut}", "warning", icon=":material/timer_off:")
        stopping = ss.pop("pg_stopping", None)
        if stopping is not None:
            with stopping.lock:
                draw(live=False)
        else:
            draw(live=False)
    if tr_a.epoch > 0:
        st.download_button("Export setting A as a PyTorch script", lambda: export_script(tr_a.results()[0], g_cfg),
                           file_name="nnlab_playground_model.py", mime="text/x-python", key="pg_export")
