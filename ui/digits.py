"""The Digit Recognizer's page parts: where a model comes from (the caches, live training, MNIST on
this machine) and how test images and readings are shown. The page script lays these out."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import torch
from PIL import ImageOps

from core import digits, settings
from core.datasets import Dataset, mnist
from core.digits import DigitsConfig, inside, lessons
from core.digits import charts as dc
from core.digits import claims as dcl
from core.digits import finetune as ft
from core.digits import metrics as dm
from core.digits import novelty as nv
from core.digits import reading as dr
from core.digits import views as dv
from core.digits.reader import (
    HOW_TO_GET_MNIST,
    READER,
    MnistHere,
    comparison_words,
    mnist_here,
    mnist_rows,
    shipped_reader,
    shipped_words,
    trained_reads_better,
)
from core.engine import TrainResult
from core.engine.conv import is_cnn
from ui import say
from ui.common import admitted, cached_results, check_request, disk_cache, memo_get, memo_put, training_slot
from ui.digit_settings import summary_line
from ui.glossary import tip


# ---- cached work (pure functions of their arguments) -------------------------------------------
def is_trained(key: str) -> bool:
    """Whether a result is in the memory or disk cache (so it opens at once)."""
    return memo_get(key) is not None or disk_cache().path(key).exists()


@st.cache_resource(max_entries=4, show_spinner=False)
def test_set(dataset: str, folder: str | None) -> Dataset:
    """Only the test rows (evaluation needs nothing else; MNIST's augmented training rows are big)."""
    _, _, Xte, yte = digits.raw_arrays(dataset, folder)
    X, y = torch.as_tensor(Xte), torch.as_tensor(yte, dtype=torch.long)
    return Dataset(X[:1], y[:1], X, y, "multiclass", 10)


def test_probs(result: TrainResult, data: Dataset, key: str) -> np.ndarray:
    """The model's class probabilities on every test image: [n_test, 10], cached per model."""
    hit = memo_get("probs-" + key)
    if hit is None:
        hit = digits.test_predictions(result, data)
        memo_put("probs-" + key, hit)
    return hit


def sklearn_run(dataset: str, folder: str | None, train_limit: int) -> dict:
    """The tutorial's MLPClassifier on the same split: once per server, in the training queue like any training."""
    rows = mnist_rows(MnistHere(folder, "")) if dataset == "mnist" else None  # the files' headers alone
    check_request(digits.sklearn_request(dataset, rows, train_limit))  # hosted: over the budget, refused here
    key = f"sklearn-{digits.data_identity(DigitsConfig(dataset=dataset), folder)}-{train_limit}"
    hit = memo_get(key)
    if hit is None:
        with training_slot():  # hosted: MNIST's fit takes minutes of a core; it waits its turn
            hit = digits.sklearn_baseline(dataset, folder, train_limit=train_limit)
        memo_put(key, hit)
    return hit


# ---- MNIST on this machine ------------------------------------------------------------------------
@st.cache_data(max_entries=4, show_spinner=False)
def _unreadable(folder: str, stamp: tuple) -> str | None:
    """Why MNIST's four files in ``folder`` cannot be read (None when they can): read once per change of
    the files (``stamp``), so a damaged copy is found before a tab reaches for it."""
    try:
        mnist.read_folder(folder)
    except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
        return " ".join(str(e).split())
    return None


def _stamp(folder: Path) -> tuple:
    try:
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))
    except OSError:
        return ()


def mnist_problem(folder: str | None) -> str | None:
    """None when MNIST can be read without a download, else why not (one line). ``folder``: one typed on a
    laptop; None: the server's own (NNLAB_MNIST_DIR, else the data folder's download)."""
    if folder:
        try:
            p = mnist.local_folder(folder)
        except mnist.MnistUnavailable as e:
            return str(e)
        if not p.is_dir():
            return f"the folder {folder!r} does not exist (or is not a folder)"
        try:
            digits.raw_arrays("mnist", str(p))
        except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
            return " ".join(str(e).split())
        return None
    cache = settings.data_dir() / "mnist"
    if not (cache.is_dir() and all(mnist._find(cache, s) for s in mnist.ORDER)):
        return "MNIST is not on this machine yet"
    why = _unreadable(str(cache), _stamp(cache))
    return None if why is None else f"the copy in the data folder is damaged ({why})"


