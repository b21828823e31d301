"""The Playground's missing four (TensorFlow Playground's): discretize the output, show or hide the test
points, a weight set by hand that training goes on from, and + / - a neuron in a layer; all in the URL."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ConstraintError
from core.xor import diagram
from core.xor.playground import (
    MAX_EDITS,
    PlaygroundConfig,
    apply_edits,
    edit_text,
    make_points,
    new_trainer,
    parse_edit,
    prune_edits,
    set_edit,
)
from core.xor.wire import unb64
from tests.test_playground_view import _views, playground


# ---- core ---------------------------------------------------------------------------------------------
def test_an_edit_reads_back_and_bad_ones_are_refused_by_the_config():
    assert parse_edit(edit_text(1, 2, 3, -0.51234)) == (1, 2, 3, -0.5123)
    for bad in ("1.2:0.5", "a.b.c:1", "0.0.0:nan", "0.0.0:11", "0.0.0:", "٣.0.0:1", "-1.0.0:1"):
        with pytest.raises(ValueError):
            parse_edit(bad)
        with pytest.raises(ConstraintError):
            PlaygroundConfig(edits=(bad,))
    with pytest.raises(ConstraintError):  # one connection set twice
        PlaygroundConfig(edits=("0.0.0:1", "0.0.0:2"))
    with pytest.raises(ConstraintError):  # layer 1 of a 4-4 network has 4 neurons: from neuron 4 is not there
        PlaygroundConfig(edits=("1.4.0:1",))
    assert PlaygroundConfig(edits=("1.3.0:1",)).edits == ("1.3.0:1",)
    with pytest.raises(ValueError):
        PlaygroundConfig(edits=tuple(edit_text(0, 0, j % 4, j) for j in range(MAX_EDITS + 1)))


def test_a_link_with_a_bad_edit_keeps_its_other_settings_and_says_so():
    cfg, notices = PlaygroundConfig.from_query({"g_edits": "zz", "g_lr": "0.1"}, "g_")
    assert cfg.edits == () and cfg.lr == 0.1 and "g_edits" in notices[0]
    cfg, notices = PlaygroundConfig.from_query({"g_edits": "0.1.2:-0.5,2.3.0:1"}, "g_")
    assert cfg.edits == ("0.1.2:-0.5", "2.3.0:1") and not notices
    assert PlaygroundConfig.from_query(cfg.to_query("g_"), "g_")[0] == cfg


def test_set_replaces_an_edit_of_the_same_connection_and_keeps_the_newest_few():
    e = set_edit((), 0, 1, 2, 0.5)
    assert set_edit(e, 0, 1, 2, -1.0) == ("0.1.2:-1",)
    many = ()
    for j in range(MAX_EDITS + 3):
        many = set_edit(many, 1, j % 4, j // 4, j / 10)
    assert len(many) == MAX_EDITS and many[-1] == edit_text(1, (MAX_EDITS + 2) % 4, (MAX_EDITS + 2) // 4, 1.0)


def test_removing_a_neuron_drops_the_edits_of_its_connections():
    edits = ("0.1.3:1", "1.3.0:2", "1.0.0:3", "0.0.0:4")
    assert prune_edits(edits, (2, 3, 4, 1)) == ("1.0.0:3", "0.0.0:4")  # neuron 4 of layer 1 is gone
    assert prune_edits(edits, (1, 4, 4, 1)) == ("1.3.0:2", "1.0.0:3", "0.0.0:4")  # feature 2 is gone


def test_edits_are_set_at_the_seeded_start_in_every_seed_and_training_goes_on_from_there():
    base = PlaygroundConfig(epochs=5, n_seeds=3)
    cfg = base.replace(edits=("0.1.2:-2.5", "2.3.0:4"))
    pts = make_points(cfg)
    plain, edited = new_trainer(base, pts), new_trainer(cfg, pts)
    W0, W2 = edited.stack.layers()[0][0], edited.stack.layers()[2][0]
    assert (W0[:, 2, 1] == -2.5).all() and (W2[:, 0, 3] == 4).all()
    other = np.ones(W0.shape, bool)
    other[:, 2, 1] = False
    np.testing.assert_array_equal(W0.detach().numpy()[other], plain.stack.layers()[0][0].detach().numpy()[other])
    edited.run(epochs=2)
    assert edited.epoch == 2 and float(edited.stack.layers()[0][0][0, 2, 1]) != -2.5  # it trained on from there
    apply_edits(edited, ("0.1.2:0.75",))  # later: set now, in the live trainer
    assert (edited.stack.layers()[0][0][:, 2, 1] == 0.75).all() and edited.epoch == 2


def test_discretize_draws_two_colours_and_hiding_the_test_points_leaves_the_training_ones():
    cfg = PlaygroundConfig(epochs=5)
    pts = make_points(cfg)
    tr = new_trainer(cfg, pts)
    tr.run()
    args = (tr, cfg.features, cfg.activation, (pts.X, pts.y, pts.train))
    smooth, two = diagram.frame(*args), diagram.frame(*args, discretize=True, show_test=False)
    q = unb64(smooth["plane"])
    assert len(set(q.tolist())) > 2 and set(unb64(two["plane"]).tolist()) <= {0, 255}
    np.testing.assert_array_equal(unb64(two["plane"]), np.where(q >= 128, 255, 0))  # split at p = 0.5
    out_map = unb64(two["maps"]).reshape(-1, diagram.MAP_STEPS ** 2)[-1]
    assert set(out_map.tolist()) <= {0, 255}
    cells = diagram.MAP_STEPS ** 2  # the other nodes' pictures: as they were
    np.testing.assert_array_equal(unb64(two["maps"]).reshape(-1, cells)[:-1],
                                  unb64(smooth["maps"]).reshape(-1, cells)[:-1])
    shown = unb64(two["points"]).reshape(-1, 4)
    assert len(shown) == pts.train.sum() and shown[:, 3].all()  # training points only
    assert len(unb64(smooth["points"]).reshape(-1, 4)) == len(pts.X)
    assert len(unb64(two["hidden"]["xy"])) == 2 * len(shown)  # the hidden space drops them too


# ---- the page (AppTest) ------------------------------------------------------------------------------
def test_plus_and_minus_change_a_layers_width_and_the_url():
    at = playground(g_epochs="5")
    assert not at.exception
    at.button(key="g_w0_plus").click().run()
    assert at.query_params["g_hidden"] == "5,4"
    assert _views(at)[0]["widths"] == [2, 5, 4, 1]
    at.button(key="g_w1_minus").click().run()
    at.button(key="g_w1_minus").click().run()
    assert at.query_params["g_hidden"] == "5,2" and _views(at)[0]["widths"] == [2, 5, 2, 1]
    assert not at.exception


def test_minus_stops_at_one_neuron():
    at = playground(g_epochs="5", g_hidden="1")
    assert at.button(key="g_w0_minus").disabled and not at.button(key="g_w0_plus").disabled


def test_the_two_view_switches_change_the_frame_and_the_url():
    at = playground(g_epochs="5")
    (view,) = _views(at)
    assert not view["discretized"] and len(unb64(view["points"])) == 4 * 400
    at.toggle(key="pg_disc").set_value(True).run()
    at.toggle(key="pg_show_test").set_value(False).run()
    (view,) = _views(at)
    assert view["discretized"] and set(unb64(view["plane"]).tolist()) <= {0, 255}
    assert len(unb64(view["points"])) == 4 * 200
    assert at.query_params["disc"] == "1" and at.query_params["show_test"] == "0"
    again = playground(g_epochs="5", disc="1", show_test="0")  # the link opens them so
    assert again.toggle(key="pg_disc").value and not again.toggle(key="pg_show_test").value


def test_a_clicked_weight_is_set_trained_on_from_there_and_kept_in_the_url():
    at = playground(g_epochs="6")
    at.button(key="pg_step").click().run()
    tr = at.session_state["pg_a_trainer"]
    # what the diagram's click hands over (the browser test clicks it for real)
    at.session_state["pg_edit"] = {"title": "Setting A", "l": 1, "i": 2, "j": 0, "w": 0.1, "from": "L1 n3",
                                   "to": "L2 n1"}
    at.session_state["pg_edit_value"] = 0.1
    at.run()
    assert any("weight L1 n3 → L2 n1" in m.value for m in at.markdown)
    at.number_input(key="pg_edit_value").set_value(-3.25).run()
    at.button(key="pg_edit_set").click().run()
    assert not at.exception
    assert at.session_state["pg_a_trainer"] is tr and tr.epoch == 1  # the live trainer, not a new one
    assert float(tr.stack.layers()[1][0][0, 0, 2]) == -3.25
    (view,) = _views(at)
    assert view["weights"][1][0][2] == -3.25 and view["epoch"] == 1
    assert at.query_params["g_edits"] == "1.2.0:-3.25"
    assert any("L1 n3 → L2 n1 = -3.25" in c.value for c in at.caption)
    at.button(key="pg_step").click().run()
    assert tr.epoch == 2 and float(tr.stack.layers()[1][0][0, 0, 2]) != -3.25  # training goes on from there
    link = playground(g_epochs="6", g_edits="1.2.0:-3.25")  # the link: the seeded start with the weight set
    assert _views(link)[0]["weights"][1][0][2] == -3.25
    link.button(key="g_forget_edits").click().run()
    assert "g_edits" not in link.query_params
