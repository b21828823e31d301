"""The Digit Recognizer's insides views: what the network sees in one reading (hidden layers, the units that
decide, the nearest training images), its first-layer units, the not-a-digit flag's fitting and measurement, and
the Teach-it view that fine-tunes on a student's drawings."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from core.digits import finetune as ft
from core.digits import inside
from core.digits import novelty as nv
from core.digits import reading as dr
from core.digits import views as dv
from core.digits.jobs import is_cnn
from core.engine import TrainResult
from ui import say, vega
from ui.common import admitted, memo_get, memo_put
from ui.glossary import tip


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


def image_hash(x) -> str:
    """A hash of a reading's preprocessed image (what the network is given): its shape and every pixel."""
    a = np.ascontiguousarray(x.steps.x, np.float32)
    return hashlib.sha256(str(a.shape).encode() + a.tobytes()).hexdigest()


def image_id(x) -> str:
    """A short :func:`image_hash`: a widget keyed by it starts afresh, at that image's reading, when the drawing
    changes (keyed by the model alone it kept the first drawing's digit)."""
    return image_hash(x)[:12]


def model_id(model: TrainResult) -> str:
    """What a model is, for the keys of its kept charts (ui.vega): its config's key and a hash of all its
    weights. A loaded file or a fine-tuned model has no cache key of its own: it is named by what it holds."""
    h = hashlib.sha256(model.config.key().encode())  # type: ignore[attr-defined]
    for k in sorted(model.state):
        t = model.state[k]
        h.update(f"{k}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def filters_chart(model: TrainResult, mid: str | None = None) -> None:
    """A CNN's first conv layer's kernels (the Evaluate tab and the inside view draw the same chart, kept per
    model: ``mid`` is its :func:`model_id` when known)."""
    from core.convolutions import charts as cc  # scipy and the chapter's jobs: only when a CNN is shown
    from core.convolutions import jobs as cj

    vega.altair(f"digits.filters:{mid or model_id(model)}", lambda: cc.filters_chart(cj.filters(model)),
                of=[model], width="content")


def inside_view(x, model: TrainResult, bank: tuple[np.ndarray, np.ndarray] | None, key: str) -> None:
    """What the network sees in one reading: a CNN's feature maps, the hidden (a CNN's dense) layers, the units
    that decide, the nearest training images."""
    cnn = is_cnn(model.config)
    # its charts are kept per model (a hash of its weights: it may be a loaded file or fine-tuned in this
    # session) and per image (a hash of the pixels it was given)
    mid = model_id(model)
    ck = f"digits.inside:{mid}:{image_hash(x)}"
    if cnn:
        conv_view(x, model, mid, ck)
    if not model.config.hidden:  # type: ignore[attr-defined]
        say.status(f"This model has no {'dense' if cnn else 'hidden'} layer: its "
                   f"{'feature maps' if cnn else 'inputs'} go straight to the ten outputs.", icon=":material/info:")
    else:
        units_view(x, model, key, cnn, ck)
    nearest_view(x, model, bank, key)


def units_view(x, model: TrainResult, key: str, cnn: bool, ck: str) -> None:
    """The hidden (a CNN's dense) layers' units for one reading, and what pushed its score; an MLP's first-layer
    units as images too. ``ck``: what its charts are kept under (the model and the image)."""
    c1, c2 = st.columns([1, 2])
    cls = c1.selectbox("Explain the reading as", list(range(10)), index=int(x.digit),
                       key=f"d_explain_{key}_{image_id(x)}",
                       help="Which digit's score to take apart (the model's reading by default).")
    act = inside.hidden_activations(model, x.steps.x[None], with_grad_for=int(cls))
    c2.caption(f"Each strip is one {'dense layer after the convolutions' if cnn else 'hidden layer'}, each cell one "
               f"unit: dark = it fired for your digit. {sum(int((a > 0).sum()) for a in act.layers)} of "
               f"{sum(a.shape[1] for a in act.layers)} units fired. Hover a cell for how much it pushed the score "
               f"of {cls}.", help=tip("hidden layer", "activation"))
    ck = f"{ck}:{int(cls)}"
    vega.altair(f"{ck}:strips", lambda: dv.activation_strips(act), of=[model], width="stretch")
    left, right = st.columns(2)
    vega.altair(f"{ck}:last", lambda: dv.contribution_bars(act, layer=-1, k=8), of=[model], where=left,
                width="stretch")
    vega.altair(f"{ck}:first", lambda: dv.contribution_bars(act, layer=0, k=8), of=[model], where=right,
                width="stretch")
    if cnn:
        say.status("A CNN's dense units read the feature maps, not the pixels, so their weights are not pictures "
                   "of ink: what its filters look for is drawn above.", icon=":material/info:")
        return
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


def conv_view(x, model: TrainResult, mid: str, ck: str) -> None:
    """A CNN's first-layer filters and every conv layer's feature maps of the digit being read. ``mid``: the
    model's :func:`model_id`; ``ck``: what the maps' charts are kept under (the model and the image)."""
    from core.convolutions import charts as cc  # scipy and the chapter's jobs: only when a CNN is shown
    from core.convolutions import jobs as cj

    k = model.config.kernel  # type: ignore[attr-defined]
    maps = cj.feature_maps(model, x.steps.x)
    st.caption(f"The first conv layer's {k}x{k} filters (blue where ink raises the output, red where it lowers it):",
               help=tip("convolution", "sign colours"))
    filters_chart(model, mid)
    st.caption("What each filter makes of your digit: its output at every position (after ReLU, before the pool); "
               "dark = strong.", help=tip("feature map", "relu"))
    vega.altair(f"{ck}:maps:1", lambda: cc.maps_chart(maps, 1), of=[model], width="content")
    if maps.layer.max() >= 2:
        st.caption("Layer 2's maps: its filters read layer 1's pooled maps, so each responds to a combination of "
                   "strokes.", help=tip("feature map"))
        vega.altair(f"{ck}:maps:2", lambda: cc.maps_chart(maps, 2), of=[model], width="content")


def nearest_view(x, model: TrainResult, bank: tuple[np.ndarray, np.ndarray] | None, key: str) -> None:
    """The training images nearest the reading, in hidden or pixel space."""
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
