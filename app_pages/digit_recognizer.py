"""Digit Recognizer: train an MLP on handwritten digits, see where it goes wrong, let it read yours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import torch

from core import digits, settings
from core.config import ConfigError
from core.datasets import Dataset, mnist
from core.digits import DigitsConfig, ModelFileError
from core.digits import charts as dc
from core.digits import reading as dr
from core.engine import TrainResult
from core.engine.activations import HIDDEN, REGISTRY
from ui.canvas import digit_canvas
from ui.common import (
    cached_results,
    config_from_url,
    disk_cache,
    memo_get,
    memo_put,
    seed_state,
    share_link,
    show_config_error,
    sync_url,
    training_slot,
)

LIMITS = settings.limits()
DATA_LABEL = {"digits": "8x8 digits (sklearn, built in)", "mnist": "MNIST 28x28"}
OPT_LABEL = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam"}
ACT_LABEL = {n: REGISTRY[n].label for n in HIDDEN}
MODEL_KEYS = ("d_hidden", "d_act", "d_opt", "d_lr", "d_batch", "d_epochs", "d_dropout", "d_l2", "d_es",
              "d_patience", "d_val", "d_seed", "d_aug", "d_aug_strength")
OWNED = tuple(f"{f}" for f in DigitsConfig.__dataclass_fields__) + ("tab", "mnist_dir", "cmp_epochs")
TABS = {"train": "① Train", "evaluate": "② Evaluate", "read": "③ Read my digits", "compare": "④ Compare"}


# ---- cached work (pure functions of their arguments) -------------------------------------------
def result_key(cfgs: list[DigitsConfig], folder: str | None) -> str:
    return digits.train_key(cfgs, folder)


def is_trained(key: str) -> bool:
    return memo_get(key) is not None or disk_cache().path(key).exists()


@st.cache_resource(max_entries=4, show_spinner=False)
def test_set(dataset: str, folder: str | None) -> Dataset:
    """Only the test rows (evaluation needs nothing else; MNIST's augmented training rows are big)."""
    _, _, Xte, yte = digits.raw_arrays(dataset, folder)
    X, y = torch.as_tensor(Xte), torch.as_tensor(yte, dtype=torch.long)
    return Dataset(X[:1], y[:1], X, y, "multiclass", 10)


def test_probs(result: TrainResult, data: Dataset, key: str) -> np.ndarray:
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


# ---- the model: from the cache at once, or trained live --------------------------------------------
def obtain(cfgs: list[DigitsConfig], folder: str | None, auto: bool, button_key: str,
           what: str = "this model") -> list[TrainResult] | None:
    """Results for a stack of configs: cached -> at once; else trained live (auto, or on a click)."""
    key = result_key(cfgs, folder)
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
        results = cached_results(key, lambda: digits.compute(cfgs, progress, folder), (DigitsConfig,))
    except (mnist.MnistUnavailable, mnist.IdxError) as e:
        bar.empty()
        live.empty()
        st.error(f"MNIST could not be loaded: {e}", icon=":material/cloud_off:")
        return None
    bar.empty()
    live.empty()
    st.session_state.pop(f"go_{key}", None)
    return results


def controls(base: DigitsConfig) -> DigitsConfig:
    """The model's settings (defaults: the tutorial's); returns the config they describe."""
    seed_state({
        "d_hidden": ", ".join(str(w) for w in base.hidden), "d_act": base.activation, "d_opt": base.optimizer,
        "d_lr": base.lr, "d_batch": base.batch_size, "d_epochs": base.epochs, "d_dropout": base.dropout,
        "d_l2": base.l2, "d_es": base.patience > 0, "d_patience": base.patience or 10,
        "d_val": base.val_fraction, "d_seed": base.seed, "d_aug": base.augment_copies,
        "d_aug_strength": base.augment,
    })
    lim = DigitsConfig.limits
    c1, c2, c3, c4 = st.columns(4)
    c1.text_input("Hidden layers (widths)", key="d_hidden",
                  help="Comma-separated widths, e.g. `100, 50` (the tutorial's). Empty = no hidden layer.")
    c2.selectbox("Activation", list(HIDDEN), key="d_act", format_func=ACT_LABEL.get,
                 help="ReLU is the default for hidden layers.")
    c3.selectbox("Optimizer", list(OPT_LABEL), key="d_opt", format_func=OPT_LABEL.get)
    c4.number_input("Learning rate", lim("lr")["lo"], lim("lr")["hi"], key="d_lr", format="%.4g",
                    help="Starting points: 0.001 for Adam, 0.01 for SGD.")
    c1, c2, c3, c4 = st.columns(4)
    c1.number_input("Batch size", 0, 100_000, key="d_batch",
                    help="Rows per step; 32-128 is usual. 0 = the whole training set.")
    c2.number_input("Epochs (at most)", 1, LIMITS.max_epochs, key="d_epochs")
    c3.slider("Dropout", 0.0, 0.9, key="d_dropout", step=0.05,
              help="Share of hidden units switched off at random in each training step (0.2-0.5 is usual); "
                   "always off when the model reads a digit.")
    c4.number_input("L2 (weight decay)", 0.0, 10.0, key="d_l2", format="%.4g", step=1e-4)
    c1, c2, c3, c4 = st.columns(4)
    c1.toggle("Early stopping", key="d_es",
              help="Stop when the validation loss has not improved for `patience` epochs; "
                   "keep the best epoch's weights.")
    c2.number_input("Patience (epochs)", 1, 10_000, key="d_patience", disabled=not st.session_state.d_es)
    c3.slider("Validation share", 0.0, 0.5, key="d_val", step=0.05,
              help="Training rows held out to watch for overfitting (the tutorial: 10%).")
    c4.number_input("Seed", 0, 2**31 - 1, key="d_seed")
    if base.dataset == "mnist":
        c1, c2, _, _ = st.columns(4)
        c1.number_input("Augmented copies", 0, 20, key="d_aug",
                        help="Shifted, rotated, rescaled, thicker/thinner, gently warped copies of each "
                             "training image: what makes the model read real handwriting.")
        c2.slider("Augmentation strength", 0.0, 2.0, key="d_aug_strength", step=0.25)
    s = st.session_state
    try:
        text = s.d_hidden.replace(";", ",").strip()
        try:
            hidden = tuple(int(w) for w in text.split(",") if w.strip()) if text else ()
        except ValueError:
            raise ConfigError("hidden", f"{text!r} is not a list of whole numbers like 100, 50") from None
        if len(hidden) > LIMITS.max_layers or any(w > LIMITS.max_width for w in hidden):
            raise ConfigError("hidden", f"at most {LIMITS.max_layers} layers of width {LIMITS.max_width} here")
        cfg = base.replace(
            hidden=hidden, activation=s.d_act, optimizer=s.d_opt, lr=float(s.d_lr), batch_size=int(s.d_batch),
            epochs=int(s.d_epochs), dropout=float(s.d_dropout), l2=float(s.d_l2),
            patience=int(s.d_patience) if s.d_es else 0, val_fraction=float(s.d_val), seed=int(s.d_seed),
            **({"augment_copies": int(s.d_aug), "augment": float(s.d_aug_strength)} if base.dataset == "mnist" else {}),
        )
    except ConfigError as e:
        show_config_error(e)
        return base
    return cfg


def within_limits(cfg: DigitsConfig) -> tuple[DigitsConfig, str]:
    """The config capped to this server's limits (hosted mode), and what was capped ("" if nothing)."""
    notes = []
    hidden = tuple(min(w, LIMITS.max_width) for w in cfg.hidden[:LIMITS.max_layers])
    if hidden != cfg.hidden:
        notes.append(f"at most {LIMITS.max_layers} hidden layers of width {LIMITS.max_width}")
    epochs = min(cfg.epochs, LIMITS.max_epochs)
    if epochs != cfg.epochs:
        notes.append(f"at most {LIMITS.max_epochs} epochs")
    return (cfg.replace(hidden=hidden, epochs=epochs) if notes else cfg), "; ".join(notes)


def summary_line(cfg: DigitsConfig) -> str:
    n_in = digits.SIDE[cfg.dataset] ** 2
    layers = "-".join(str(w) for w in (n_in, *cfg.hidden, 10))
    es = (f"early stopping (patience {cfg.patience}, {cfg.val_fraction:.0%} validation)" if cfg.patience
          else "no early stopping")
    drop = f", dropout {cfg.dropout:g}" if cfg.dropout else ""
    aug = f", {cfg.augment_copies} augmented copies" if cfg.augment_copies else ""
    return (f"{layers} {ACT_LABEL.get(cfg.activation, cfg.activation)}, {OPT_LABEL[cfg.optimizer]} lr {cfg.lr:g}, "
            f"batch {cfg.batch_size or 'all'}, up to {cfg.epochs} epochs, {es}{drop}{aug}")


def result_metrics(r: TrainResult) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Test accuracy", f"{dr.kept_metrics(r)['test_acc']:.1%}",
              help="On test images the model never saw while training.")
    c2.metric("Epochs run", r.stopped_epoch or len(r.history))
    c3.metric("Best epoch (weights kept)", r.best_epoch or "last")
    c4.metric("Training time", f"{r.seconds:.1f} s")


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


