"""Digit Recognizer: train an MLP on handwritten digits, see where it goes wrong, let it read yours."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core import digits, settings
from core.datasets import mnist
from core.digits import DigitsConfig, lessons
from core.digits import charts as dc
from core.digits import claims as dcl
from core.digits import metrics as dm
from core.digits import reading as dr
from core.engine import TrainResult
from ui import links, say, uploads
from ui.canvas import digit_canvas
from ui.common import seed_state, share_link, sync_url
from ui.digit_settings import (
    controls,
    current_config,
    reset_model_widgets,
    result_metrics,
    summary_line,
)
from ui.digits import (
    NAME_STYLE,
    best_reader,
    image_grid,
    name_html,
    obtain,
    reading_card,
    sklearn_comparison,
    test_probs,
    test_set,
)
from ui.digits_inside import (
    inside_view,
    measurement_words,
    novelty_for,
    novelty_measurement,
    teach_view,
    unit_grid,
)
from ui.digits_mnist import mnist_problem, mnist_source, train_images
from ui.glossary import tip
from ui.widgets import field_widget, page_params, upload_mb, url_config

DATA_LABEL = {"digits": "8x8 digits (sklearn, built in)", "mnist": "MNIST 28x28"}
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
    f"batch {D0.batch_size} and early stopping (patience {D0.patience}): change any of them under Settings.",
    help=tip("mlp", "relu", "dropout", "augmentation", "adam", "learning rate", "batch", "early stopping", "patience",
             "epoch"),
)

url_cfg = url_config(DigitsConfig)  # hosted: a setting over this server's caps falls back to its default
link = page_params("digits")  # tab, MNIST folder (a laptop's only), epochs of tab ④
url_cmp_epochs = link.cmp_epochs
seed_state({"d_mnist_dir": link.mnist_dir})

top = st.container()
dataset = field_widget(D, "dataset", label="Data set", key="d_dataset", value=url_cfg.dataset, container=top,
                       widget="segmented_control", options=list(DATA_LABEL), format_func=DATA_LABEL.get,
                       required=True, on_change=reset_model_widgets,
                       help=tip("mnist", before="8x8: sklearn's 1,797 digits, built in, trains in seconds. MNIST: "
                                "70,000 28x28 digits, the real target, and the model that reads your own handwriting."))
folder, mnist_err = mnist_source(top, OWNED) if dataset == "mnist" else (None, None)

base_cfg = url_cfg if url_cfg.dataset == dataset else digits.default_config(dataset)
if st.session_state.pop("d_mnist_defaults", False):
    base_cfg = digits.default_config("mnist")

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
            d0 = digits.default_config(dataset)
            st.caption(f"The defaults start from a {d0.hidden} ReLU network"
                       f"{' (the tutorial’s)' if dataset == 'digits' else ''} with early stopping on "
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
            for col, panel in zip(st.columns(2), dc.training_panels(r.history, r.best_epoch if cfg.patience else None)):
                col.altair_chart(panel, width="stretch")
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
            st.subheader("Model file", divider="gray")
            m1, m2 = st.columns(2)
            m1.download_button(
                "Download this model (.safetensors)", digits.export_model(r), type="secondary",
                file_name=f"nnlab-digits-{cfg.dataset}-{digits.model_digest(r)}.safetensors",
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
        links.try_next("digits.train", "digits", TABS)

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
                say.status(f"This model was trained on MNIST, and its test images cannot be loaded here: {e}. "
                           "Choose MNIST above (with a folder, or download it) to evaluate it.", "error",
                           icon=":material/cloud_off:")
                st.stop()
            key = digits.model_digest(model)
            probs = test_probs(model, data, key)
            acc = dm.accuracy(probs, data.y_test.numpy())
            c1, c2, c3 = st.columns(3)
            c1.metric("Test accuracy", f"{acc.acc:.1%}")
            c2.metric("Wrong test images", f"{acc.wrong} of {acc.n:,}")
            c3.metric("Data set", DATA_LABEL[mds].split(" (")[0])
            conf = digits.confusion(model, data, probs)
            # the heatmap (about 420 px with its axes) gets the full width: in a half column at 1024 px its
            # digits 8 and 9 and its title were cut off
            event = st.altair_chart(dc.confusion_heatmap(conf), on_select="rerun", key="d_conf",
                                    selection_mode="cell", width="content")
            pc = digits.per_class(model, data, probs)
            left, right = st.columns([1.3, 1])
            with left:
                st.altair_chart(dc.per_class_bars(pc), width="stretch")
                st.caption("Precision: of the images read as this digit, the share that were it. "
                           "Recall: of the images of this digit, the share read right.",
                           help=tip("confusion matrix", "precision", "recall"))
            with right:
                # one row per digit: all ten fit at any width (as columns, 8 and 9 were cut off)
                st.table(pd.DataFrame({
                    "precision": [f"{v:.1%}" if v == v else "–" for v in pc["precision"]],
                    "recall": [f"{v:.1%}" if v == v else "–" for v in pc["recall"]],
                    "images": [str(int(v)) for v in pc["support"]],
                }, index=pd.Index([f"digit {d}" for d in pc["digit"]], name="digit")))
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
                say.status("No test image is misread.", "success")
            st.markdown("#### What each first-layer neuron looks for", help=tip("neuron", "hidden layer"))
            n_first = model.state["0.weight"].shape[0]
            c1, c2, c3 = st.columns([1, 1.4, 2.4])
            n_show = c1.number_input("Units shown", 1, n_first, min(32, n_first), step=8, key="d_units_n")
            order = c2.radio("Sorted by", ["norm", "usefulness"], horizontal=True, key="d_units_order",
                             format_func={"norm": "weight size", "usefulness": "usefulness"}.get,
                             help="Weight size: the length of the unit's weight vector. Usefulness: how much the "
                                  "unit moves the predicted digit's score on the test images (mean |activation x "
                                  "its paths' weights|).")
            c3.caption("Each picture is one unit's incoming weights laid out like the image "
                       f"({digits.SIDE[mds]}x{digits.SIDE[mds]}): **blue** where ink raises the unit's input, "
                       "**red** where ink lowers it, white where it does not care; one colour scale for all. "
                       "The number: what they are sorted by." + ("" if model.config.hidden else
                                                                  " No hidden layer: these are the ten digits' "
                                                                  "templates."),
                       help=tip("neuron", "weight", "hidden layer"))
            unit_grid(model, data.X_test.numpy(), int(n_show), order)
        links.try_next("digits.evaluate", "digits", TABS)

# ---- ③ read my digits ------------------------------------------------------------------------------
READERS = {"best": "the best reader here", "trained": "the model trained in ①", "loaded": "the loaded file"}
with tab_read:
    if tab_read.open:
        options = ["best", "trained"] + (["loaded"] if loaded is not None else [])
        reader = st.radio("Read with", options, horizontal=True, key=f"d_reader_{dataset}",
                          index=1 if dataset == "mnist" and not mnist_err else 0, format_func=READERS.get,
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
                    st.caption("The distance: from your digit to its nearest training image, in the network's hidden "
                               "space (every hidden layer, cosine) and in pixel space (cosine); flagged when either "
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
        st.markdown("#### Do dropout and early stopping curb overfitting?",
                    help=tip("overfitting", "dropout", "early stopping"))
        st.caption("Two runs each, trained together on the same rows and seed, differing in one setting only.",
                   help=tip("seed", "hyperparameter"))
        cmp_epochs = field_widget(D, "epochs", label="Epochs for these runs", key="d_cmp_epochs",
                                  value=url_cmp_epochs, help=tip("epoch"))
        val, pairs = dm.regulariser_pairs(cfg, cmp_epochs)
        st.caption(f"Both runs of a pair start from the same weights and see the same {val:.0%} validation rows; "
                   "augmentation is off here so that only the one setting differs. Loss gap: test loss minus "
                   "training loss (how much worse it does on digits it never trained on).",
                   help=tip("weight", "loss", "generalisation gap", "accuracy"))
        for pair in pairs:
            what = pair.what
            st.markdown(f"**{what.capitalize()}: off vs on**")
            res2 = obtain(list(pair.configs), folder, auto and cmp_epochs <= 200, f"d_cmp_{what}",
                          what=f"the {what} pair")
            if not res2:
                continue
            st.altair_chart(dc.compare_runs({n: x.history for n, x in zip(pair.names, res2)},
                                            dm.best_epochs(pair, res2), width=185),  # two panels fit 1024 px
                            width="content")
            t = dm.pair_table(pair.names, res2).drop(columns="train - validation gap")
            t["loss gap"] = [lessons.loss_gap(x) for x in res2]  # test - train loss: 360 test rows, steadier than val.
            n_test = len(test_set(cfg.dataset, folder).y_test)
            if what == "dropout":
                say.lessons([dcl.dropout_verdict(*res2), dcl.dropout_unseen_verdict(*res2, n_test)])
            else:
                say.lessons([dcl.early_stopping_verdict(*res2), dcl.early_stopping_unseen_verdict(*res2, n_test)])
            short = {"epochs run": "epochs", "train accuracy": "train acc.", "validation accuracy": "val. acc.",
                     "test accuracy": "test acc."}  # fits 1024 px; "loss gap" is test loss minus training loss
            shown_t = t.rename(columns=short)
            st.dataframe(shown_t, hide_index=True, width="stretch", column_config={
                c: st.column_config.NumberColumn(format="%.3f" if "loss" in c else "percent")
                for c in shown_t.columns if c not in ("run", "epochs")})
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
