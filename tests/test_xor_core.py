"""XOR Lab core: the perceptron rule, the NumPy network's gradients, the seed study, the Playground."""

import numpy as np
import pytest
import torch

from core import datasets, xor
from core.engine.models import Perceptron
from core.xor import claims as xc
from core.xor.playground import PlaygroundConfig, export_script, make_points, new_trainer, surface
from core.xor.scratch import ScratchNet, solves_many


def test_perceptron_rule_single_update():
    p = Perceptron(2, lr=0.1, seed=0)
    p.w = np.array([0.0, 0.0])
    p.b = 0.0
    h = p.fit(np.array([[1.0, 1.0]]), np.array([1.0]), epochs=1)
    # z = 0 -> output 0, error 1: w += 0.1 * 1 * x, b += 0.1
    np.testing.assert_allclose(h.weights[1], [0.1, 0.1])
    assert h.bias[1] == pytest.approx(0.1) and h.errors == [1]


def test_perceptron_learns_and_or_nand_but_never_xor():
    for gate in ("AND", "OR", "NAND"):
        h, p = xor.run_perceptron(xor.PerceptronConfig(gate=gate, epochs=100))
        assert h.converged and h.errors[-1] == 0
        X, y = datasets.gate(gate)
        assert (p.predict(X) == y).all()
    h, _ = xor.run_perceptron(xor.PerceptronConfig(gate="XOR", epochs=1000))
    assert not h.converged and len(h.errors) == 1000 and min(h.errors) > 0
    assert xor.best_linear_accuracy("XOR") == 0.75 and xor.best_linear_accuracy("AND") == 1.0


def test_perceptron_line_is_inside_the_box_and_on_the_boundary():
    h, _ = xor.run_perceptron(xor.PerceptronConfig(gate="AND"))
    lines = xor.perceptron_lines(h)
    last = lines[lines.epoch == len(h.errors)]
    w, b = h.weights[-1], h.bias[-1]
    assert len(last) == 2
    for _, r in last.iterrows():
        assert -0.5 - 1e-9 <= r.x1 <= 1.5 + 1e-9 and -0.5 - 1e-9 <= r.x2 <= 1.5 + 1e-9
        assert w[0] * r.x1 + w[1] * r.x2 + b == pytest.approx(0, abs=1e-9)


def test_numpy_gradients_match_autograd_float64():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(7, 2))
    y = (rng.random((7, 1)) > 0.5).astype(np.float64)
    net = ScratchNet(2, 5, seed=1)
    grads = net.backward(net.forward(X), y)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.params().items()}
    Xt, yt = torch.tensor(X), torch.tensor(y)
    a1 = torch.sigmoid(Xt @ params["W1"] + params["b1"])
    a2 = torch.sigmoid(a1 @ params["W2"] + params["b2"])
    loss = -(yt * torch.log(a2) + (1 - yt) * torch.log(1 - a2)).mean()
    loss.backward()
    for k, p in params.items():
        rel = np.abs(grads[k] - p.grad.numpy()).max() / max(np.abs(p.grad.numpy()).max(), 1e-12)
        assert rel < 1e-6, (k, rel)


def test_numpy_network_solves_xor_with_the_tutorials_settings():
    X, y = datasets.gate("XOR")
    net = ScratchNet(2, 4, seed=42)
    h = net.fit(X, y, lr=0.5, epochs=2000)
    assert h.loss[-1] < h.loss[0] / 5
    assert ((net.predict_proba(X) > 0.5) == (y > 0.5)).all()


def test_compare_gives_both_nets_and_every_hidden_unit():
    r = xor.run_xor_compare(xor.XorCompareConfig(hidden=3, numpy_epochs=50, torch_epochs=40), grid_steps=11)
    assert set(r.losses.net.str.split(" ").str[0]) == {"NumPy", "PyTorch"}
    assert r.hidden.groupby("net").unit.nunique().to_dict() == {"NumPy": 3, "PyTorch": 3}
    assert len(r.surface) == 2 * 11 * 11 and r.surface.p.between(0, 1).all()