def reset_model_widgets() -> None:
    for k in MODEL_KEYS:
        st.session_state.pop(k, None)


def switch_to_mnist() -> None:
    """Select the default MNIST model (the URL's other settings give way to its defaults)."""
    st.session_state.d_dataset = "mnist"
    st.session_state.d_use = "trained"
    st.session_state.d_mnist_defaults = True
    reset_model_widgets()


# ---- page ---------------------------------------------------------------------------------------
st.title("Digit Recognizer")
st.markdown(
    "Train a small neural network on handwritten digits **(① Train)**, see which digits it confuses "
    "**(② Evaluate)**, then let it read **your** handwriting: draw, upload or photograph a digit "
    "**(③ Read my digits)**. Everything is trained here, live, with the tutorial's settings to start."
)

url_cfg = config_from_url(DigitsConfig)
try:
    url_cmp_epochs = min(max(int(st.query_params.get("cmp_epochs", "60")), 1), LIMITS.max_epochs)
except ValueError:
    url_cmp_epochs = 60
seed_state({"d_dataset": url_cfg.dataset, "d_mnist_dir": st.query_params.get("mnist_dir", "")})

top1 = top2 = st.container()
top1.segmented_control("Data set", list(DATA_LABEL), key="d_dataset", format_func=DATA_LABEL.get,
                       required=True, on_change=reset_model_widgets,
                       help="8x8: sklearn's 1,797 digits, built in, trains in seconds. MNIST: 70,000 28x28 "
                            "digits, the real target, and the model that reads your own handwriting.")
