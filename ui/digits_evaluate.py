"""The Digit Recognizer's ② Evaluate tab: test accuracy, the confusion matrix (click a cell for its images),
per-digit precision and recall, the mistakes it was surest of, and what the first layer looks for (an MLP's
units as images, a CNN's filters)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import digits
from core.datasets import mnist
from core.digits import charts as dc
from core.digits import metrics as dm
from core.engine import TrainResult
from ui import say, vega
from ui.digits import image_grid, test_probs, test_set
from ui.digits_inside import filters_chart, model_id, unit_grid
from ui.digits_mnist import mnist_problem
from ui.glossary import tip

DATA_LABEL = {"digits": "8x8 digits (sklearn, built in)", "mnist": "MNIST 28x28"}


def evaluate_view(model: TrainResult, mfolder: str | None) -> None:
    """Everything the Evaluate tab shows for one trained model (MLP or CNN)."""
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
    # the charts are kept per model (a hash of its weights: it may be a loaded file) and test set (ui.vega)
    mid = model_id(model)
    ck = f"digits.evaluate:{mid}:{digits.data_identity(model.config, mfolder)}"  # type: ignore[arg-type]

    def heatmap():
        return dc.confusion_heatmap(conf)

    # the heatmap (about 420 px with its axes) gets the full width: in a half column at 1024 px its
    # digits 8 and 9 and its title were cut off. The cell clicked is the chart's value
    event = vega.altair(f"{ck}:confusion", heatmap, of=[model], on_select="rerun", key="d_conf",
                        selection_mode="cell", width="content")
    pc = digits.per_class(model, data, probs)
    left, right = st.columns([1.3, 1])
    with left:
        vega.altair(f"{ck}:per_class", lambda: dc.per_class_bars(pc), of=[model], width="stretch")
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
    if digits.is_cnn(model.config):
        cnn_filters(model, mid)
        return
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


def cnn_filters(model: TrainResult, mid: str | None = None) -> None:
    """A CNN's first conv layer: its kernels, in place of the MLP's units as images (``mid``: the model's
    :func:`ui.digits_inside.model_id`, when known)."""
    st.markdown("#### What each first-layer filter looks for", help=tip("cnn", "convolution", "feature map"))
    say.status("A CNN's first layer has no units that each weigh every pixel, so there are no unit pictures to "
               "show: it has a few small filters, each slid over the whole image.", icon=":material/info:")
    k = model.config.kernel  # type: ignore[attr-defined]
    st.caption(f"Each square is one {k}x{k} filter of the first conv layer: **blue** where ink raises its "
               "output, **red** where ink lowers it. Each is applied at every position of the image; the Read "
               "tab shows what they make of your digit.", help=tip("weight", "sign colours"))
    filters_chart(model, mid)
