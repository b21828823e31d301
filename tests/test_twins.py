"""Twins (core.engine.twins): a merged run trains models that differ only in their epochs as one row, and each
visitor still gets, bit for bit, what its request gets alone."""

import numpy as np
import pytest

from core.datasets import gate, make_dataset
from core.digits.jobs import default_config, load_data
from core.engine import TrainConfig, fit, fitting
from core.engine.trainer import Trainer
from core.engine.twins import group
from core.xor.jobs import RETRY_EVAL_EVERY, SeedStudyConfig
from tests.test_merge import digest


def xor_data():
    X, y = gate("XOR")
    return make_dataset(X, y.astype("float32"), task="binary")


def owners_of(reqs):
    owners, lo = [], 0
    for r in reqs:
        owners.append((lo, lo + len(r)))
        lo += len(r)
    return owners


def merged_digests(reqs, data, **kw):
    owners = owners_of(reqs)
    res = fit([c for r in reqs for c in r], data, owners=owners, **kw)
    return [digest(res[a:b]) for a, b in owners]


def rows_trained(reqs, data, monkeypatch, **kw):
    """How many rows the merged run's stack(s) started with."""
    seen = []
    real = Trainer.__init__

    def spy(self, *a, **k):
        real(self, *a, **k)
        seen.append(self.K)

    monkeypatch.setattr(Trainer, "__init__", spy)
    merged_digests(reqs, data, **kw)
    monkeypatch.setattr(Trainer, "__init__", real)
    return sum(seen)


def test_a_class_that_changes_only_the_epochs_trains_one_row_per_seed_and_each_gets_its_own_run(monkeypatch):
    """XOR seed studies: five visitors of the default lr with their own epochs, two with their own lr."""
    data = xor_data()
    reqs = [SeedStudyConfig(n_seeds=20, epochs=e).train_configs() for e in (300, 320, 340, 300, 410)]
    reqs += [SeedStudyConfig(n_seeds=20, epochs=300, lr=lr).train_configs() for lr in (0.2, 0.7)]
    alone = [digest(fit(r, data)) for r in reqs]
    assert merged_digests(reqs, data) == alone
    assert rows_trained(reqs, data, monkeypatch) == 20 + 2 * 20  # not 7 * 20


def test_twins_of_the_retry_keep_their_own_rows_and_single_evaluation_with_log_every():
    """The XOR page's retry: failed seeds 10x longer, evaluated only at each request's last epoch, a row kept
    every 10th epoch. A twin's evaluations at others' ends are not in its history."""
    data = xor_data()
    seeds = [TrainConfig(hidden=(2,), activation="sigmoid", lr=0.5, seed=s, epochs=1) for s in (3, 8, 11)]
    reqs = [[c.as_train(epochs=e) for c in seeds] for e in (2000, 2605, 3000)] + [[seeds[0].as_train(epochs=500)]]
    kw = dict(eval_every=RETRY_EVAL_EVERY, log_every=10)
    alone = [digest(fit(r, data, **kw)) for r in reqs]
    assert merged_digests(reqs, data, **kw) == alone
    one = fit(reqs[0], data, **kw)[0]
    assert one.history["test_loss"].notna().sum() == 1 and len(one.history) == 200


@pytest.mark.parametrize("kw", [{}, {"eval_every": RETRY_EVAL_EVERY, "log_every": 10}])
def test_a_twin_that_diverges_ends_every_member_still_training_where_alone_it_diverges(kw):
    """Plain SGD on a steep linear target diverges at epoch 7: members of 3, 7 and 50 epochs (with a thinned
    log too: a diverged model's history still ends at the epoch it diverged)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype("float32") * 5
    data = make_dataset(X, (X @ np.array([1.0, 2.0, 3.0])).astype("float32") * 10, task="regression")
    base = TrainConfig(hidden=(4,), activation="identity", lr=0.002, seed=2, epochs=1, loss="mse", optimizer="sgd")
    reqs = [[base.as_train(epochs=e)] for e in (3, 7, 50)] + [[base.as_train(epochs=50, lr=0.0001)]]
    alone = [fit(r, data, **kw) for r in reqs]
    assert [a[0].diverged for a in alone] == [False, True, True, False]  # the case this test is about
    assert alone[2][0].stopped_epoch == 7 and alone[2][0].history.epoch.iloc[-1] == 7
    assert merged_digests(reqs, data, **kw) == [digest(a) for a in alone]


def test_minibatch_twins_with_dropout_share_their_draws_and_end_exactly():
    """Digit Recognizer visitors who change only the epochs: shuffling and dropout masks are each model's own."""
    data = load_data(default_config("digits"))
    base = default_config("digits").replace(patience=0)
    reqs = [[base.replace(epochs=e)] for e in (3, 5, 8)] + [[base.replace(epochs=5, lr=0.01)]]
    alone = [digest(fit(r, data)) for r in reqs]
    assert merged_digests(reqs, data) == alone


def test_models_with_early_stopping_in_their_request_or_one_request_alone_never_share():
    cfg = TrainConfig(hidden=(2,), seed=1, epochs=10)
    a, b = (cfg,), (cfg.as_train(epochs=20),)
    assert group([cfg, b[0]], [a, b]) == [[0, 1]]
    assert group([cfg, b[0]], [a, a]) == [[0], [1]]  # one request: nothing is handed out per model
    p = (cfg.as_train(epochs=20, patience=3),)
    assert group([cfg, p[0]], [a, p]) == [[0], [1]]
    assert group([cfg.as_train(epochs=20, lr=0.3), cfg], [b, a]) == [[0], [1]]


def test_a_split_merged_run_hands_out_twins_per_part(monkeypatch):
    """Runs split over cores keep each request whole in one part; twins share within a part."""
    from core.engine.cores import merged_plan

    monkeypatch.setattr(fitting, "merged_plan", lambda c, d, o: merged_plan(c, d, o, cores=2))
    data = load_data(default_config("digits"))
    base = default_config("digits").replace(patience=0)
    reqs = [[base.replace(epochs=e)] for e in (2, 4, 3, 5)]
    alone = [digest(fit(r, data)) for r in reqs]
    assert merged_digests(reqs, data) == alone


@pytest.mark.parametrize("eval_every", [None, 7])
def test_each_member_keeps_its_own_evaluation_schedule(eval_every):
    """Default schedules depend on a request's epochs (about 200 points): 400 and 1000 epochs evaluate at
    different epochs; each member's history has its own."""
    data = xor_data()
    seeds = [TrainConfig(hidden=(3,), activation="tanh", lr=0.2, seed=s, epochs=1) for s in range(4)]
    reqs = [[c.as_train(epochs=e) for c in seeds] for e in (400, 1000, 999)]
    alone = [fit(r, data, eval_every=eval_every) for r in reqs]
    assert merged_digests(reqs, data, eval_every=eval_every) == [digest(a) for a in alone]
    if eval_every is None:
        h0, h1 = (a[0].history for a in alone[:2])
        assert set(h0.epoch[h0.test_loss.notna()]) != set(h1.epoch[h1.test_loss.notna()][:200])