dataset = st.session_state.d_dataset
folder: str | None = None
if dataset == "mnist":
    top2.text_input("MNIST folder (optional)", key="d_mnist_dir",
                    placeholder="empty: download into the data folder; or a folder with the four idx files",
                    help="A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
                         "and t10k-labels-idx1-ubyte (.gz or not), checked by their headers and counts.")
    folder = st.session_state.d_mnist_dir.strip() or None
    problem = mnist_problem(folder)
    if problem and not folder:
        top2.warning("MNIST is not on this machine yet. Download it (about 11 MB from public mirrors, checked "
                     "against the official checksums) or type a folder that holds the four idx files.",
                     icon=":material/cloud_download:")
        if top2.button("Download MNIST", key="d_download", icon=":material/download:"):
            with st.spinner("Downloading MNIST (each mirror gets 10 s before the next is tried)..."):
                try:
                    mnist.load_raw(None)
                    problem = None
                except mnist.MnistUnavailable as e:
                    st.session_state.d_download_error = " ".join(str(e).split())
        if problem and st.session_state.get("d_download_error"):
            top2.error(f"No download: {st.session_state.d_download_error}", icon=":material/cloud_off:")
    elif problem:
        top2.error(f"MNIST folder not usable: {problem}", icon=":material/folder_off:")
    if problem:
        sync_url({"dataset": "mnist", **({"mnist_dir": folder} if folder else {})}, OWNED)
        st.stop()

base_cfg = url_cfg if url_cfg.dataset == dataset else digits.default_config(dataset)
if st.session_state.pop("d_mnist_defaults", False):
    base_cfg = digits.default_config("mnist")
base_cfg, clamped = within_limits(base_cfg)
if clamped:
    st.warning(f"This server caps what one visitor may train: {clamped}.", icon=":material/speed:")

asked = st.query_params.get("tab", "train")
tab_objs = st.tabs(list(TABS.values()), key="d_tab", on_change="rerun", default=TABS.get(asked, TABS["train"]))
open_tab = next((name for name, t in zip(TABS, tab_objs) if t.open), "train")
tab_train, tab_eval, tab_read, tab_cmp = tab_objs
cfg = base_cfg
cmp_epochs = url_cmp_epochs
auto = dataset == "digits"  # seconds; MNIST takes minutes, so it waits for a click

# the model file a user loaded (kept for the session), and which model the other tabs use
loaded: TrainResult | None = st.session_state.get("d_loaded")