def mnist_source(container, owned: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The MNIST folder box (and a Download button when MNIST is missing); returns (folder, problem):
    folder None means the data folder; problem is None when MNIST can be read, else why not (one line).
    The page stays usable either way: the tabs say what MNIST would need, the Read tab reads with the built-in reader.
    Hosted, neither is shown: the folder and any download are the server owner's (its environment), never
    a visitor's, and nothing is said about a path a visitor names."""
    if settings.hosted():
        own = settings.mnist_dir()
        folder = str(own) if own is not None and own.is_dir() else None
        problem = mnist_problem(folder)
        if problem:
            say.status("MNIST is not on this server: its owner can put the four official files in the folder "
                       "NNLAB_MNIST_DIR names (or the data folder). Choose the 8x8 digits meanwhile.", "info",
                       icon=":material/cloud_off:", where=container)
            problem = "MNIST is not on this server"
        return folder, problem
    container.text_input(
        "MNIST folder (optional)", key="d_mnist_dir",
        placeholder="empty: download into the data folder; or a folder with the four idx files",
        help="A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
             "and t10k-labels-idx1-ubyte (.gz or not), checked by their headers and counts.")
    folder = st.session_state.d_mnist_dir.strip() or None
    problem = mnist_problem(folder)
    if problem and not folder:
        say.status(f"MNIST cannot be read here yet ({problem}). Download it (about 11 MB from public mirrors, "
                   "checked against the official checksums) or type a folder that holds the four idx files.",
                   "warning", icon=":material/cloud_download:", where=container)
        if container.button("Download MNIST", key="d_download", icon=":material/download:"):
            with st.spinner("Downloading MNIST (each mirror gets 10 s before the next is tried)..."):
                try:
                    mnist.load_raw(None, download=True)
                    _unreadable.clear()
                    problem = mnist_problem(None)
                    st.session_state.pop("d_download_error", None)
                except mnist.MnistUnavailable as e:
                    st.session_state.d_download_error = " ".join(str(e).split())
        if problem and st.session_state.get("d_download_error"):
            say.status(f"No download: {st.session_state.d_download_error}", "error", icon=":material/cloud_off:",
                       where=container)
    elif problem:
        say.status(f"MNIST folder not usable: {problem}", "error", icon=":material/folder_off:", where=container)
    return folder, problem


# ---- the model: from the cache at once, or trained live --------------------------------------------
def obtain(cfgs: list[DigitsConfig], folder: str | None, auto: bool, button_key: str,
           what: str = "this model") -> list[TrainResult] | None:
    """Results for a stack of configs: cached -> at once; else trained live (auto, or on a click)."""
    key = digits.train_key(cfgs, folder)
    if not is_trained(key):
        go = st.session_state.get(f"go_{key}", False) or auto
        if not go:
            rows = cfgs[0].train_limit or (60_000 if cfgs[0].dataset == "mnist" else 1_437)
            copies = 1 + cfgs[0].augment_copies
            say.status(f"{what.capitalize()} has not been trained yet ({rows * copies:,} training images, up to "
                       f"{max(c.epochs for c in cfgs)} epochs). Training shows its progress live; a finished "
                       "run is kept, so it opens at once next time.", icon=":material/model_training:")
            if not st.button(f"Train {what}", key=button_key, type="primary", icon=":material/play_arrow:"):
                return None
            st.session_state[f"go_{key}"] = True
    bar = st.empty()
    live = st.empty()
    total_epochs = max(c.epochs for c in cfgs)

    def progress(epoch: int, total: int, trainer) -> None:
        bar.progress(min(1.0, epoch / max(total, 1)), text=f"Training {what}: epoch {epoch} of up to {total}")
        if len(cfgs) == 1:
            live.altair_chart(dc.training_curves(trainer.history(0), None, total_epochs), width="content")

    try:
        results = cached_results(key, lambda: digits.compute(cfgs, progress, folder), (DigitsConfig,),
                                 request=list(cfgs))
    except (mnist.MnistUnavailable, mnist.IdxError) as e:
        bar.empty()
        live.empty()
        say.status(f"MNIST could not be loaded: {e}", "error", icon=":material/cloud_off:")
        return None
    bar.empty()
    live.empty()
    st.session_state.pop(f"go_{key}", None)
    return results


# ---- showing images and readings ------------------------------------------------------------------
#: file names wrap between words, then after a separator (_ - . and the like), and only inside a run of
#: letters when nothing else fits (at 1024 px "handwritten_seven.png" broke as "handwritt/en_seven.png")
NAME_STYLE = "overflow-wrap:anywhere;word-break:normal;hyphens:none"


def name_html(name: str, bold: bool = False) -> str:
    """A file name as safe HTML that wraps sensibly: escaped, with break opportunities (<wbr>) after
    separators and before a run of digits or a capital in camelCase."""
    parts = re.split(r"(?<=[_\-.+~,;()\[\]])|(?<=[a-z])(?=[A-Z0-9])", name)
    inner = "<wbr>".join(html.escape(p) for p in parts if p)
    inner = f"<b>{inner}</b>" if bold else inner
    return f"<span style='{NAME_STYLE}'>{inner}</span>"


def image_grid(data: Dataset, rows: pd.DataFrame, probs: np.ndarray, per_row: int = 8) -> None:
    """Test images with true / predicted / probabilities under each."""
    cols = st.columns(per_row)
    for i, row in enumerate(rows.itertuples()):
        with cols[i % per_row]:
            st.image(dr.stage_image(digits.test_image(data, int(row.index)), 84))
            p = probs[int(row.index)]
            second = int(np.argsort(p)[-2])
            st.caption(f"true **{row.true}** · read **{row.predicted}** ({row.p_predicted:.0%})  \n"
                       f"p(true) {row.p_true:.0%} · next {second} ({p[second]:.0%})")


def reading_card(i: int, x) -> None:
    """One image read: its name, the digit, how sure, each preprocessing step, the probabilities."""
    with st.container(border=True, key=f"d_read_{i}"):
        c1, c2, c3 = st.columns([1, 3, 1.6])
        with c1:
            st.markdown(name_html(x.name, bold=True), unsafe_allow_html=True)
            st.container(key=f"d_digit_{i}").markdown(  # the key lets browser tests find it
                f"<div style='font-size:3.2rem;font-weight:700;line-height:1'>{x.digit}</div>",
                unsafe_allow_html=True)
            st.caption(f"{x.confidence:.0%} sure · read in {x.seconds * 1000:.0f} ms")
            say.lesson(dcl.unsure_verdict(x.probs), "caption")
        with c2:
            # one flowing row: images wrap as whole images, each caption wraps by words under its 96 px image
            # (in one column each, at 1024 px the captions broke mid-word: "cropp/ed to the ink")
            st.image([ImageOps.expand(dr.stage_image(a, 96), border=(6, 0), fill="white")  # a gap between them
                      for _, a in x.steps.stages], caption=[n for n, _ in x.steps.stages], width=108)
            if x.steps.note:
                st.caption(x.steps.note)
        with c3:
            st.altair_chart(dc.probability_bars(x.probs, height=130), width="stretch")


# ---- inside the network: weights, activations, nearest images, not-a-digit, teach it ----------------
def train_images(dataset: str, folder: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The raw training images X [N, F] and labels [N] a model of this data set learned from (None: not here)."""
    if dataset == "mnist" and mnist_problem(folder):
        return None
    try:
        Xtr, ytr, _, _ = digits.raw_arrays(dataset, folder)
    except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError):
        return None
    return Xtr, ytr


def novelty_for(model: TrainResult, key: str, X_train: np.ndarray) -> nv.NoveltyModel:
    """The not-a-digit flag fitted to a model (once per model per server)."""
    hit = memo_get("novelty-" + key)
    if hit is None:
        hit = nv.fit(model, X_train)
        memo_put("novelty-" + key, hit)
    return hit


@st.cache_resource(max_entries=2, show_spinner=False)
def made_set(dataset: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The made non-digits, preprocessed for a data set (once per server)."""
    return nv.made_set(dataset)


def novelty_measurement(model: TrainResult, key: str, flag: nv.NoveltyModel, X_test: np.ndarray) -> nv.Measurement:
    """The flag measured on the made non-digits and the real test digits, for this model (cached)."""
    hit = memo_get("novelty-measure-" + key)
    if hit is None:
        hit = nv.measure(model, flag, X_test, made=made_set(model.config.dataset))  # type: ignore[attr-defined]
        memo_put("novelty-measure-" + key, hit)
    return hit


def measurement_words(m: nv.Measurement, dataset: str) -> str:
    """The measurement in one paragraph (for the help text)."""
    test = "8x8 test split" if dataset == "digits" else "t10k test digits on this machine"
    kinds = ", ".join(f"{k}s {f}/{n}" for k, (f, n) in m.by_kind.items())
    return (f"Measured on this model: of {m.non_digits} made non-digits (letters, shapes, scribbles, blank or "
            f"nearly blank images, drawn like the canvas), **{m.flagged} ({m.flag_rate:.0%}) are flagged** "
            f"({kinds}; {m.refused} of them are refused outright as blank); of the {m.test_digits:,} real digits "
            f"of the {test}, **{m.test_flagged} ({m.false_rate:.1%}) are wrongly flagged**. The threshold is set "
            f"from the training images alone: the distance that {nv.QUANTILE:.0%} of them stay under.")


def unit_grid(model: TrainResult, X: np.ndarray | None, n: int, order: str, per_row: int = 8) -> None:
    """The first-layer units' incoming weights as images, n of them, in rows of per_row."""
    u = inside.unit_images(model, n=n, order=order, X=X)
    scale = float(np.abs(u.weights).max()) or 1.0  # one colour scale for all, so strengths compare
    cols = st.columns(per_row)
    for i, (w, unit, sc) in enumerate(zip(u.weights, u.units, u.score)):
        with cols[i % per_row]:
            st.image(dv.weight_image(w, 84, scale))
            st.caption(f"unit {int(unit)} · {sc:.2f}")


def image_id(x) -> str:
    """A short hash of a reading's preprocessed image: a widget keyed by it starts afresh, at that image's
    reading, when the drawing changes (keyed by the model alone it kept the first drawing's digit)."""
    return hashlib.sha256(np.ascontiguousarray(x.steps.x, np.float32).tobytes()).hexdigest()[:12]


def inside_view(x, model: TrainResult, bank: tuple[np.ndarray, np.ndarray] | None, key: str) -> None:
    """What the network sees in one reading: hidden layers, the units that decide, the nearest training images."""
    if is_cnn(model.config):  # these views take apart an MLP's layers
        say.status("This reader is a CNN: its filters and feature maps are shown on the Images and Convolutions "
                   "page.", icon=":material/info:")
        return
    if not model.config.hidden:  # type: ignore[attr-defined]
        say.status("This model has no hidden layer: its inputs go straight to the ten outputs.", icon=":material/info:")
        return
    c1, c2 = st.columns([1, 2])
    cls = c1.selectbox("Explain the reading as", list(range(10)), index=int(x.digit),
                       key=f"d_explain_{key}_{image_id(x)}",
                       help="Which digit's score to take apart (the model's reading by default).")
    act = inside.hidden_activations(model, x.steps.x[None], with_grad_for=int(cls))
    c2.caption(f"Each strip is one hidden layer, each cell one unit: dark = it fired for your digit. "
               f"{sum(int((a > 0).sum()) for a in act.layers)} of {sum(a.shape[1] for a in act.layers)} units "
               f"fired. Hover a cell for how much it pushed the score of {cls}.",
               help=tip("hidden layer", "activation"))
    st.altair_chart(dv.activation_strips(act), width="stretch")
    left, right = st.columns(2)
    with left:
        st.altair_chart(dv.contribution_bars(act, layer=-1, k=8), width="stretch")
    with right:
        st.altair_chart(dv.contribution_bars(act, layer=0, k=8), width="stretch")
    top = inside.top_units(act, layer=0, k=8)
    st.caption(f"What layer 1's strongest {len(top)} units for {cls} look for (their incoming weights: blue where ink "
               "excites the unit, red where it inhibits it), with how much each pushed the score:",
               help=tip("weight", "sign colours"))
    w = inside.first_layer_weights(model)
    scale = float(np.abs(w[[u for u, _, _ in top]]).max()) or 1.0
    cols = st.columns(8)
    for col, (u, c, _) in zip(cols, top):
        col.image(dv.weight_image(w[u], 64, scale))
        col.caption(f"unit {u}  \n{c:+.2f}")
    st.markdown("**The nearest training images**")
    if bank is None:
        st.caption("The training images of this model are not on this machine, so they cannot be searched.")
        return
    space = st.radio("Nearest in", inside.SPACES, horizontal=True, key=f"d_space_{key}", format_func={
        "hidden": "hidden space (what the network sees)", "pixel": "pixel space (how the ink lies)"}.get,
        help=tip("cosine distance", "hidden space", before="Hidden space: every hidden layer's activations, "
                 "compared by cosine distance (the mean over the layers). Pixel space: the preprocessed pixels, "
                 "compared by cosine distance."))
    Xb, yb = bank
    m = nv.bank_rows(model, len(Xb), (space,))  # the same bound as the not-a-digit flag's bank
    if m < len(Xb):
        keep = np.sort(np.random.default_rng(0).choice(len(Xb), m, replace=False))
        Xb, yb = Xb[keep], yb[keep]
    E = bank_embedding(model, key, Xb, space)
    idx, d = inside.nearest(inside.unit_norm(inside.embed(model, x.steps.x[None], space)), E, k=8)
    cols = st.columns(8)
    for col, i, dist in zip(cols, idx[0], d[0]):
        side = int(round(Xb.shape[1] ** 0.5))
        col.image(dr.stage_image(Xb[i].reshape(side, side), 72))
        col.caption(f"a **{int(yb[i])}** · {dist:.3f}")
    labels = yb[idx[0]]
    n_all = len(bank[0])
    among = "" if len(Xb) == n_all else f" (searched among a seeded sample of {len(Xb):,} of the {n_all:,})"
    st.caption(f"Cosine distance in {space} space (0 = same direction). {int((labels == x.digit).sum())} of the 8 "
               f"nearest training images are {x.digit}s{among}.")


def bank_embedding(model: TrainResult, key: str, X: np.ndarray, space: str) -> np.ndarray:
    """Unit-length training rows in a space for nearest-image search: [N, D] (cached per model)."""
    k = f"bank-{space}-{key}"
    hit = memo_get(k)
    if hit is None:
        hit = inside.unit_norm(inside.embed(model, X, space, batch=2048)).astype(np.float32, copy=False)
        memo_put(k, hit)
    return hit


def teach_view(x, base: TrainResult, base_key: str, bank: tuple[np.ndarray, np.ndarray] | None,
               test: tuple[np.ndarray, np.ndarray] | None, key: str) -> None:
    """Correct a reading and fine-tune on your own drawings; they live in this session only (st.session_state)."""
    ds = base.config.dataset  # type: ignore[attr-defined]
    taught: list[dict] = st.session_state.setdefault("d_taught", [])
    tuned_all: dict = st.session_state.setdefault("d_tuned", {})
    mine = [t for t in taught if t["dataset"] == ds]
    c1, c2, _ = st.columns([1, 1.2, 0.6], vertical_alignment="bottom")
    truth = c1.selectbox("The true digit is", list(range(10)), index=int(x.digit), key=f"d_truth_{key}_{image_id(x)}")
    add = c2.button("Add to my drawings", key=f"d_add_{key}", icon=":material/add:")
    if add and not any(t["label"] == truth and np.array_equal(t["x"], x.steps.x) for t in mine):
        taught.append({"x": x.steps.x.copy(), "label": int(truth), "dataset": ds, "name": x.name})
        mine = [t for t in taught if t["dataset"] == ds]
    st.caption(f"Your drawings: {len(mine)}" + (" (" + ", ".join(f"{t['label']}" for t in mine[-12:]) + ")"
                                                 if mine else "") + ". Kept in this browser session only; "
               "never saved on the server.")
    if bank is None:
        st.caption("Fine-tuning needs this model's training images (to mix in, so it does not forget), and they "
                   "are not on this machine.")
        return
    b1, b2, _ = st.columns([1.5, 1.2, 0.1])
    if b1.button(f"Fine-tune on my {len(mine)} drawing{'s' * (len(mine) != 1)}", key=f"d_tune_{key}",
                 disabled=not mine, type="primary", icon=":material/school:",
                 help=tip("fine-tune", before="40 quick steps on your drawings (plus shifted/rotated copies) mixed "
                          "with 256 training images each step, so it learns yours without forgetting the rest.")):
        X = np.stack([t["x"] for t in mine])
        y = np.array([t["label"] for t in mine])
        Xte, yte = test if test is not None else (None, None)
        # hosted: priced, then one training slot like any other run (refused with one line if over)
        with admitted(ft.workload(base, len(X), 0 if Xte is None else len(Xte))), \
                st.spinner("Fine-tuning on your drawings..."):
            tuned_all[base_key] = ft.finetune(base, X, y, bank[0], bank[1], Xte, yte)
        st.rerun()  # read again, now with the fine-tuned model
    if b2.button("Forget my drawings", key=f"d_forget_{key}", disabled=not mine and base_key not in tuned_all,
                 icon=":material/delete:"):
        st.session_state.d_taught = [t for t in taught if t["dataset"] != ds]
        tuned_all.pop(base_key, None)
        st.rerun()


def best_reader() -> tuple[TrainResult | None, str | None]:
    """The MNIST-format reader when MNIST is on this machine (trained once per server, in the background),
    else, and meanwhile, the built-in reader (no training, no download); says which in one line. Returns
    (model, the folder of its MNIST-format data or None)."""
    state = READER.status(start=True)
    part = (f"the first {state.train_limit:,} training digits of MNIST, as many as this server's budget allows, "
            if state.train_limit else "MNIST ")
    where = "this server's copy" if settings.hosted() else state.where  # a visitor need not learn the server's paths
    if state.state == "ready" and trained_reads_better(state.result):  # by measurement, not by where it came from
        say.status(f"Reading with the **MNIST-format reader** (28x28, trained once on {part}from {where}; "
                   f"{comparison_words(state.result)}). Write one digit per image, large and dark.", "success",
                   icon=":material/verified:")
        here = mnist_here()
        return state.result, here.folder if here else None
    shipped = shipped_reader()
    name = "the built-in reader" if shipped is not None else "the 8x8 reader"
    if state.state == "training":
        say.status(f"The **MNIST-format reader** is training on this server ({part}from {where}); it is trained "
                   f"once and kept. {name.capitalize()} answers meanwhile; this page switches by itself when it is "
                   "ready.", icon=":material/hourglass_top:")
        reader_progress()
    elif state.state == "failed" and state.over_budget:
        say.status(f"The **MNIST-format reader** is not trained on this server: {state.error}. "
                   f"{name.capitalize()} answers.", "warning", icon=":material/speed:")
    elif state.state == "failed":
        say.status(f"The MNIST-format reader could not be trained ({state.error}). {name.capitalize()} answers.",
                   "warning", icon=":material/error:")
    elif state.state == "ready" and shipped is not None:
        say.status(f"Reading with the **built-in reader** ({shipped_words(shipped)}): "
                   f"{comparison_words(state.result)}.", icon=":material/verified:")
    elif shipped is not None:
        better = ("For a better one, this server's owner can put full MNIST in the folder NNLAB_MNIST_DIR names."
                  if settings.hosted() else "For a better one, choose MNIST 28x28 above and download it (11 MB).")
        say.status(f"Reading with the **built-in reader** ({shipped_words(shipped)}). {better}",
                   icon=":material/verified:")
    else:
        say.status(f"Reading with the **8x8 reader**: the built-in reader's file is missing. {HOW_TO_GET_MNIST}",
                   "warning", icon=":material/lightbulb:")
    if shipped is not None:
        return shipped, str(mnist.SAMPLE_DIR)
    res = obtain([digits.default_config("digits")], None, True, "d_train_read8", what="the 8x8 reader")
    return (res[0] if res else None), None


@st.fragment(run_every=3)
def reader_progress() -> None:
    """Polls the background training; reruns the page once the MNIST-format reader is ready."""
    state = READER.status(start=False)
    if state.state != "training":
        st.rerun(scope="app")
    if state.ahead is not None:  # hosted: it waits for a training slot like any visitor's run
        ahead, running = state.ahead
        st.caption(f":material/hourglass_top: It waits for a training slot: {ahead} run{'s' * (ahead != 1)} ahead "
                   f"of it, {running} training now.")
    elif state.epochs:
        st.progress(min(1.0, state.epoch / state.epochs),
                    text=f"MNIST-format reader: epoch {state.epoch} of up to {state.epochs}")


@st.cache_data(show_spinner="Fitting the tutorial's MLPClassifier, raw and scaled...")
def tutorial_sklearn_pair() -> pd.DataFrame:
    """The tutorial's exact MLPClassifier and the same on scaled pixels (once per server, in the queue)."""
    with training_slot():
        return lessons.sklearn_pair()


def sklearn_comparison(dataset: str, folder: str | None, cfg: DigitsConfig,
                       res: list[TrainResult] | None) -> None:
    """The tutorial's MLPClassifier: on 8x8 digits its exact code (raw pixels) beside the scaled run with the
    scaling lesson, then our trained model against sklearn's on the same split."""
    if dataset == "digits":
        pair = tutorial_sklearn_pair()
        st.code("MLPClassifier(hidden_layer_sizes=(100, 50), activation='relu',\n"
                "              max_iter=500, random_state=42)\n"
                "# on load_digits(), train_test_split(test_size=0.2, random_state=42)", language="python",
                wrap_lines=True)  # at 1024 px it scrolled sideways
        st.dataframe(pair.drop(columns=["pixels"]), hide_index=True, width="stretch", column_config={
            "test accuracy": st.column_config.NumberColumn(format="%.3f"),
            "seconds": st.column_config.NumberColumn(format="%.2f")})
        say.lesson(dcl.scaling_sentence(pair), "caption", help=tip("pre-activation"))
    run_sk = dataset == "digits" or st.button("Run MLPClassifier", key="d_sk", icon=":material/play_arrow:")
    if res and run_sk:
        with st.spinner("Fitting MLPClassifier((100, 50), relu, max_iter=500, random_state=42)..."):
            sk = sklearn_run(dataset, folder, cfg.train_limit)
        r = res[0]
        table = pd.DataFrame({
            "model": [f"NN Lab (PyTorch): {summary_line(cfg).split(',')[0]}",
                      "scikit-learn MLPClassifier((100, 50), relu)"],
            "test accuracy": [round(dr.kept_metrics(r)["test_acc"], 3), round(sk["acc"], 3)],
            "fit time (s)": [r.seconds, sk["seconds"]],
            "epochs": [dm.epochs_run(r), sk["n_iter"]],
        })
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"test accuracy": st.column_config.NumberColumn(format="%.3f"),
                                    "fit time (s)": st.column_config.NumberColumn(format="%.2f")})
