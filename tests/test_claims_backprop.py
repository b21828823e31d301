"""Backprop Step by Step's claims, each checked on both sides of its condition (see core/backprop/claims.py)."""

import numpy as np

from core import datasets
from core.backprop import claims as bc
from core.backprop import jobs as bpj
from core.xor.scratch import ScratchNet
from tests.claimcheck import both_sides

DEFAULT = bpj.BackpropConfig()


def test_autograd_check_says_agree_only_when_it_does():
    t = bpj.run(DEFAULT)
    with both_sides("backprop.autograd_agrees"):
        said = bc.autograd_agrees(t)
        assert said.holds and said.startswith("Autograd agrees to 1e-9") and t.max_autograd_diff() <= 1e-9
        t.autograd = dict(t.autograd, **{"dL/dW2": t.autograd["dL/dW2"] + 1e-3})  # a wrong hand value
        assert bc.autograd_agrees(t).startswith("Autograd disagrees")


def test_step_0_says_which_weights_moved_input_0_0_leaves_the_first_layer_still():
    """Step 0 trains on (0,0): the 8 first-layer weights get zero gradient; the sentence names them, not 'every'."""
    t = bpj.run(DEFAULT)
    assert (t.x == 0).all() and (t.grads["W1"] == 0).all()
    with both_sides("backprop.update_lowers_loss"):
        said = bc.update_lowers_loss(t)
        assert said.holds and t.new_loss < t.loss
        assert "moved 9 of the 17 weights and biases" in said and "every weight" not in said
        assert "W1[1,1] ... W1[2,4]" in said and "inputs (x1 and x2) are 0 on this example" in said
        assert f"fell from {t.loss:.5f} to {t.new_loss:.5f}" in said
        big = bpj.run(DEFAULT.replace(lr=10.0, step=5))
        big.new_loss = big.loss + 0.1  # a step past the minimum (one example's loss rarely rises: a fake trace)
        up = bc.update_lowers_loss(big)
        assert not up.holds and "rose from" in up and "stepped past the minimum" in up
    mid = bpj.run(DEFAULT.replace(step=5))  # x = (0, 1): only x1's four weights stay
    assert "moved 13 of the 17" in bc.update_lowers_loss(mid) and "(x1)" in bc.update_lowers_loss(mid)
    full = bpj.run(DEFAULT.replace(mode="batch"))
    assert "moved all 17 weights and biases" in bc.update_lowers_loss(full)


def test_the_mean_loss_over_four_rows_is_said_with_digits_that_tell_it_apart():
    t = bpj.run(DEFAULT)
    with both_sides("backprop.mean_loss_falls"):
        rose = bc.mean_loss_falls(t)
        assert not rose.holds and rose.startswith("Yet the mean loss over all four rows rose")
        steps = [bpj.run(DEFAULT.replace(step=s)) for s in range(1, 40)]
        fell = next(bc.mean_loss_falls(t) for t in steps if t.mean_loss_after < t.mean_loss_before)
        assert fell.holds and "fell from" in fell
    assert bc.change(0.006761, 0.006758) == "fell from 0.006761 to 0.006758"  # 0.00676 and 0.00676 at 5 decimals
    assert bc.change(0.00676, 0.00676) == "stayed at 0.00676 to within 1e-12"
    late = bpj.run(DEFAULT.replace(step=7000))  # late in training: the change is far below 1e-5
    said = bc.mean_loss_falls(late)
    a, b = said.split(" from ")[1].split(",")[0].split(":")[0].rstrip(".").split(" to ")
    assert abs(late.mean_loss_after - late.mean_loss_before) < 1e-5
    assert a != b and abs(float(a) - late.mean_loss_before) < 1e-7  # never "from 0.00290 to 0.00290"