def active_model(cfg: DigitsConfig) -> tuple[TrainResult | None, str | None, str]:
    """(model, its data folder, where it came from) for the Evaluate and Read tabs."""
    if loaded is not None:
        use = st.radio("Model", ["trained", "loaded"], horizontal=True, key="d_use",
                       format_func={"trained": "trained with the settings in ①",
                                    "loaded": f"loaded file ({st.session_state.get('d_loaded_name', 'model')})"}.get)
        if use == "loaded":
            lf = folder if loaded.config.dataset == dataset else None  # type: ignore[attr-defined]
            return loaded, lf, "loaded"
    res = obtain([cfg], folder, auto, f"d_train_{open_tab}")
    return (res[0] if res else None), folder, "trained"


# ---- ① train --------------------------------------------------------------------------------------
with tab_train:
    if tab_train.open:
        with st.expander(f"**Settings** · {summary_line(base_cfg)}", expanded=False, icon=":material/tune:"):
            cfg = controls(base_cfg)
            st.caption("The defaults start from the tutorial's (100, 50) ReLU network with early stopping on "
                       "10% of the training rows (patience 10); tab ④ shows what dropout and early stopping "
                       "each change. Change anything and the model retrains; a run trained before comes back "
                       "at once.")
        res = obtain([cfg], folder, auto, "d_train")
        if res:
            r = res[0]
            result_metrics(r)
            st.altair_chart(dc.training_curves(r.history, r.best_epoch if cfg.patience else None),
                            width="content")
            if cfg.patience and r.best_epoch:
                st.caption(
                    f"Early stopping watched the validation loss (orange): it was lowest at epoch {r.best_epoch}, "
                    f"did not improve for {cfg.patience} epochs after, so training stopped at epoch "
                    f"{r.stopped_epoch} and kept epoch {r.best_epoch}'s weights (green line). Where the blue "
                    "training curve keeps falling and the orange one does not, the network is memorising.")
            else:
                st.caption("Blue: the training rows; orange: the validation rows it never trains on. A widening "
                           "gap between them is overfitting.")
            st.subheader("Model file", divider="gray")
            m1, m2 = st.columns(2)
            m1.download_button(
                "Download this model (.safetensors)", digits.export_model(r), type="secondary",
                file_name=f"nnlab-digits-{cfg.dataset}-{digits.model_digest(r)}.safetensors",
                mime="application/octet-stream", icon=":material/download:", key="d_export",
                help="Weights as safetensors plus the settings as JSON: no pickle, safe to share.")
            m1.caption("Load it back here, or in any NN Lab, to read digits with it.")
            mf = m2.file_uploader("Load a model file", type=None, key="d_model_file",
                                  help="An NN Lab digit model (.safetensors). Nothing is ever unpickled.")
            if mf is not None:
                try:
                    st.session_state.d_loaded = digits.import_model(mf.getvalue())
                    st.session_state.d_loaded_name = mf.name
                    m2.success(f"Loaded **{mf.name}**: {dr.model_summary(st.session_state.d_loaded)}. "
                               "Pick it under ② and ③.", icon=":material/check_circle:")
                except ModelFileError as e:
                    m2.error(f"**{mf.name}** refused: {e}", icon=":material/block:")

