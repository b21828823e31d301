"""Backprop Step by Step's second tab: a NumPy network from scratch on the 8x8 digits, its code beside its
maths, every gradient checked against autograd, beside the same network in NN Lab's engine."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.scratch import charts
from core.scratch import claims as sc
from core.scratch import jobs as J
from core.scratch.maths import BLOCKS
from ui import links, say, vega
from ui.common import admitted, memo_get, memo_put, seed_state, widget_config
from ui.glossary import tip
from ui.widgets import field_widget, url_config

TAB = sc.TAB
PREFIX = "fs_"
OWNED = ("tab", *(PREFIX + f for f in ("depth", "width", "activation", "lr", "epochs", "batch_size", "seed")))
ACT_LABEL = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}


def comparison(cfg: J.ScratchConfig) -> J.Comparison:
    """Both networks trained and the gradients checked: from the shared memory, else through the door."""
    key = f"scratch-{cfg.key()}"
    hit = memo_get(key)
    if hit is None:
        with st.spinner("Training the NumPy network, then the same one in PyTorch..."), admitted(cfg):
            hit = J.compare(cfg)
        memo_put(key, hit)
    return hit


def check_table(c: J.Comparison) -> pd.DataFrame:
    """The two gradient checks as one table: each array's largest gradient and relative error at the first
    and at the trained weights."""
    a, b = c.check_start, c.check_end
    name = a["array"] + a["shape"].map(lambda s: f" ({s.replace(' ', '')})" if s else "")
    return pd.DataFrame({"array": name, "max |grad|": b["largest |value|"], "rel. error, start": a["relative error"],
                         "rel. error, trained": b["relative error"]})


def render() -> dict[str, str]:
    """The tab: settings, the two networks' numbers, the check, the code beside the maths, the script.

    Returns the URL parameters that restore it (the page syncs them and draws the share link)."""
    st.markdown(
        "Mini-project 2 for real data: a network of any depth written in **NumPy alone**, with a softmax output "
        "and cross-entropy loss, its forward and backward passes written by hand, trained by minibatch SGD on "
        "scikit-learn's 8x8 digits (the tutorial's 80/20 split: 1,437 to train, 360 to test). Beside it, the "
        "**same network in PyTorch**, trained by NN Lab's engine: the same layer sizes, activation, He "
        "initialisation, learning rate, batch size and epochs. They differ only in their random draws (first "
        "weights, row order: NumPy's generator against torch's) and in number type (float64 against float32).",
        help=tip("softmax", "cross-entropy", "loss", "sgd", "batch", "activation", "he init", "initialisation",
                 "weight", "learning rate", "epoch", "forward pass", "backpropagation", "test set"))
    url = url_config(J.ScratchConfig, PREFIX)
    seed_state({f"{PREFIX}{k}": getattr(url, k) for k in ("depth", "width", "activation", "lr", "epochs",
                                                         "batch_size", "seed")})
    row = st.container(horizontal=True)
    S = J.ScratchConfig
    field_widget(S, "depth", label="Hidden layers", key=f"{PREFIX}depth", container=row, width=130,
                 help=tip("hidden layer"))
    field_widget(S, "width", label="Units per layer", key=f"{PREFIX}width", container=row, width=130,
                 help=tip("neuron"))
    field_widget(S, "activation", label="Activation", key=f"{PREFIX}activation", container=row, width=130,
                 format_func=ACT_LABEL.get, help=tip("activation", "relu", "tanh", "sigmoid"))
    field_widget(S, "lr", label="Learning rate", key=f"{PREFIX}lr", container=row, width=130, format="%.4g",
                 help=tip("learning rate"))
    field_widget(S, "epochs", label="Epochs", key=f"{PREFIX}epochs", container=row, width=110, help=tip("epoch"))
    field_widget(S, "batch_size", label="Batch size", key=f"{PREFIX}batch_size", container=row, width=110,
                 help=tip("batch"))
    field_widget(S, "seed", label="Seed", key=f"{PREFIX}seed", container=row, width=110, help=tip("seed"))
    ss = st.session_state
    cfg = widget_config(lambda: S(depth=int(ss[f"{PREFIX}depth"]), width=int(ss[f"{PREFIX}width"]),
                                  activation=ss[f"{PREFIX}activation"], lr=float(ss[f"{PREFIX}lr"]),
                                  epochs=int(ss[f"{PREFIX}epochs"]), batch_size=int(ss[f"{PREFIX}batch_size"]),
                                  seed=int(ss[f"{PREFIX}seed"])), url)
    c = comparison(cfg)
    shape = "-".join(map(str, cfg.sizes))
    st.subheader(f"A {shape} {ACT_LABEL[cfg.activation]} network, NumPy against PyTorch", divider="gray")
    m = st.container(horizontal=True)
    m.metric("NumPy: test accuracy", f"{c.numpy.test_acc:.1%}", width=170, help=tip("accuracy", "test set"))
    m.metric("PyTorch: test accuracy", f"{c.torch.test_acc:.1%}",
             f"{(c.torch.test_acc - c.numpy.test_acc) * 100:+.1f} points", delta_color="off", width=170)
    m.metric("NumPy: seconds to train", f"{c.numpy.seconds:.2f}", width=170)
    m.metric("PyTorch: seconds to train", f"{c.torch.seconds:.2f}", width=170)
    m.metric("Max relative error", f"{c.max_rel_error:.1e}", width=170,
             help=tip("relative error", "autograd", "gradient check"))
    st.caption(f"Training accuracy: NumPy {c.numpy.train_acc:.1%}, PyTorch {c.torch.train_acc:.1%}. Seconds are "
               "wall time on this machine, shared with others: a rough guide, not a benchmark.")
    say.lessons([sc.learns(c.numpy), sc.same_accuracy(c)], "caption")
    left, right = st.columns(2)
    vega.altair(f"scratch-{cfg.key()}:loss", lambda: charts.loss_chart(J.loss_frame(c)), where=left,
                width="stretch")  # kept per config, like the comparison it is drawn from
    with right:
        st.markdown(f"**The gradient check**: the hand-written backward pass against PyTorch's autograd in "
                    f"float64, on the same weights and the first {J.CHECK_ROWS} training rows",
                    help=tip("gradient check", "gradient", "autograd", "relative error"))
        st.table(check_table(c).style.format({"max |grad|": "{:.3g}", "rel. error, start": "{:.1e}",
                                              "rel. error, trained": "{:.1e}"}), hide_index=True)
        st.caption("max |grad|: at the trained weights (the loss row: the loss itself). Start: the seeded first "
                   "weights; trained: the weights after the last epoch.")
    agree = sc.gradients_agree(c)
    say.lesson(agree, "success" if agree.holds else "error",
               icon=":material/verified:" if agree.holds else ":material/error:")

    st.subheader("The code beside the maths", divider="gray",
                 help=tip("chain rule", "logits", "one-hot", "he init"))
    st.caption("Each block's equations, and beside them the actual source the page runs (read from the module "
               "with inspect.getsource): core/scratch/net.py, NumPy only.")
    for b in BLOCKS:
        st.markdown(f"**{b.title}**")
        eq, code = st.columns([5, 7])
        with eq:
            for line in b.latex:
                st.latex(line)
        code.code(b.source(), language="python", wrap_lines=True)
    # Offered hosted too: text generated here and handed to the visitor, like the Playground's script export; what
    # hosted mode forbids is the server downloading data (settings.downloads_allowed), not a visitor's download.
    st.download_button("Download this as a script", J.script(cfg), file_name="nnlab_numpy_digits.py",
                       mime="text/x-python", icon=":material/download:", key="fs_script",
                       help="One self-contained .py file: the code above with these settings; it needs only NumPy "
                            "and scikit-learn, trains, and prints its test accuracy (the NumPy figure above).")
    links.try_next("backprop")
    return {**cfg.to_query(PREFIX), "tab": "scratch"}
