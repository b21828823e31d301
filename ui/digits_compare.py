"""The Digit Recognizer's ④ Compare tab, after the scikit-learn baseline: the MLP against the CNN at a similar
size, and the dropout and early-stopping pairs (each pair trained together as one stack: grouped convolutions
for a CNN)."""

from __future__ import annotations

import streamlit as st

from core import digits
from core.digits import DigitsConfig, lessons
from core.digits import charts as dc
from core.digits import claims as dcl
from core.digits import metrics as dm
from ui import say, vega
from ui.digit_settings import summary_line
from ui.digits import obtain, test_set
from ui.glossary import tip
from ui.widgets import field_widget

D = DigitsConfig


def model_compare_view(cfg: DigitsConfig, folder: str | None, auto: bool) -> None:
    """The MLP and the CNN of about the same size, trained as ``cfg`` trains: accuracy, parameters, time."""
    st.markdown("#### MLP or CNN: which reads the digits better at a similar size?", help=tip("mlp", "cnn"))
    mlp_cfg, cnn_cfg = dm.model_pair(cfg)
    st.caption(f"Both trained with the settings of ① on the same rows and seed; each with "
               f"{'its own' if cfg.model == 'mlp' else 'the default'} MLP layers and "
               f"{'its own' if cfg.model == 'cnn' else 'the default'} CNN layers. MLP: {summary_line(mlp_cfg)}. "
               f"CNN: {summary_line(cnn_cfg).split(', Adam')[0].split(', SGD')[0]}.",
               help=tip("convolution", "feature map", "seed"))
    res = []
    for name, c in (("MLP", mlp_cfg), ("CNN", cnn_cfg)):
        r = obtain([c], folder, auto, f"d_cmp_model_{name}", what=f"the {name}")
        if not r:
            return
        res.append(r[0])
    n_test = len(test_set(cfg.dataset, folder).y_test)
    say.lessons([dcl.cnn_vs_mlp_verdict(*res, n_test), dcl.cnn_time_verdict(*res)])
    st.dataframe(dm.pair_frame(*res, n_test), hide_index=True, width="stretch", column_config={
        "parameters": st.column_config.NumberColumn(format="localized"),
        "test accuracy": st.column_config.NumberColumn(format="percent"),
        "seconds": st.column_config.NumberColumn("training time (s)", format="%.1f")})


def regulariser_view(cfg: DigitsConfig, folder: str | None, auto: bool, url_cmp_epochs: int) -> int:
    """The dropout and early-stopping pairs (off vs on) built from ``cfg``; returns the epochs chosen for them."""
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
        # kept per pair (their cache key, on their data: ui.vega)
        vega.altair(f"digits.compare:{digits.train_key(list(pair.configs), folder)}:{what}:{'|'.join(pair.names)}",
                    lambda pair=pair, res2=res2: dc.compare_runs(
                        {n: x.history for n, x in zip(pair.names, res2)},
                        dm.best_epochs(pair, res2), width=185),  # two panels fit 1024 px
                    of=res2, width="content")
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
    return cmp_epochs