# ---- ② evaluate -------------------------------------------------------------------------------------
with tab_eval:
    if tab_eval.open:
        model, mfolder, source = active_model(cfg)
        if model is not None:
            mds = model.config.dataset  # type: ignore[attr-defined]
            try:
                if mds == "mnist" and mnist_problem(mfolder):  # never start a download from here
                    raise mnist.MnistUnavailable(mnist_problem(mfolder))
                data = test_set(mds, mfolder)
            except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
                st.error(f"This model was trained on MNIST, and its test images cannot be loaded here: {e}. "
                         "Choose MNIST above (with a folder, or download it) to evaluate it.",
                         icon=":material/cloud_off:")
                st.stop()
            key = digits.model_digest(model)
            probs = test_probs(model, data, key)
            pred = probs.argmax(1)
            y = data.y_test.numpy()
            wrong = int((pred != y).sum())
            c1, c2, c3 = st.columns(3)
            c1.metric("Test accuracy", f"{(pred == y).mean():.1%}")
            c2.metric("Wrong test images", f"{wrong} of {len(y):,}")
            c3.metric("Data set", DATA_LABEL[mds].split(" (")[0])
            conf = digits.confusion(model, data, probs)
            left, right = st.columns([1, 1])
            with left:
                event = st.altair_chart(dc.confusion_heatmap(conf), on_select="rerun", key="d_conf",
                                        selection_mode="cell", width="content")
            with right:
                pc = digits.per_class(model, data, probs)
                st.altair_chart(dc.per_class_bars(pc), width="stretch")
                st.caption("Precision: of the images read as this digit, the share that were it. "
                           "Recall: of the images of this digit, the share read right.")
                shown = pd.DataFrame({
                    "precision": [f"{v:.0%}" if v == v else "–" for v in pc["precision"]],
                    "recall": [f"{v:.0%}" if v == v else "–" for v in pc["recall"]],
                    "test images": [str(int(v)) for v in pc["support"]],
                }, index=[str(d) for d in pc["digit"]]).T
                st.dataframe(shown, width="stretch")
            cells = []
            try:
                cells = list(event.selection.get("cell", []) or [])
            except AttributeError:
                cells = []
            if cells:
                t, p = int(cells[0]["true"]), int(cells[0]["predicted"])
                rows = digits.misclassified(model, data, probs, true=t, predicted=p, limit=32)
                n = int(conf[(conf.true == t) & (conf.predicted == p)]["count"].sum())
                what = f"{t}s read right" if t == p else f"{t}s read as {p}"
                st.markdown(f"#### {what}: {n} test image{'s' * (n != 1)}" + (" (first 32)" if n > 32 else ""))
                if len(rows):
                    image_grid(data, rows, probs)
            st.markdown("#### The mistakes it was surest of")
            rows = digits.misclassified(model, data, probs, limit=24)
            if len(rows):
                image_grid(data, rows, probs)
            else:
                st.success("No test image is misread.")

# ---- ③ read my digits ------------------------------------------------------------------------------
with tab_read:
    if tab_read.open:
        model, _, source = active_model(cfg)
        good, why = (dr.advice(model.config, dr.kept_metrics(model)["test_acc"]) if model is not None
                     else dr.advice(cfg))
        if good:
            st.success(why, icon=":material/verified:")
        else:
            st.warning(why, icon=":material/lightbulb:")
            st.button("Use the default MNIST model", key="d_to_mnist", on_click=switch_to_mnist, type="primary",
                      icon=":material/swap_horiz:")
        if model is not None:
            st.caption(f"Reading with: {dr.model_summary(model)}")
            draw_col, up_col = st.columns([1, 1.4])
            with draw_col:
                st.markdown("**Draw a digit**")
                drawing = digit_canvas("d_canvas")
            with up_col:
                files = st.file_uploader(
                    "Upload images of digits (one digit per image)", type=None, accept_multiple_files=True,
                    key="d_files", help="PNG, JPEG, GIF, BMP, WebP or TIFF; any colours; dark ink on light "
                                        "paper or light on dark.")
                photo = st.camera_input("Take a photo", key="d_camera") if st.toggle(
                    "Use the camera", key="d_cam_on") else None
            items: list[tuple[str, bytes]] = []
            if drawing:
                items.append(("your drawing", drawing))
            if photo is not None:
                items.append(("camera photo", photo.getvalue()))
            files = list(files or [])
            if len(files) > LIMITS.max_uploads:
                st.warning(f"{len(files)} files: reading the first {LIMITS.max_uploads} (the limit here).")
                files = files[:LIMITS.max_uploads]
            items += [(f.name, f.getvalue()) for f in files]
            readings = dr.read_many(items, model, max_bytes=LIMITS.max_upload_mb * 1_000_000)
            if not items:
                st.info("Draw a digit on the canvas, or upload some images, to see the model read them.",
                        icon=":material/draw:")
            ok = [x for x in readings if x.ok]
            bad = [x for x in readings if not x.ok]
            if len(readings) > 1:
                st.markdown(f"**{len(ok)} of {len(readings)} read**" + (": " + ", ".join(
                    f"{x.name} → {x.digit}" for x in ok[:30]) if ok else ""))
            for x in bad:
                st.error(f"**{x.name}**: {x.error}", icon=":material/image_not_supported:")
            for i, x in enumerate(ok):
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