def test_seed_study_counts_solved_and_diagnoses_failures():
    cfg = xor.SeedStudyConfig(n_seeds=20, epochs=300)
    res = xor.run_seed_study(cfg)
    ok = xor.solved(res)
    assert len(res) == 20 and 0 < ok.sum() < 20  # at 300 epochs some seeds are not there yet
    k = int(np.flatnonzero(~ok)[0])
    d = xor.diagnose(res[k])
    assert d["wrong"] and xc.seed_symptoms(d).startswith("- Wrong on")
    assert set(d["units"].unit) == {"h1", "h2", "h3", "h4"} and len(d["units"]) == 16


def test_a_seed_study_keeps_every_fifth_epoch_and_the_same_results():
    """The study's histories are thinned (STUDY_LOG_EVERY), its models and final numbers are those of a run that
    keeps every epoch."""
    from core.engine import fit
    from core.xor.jobs import STUDY_LOG_EVERY

    cfg = xor.SeedStudyConfig(n_seeds=6, epochs=1003)
    res = xor.run_seed_study(cfg)
    X, y = datasets.gate("XOR")
    full = fit(cfg.train_configs(), datasets.make_dataset(X, y, task="binary"))
    for r, f in zip(res, full):
        e, ef = r.history_columns()["epoch"], f.history_columns()["epoch"]
        assert len(ef) == 1003 and set(e) <= set(ef) and e[-1] == 1003 and len(e) < 1003 // 4
        assert all(k % STUDY_LOG_EVERY == 0 for k in e[:-1])  # the study evaluates every 5th epoch too
        assert r.metrics == f.metrics
        assert all(torch.equal(r.state[k], f.state[k]) for k in f.state)
        loss = dict(zip(ef, f.history_columns()["train_loss"]))
        assert all(loss[k] == v for k, v in zip(e, r.history_columns()["train_loss"]))


def test_playground_every_set_trains_and_reset_repeats():
    for name in datasets.TOY_SETS:
        cfg = PlaygroundConfig(dataset=name, epochs=3, n_seeds=2, features=("x1", "x2", "x1x2"))
        pts = make_points(cfg)
        tr = new_trainer(cfg, pts)
        tr.run()
        assert tr.epoch == 3 and np.isfinite(tr.history().train_loss).all()
        again = new_trainer(cfg, pts)
        again.run()
        torch.testing.assert_close(tr.flat, again.flat)  # seeded reset: same start, same end
    assert len(surface(tr, cfg, 1, steps=10)) == 100


def test_exported_script_runs_and_predicts_like_the_trainer():
    cfg = PlaygroundConfig(dataset="circle", epochs=20, features=("x1", "x2", "x1sq", "x2sq"), hidden=(3,))
    pts = make_points(cfg)
    tr = new_trainer(cfg, pts)
    tr.run()
    src = export_script(tr.results()[0], cfg)
    ns: dict = {}
    exec(compile(src, "exported.py", "exec"), ns)
    F = torch.as_tensor(datasets.features(np.array([[1.5, -2.0]], dtype=np.float32), cfg.features))
    assert ns["predict"](1.5, -2.0) == pytest.approx(float(tr.predict(F)[0, 0, 0]), abs=1e-5)


def test_csv_points_parse_and_reject_garbage():
    X, y, reg = datasets.points_from_csv(b"x1,x2,label\n0,0,0\n1,1,1\n2,0,1\n0,2,0\n")
    assert X.shape == (4, 2) and not reg and np.abs(X).max() <= datasets.EXTENT
    for bad, why in ((b"", "no rows"), (b"a,b\n1,2\n", "3 columns"), (b"1,2\n3,4\n5,6\n7,8\n", "3 columns"),
                     (b"\xff\xfe", "UTF-8"), (b"1,2,nan\n" * 5, "NaN"), (b"1,2,x\n" * 5, "could not read")):
        with pytest.raises(ValueError, match=why):
            datasets.points_from_csv(bad)


def test_numpy_seeds_at_once_match_one_at_a_time():
    X, y = datasets.gate("XOR")
    seeds = [0, 7, 29, 42]  # 7 and 29 fail at the tutorial's settings
    alone = []
    for s in seeds:
        net = ScratchNet(2, 4, s)
        net.fit(X, y, 0.5, 2000)
        alone.append(bool(((net.predict_proba(X) > 0.5) == (y > 0.5)).all()))
    assert solves_many(seeds, X, y).tolist() == alone == [True, False, False, True]


