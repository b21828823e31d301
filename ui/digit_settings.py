"""The Digit Recognizer's model settings: the widgets (from DigitsConfig's fields), the config they hold,
its one-line summary, and the result's headline metrics."""

from __future__ import annotations

import streamlit as st

from core import digits
from core.config import ConfigError
from core.digits import DigitsConfig
from core.digits import metrics as dm
from core.digits import reading as dr
from core.engine import TrainResult
from core.engine.activations import HIDDEN, REGISTRY
from ui.common import seed_state
from ui.glossary import tip
from ui.widgets import field_widget, parse_numbers, widget_config

OPT_LABEL = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam"}
ACT_LABEL = {n: REGISTRY[n].label for n in HIDDEN}
MODEL_LABEL = {"mlp": "MLP", "cnn": "CNN (convolutional)"}
MODEL_KEYS = ("d_hidden", "d_channels", "d_act", "d_opt", "d_lr", "d_batch", "d_epochs", "d_dropout", "d_l2", "d_es",
              "d_patience", "d_val", "d_seed", "d_aug", "d_aug_strength")
D = DigitsConfig
SETTING_W = 215  # px of each model setting's box


def controls(base: DigitsConfig) -> DigitsConfig:
    """The model's settings (defaults: the tutorial's); returns the config they describe."""
    # one row of fixed-width boxes that wraps: four a row on a wide screen, two at 1024 px (in four columns
    # the early-stopping toggle read "Early st..." and long labels took two lines, pushing their boxes down)
    row, w = st.container(horizontal=True), dict(width=SETTING_W)
    if digits.is_cnn(base):
        field_widget(D, "channels", label="Conv layers (feature maps)", key="d_channels", value=base.channels,
                     container=row, **w, help=tip("convolution", before="Comma-separated feature maps of each 5x5 "
                                                  "conv layer (each followed by a 2x2 max pool), e.g. `8, 16`."))
        field_widget(D, "hidden", label="Dense layers (widths)", key="d_hidden", value=base.hidden, container=row,
                     **w, help="Comma-separated widths of the dense layers after the convolutions, e.g. `128`.")
    else:
        field_widget(D, "hidden", label="Hidden layers (widths)", key="d_hidden", value=base.hidden, container=row,
                     **w, help="Comma-separated widths, e.g. `100, 50` (the tutorial's). Empty = no hidden layer.")
    field_widget(D, "activation", label="Activation", key="d_act", value=base.activation, container=row, **w,
                 format_func=ACT_LABEL.get,
                 help=tip("activation", "relu", before="ReLU is the default for hidden layers."))
    field_widget(D, "optimizer", label="Optimizer", key="d_opt", value=base.optimizer, container=row, **w,
                 options=list(OPT_LABEL), format_func=OPT_LABEL.get, help=tip("adam", "sgd", "momentum"))
    field_widget(D, "lr", label="Learning rate", key="d_lr", value=base.lr, container=row, **w, format="%.4g",
                 help=tip("learning rate", before="Starting points: 0.001 for Adam, 0.01 for SGD."))
    field_widget(D, "batch_size", label="Batch size", key="d_batch", value=base.batch_size, container=row, **w,
                 help=tip("batch", before="Rows per step; 32-128 is usual. 0 = the whole training set."))
    field_widget(D, "epochs", label="Epochs (at most)", key="d_epochs", value=base.epochs, container=row, **w,
                 help=tip("epoch"))
    field_widget(D, "dropout", label="Dropout", key="d_dropout", value=base.dropout, container=row, **w,
                 widget="slider", step=0.05,
                 help=tip("dropout", before="Share of hidden units switched off at random in each training step "
                                            "(0.2-0.5 is usual); always off when the model reads a digit."))
    field_widget(D, "l2", label="L2 (weight decay)", key="d_l2", value=base.l2, container=row, **w, format="%.4g",
                 step=1e-4, help=tip("l2", "weight decay", "weight", "l1"))
    seed_state({"d_es": base.patience > 0})
    row.toggle("Early stopping", key="d_es", width=SETTING_W,
               help=tip("early stopping", before="Stop when the validation loss has not improved for `patience` "
                                                 "epochs; keep the best epoch's weights."))
    field_widget(D, "patience", label="Patience (epochs)", key="d_patience", value=base.patience or 10, lo=1,
                 container=row, **w, disabled=not st.session_state.d_es, help=tip("patience"))
    field_widget(D, "val_fraction", label="Validation share", key="d_val", value=base.val_fraction, container=row, **w,
                 widget="slider", step=0.05,
                 help=tip("validation set", "overfitting",
                          before="Training rows held out to watch for overfitting (the tutorial: 10%)."))
    field_widget(D, "seed", label="Seed", key="d_seed", value=base.seed, container=row, **w, help=tip("seed"))
    # both data sets: the 8x8 default trains on augmented copies too
    field_widget(D, "augment_copies", label="Augmented copies", key="d_aug", value=base.augment_copies,
                 container=row, **w, help="Shifted, rotated, rescaled, thicker/thinner, gently warped copies of "
                                          "each training image: what makes the model read real handwriting. 0 = off.")
    field_widget(D, "augment", label="Augmentation strength", key="d_aug_strength", value=base.augment,
                 container=row, **w, widget="slider", step=0.25,
                 help=tip("augmentation", before="Strength of the random shifts, rotations, scale and stroke width."))
    return widget_config(lambda: config_from_state(base), base)