# ---- ④ compare -------------------------------------------------------------------------------------
with tab_cmp:
    if tab_cmp.open:
        st.markdown("#### The tutorial's scikit-learn MLPClassifier, on the same split")
        res = obtain([cfg], folder, auto, "d_train_cmp")
        run_sk = dataset == "digits" or st.button("Run MLPClassifier", key="d_sk", icon=":material/play_arrow:")
        if res and run_sk:
            with st.spinner("Fitting MLPClassifier((100, 50), relu, max_iter=500, random_state=42)..."):
                sk = sklearn_run(dataset, folder, cfg.train_limit)
            r = res[0]
            table = pd.DataFrame({
                "model": [f"NN Lab (PyTorch): {summary_line(cfg).split(',')[0]}",
                          "scikit-learn MLPClassifier((100, 50), relu)"],
                "test accuracy": [dr.kept_metrics(r)["test_acc"], sk["acc"]],
                "fit time (s)": [r.seconds, sk["seconds"]],
                "epochs": [r.stopped_epoch or len(r.history), sk["n_iter"]],
            })
            st.dataframe(table, hide_index=True, width="stretch",
                         column_config={"test accuracy": st.column_config.NumberColumn(format="percent"),
                                        "fit time (s)": st.column_config.NumberColumn(format="%.2f")})
        st.markdown("#### Do dropout and early stopping curb overfitting?")
        st.caption("Two runs each, trained together on the same rows and seed, differing in one setting only.")
        cmp_epochs = st.number_input("Epochs for these runs", 1, LIMITS.max_epochs, value=url_cmp_epochs,
                                     key="d_cmp_epochs")
        drop = cfg.dropout or 0.3  # the tutorial's Dropout(0.3)
        pat = cfg.patience or 10
        val = cfg.val_fraction or 0.1
        plain = cfg.replace(augment_copies=0, augment=0.0, val_fraction=val, epochs=cmp_epochs)  # no other regulariser
        pairs = {
            "dropout": ([plain.replace(dropout=0.0, patience=0), plain.replace(dropout=drop, patience=0)],
                        ["dropout off", f"dropout {drop:g}"]),
            "early stopping": ([plain.replace(dropout=0.0, patience=0), plain.replace(dropout=0.0, patience=pat)],
                               ["early stopping off", f"early stopping (patience {pat})"]),
        }
        st.caption(f"Both runs of a pair start from the same weights and see the same {val:.0%} validation rows; "
                   "augmentation is off here so that only the one setting differs.")
        for what, (cfgs, names) in pairs.items():
            st.markdown(f"**{what.capitalize()}: off vs on**")
            res2 = obtain(cfgs, folder, auto and cmp_epochs <= 200, f"d_cmp_{what}", what=f"the {what} pair")
            if not res2:
                continue
            hist = {n: x.history for n, x in zip(names, res2)}
            best = {n: (x.best_epoch if c.patience else None) for n, x, c in zip(names, res2, cfgs)}
            st.altair_chart(dc.compare_runs(hist, best), width="content")
            rows = []
            for n, x in zip(names, res2):
                k = dr.kept_metrics(x)
                rows.append({"run": n, "epochs run": x.stopped_epoch or len(x.history),
                             "train accuracy": k["train_acc"], "validation accuracy": k["val_acc"],
                             "test accuracy": k["test_acc"], "test loss": k["test_loss"]})
            t = pd.DataFrame(rows)
            t["train - validation gap"] = t["train accuracy"] - t["validation accuracy"]
            g0, g1 = t["train - validation gap"]
            l0, l1 = t["test loss"]
            if what == "dropout":
                verdict = (f"Dropout {'narrowed' if g1 < g0 else 'did not narrow'} the gap between training and "
                           f"validation accuracy ({g0:+.1%} → {g1:+.1%}) and test loss went {l0:.3f} → {l1:.3f}.")
            else:
                e0, e1 = t["epochs run"]
                verdict = (f"Early stopping ran {e1} of {e0} epochs and kept epoch {res2[1].best_epoch}'s weights: "
                           f"test loss {l0:.3f} → {l1:.3f} ({'lower' if l1 < l0 else 'not lower'} than training on).")
            st.markdown(verdict)
            st.dataframe(t, hide_index=True, width="stretch", column_config={
                c: st.column_config.NumberColumn(format="%.2f") for c in t.columns if c not in ("run", "epochs run")})

# ---- URL: every setting, so the link reproduces the page -------------------------------------------
share_link()
params = {**cfg.to_query()}
if open_tab != "train":
    params["tab"] = open_tab
if folder:
    params["mnist_dir"] = folder
if cmp_epochs != 60:
    params["cmp_epochs"] = str(int(cmp_epochs))
sync_url(params, OWNED)