def test_dz2_of_the_table_is_the_tutorials_a2_minus_y():
    t = bpj.run(DEFAULT)
    with both_sides("backprop.dz2_is_a2_minus_y"):
        said = bc.dz2_is_a2_minus_y(t)
        assert said.holds and f"{t.a2 - t.y:.6f}" in said and f"{t.dL_dz2:.6f}" in said and "dz2 = a2 - y" in said
        assert abs(t.dL_dz2 - (t.a2 - t.y)) < 1e-6
        t.a2, t.dL_dz2 = 1e-9, -0.01  # an output so near 0 that eps matters
        assert "ε = 1e-8" in bc.dz2_is_a2_minus_y(t)


def test_a_zero_factor_is_named_and_otherwise_the_update_is_written_out():
    t = bpj.run(DEFAULT)
    with both_sides("backprop.weight_gets_no_gradient"):
        said = bc.weight_gets_no_gradient(t, bc.PICKED)
        assert said.holds and "exactly 0 on this example (input x2)" in said and "does not move" in said
        w2 = bc.weight_gets_no_gradient(t, "W2[1]")
        g = bpj.value_of(t.grads, "W2[1]")
        assert not w2.holds and f"{g:.6g}" in w2 and f"{bpj.value_of(t.new_params, 'W2[1]'):.6f}" in w2
    full = bpj.run(DEFAULT.replace(mode="batch"))  # row (0,0) gives no gradient, the mean over four rows does
    said = bc.weight_gets_no_gradient(full, bc.PICKED)
    assert said.holds and "full-batch step uses the mean" in said and "does not move" not in said
    assert bpj.value_of(full.step_grads, bc.PICKED) != 0.0


def test_full_batch_beside_one_example_from_the_same_weights():
    t = bpj.run(DEFAULT)
    with both_sides("backprop.full_batch_lowers_more"):
        said = bc.full_batch_lowers_more(t)
        full = bpj.run(DEFAULT.replace(mode="batch"))
        assert said.holds and f"{full.mean_loss_after:.5f}" in said and f"{t.mean_loss_after:.5f}" in said
        lows = [bc.full_batch_lowers_more(bpj.run(DEFAULT.replace(step=s))) for s in range(0, 400, 3)]
        assert any(not s.holds for s in lows)


def test_the_full_batch_mode_is_the_tutorials_training():
    """Full batch replays ScratchNet.fit (the tutorial's NumPy loop); its trace's update is the replay's."""
    cfg = DEFAULT.replace(mode="batch", step=300)
    net = ScratchNet(2, 4, cfg.seed)
    X, y = datasets.gate("XOR")
    net.fit(X, y, cfg.lr, 300)
    p = bpj.params_at(cfg)
    np.testing.assert_allclose(p["W1"], net.W1, atol=1e-6)
    np.testing.assert_allclose(p["W2"], net.W2[:, 0], atol=1e-6)
    t = bpj.run(cfg.replace(step=299, row=2))
    for k in p:
        np.testing.assert_allclose(t.new_params[k], p[k], atol=1e-12)
    mean = np.mean([bpj.value_of(g, "W1[1,2]") for g in t.row_grads])
    assert bpj.value_of(t.step_grads, "W1[1,2]") == mean and (t.x == X[2]).all()
    table = bpj.gradient_table(t)
    assert "mean of 4 rows" in table and np.allclose(table["update (-lr·mean)"], -cfg.lr * table["mean of 4 rows"])


def test_numbers_side_by_side_get_the_digits_that_tell_them_apart():
    assert bc.apart(0.0029019, 0.0029016, 0.0029018) == ["0.0029019", "0.0029016", "0.0029018"]
    assert bc.apart(0.5, 0.5, 0.25) == ["0.50000", "0.50000", "0.25000"]  # equal values stay equal
    late = bpj.run(DEFAULT.replace(step=7000))
    said = bc.full_batch_lowers_more(late)
    shown = [w.rstrip(").;") for w in said.split() if w[:1].isdigit() and "." in w][1:]  # after "lr 0.5"
    assert len(set(shown)) == 3, said