def test_rule_text_writes_each_sign_once():
    assert xor.rule_text(np.array([0.2, -0.01]), -0.3) == "output 1 when 0.200·x1 − 0.010·x2 − 0.300 > 0"
    assert xor.rule_text(np.array([-0.0001, 0.5]), 0.0) == "output 1 when 0.000·x1 + 0.500·x2 + 0.000 > 0"
    assert "+ -" not in xor.rule_text(np.array([-1.0, -1.0]), -1.0)


def test_diagnosis_speaks_of_more_epochs_only_when_it_tried_them():
    cfg = xor.SeedStudyConfig(n_seeds=20)
    res = xor.run_seed_study(cfg)
    failed = [i for i, ok in enumerate(xor.solved(res)) if not ok]
    assert failed  # seeds 12 and 16 fail at the tutorial's settings
    plain = xor.diagnose(res[failed[0]])
    assert plain["longer_epochs"] is None and xc.seed_more_epochs(plain) == ""
    assert "more epochs" not in " ".join([xc.seed_symptoms(plain), xc.seed_flat(plain)])
    longer = xor.retry_longer(cfg, res, factor=2)
    assert set(longer) == set(failed) and all(r.config.epochs == 2 * cfg.epochs for r in longer.values())
    told = xc.seed_more_epochs(xor.diagnose(res[failed[0]], longer[failed[0]]))
    assert ("does solve" in told) == bool(xor.solved([longer[failed[0]]])[0]) == told.holds
    k = int(xor.solved(list(longer.values())).sum())
    assert xor.retry_sentence(cfg, longer, 2).startswith(f"Trained 2x longer (2,000 epochs), {k} of the {len(failed)}")
    assert xor.retry_sentence(cfg, {}) == ""


def test_longer_runs_are_measured_at_their_end_only_with_the_numbers_of_the_default_schedule():
    """The retry evaluates at each model's last epoch only (RETRY_EVAL_EVERY): its final numbers and weights are
    those of the default schedule, and every visitor's retry has one merge key whatever its epochs."""
    from core.engine import fit
    from core.serve.merge import merge_key

    cfg = xor.SeedStudyConfig(n_seeds=20, epochs=300)
    res = xor.run_seed_study(cfg)
    longer = xor.retry_longer(cfg, res, factor=2)
    assert longer
    data = datasets.make_dataset(*datasets.gate("XOR"), task="binary")
    again = fit([r.config for r in longer.values()], data)  # the default schedule: evaluated every epoch here
    for r, a in zip(longer.values(), again):
        assert r.metrics == a.metrics and all(torch.equal(r.state[k], a.state[k]) for k in r.state)
        assert r.history["test_loss"].notna().sum() == 1  # measured once, at the end
        # its curve keeps one epoch in 2 (and the last), as the full run's: the run logged only those (log_every)
        h = a.history
        kept = h[(h.epoch % 2 == 0) | (h.index == len(h) - 1)].reset_index(drop=True)
        assert r.history.epoch.tolist() == kept.epoch.tolist()
        assert r.history.train_loss.tolist() == kept.train_loss.tolist()
    other = [c.replace(epochs=900) for c in (r.config for r in longer.values())]
    key = merge_key([r.config for r in longer.values()], data, xor.RETRY_EVAL_EVERY, xor.RETRY_FACTOR)
    assert merge_key(other, data, xor.RETRY_EVAL_EVERY, xor.RETRY_FACTOR) == key


def test_a_seed_studys_models_are_made_once_and_each_caller_gets_its_own_list():
    from core.xor.jobs import SeedStudyConfig

    cfg = SeedStudyConfig(n_seeds=5, first_seed=3, lr=0.2)
    a, b = cfg.train_configs(), cfg.train_configs()
    assert [c.seed for c in a] == [3, 4, 5, 6, 7] and all(c.lr == 0.2 and c.epochs == cfg.epochs for c in a)
    assert a == b and a is not b and all(x is y for x, y in zip(a, b))  # made once
    a.pop()
    assert len(cfg.train_configs()) == 5  # a caller's list is its own
    assert SeedStudyConfig(n_seeds=5, first_seed=3, lr=0.3).train_configs()[0].lr == 0.3
