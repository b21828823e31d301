"""The Digit Recognizer's page parts: where a model comes from (the caches, live training, MNIST on
this machine) and how test images and readings are shown. The page script lays these out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import torch

from core import digits, settings
from core.datasets import Dataset, mnist
from core.digits import DigitsConfig
from core.digits import charts as dc
from core.digits import reading as dr
from core.engine import TrainResult
from ui.common import cached_results, disk_cache, memo_get, memo_put, sync_url, training_slot


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
    key = f"sklearn-{digits.data_identity(DigitsConfig(dataset=dataset), folder)}-{train_limit}"
    hit = memo_get(key)
    if hit is None:
        with training_slot():  # hosted: MNIST's fit takes minutes of a core; it waits its turn
            hit = digits.sklearn_baseline(dataset, folder, train_limit=train_limit)
        memo_put(key, hit)
    return hit


# ---- MNIST on this machine ------------------------------------------------------------------------
def mnist_problem(folder: str | None) -> str | None:
    """None when MNIST can be read without a download, else why not (one line)."""
    if folder:
        p = Path(folder).expanduser()
        if not p.is_dir():
            return f"the folder {folder!r} does not exist (or is not a folder)"
        try:
            digits.raw_arrays("mnist", str(p))
        except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
            return " ".join(str(e).split())
        return None
    cache = settings.data_dir() / "mnist"
    have = [any(q.name.startswith(stem) for q in cache.glob("*")) if cache.is_dir() else False for stem in mnist.ORDER]
    return None if all(have) else "MNIST is not on this machine yet"


def mnist_source(container, owned: tuple[str, ...]) -> str | None:
    """The MNIST folder box (and a Download button when MNIST is missing); returns the folder (None:
    the data folder). Stops the page, keeping the link, while MNIST cannot be read."""
    container.text_input(
        "MNIST folder (optional)", key="d_mnist_dir",
        placeholder="empty: download into the data folder; or a folder with the four idx files",
        help="A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
             "and t10k-labels-idx1-ubyte (.gz or not), checked by their headers and counts.")
    folder = st.session_state.d_mnist_dir.strip() or None
    problem = mnist_problem(folder)
    if problem and not folder:
        container.warning("MNIST is not on this machine yet. Download it (about 11 MB from public mirrors, checked "
                          "against the official checksums) or type a folder that holds the four idx files.",
                          icon=":material/cloud_download:")
        if container.button("Download MNIST", key="d_download", icon=":material/download:"):
            with st.spinner("Downloading MNIST (each mirror gets 10 s before the next is tried)..."):
                try:
                    mnist.load_raw(None)
                    problem = None
                except mnist.MnistUnavailable as e:
                    st.session_state.d_download_error = " ".join(str(e).split())
        if problem and st.session_state.get("d_download_error"):
            container.error(f"No download: {st.session_state.d_download_error}", icon=":material/cloud_off:")
    elif problem:
        container.error(f"MNIST folder not usable: {problem}", icon=":material/folder_off:")
    if problem:
        sync_url({"dataset": "mnist", **({"mnist_dir": folder} if folder else {})}, owned)
        st.stop()
    return folder


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
            st.info(f"{what.capitalize()} has not been trained yet ({rows * copies:,} training images, up to "
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
        st.error(f"MNIST could not be loaded: {e}", icon=":material/cloud_off:")
        return None
    bar.empty()
    live.empty()
    st.session_state.pop(f"go_{key}", None)
    return results


# ---- showing images and readings ------------------------------------------------------------------
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
            st.markdown(f"**{x.name}**")
            st.container(key=f"d_digit_{i}").markdown(  # the key lets browser tests find it
                f"<div style='font-size:3.2rem;font-weight:700;line-height:1'>{x.digit}</div>",
                unsafe_allow_html=True)
            st.caption(f"{x.confidence:.0%} sure · read in {x.seconds * 1000:.0f} ms")
            if x.confidence < 0.6:
                st.caption(":orange[Unsure: the model spreads its bet (see the bars).]")
        with c2:
            cols = st.columns(len(x.steps.stages))
            for col, (name, a) in zip(cols, x.steps.stages):
                col.image(dr.stage_image(a, 96), caption=name)
            if x.steps.note:
                st.caption(x.steps.note)
        with c3:
            st.altair_chart(dc.probability_bars(x.probs, height=130), width="stretch")