def config_from_state(base: DigitsConfig) -> DigitsConfig:
    """The config the settings widgets hold now (raises ConfigError/ValueError/KeyError for a bad or missing one)."""
    s = st.session_state
    conv = dict(channels=parse_numbers(s.d_channels, int)) if digits.is_cnn(base) else {}
    return base.replace(
        **conv,
        hidden=parse_numbers(s.d_hidden, int, allow_empty=True), activation=s.d_act, optimizer=s.d_opt,
        lr=float(s.d_lr), batch_size=int(s.d_batch), epochs=int(s.d_epochs), dropout=float(s.d_dropout),
        l2=float(s.d_l2), patience=int(s.d_patience) if s.d_es else 0, val_fraction=float(s.d_val),
        seed=int(s.d_seed),
        augment_copies=int(s.d_aug), augment=float(s.d_aug_strength),
    )


def current_config(base: DigitsConfig) -> DigitsConfig:
    """What the settings widgets hold at the start of this run (a widget's new value is already in the
    session state), else base: so the summary above the widgets is never one change behind."""
    try:
        return config_from_state(base)
    except (ConfigError, ValueError, KeyError, AttributeError, TypeError):
        return base


def summary_line(cfg: DigitsConfig) -> str:
    """The model and its training in one line (what the Settings expander's title says)."""
    n_in = digits.SIDE[cfg.dataset] ** 2
    layers = "-".join(str(w) for w in (n_in, *cfg.hidden, 10))
    if digits.is_cnn(cfg):
        side = digits.SIDE[cfg.dataset]
        layers = (f"CNN {side}x{side}, conv {', '.join(map(str, cfg.channels))} (5x5, 2x2 pools), dense "
                  f"{'-'.join(str(w) for w in (*cfg.hidden, 10))}")
    es = (f"early stopping (patience {cfg.patience}, {cfg.val_fraction:.0%} validation)" if cfg.patience
          else "no early stopping")
    drop = f", dropout {cfg.dropout:g}" if cfg.dropout else ""
    aug = f", {cfg.augment_copies} augmented copies" if cfg.augment_copies else ""
    return (f"{layers} {ACT_LABEL.get(cfg.activation, cfg.activation)}, {OPT_LABEL[cfg.optimizer]} lr {cfg.lr:g}, "
            f"batch {cfg.batch_size or 'all'}, up to {cfg.epochs} epochs, {es}{drop}{aug}")


def result_metrics(r: TrainResult) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Test accuracy", f"{dr.kept_metrics(r)['test_acc']:.1%}",
              help=tip("accuracy", "test set", before="On test images the model never saw while training."))
    c2.metric("Epochs run", dm.epochs_run(r))
    c3.metric("Best epoch", r.best_epoch or "last",  # "(weights kept)" in the label was cut at 1024 px
              help="The epoch whose weights the model keeps (early stopping), or the last one")
    c4.metric("Training time", f"{r.seconds:.1f} s")


def reset_model_widgets() -> None:
    for k in MODEL_KEYS:
        st.session_state.pop(k, None)
