"""Digit Recognizer: train an MLP or a CNN on handwritten digits, see where it goes wrong, let it read yours."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from core import digits, settings
from core.datasets import mnist
from core.digits import DigitsConfig, lessons
from core.digits import charts as dc
from core.digits import claims as dcl
from core.digits import reading as dr
from core.engine import TrainResult
from ui import links, say, vega
from ui.canvas import digit_canvas
from ui.common import seed_state, share_link, sync_url
from ui.digit_settings import (
    MODEL_LABEL,
    controls,
    current_config,
    reset_model_widgets,
    result_metrics,
    summary_line,
)
from ui.digits import (
    NAME_STYLE,
    best_reader,
    model_file_view,
    name_html,
    obtain,
    reading_card,
    sklearn_comparison,
    test_set,
)
from ui.digits_compare import model_compare_view, regulariser_view
from ui.digits_evaluate import DATA_LABEL, evaluate_view
from ui.digits_inside import (
    inside_view,
    measurement_words,
    novelty_for,
    novelty_measurement,
    teach_view,
)
from ui.digits_mnist import mnist_source, train_images
from ui.glossary import tip
from ui.widgets import field_widget, page_params, upload_mb, url_config

OWNED = tuple(f"{f}" for f in DigitsConfig.__dataclass_fields__) + ("tab", "mnist_dir", "cmp_epochs")
TABS = {"train": "① Train", "evaluate": "② Evaluate", "read": "③ Read my digits", "compare": "④ Compare"}
D = DigitsConfig


def switch_to_mnist() -> None:
    """Select the default MNIST model (the URL's other settings give way to its defaults)."""
    st.session_state.d_dataset = "mnist"
    st.session_state.d_use = "trained"
    st.session_state.d_mnist_defaults = True
    reset_model_widgets()


# ---- page ---------------------------------------------------------------------------------------
st.title("Digit Recognizer")
D0 = digits.default_config("digits")  # the intro states the defaults from the config itself
st.markdown(
    "Train a small neural network on handwritten digits **(① Train)**, see which digits it confuses "
    "**(② Evaluate)**, then let it read **your** handwriting: draw, upload or photograph a digit "
    f"**(③ Read my digits)**. Everything is trained here, live, starting from the tutorial's {D0.hidden} ReLU "
    f"network, plus dropout {D0.dropout:g}, {D0.augment_copies} augmented copies of each image, Adam lr {D0.lr:g}, "
    f"batch {D0.batch_size} and early stopping (patience {D0.patience}): change any of them under Settings, or "
    "choose a small convolutional network (CNN) instead.",
    help=tip("mlp", "cnn", "relu", "dropout", "augmentation", "adam", "learning rate", "batch", "early stopping",
             "patience", "epoch"),
)

url_cfg = url_config(DigitsConfig)  # hosted: a setting over this server's caps falls back to its default
link = page_params("digits")  # tab, MNIST folder (a laptop's only), epochs of tab ④
url_cmp_epochs = link.cmp_epochs
seed_state({"d_mnist_dir": link.mnist_dir})

top = st.container()
choice = top.container(horizontal=True)
dataset = field_widget(D, "dataset", label="Data set", key="d_dataset", value=url_cfg.dataset, container=choice,
                       widget="segmented_control", options=list(DATA_LABEL), format_func=DATA_LABEL.get,
                       required=True, on_change=reset_model_widgets,
                       help=tip("mnist", before="8x8: sklearn's 1,797 digits, built in, trains in seconds. MNIST: "
                                "70,000 28x28 digits, the real target, and the model that reads your own handwriting."))
kind = field_widget(D, "model", label="Model", key="d_model", value=url_cfg.model, container=choice,
                    widget="segmented_control", options=list(MODEL_LABEL), format_func=MODEL_LABEL.get,
                    required=True, on_change=reset_model_widgets,
                    help=tip("mlp", "cnn", before="MLP: every unit sees every pixel. CNN: small filters slide over "
                             "the image (two 5x5 conv layers with 2x2 pools, then dense layers), at about the "
                             "MLP's number of parameters."))
folder, mnist_err = mnist_source(top, OWNED) if dataset == "mnist" else (None, None)

same = url_cfg.dataset == dataset and url_cfg.model == kind
base_cfg = url_cfg if same else digits.default_config(dataset, kind)
if st.session_state.pop("d_mnist_defaults", False):
    base_cfg = digits.default_config("mnist", kind)

asked = link.tab
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
    if mnist_err:
        mnist_missing()
        return None, folder, "trained"
    res = obtain([cfg], folder, auto, f"d_train_{open_tab}")
    return (res[0] if res else None), folder, "trained"


def mnist_missing(on_read_tab: bool = False) -> None:
    """What an MNIST tab says while MNIST cannot be read (the page stays usable)."""
    fix = ("Download it or type a folder above, or choose the 8x8 digits" if settings.downloads_allowed()
           else "This server has no copy; choose the 8x8 digits")
    meanwhile = ("The best reader here reads your digits meanwhile." if on_read_tab
                 else "Tab ③ reads your digits meanwhile.")
    say.status(f"This tab needs MNIST, and it cannot be read here: {mnist_err}. {fix}. {meanwhile}",
               icon=":material/cloud_off:")


# ---- ① train --------------------------------------------------------------------------------------
with tab_train:
    if tab_train.open:
        with st.expander(f"**Settings** · {summary_line(current_config(base_cfg))}", key="d_settings",
                         icon=":material/tune:"):
            cfg = controls(base_cfg)
            d0 = digits.default_config(dataset, kind)
            start = (f"a CNN with conv layers {d0.channels} and a dense layer {d0.hidden}" if kind == "cnn" else
                     f"a {d0.hidden} ReLU network{' (the tutorial’s)' if dataset == 'digits' else ''}")
            st.caption(f"The defaults start from {start} with early stopping on "
                       f"{d0.val_fraction:.0%} of the training rows (patience {d0.patience}); tab ④ shows what "
                       "dropout and early stopping each change. Change anything and the model retrains; a run "
                       "trained before comes back at once.")
        res = None if mnist_err else obtain([cfg], folder, auto, "d_train")
        if mnist_err:
            mnist_missing()
        if res:
            r = res[0]
            result_metrics(r)
            # two columns: as one 580 px wide chart the accuracy panel ran off the page at 1024 px
            best = r.best_epoch if cfg.patience else None
            key = f"{digits.train_key([cfg], folder)}:panels:{best}"
            panels = functools.cache(lambda: dc.training_panels(r.history, best))  # built once for both, if at all
            for i, col in enumerate(st.columns(2)):
                vega.altair(f"{key}:{i}", lambda i=i: panels()[i], of=res, where=col, width="stretch")
            if cfg.patience and r.best_epoch:
                st.caption(
                    f"Blue: the training rows; orange: the validation rows it never trains on. Early stopping "
                    f"watched the validation loss: it was lowest at epoch {r.best_epoch}, did not improve for "
                    f"{cfg.patience} epochs after, so training stopped at epoch {r.stopped_epoch} and kept epoch "
                    f"{r.best_epoch}'s weights (green line).", help=tip("training set", "validation set", "loss"))
            else:
                st.caption("Blue: the training rows; orange: the validation rows it never trains on.",
                           help=tip("training set", "validation set", "loss"))
            say.lesson(dcl.curves_after_best(r), "caption")
            say.lesson(dcl.val_above_train_sentence(r), "caption", help=tip("overfitting"))
            model_file_view(r)
        links.try_next("digits.train", "digits", TABS)

# ---- ② evaluate -------------------------------------------------------------------------------------
with tab_eval:
    if tab_eval.open:
        model, mfolder, source = active_model(cfg)
        if model is not None:
            evaluate_view(model, mfolder)
        links.try_next("digits.evaluate", "digits", TABS)

# ---- ③ read my digits ------------------------------------------------------------------------------
READERS = {"best": "the best reader here", "trained": "the model trained in ①", "loaded": "the loaded file"}
with tab_read:
    if tab_read.open:
        options = ["best", "trained"] + (["loaded"] if loaded is not None else [])
        reader = st.radio("Read with", options, horizontal=True,  # a CNN chosen in ① reads by default
                          key=f"d_reader_{dataset}" + ("_cnn" if kind == "cnn" else ""),
                          index=1 if (dataset == "mnist" and not mnist_err) or kind == "cnn" else 0,
                          format_func=READERS.get,
                          help="The best reader here: the MNIST-format model whenever MNIST is on this machine "
                               "(trained once per server), else the built-in reader (trained on the MNIST sample "
                               "that ships with NN Lab).")
        model, mfolder = None, folder
        with st.container():  # one slot, whatever the reader shows: the canvas below keeps its place
            if reader == "best":
                model, mfolder = best_reader()
            elif reader == "loaded":
                model = loaded
                mfolder = folder if loaded.config.dataset == dataset else None  # type: ignore[union-attr,attr-defined]
            elif mnist_err:  # the model of ① cannot exist here: the best reader reads instead, and says which
                mnist_missing(on_read_tab=True)
                model, mfolder = best_reader()
            else:
                res = obtain([cfg], folder, auto, "d_train_read")
                model = res[0] if res else None
            if reader == "loaded" or (reader == "trained" and not mnist_err):
                verdict = (dcl.reads_handwriting_verdict(model.config, dr.kept_metrics(model)["test_acc"])
                           if model is not None else dcl.reads_handwriting_verdict(cfg))
                if verdict.holds:
                    if model is not None:  # never praise a model that has not been trained
                        say.lesson(verdict, "success", icon=":material/verified:")
                else:
                    say.lesson(verdict, "warning", icon=":material/lightbulb:")
                    st.button("Use the default MNIST model", key="d_to_mnist", on_click=switch_to_mnist, type="primary",
                              icon=":material/swap_horiz:")
        if model is not None:
            mds = model.config.dataset  # type: ignore[attr-defined]
            key = digits.model_digest(model)
            tuned = st.session_state.get("d_tuned", {}).get(key)
            use = tuned.result if tuned is not None else model
            st.caption(f"Reading with: {dr.model_summary(use)}" + (
                f" · fine-tuned on your {tuned.drawings} drawing{'s' * (tuned.drawings != 1)} in "
                f"{tuned.seconds:.1f} s (test accuracy {tuned.acc_before:.1%} → {tuned.acc_after:.1%})"
                if tuned is not None else ""),
                help=tip("accuracy", "test set", "fine-tune") if tuned is not None else tip("accuracy", "test set"))
            draw_col, up_col = st.columns([1, 1.4])
            with draw_col:
                st.markdown("**Draw a digit**")
                drawing = digit_canvas("d_canvas")
            with up_col:
                files = st.file_uploader(
                    "Upload images of digits (one digit per image)", type=None, accept_multiple_files=True,
                    key="d_files", max_upload_size=upload_mb(),
                    help="PNG, JPEG, GIF, BMP, WebP or TIFF; any colours; dark ink on light paper or light on dark.")
                photo = st.camera_input("Take a photo", key="d_camera") if st.toggle(
                    "Use the camera", key="d_cam_on") else None
            items: list[tuple[str, bytes]] = []
            if drawing:
                items.append(("your drawing", drawing))
            if photo is not None:
                items.append(("camera photo", photo.getvalue()))
            files, lim = list(files or []), settings.limits()
            if len(files) > lim.max_uploads:
                say.status(f"{len(files)} files: reading the first {lim.max_uploads} (the limit here).", "warning")
                files = files[:lim.max_uploads]
            items += [(f.name, f.getvalue()) for f in files]
            readings = dr.read_many(items, use, max_bytes=lim.max_upload_mb * 1_000_000)
            if not items:
                say.status("Draw a digit on the canvas, or upload some images, to see the model read them.",
                           icon=":material/draw:")
            ok = [x for x in readings if x.ok]
            bad = [x for x in readings if not x.ok]
            bank = train_images(mds, mfolder) if ok else None
            flag = novelty_for(model, key, bank[0]) if bank is not None else None
            flagged = (flag.flags(model, np.stack([x.steps.x for x in ok])) if flag is not None and ok
                       else np.zeros(len(ok), bool))
            if len(readings) > 1:
                st.markdown(f"<span style='{NAME_STYLE}'><b>{len(ok)} of {len(readings)} read</b>" + (": " + ", ".join(
                    f"{name_html(x.name)} → {x.digit}" + (" (not digit-like)" if f else "")
                    for x, f in zip(ok[:30], flagged)) if ok else "") + "</span>", unsafe_allow_html=True)
            for x in bad:
                say.status(f"**{x.name}**: {x.error}", "error", icon=":material/image_not_supported:")
            for i, (x, f) in enumerate(zip(ok, flagged)):
                reading_card(i, x)
                if tuned is not None:
                    before = digits.predict(model, x.steps.x[None])[0]
                    b = int(before.argmax())
                    st.caption(f"Before fine-tuning the model read it as **{b}** ({before[b]:.0%}); now **{x.digit}** "
                               f"({x.confidence:.0%}).")
                if f:
                    say.lesson(dcl.not_digit_like_verdict(
                        x.name, flag.scores(model, x.steps.x[None]), flag.thresholds,  # type: ignore[union-attr]
                        flag.quantile, x.confidence), "warning", icon=":material/help:")  # type: ignore[union-attr]
            if flag is not None:
                with st.expander("How is \"does not look like a digit\" measured?", icon=":material/help:"):
                    te = test_set(mds, mfolder).X_test.numpy()
                    st.markdown(measurement_words(novelty_measurement(model, key, flag, te), mds))
                    layers = "its dense layers after the convolutions" if digits.is_cnn(model.config) else \
                        "every hidden layer"
                    st.caption("The distance: from your digit to its nearest training image, in the network's hidden "
                               f"space ({layers}, cosine) and in pixel space (cosine); flagged when either "
                               "is farther than for 98% of the training images. bench/novelty.py compares other "
                               "scores (the top probability alone misses most non-digits).",
                               help=tip("cosine distance", "hidden space"))
            elif ok and bank is None:
                st.caption("The not-a-digit check needs this model's training images, which are not on this machine.")
            if ok:
                st.subheader("Inside the network", divider="gray")
                pick = 0
                if len(ok) > 1:
                    pick = st.selectbox("Look inside for", range(len(ok)), key="d_inside_pick",
                                        format_func=lambda i: f"{ok[i].name} → {ok[i].digit}")
                x = ok[pick]
                st.markdown(f"<b>What the network sees in {name_html(x.name)}</b>", unsafe_allow_html=True)
                inside_view(x, use, bank, key + ("-tuned" if tuned is not None else ""))
                st.subheader("Teach it", divider="gray")
                st.caption("Read wrong? Say which digit it is, add it to your drawings, draw a few more, and "
                           "fine-tune: a few seconds of training on your drawings mixed with training images.",
                           help=tip("fine-tune"))
                test = None
                try:
                    ts = test_set(mds, mfolder)
                    test = (ts.X_test.numpy(), ts.y_test.numpy())
                except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError):
                    test = None  # no test images here: fine-tune without measuring what it kept
                teach_view(x, model, key, bank, test, "r")
        links.try_next("digits.read", "digits", TABS)

# ---- ④ compare -------------------------------------------------------------------------------------
with tab_cmp:
    if tab_cmp.open and mnist_err:
        mnist_missing()
    elif tab_cmp.open:
        st.markdown("#### The tutorial's scikit-learn MLPClassifier: its exact code, and with scaled pixels",
                    help=tip("mlpclassifier"))
        res = obtain([cfg], folder, auto, "d_train_cmp")
        sklearn_comparison(dataset, folder, cfg, res)
        model_compare_view(cfg, folder, auto)
        cmp_epochs = regulariser_view(cfg, folder, auto, url_cmp_epochs)
        links.try_next("digits.compare", "digits", TABS)

# ---- URL: every setting, so the link reproduces the page -------------------------------------------
share_link()
params = {**cfg.to_query()}
if open_tab != "train":
    params["tab"] = open_tab
if folder and not settings.hosted():  # hosted: the server owner's folder, never in a link
    params["mnist_dir"] = folder
if cmp_epochs != lessons.CMP_EPOCHS:
    params["cmp_epochs"] = str(int(cmp_epochs))
sync_url(params, OWNED)
