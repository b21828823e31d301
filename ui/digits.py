"""The Digit Recognizer's page parts: where a model comes from (the caches, live training, the best reader) and
how test images and readings are shown; the tutorial's scikit-learn baseline. MNIST on this machine lives in
:mod:`ui.digits_mnist`, the insides views in :mod:`ui.digits_inside`. The page script lays these out."""

from __future__ import annotations

import hashlib
import html
import re

import numpy as np
import pandas as pd
import streamlit as st
import torch
from PIL import ImageOps

from core import digits, settings
from core.datasets import Dataset, mnist
from core.digits import DigitsConfig, lessons
from core.digits import charts as dc
from core.digits import claims as dcl
from core.digits import metrics as dm
from core.digits import reading as dr
from core.digits import workload as digits_workload
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
from ui import say, uploads
from ui.common import cached_results, check_request, disk_cache, memo_get, memo_put, training_slot
from ui.digit_settings import summary_line
from ui.glossary import tip
from ui.widgets import upload_mb


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
        # CNNs trained together are priced as one grouped-convolution run (a list of configs is priced as an
        # MLP stack); one config prices itself
        request = list(cfgs) if len(cfgs) == 1 or not digits.is_cnn(cfgs[0]) else digits_workload.models(cfgs)
        results = cached_results(key, lambda: digits.compute(cfgs, progress, folder), digits.CONFIG_TYPES,
                                 request=request)
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


# ---- model files ------------------------------------------------------------------------------------
def file_refusal(r: TrainResult) -> str | None:
    """Why a trained model cannot go into a model file that loads back (None: it can): an MLP always can; a CNN
    when :mod:`core.digits.model_file` reads CNNs back (checked once per model by a round trip)."""
    if not digits.is_cnn(r.config):
        return None
    key = "file-refusal-" + digits.model_digest(r)
    hit = memo_get(key)
    if hit is None:
        try:
            digits.import_model(digits.export_model(r))
            hit = ""
        except (ValueError, KeyError, TypeError) as e:
            hit = "model files hold MLPs only in this version" if "another kind" in str(e) else " ".join(str(e).split())
        memo_put(key, hit)
    return hit or None


def model_file_view(r: TrainResult) -> None:
    """Download the trained model as a file, or load one (kept for the session, offered under ② and ③)."""
    st.subheader("Model file", divider="gray")
    m1, m2 = st.columns(2)
    why = file_refusal(r)
    if why:
        say.status(f"This model cannot be kept in a model file yet: {why}.", icon=":material/info:", where=m1)
    else:
        m1.download_button(
            "Download this model (.safetensors)", digits.export_model(r), type="secondary",
            file_name=f"nnlab-digits-{r.config.dataset}-{digits.model_digest(r)}.safetensors",
            mime="application/octet-stream", icon=":material/download:", key="d_export",
            help=tip("safetensors", before="Weights as safetensors plus the settings as JSON: no pickle, "
                                           "safe to share."))
        m1.caption("Load it back here, or in any NN Lab, to read digits with it.")
    mf = m2.file_uploader("Load a model file", type=None, key="d_model_file", max_upload_size=upload_mb(),
                          help="An NN Lab digit model (.safetensors). Nothing is ever unpickled.")
    if mf is not None:
        raw = mf.getvalue()
        try:  # checked once per file: a refusal is remembered, a loaded file is not read again
            if st.session_state.get("d_loaded_hash") != hashlib.sha256(raw).hexdigest():
                st.session_state.d_loaded = uploads.read_once(raw, lambda: digits.import_model(raw), "model")
                st.session_state.d_loaded_hash = hashlib.sha256(raw).hexdigest()
                st.session_state.d_loaded_name = mf.name
            say.status(f"Loaded **{mf.name}**: {dr.model_summary(st.session_state.d_loaded)}. "
                       "Pick it under ② and ③.", "success", icon=":material/check_circle:", where=m2)
        except ValueError as e:  # ModelFileError, or its line remembered: a refused file never stays
            for k in ("d_loaded", "d_loaded_hash", "d_loaded_name"):
                st.session_state.pop(k, None)
            say.status(f"**{mf.name}** refused: {e}", "error", icon=":material/block:", where=m2)
