"""Prices that did not model the work (bench.hosted's price table, each row against its measured run): work
the page trains under a request that its price left out, memory counted twice, fixed costs counted per
stack, a NumPy loop priced as a PyTorch stack, a study's likely cost taken from its bound."""

from __future__ import annotations

import pytest

from core import architectures as ar
from core import tuning
from core.backprop.jobs import MAX_STEP, BackpropConfig
from core.convolutions import jobs as cj
from core.convolutions.workload import cnn_price
from core.digits.workload import digits_shape
from core.engine.conv import EVAL_CHUNK_BYTES
from core.serve import price
from core.serve.cost import BASE_BYTES, RUN_SECONDS, STACK_SECONDS, stack_price
from core.serve.workload import Workload


def trained(work: Workload) -> list:
    """Every model a workload's stacks train."""
    return [m for s in work.stacks for m in s.models]


def test_network_shapes_prices_the_checks_its_page_trains_under_the_same_request():
    """The shapes tab trains the checks of Deep and narrow (no hidden layer, He init, 3x the epochs) under
    the shapes request; the price once left them out (0.62x of the measured CPU at the defaults)."""
    cfg = ar.ShapesConfig()
    models = trained(price.workload_of(cfg))
    for shape in ar.SHAPES:
        assert all(c in models for c in cfg.shape_configs(shape))
    for name, configs in cfg.check_configs().items():
        assert all(c in models for c in configs), name
    longer = max(c.epochs for c in cfg.check_configs()["narrow_longer"])
    assert max(m.epochs for m in models) == longer == 3 * cfg.epochs


def test_a_requests_later_stacks_do_not_pay_torchs_first_calls_again():
    """The approximation trains 21 small stacks one after the other: torch's first calls once, then each
    trainer's own fixed cost (priced 2.7x the measured CPU when every stack paid RUN_SECONDS)."""
    cfg = ar.ApproxConfig()
    work = price.workload_of(cfg)
    n = len(work.stacks)
    assert n > 10
    each = [stack_price(s.models, s.data, first=i == 0).seconds for i, s in enumerate(work.stacks)]
    assert price.request_price(cfg).seconds == pytest.approx(sum(each))
    alone = [stack_price(s.models, s.data).seconds for s in work.stacks]
    assert sum(alone) - sum(each) == pytest.approx((n - 1) * (RUN_SECONDS - STACK_SECONDS))


def test_the_cnn_trains_after_the_mlp_so_their_memory_is_the_larger_not_the_sum():
    cfg = cj.ConvConfig()
    mlp, cnn = cfg.models()
    shape = digits_shape(mlp, (cfg.train_limit, 1000))
    p_mlp = stack_price([mlp], shape)
    p_cnn = cnn_price(cnn, 8, shape)
    p = price.request_price(cfg)
    assert p.peak_bytes == max(p_mlp.peak_bytes, p_cnn.peak_bytes)
    assert p.seconds == pytest.approx(p_mlp.seconds + p_cnn.seconds)


def test_a_small_splits_cnn_evaluation_is_one_chunk_of_its_own_size():
    """The 8x8 digits' evaluation holds a few MB of maps, not three 64 MB chunks (priced 2.6x the measured
    peak when it was)."""
    cfg = cj.ConvConfig()
    mlp, cnn = cfg.models()
    shape = digits_shape(mlp, (cfg.train_limit, 1000))
    own = cnn_price(cnn, 8, shape).peak_bytes - BASE_BYTES - shape.data_bytes
    assert own < 3 * EVAL_CHUNK_BYTES / 4
    mnist = cj.ConvConfig(dataset="mnist", train_limit=60_000)
    m_mlp, m_cnn = mnist.models()
    m_shape = digits_shape(m_mlp, (60_000, 10_000))
    assert cnn_price(m_cnn, 28, m_shape).peak_bytes >= 3 * EVAL_CHUNK_BYTES  # a large split: whole chunks


def test_the_backprop_walk_is_priced_as_its_numpy_replay():
    """No PyTorch stack trains on the Backprop page: the walk at step 0 costs milliseconds (it was priced at
    torch's 0.3 s of first calls, 100x the measured), and the price grows with the steps replayed."""
    p0 = price.request_price(BackpropConfig())
    assert p0.seconds < 0.01 and p0.peak_bytes < BASE_BYTES
    far = price.request_price(BackpropConfig(step=MAX_STEP))
    batch = price.request_price(BackpropConfig(step=MAX_STEP, mode="batch"))
    assert 0.1 < far.seconds < batch.seconds < 1.0


def test_a_studys_likely_cost_is_its_mean_trial_and_its_bound_the_largest():
    """A study's trials sample the space: its likely cost is the mean trial (the bound, each trial at the
    largest network, was 2.1x the measured CPU of the default's first 10 trials)."""
    space, st = tuning.SearchSpace(), tuning.StudySettings(n_trials=10)
    p = price.workload_price(st.workload(space))
    assert 0 < p.likely_seconds < p.seconds / 2
    wider = price.workload_price(st.workload(space.replace(width_max=256)))
    assert wider.likely_seconds > p.likely_seconds
    twice = price.workload_price(st.replace(n_trials=20).workload(space))
    assert twice.likely_seconds == pytest.approx(2 * p.likely_seconds)


def test_the_cnn_is_likely_to_stop_early_as_the_mlp_is():
    """A Convolutions link of 838 epochs stops near epoch 30 (patience 8), as its stack price assumes for
    the MLP: its likely cost was 17.7x the measured CPU when the CNN's was priced for every epoch."""
    long = price.request_price(cj.ConvConfig(epochs=838))
    short = price.request_price(cj.ConvConfig(epochs=40))
    assert long.seconds > 10 * short.seconds
    assert long.likely_seconds == pytest.approx(short.likely_seconds, rel=0.25)
