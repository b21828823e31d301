"""core.digits.inside (what the network looks for and sees) and core.digits.finetune (teach it)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import digits
from core.digits import finetune as ft
from core.digits import inside


@pytest.fixture(scope="module")
def model():
    """The page's default 8x8 model (trained once for this module, no cache)."""
    return digits.compute(digits.default_config("digits"))[0]


@pytest.fixture(scope="module")
def arrays():
    return digits.raw_arrays("digits")


def test_first_layer_weights_are_images_of_the_input(model):
    w = inside.first_layer_weights(model)
    assert w.shape == (100, 8, 8)
    assert np.array_equal(w[3].ravel(), model.state["0.weight"][3].numpy())
    u = inside.unit_images(model, n=16)
    assert u.weights.shape == (16, 8, 8) and len(u.units) == 16
    norms = np.linalg.norm(w.reshape(100, -1), axis=1)
    assert np.allclose(u.score, np.sort(norms)[::-1][:16])  # the largest norms, descending


def test_usefulness_order_ranks_units_by_their_effect(model, arrays):
    X = arrays[2]
    u = inside.unit_images(model, n=100, order="usefulness", X=X)
    assert list(u.score) == sorted(u.score, reverse=True)
    # silencing the 10 most useful units hurts the model more than silencing the 10 least useful
    net = model.model()
    y = arrays[3]

    def acc_without(units) -> float:
        n2 = model.model()
        with torch.no_grad():
            n2[0].weight[list(units)] = 0
            n2[0].bias[list(units)] = 0
            return float((n2(torch.as_tensor(X)).argmax(1).numpy() == y).mean())

    assert acc_without(u.units[:10]) < acc_without(u.units[-10:])
    assert net is not None


def test_activations_per_layer_match_a_manual_forward(model, arrays):
    X = arrays[2][:5]
    s = {k: v.numpy() for k, v in model.state.items()}
    h1 = np.maximum(X @ s["0.weight"].T + s["0.bias"], 0)
    h2 = np.maximum(h1 @ s["3.weight"].T + s["3.bias"], 0)  # dropout sits at 2 (off at inference)
    logits = h2 @ s["6.weight"].T + s["6.bias"]
    a = inside.hidden_activations(model, X, with_grad_for=7)
    assert [x.shape for x in a.layers] == [(5, 100), (5, 50)]
    assert np.allclose(a.layers[0], h1, atol=1e-5) and np.allclose(a.layers[1], h2, atol=1e-5)
    assert np.allclose(a.logits, logits, atol=1e-4)
    # last hidden layer: contribution = activation x outgoing weight, and they sum to logit - bias
    assert np.allclose(a.contrib[1], h2 * s["6.weight"][7], atol=1e-5)
    assert np.allclose(a.contrib[1].sum(1), logits[:, 7] - s["6.bias"][7], atol=1e-4)
    top = inside.top_units(a, layer=-1, k=5, row=0)
    assert [abs(c) for _, c, _ in top] == sorted((abs(c) for _, c, _ in top), reverse=True)
    assert abs(top[0][1]) == pytest.approx(np.abs(a.contrib[1][0]).max(), rel=1e-6)


def test_nearest_images_are_really_nearest(model, arrays):
    Xtr, Xte = arrays[0], arrays[2]
    for space in inside.SPACES:
        bank = inside.embed(model, Xtr, space)
        q = inside.embed(model, Xte[:4], space)
        for metric in ("cosine", "l2"):
            idx, d = inside.nearest(q, bank, k=6, metric=metric)
            if metric == "cosine":
                full = 1 - inside.unit_norm(q) @ inside.unit_norm(bank).T
            else:
                full = np.linalg.norm(q[:, None, :] - bank[None], axis=2)
            for r in range(4):
                assert np.allclose(d[r], np.sort(full[r])[:6], atol=1e-4)
                assert np.allclose(full[r, idx[r]], d[r], atol=1e-4)
    # a training image is its own nearest neighbour, at distance 0
    idx, d = inside.nearest(inside.embed(model, Xtr[10:11]), inside.embed(model, Xtr), k=1)
    assert d[0, 0] == pytest.approx(0, abs=1e-5)
    assert np.allclose(inside.embed(model, Xtr[idx[0, 0]:idx[0, 0] + 1]), inside.embed(model, Xtr[10:11]))


def test_fine_tuning_fixes_a_wrong_reading_and_keeps_the_rest(model, arrays):
    Xtr, ytr, Xte, yte = arrays
    p = digits.predict(model, Xte)
    wrong = np.flatnonzero(p.argmax(1) != yte)
    assert len(wrong)  # the default model misreads a few test digits
    i = int(wrong[0])
    x, truth, was = Xte[i:i + 1], int(yte[i]), int(p[i].argmax())
    keep = np.setdiff1d(np.arange(len(Xte)), [i])
    tuned = ft.finetune(model, x, np.array([truth]), Xtr, ytr, Xte[keep], yte[keep])
    now = digits.predict(tuned.result, x)[0]
    assert was != truth and int(now.argmax()) == truth
    assert abs(tuned.acc_after - tuned.acc_before) <= 0.03  # the other 359 test digits: within 3 points
    assert tuned.seconds < 30  # about a second on an idle machine; generous for a loaded CI box
    assert digits.predict(model, x)[0].argmax() == was  # the original model is untouched
    assert tuned.result.metrics["final_test_acc"] == tuned.acc_after


def test_fine_tuning_refuses_nothing_and_wrong_shapes(model, arrays):
    Xtr, ytr = arrays[0], arrays[1]
    with pytest.raises(ValueError, match="no drawings"):
        ft.finetune(model, np.zeros((0, 64)), np.zeros(0), Xtr, ytr)
    with pytest.raises(ValueError, match="784"):
        ft.finetune(model, np.zeros((1, 784)), np.zeros(1), Xtr, ytr)


def test_view_builders_draw_what_they_are_given(model, arrays):
    from core.digits import views

    rgb = views.diverging_rgb(np.array([[-2.0, 0.0, 2.0]]))
    assert rgb.shape == (1, 3, 3) and tuple(rgb[0, 1]) == (247, 247, 247)
    assert rgb[0, 0, 0] > rgb[0, 0, 2] and rgb[0, 2, 2] > rgb[0, 2, 0]  # the app's sign colours: red below, blue above
    from core.plotting import NEGATIVE, POSITIVE
    hexes = ["#" + "".join(f"{int(v):02x}" for v in rgb[0, i]) for i in (0, 2)]
    assert hexes == [NEGATIVE, POSITIVE]
    assert views.weight_image(inside.first_layer_weights(model)[0], 80).size == (80, 80)
    act = inside.hidden_activations(model, arrays[2][:1], with_grad_for=3)
    spec = views.activation_strips(act).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 150
    assert {r["layer"] for r in rows} == {"hidden layer 1 (100 units)", "hidden layer 2 (50 units)"}
    assert max(r["shade"] for r in rows) == pytest.approx(1.0)
    bars = views.contribution_bars(act, layer=-1, k=5).to_dict()
    got = next(iter(bars["datasets"].values()))
    assert [abs(r["contribution"]) for r in got] == sorted((abs(r["contribution"]) for r in got), reverse=True)
    assert "towards 3" in bars["title"]["text"]
    colour = bars["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"])) == {"for": POSITIVE, "against": NEGATIVE}
