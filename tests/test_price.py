"""The price of a request (work, memory) from its workload alone, the budget check, and the one door."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core import settings
from core.datasets import FEATURES
from core.digits import default_config
from core.digits.workload import digits_shape
from core.engine import TrainConfig
from core.explorer import CompareConfig, DepthConfig
from core.serve import price as P
from core.serve.cost import BASE_BYTES
from core.serve.workload import DataShape, Price
from core.tuning import SearchSpace
from core.xor import SeedStudyConfig, XorCompareConfig
from core.xor.playground import PlaygroundConfig

HOSTED = settings.HOSTED


def test_every_pages_default_run_fits_the_hosted_budget():
    import core.architectures as ar
    import core.backprop as bp
    import core.hyperparameters as hp

    sample = (4000, 1000)  # the shared MNIST sample's training and test rows
    sweeps = [cls() for cls in hp.SWEEP_TYPES.values()]
    for cfg, data in [(default_config("digits"), None), (default_config("mnist"), sample), (CompareConfig(), None),
                      (DepthConfig(), None), (SeedStudyConfig(), None), (XorCompareConfig(), None),
                      (PlaygroundConfig(), None), (ar.ShapesConfig(), None), (ar.ShapesConfig(dataset="spiral"), None),
                      (ar.ApproxConfig(), None), (bp.BackpropConfig(step=bp.jobs.MAX_STEP), None),
                      *[(s, None) for s in sweeps]]:
        assert P.check(cfg, data, HOSTED) is None, (cfg, P.request_price(cfg, data))


def test_a_digits_link_within_every_cap_is_refused_by_its_price():
    """Issue 13: batch 1, 2,000 epochs, twelve 256-wide layers passed every cap and trained for hours."""
    cfg = default_config("digits").replace(batch_size=1, epochs=2000, hidden=(256,) * 12)
    from core.serve.caps import check_request

    assert check_request(cfg, HOSTED) is None  # the caps alone let it through
    msg = P.check(cfg, lim=HOSTED)
    assert msg is not None and "\n" not in msg
    assert msg.startswith("about ") and "of CPU; this server allows 60 s per run" in msg
    assert "fewer epochs" in msg and "a larger batch" in msg


def test_an_explorer_link_within_every_cap_is_refused():
    """Issue 13: an Activation Explorer link within every cap ran for about a day."""
    cfg = CompareConfig(hidden=(256,) * 6, n_seeds=20, epochs=500, batch_size=1,
                        functions=("relu", "tanh", "sigmoid", "gelu"))
    from core.serve.caps import check_request

    assert check_request(cfg, HOSTED) is None
    assert P.request_price(cfg).seconds > 3600
    assert "this server allows 60 s per run" in P.check(cfg, lim=HOSTED)


def test_memory_over_budget_names_memory():
    cfg = default_config("mnist")  # all of MNIST with four augmented copies: gigabytes
    p = P.request_price(cfg)
    assert p.peak_bytes > 2e9
    msg = P.over_budget(Price(1.0, p.peak_bytes, 0, 0, 1), cfg.workload(), HOSTED)
    assert "MB of memory; this server allows 400 MB per run" in msg and "fewer augmented copies" in msg


def test_price_grows_with_the_work():
    base = P.request_price(TrainConfig(hidden=(64,), epochs=10, batch_size=64))
    assert P.request_price(TrainConfig(hidden=(64,), epochs=100, batch_size=64)).seconds > 5 * base.seconds - 5
    assert P.request_price(TrainConfig(hidden=(64,), epochs=10, batch_size=1)).steps > 50 * base.steps
    assert P.request_price(TrainConfig(hidden=(1024,), epochs=10, batch_size=64)).peak_bytes > base.peak_bytes
    many = P.request_price([TrainConfig(hidden=(64,), epochs=10, batch_size=64, seed=s) for s in range(10)])
    assert many.models == 10 and many.macs == pytest.approx(10 * base.macs)


def test_augmented_copies_and_rows_are_priced():
    d0 = digits_shape(default_config("digits").replace(augment_copies=0))
    d4 = digits_shape(default_config("digits").replace(augment_copies=4))
    assert d4.n_train == 5 * d0.n_train and d4.data_bytes - d0.data_bytes >= 2 * 4 * 64 * 4 * d0.n_train
    lim = digits_shape(default_config("mnist").replace(train_limit=1000))
    assert lim.n_train == 900 * 5


def test_laptop_has_no_budget():
    cfg = default_config("digits").replace(batch_size=1, epochs=2000, hidden=(256,) * 12)
    assert P.check(cfg, lim=settings.LAPTOP) is None


def test_a_study_is_priced_as_its_trials():
    from core.tuning import StudySettings

    assert P.check_study(SearchSpace(), StudySettings(), HOSTED) is None
    one = P.workload_price(StudySettings(n_trials=1).workload(SearchSpace()))
    ten = P.workload_price(StudySettings(n_trials=10).workload(SearchSpace()))
    assert ten.seconds == pytest.approx(10 * one.seconds)
    big = SearchSpace(width_min=64, width_max=256, layers_max=8, batch_sizes=(16,))
    msg = P.check_study(big, StudySettings(n_trials=100, epochs=200), HOSTED)
    assert msg is not None and "this server allows" in msg


def test_price_of_a_dataset_is_its_shape():
    import numpy as np

    from core.datasets import make_dataset

    X = np.zeros((100, 5), np.float32)
    y = np.zeros(100, np.int64)
    shape = P.shape_of(make_dataset(X, y, X[:20], y[:20], task="multiclass", n_classes=3))
    assert (shape.n_train, shape.n_features, shape.n_outputs, shape.n_eval) == (100, 5, 3, 20)


# ---- the run guard (ui.common) refuses before the body runs ----------------------------------------
class Stopped(Exception):
    pass


def test_run_guard_refuses_an_over_budget_run_before_it_starts(monkeypatch):
    from ui import common

    shown: list[str] = []
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(common, "_script_ctx", lambda: SimpleNamespace(session_id="s1", yield_check=lambda: None))
    monkeypatch.setattr(common.st, "error", lambda msg, **kw: shown.append(msg))
    monkeypatch.setattr(common.st, "stop", lambda: (_ for _ in ()).throw(Stopped()))
    big = default_config("digits").replace(batch_size=1, epochs=2000, hidden=(256,) * 12)
    ran = []
    with pytest.raises(Stopped), common._trainer_guard([big]):
        ran.append(1)
    assert not ran and len(shown) == 1 and "this server allows 60 s per run" in shown[0]
    with common._trainer_guard([default_config("digits")]):  # the default passes (and queues)
        ran.append(1)
    assert ran == [1]
    shown.clear()
    with pytest.raises(Stopped):
        common.check_request(CompareConfig(hidden=(256,) * 6, n_seeds=20, epochs=500, batch_size=1))
    assert len(shown) == 1


def test_enforce_checks_the_caps_only(monkeypatch):
    """Widgets check the caps (one line naming the field); the price is checked once, at the door."""
    from core.serve import caps

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    caps.enforce(CompareConfig(hidden=(256,) * 6, n_seeds=20, epochs=500, batch_size=1))  # over budget, within caps
    with pytest.raises(caps.LimitError) as e:
        caps.enforce(CompareConfig(hidden=(300,)))
    assert e.value.field == "hidden"


def test_cached_results_prices_the_request_before_queueing(monkeypatch):
    from ui import common

    shown, computed = [], []
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(common, "_script_ctx", lambda: SimpleNamespace(session_id="s2", yield_check=lambda: None))
    monkeypatch.setattr(common.st, "error", lambda msg, **kw: shown.append(msg))
    monkeypatch.setattr(common.st, "stop", lambda: (_ for _ in ()).throw(Stopped()))
    monkeypatch.setattr(common.queue, "slot", lambda *a, **k: (_ for _ in ()).throw(AssertionError("queued")))
    monkeypatch.setattr(common, "memo", lambda: common.Memo(4))
    monkeypatch.setattr(common, "disk_cache", lambda: SimpleNamespace(get=lambda key: None))
    big = CompareConfig(hidden=(256,) * 6, n_seeds=20, epochs=500, batch_size=1)
    with pytest.raises(Stopped):
        common.cached_results("k" * 20, lambda: computed.append(1), request=big)
    assert len(shown) == 1 and not computed


def counting(monkeypatch) -> tuple[list, list]:
    """(workloads priced, training slots entered), recorded from now on."""
    from core.serve import queue

    priced: list = []
    slots: list = []
    price_of, slot = P.workload_price, queue.FairQueue.slot
    monkeypatch.setattr(P, "workload_price", lambda w: priced.append(w) or price_of(w))
    monkeypatch.setattr(queue.FairQueue, "slot",
                        lambda q, sid, on_wait=None: slots.append(sid) or slot(q, sid, on_wait))
    return priced, slots


@pytest.mark.parametrize("merge", ["0", "1"])
def test_one_digits_request_is_priced_once_and_takes_one_slot(monkeypatch, tmp_path, merge):
    """The Digit Recognizer's Train button, as the page runs it (widgets, ui.digits.obtain, the engine with the
    app's run guard): one pricing, one slot. It was priced three times and took the slot twice, nested.
    Merging on: the visitor's request is priced once at the door, and the merged run it joins once, as a whole."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setenv("NNLAB_MERGE", merge)
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    priced, slots = counting(monkeypatch)

    def page() -> None:
        from core.digits import default_config
        from core.engine.guard import set_run_guard
        from ui import common, widgets
        from ui.digits import obtain

        set_run_guard(common._trainer_guard)
        try:
            import os

            epochs = 3 + int(os.environ["NNLAB_MERGE"])  # each case its own run (not the other's, cached)
            cfg = widgets.widget_config(lambda: default_config("digits").replace(epochs=epochs, augment_copies=0),
                                        None)
            results = obtain([cfg], None, True, "train")
            import streamlit as st

            st.write(f"trained {len(results or [])}")
        finally:
            set_run_guard(None)

    at = AppTest.from_function(page, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "trained 1" in " ".join(m.value for m in at.markdown)
    if merge == "0":
        assert len(priced) == 1 and len(slots) == 1 and not slots[0].startswith("merged:"), (priced, slots)
    elif slots and slots[0].startswith("merged:"):  # the door's price, then the merged run's, as a whole
        assert len(priced) == 2 and len(priced[1].stacks) == 1 and len(slots) == 1, (priced, slots)
        assert len(priced[1].stacks[0].models) == 1  # this visitor was alone in its batch
    else:  # a run the engine cannot merge bit for bit trains in its own slot
        assert len(priced) == 1 and len(slots) == 1, (priced, slots)
    assert len(priced[0].stacks) == 1 and len(slots) == 1


@pytest.mark.parametrize("merge", ["0", "1"])
def test_a_link_to_the_activation_explorer_is_priced_once(monkeypatch, tmp_path, merge):
    """The Effect-on-learning tab opened from a link, as the app runs it: one pricing (at the door) and one slot.
    The page priced a link's comparison and depth study itself as well, then the door priced it again.
    Merging on (every activation stacks exactly): the door's price, then the merged run's as a whole."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from core.engine import guard

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setenv("NNLAB_MERGE", merge)
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(guard, "_current", [None])  # app.py installs the guard; restored after the test
    link = {"tab": "learn", "c_functions": "relu,tanh", "c_n_seeds": "1", "c_hidden": "8", "c_epochs": "2",
            "c_dataset": "gauss", "c_first_seed": str(7321 + int(merge))}  # seeds no other test trains: not cached
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=300)
    for k, v in link.items():
        at.query_params[k] = v
    at.run()
    priced, slots = counting(monkeypatch)
    at.switch_page("app_pages/activation_explorer.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "2 models" in " ".join(c.value for c in at.caption)  # it trained
    if merge == "1":
        assert slots[0].startswith("merged:") and len(priced) == 2 and len(slots) == 1, (priced, slots)
        assert len(priced[1].stacks) == 1 and len(priced[1].stacks[0].models) == 2  # this visitor's two models
    else:
        assert len(priced) == 1 and len(slots) == 1 and not slots[0].startswith("merged:"), (priced, slots)


def test_a_run_nobody_priced_is_priced_at_the_guard_once_per_stack(monkeypatch):
    """A door without a request (a page that did not say what it trains): each stack priced as it starts,
    in the one slot the door holds."""
    from ui import common

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(common, "_script_ctx", lambda: SimpleNamespace(session_id="s3", yield_check=lambda: None))
    priced, slots = counting(monkeypatch)
    with common.admitted():
        for epochs in (10, 20):
            with common._trainer_guard([TrainConfig(epochs=epochs)]):
                pass
    assert len(priced) == 2 and len(slots) == 1
    priced.clear()
    slots.clear()
    # priced at the door: the guard inside prices nothing
    with common.admitted(CompareConfig()), common._trainer_guard(CompareConfig().train_configs()):
        pass
    assert len(priced) == 1 and len(slots) == 1


def test_a_request_asked_again_for_each_of_its_stacks_is_priced_once(monkeypatch):
    """Network Shapes asks for its request at each shape's door: priced the first time only (until it changes)."""
    import core.architectures as ar
    from ui import common

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(common, "_script_ctx", lambda: SimpleNamespace(session_id="s4", yield_check=lambda: None))
    priced, slots = counting(monkeypatch)
    cfg = ar.ShapesConfig(epochs=3)
    for _ in ar.SHAPES:
        with common.admitted(cfg):
            pass
    assert len(priced) == 1 and len(slots) == len(ar.SHAPES)
    with common.admitted(cfg.replace(epochs=4)):
        pass
    assert len(priced) == 2


def test_a_stack_is_priced_on_the_data_its_configs_name():
    """What the run guard sees (a list of configs) is priced on the data they name."""
    pg = PlaygroundConfig()
    assert P.request_price([pg]).macs == P.request_price(pg).macs
    m = default_config("mnist")
    assert P.request_price([m]).peak_bytes == P.request_price(m).peak_bytes > 2e9
    assert P.request_price([TrainConfig()]).macs == P.request_price(TrainConfig()).macs


# ---- When to Use: scikit-learn's models and the engine's MLP on tables and uploads -------------------------
def test_every_when_to_use_default_is_priced_and_fits_the_hosted_budget():
    import core.when_to_use as wtu

    for cfg in (wtu.DuelConfig(), wtu.ScalingConfig(), wtu.NoiseConfig(), wtu.CurveConfig()):
        table = wtu.load_table(cfg.dataset)
        p = P.request_price(cfg, table)
        assert 1.0 < p.seconds < 10 and 30e6 < p.peak_bytes < 100e6, (cfg.kind, p)  # measured 1.3-3.3 s of CPU
        assert P.request_price(cfg).seconds == pytest.approx(p.seconds, rel=1e-3)  # known without loading it
        assert P.check(cfg, table, HOSTED) is None, cfg.kind


def test_the_largest_upload_on_the_default_models_is_refused_with_one_line():
    """Issue 13: 5,000 rows x 198 columns, 20 classes, the four models: gradient boosting alone took 55 s of CPU."""
    import core.when_to_use as wtu

    cfg = wtu.DuelConfig(dataset="csv")
    upload = DataShape(5000, 198, 20, levels=10.0)  # single-digit values: what fits in the 2 MB cap
    msg = P.check(cfg, upload, HOSTED)
    assert msg is not None and "\n" not in msg
    assert msg.startswith("about ") and "of CPU; this server allows 60 s per run: " in msg
    assert "fewer models (gradient boosting costs the most here)" in msg and "a smaller CSV" in msg
    assert P.check(cfg.replace(models=("forest", "mlp")), upload, HOSTED) is None  # without it, it runs
    assert P.check(cfg, upload, settings.LAPTOP) is None
    # an upload not read yet is priced as the largest the caps allow
    assert P.request_price(cfg).seconds >= P.request_price(cfg, upload).seconds


def test_when_to_use_price_grows_with_the_request():
    import core.when_to_use as wtu

    shape = DataShape(1000, 20, 3)
    price = lambda cfg, data=shape: P.request_price(cfg, data).seconds  # noqa: E731
    base = wtu.DuelConfig(models=("forest",), folds=3)
    assert price(base, DataShape(4000, 20, 3)) > 2 * price(base)  # rows
    assert price(base, DataShape(1000, 180, 3)) > 1.5 * price(base)  # columns (the sqrt of them per split)
    assert price(base.replace(folds=5)) > price(base)
    assert price(base.replace(models=("forest", "boosting"))) > price(base)
    boost = base.replace(models=("boosting",))
    assert price(boost, DataShape(1000, 20, 20)) > 5 * price(boost)  # one tree per class and round
    assert price(base, DataShape(1000, 20, 1)) > 2 * price(base)  # a regression forest tries every feature
    noise = wtu.NoiseConfig(dataset="wine", ks=(0, 20))
    assert price(noise.replace(ks=(0, 500))) > 2 * price(noise)
    assert price(noise.replace(rotate=True)) > 1.5 * price(noise)
    curve = wtu.CurveConfig(dataset="digits")
    assert price(curve.replace(fractions=(0.05, 0.15, 0.4, 0.7, 1.0))) > price(curve)
    sk = base.replace(models=("sk_mlp",))
    p = P.request_price(sk, shape)
    assert p.likely_seconds < p.seconds  # priced to max_iter; it likely stops sooner


def test_a_table_is_priced_by_its_shape():
    import core.when_to_use as wtu

    wine, diabetes = wtu.load_table("wine"), wtu.load_table("diabetes")
    from core.when_to_use.workload import table_data

    cfg = wtu.DuelConfig()
    assert table_data(cfg, wine) == DataShape(178, 13, 3, levels=wine.levels)
    assert table_data(cfg, diabetes).n_outputs == 1  # a regression target
    wine_cfg = cfg.replace(dataset="wine")  # known without loading it (its levels rounded)
    assert P.request_price(wine_cfg, wine).seconds == pytest.approx(P.request_price(wine_cfg).seconds, rel=1e-3)


# ---- the Digit Recognizer's scikit-learn baseline ----------------------------------------------------
def test_the_sklearn_baseline_is_priced_before_it_fits(monkeypatch):
    """The Compare tab's MLPClassifier: on the 8x8 digits it fits the hosted budget; on all of MNIST it is
    refused in one line naming the training rows; a train limit brings it back under."""
    from core import digits

    lim = settings.HOSTED
    assert P.check(digits.sklearn_request("digits"), lim=lim) is None
    full = digits.sklearn_request("mnist", (60_000, 10_000))
    assert (full.n_train, full.n_features, full.n_test) == (60_000, 784, 10_000)
    msg = P.check(full, lim=lim)
    assert msg and "this server allows 60 s per run: fewer training rows." in msg and msg.count(".") == 1
    assert P.check(digits.sklearn_request("mnist", (60_000, 10_000), train_limit=2_000), lim=lim) is None
    assert P.request_price(full).seconds > 20 * P.request_price(digits.sklearn_request("digits")).seconds


def test_the_page_refuses_the_sklearn_baseline_before_any_fit(monkeypatch, tmp_path):
    """Hosted, all of MNIST (headers alone): the page's sklearn_run says why in one line and never fits."""
    from streamlit.testing.v1 import AppTest

    from tests.test_hosted import full_size_headers

    folder = full_size_headers(tmp_path / "mnist")
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path / "data"))

    def page(folder: str) -> None:
        from ui import digits as ud

        ud.sklearn_run("mnist", folder, 0)

    def no_fit(*a, **k):
        raise AssertionError("fitted")

    from core import digits
    monkeypatch.setattr(digits, "sklearn_baseline", no_fit)  # AppTest runs the script in this process
    at = AppTest.from_function(page, args=(str(folder),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(str(e.value) for e in at.error)
    assert "this server allows 60 s per run: fewer training rows" in said


# ---- the model against what was measured (CPU seconds and peak RSS growth, 2026-12-05, NNLAB_HOSTED=1) ----
def _playground(K: int, L: int, H: int, B: int, epochs: int = 1) -> PlaygroundConfig:
    """The seven features of 2,000 points (1,800 train, 200 test)."""
    return PlaygroundConfig(hidden=(H,) * L, n_seeds=K, batch_size=B, n_points=2000, train_frac=0.9,
                            features=FEATURES, epochs=epochs)


@pytest.mark.parametrize("K, L, H, B, measured_ms", [  # one epoch: 1,800 rows in steps of B, then one evaluation
    (1, 1, 4, 10, 10.8), (1, 6, 32, 10, 24.1), (10, 3, 32, 50, 25.4), (100, 1, 4, 10, 50), (100, 6, 4, 10, 161),
    (100, 6, 32, 10, 626)])
def test_a_playground_epoch_costs_what_it_measured_as_layers_and_models_grow(K, L, H, B, measured_ms):
    """Small steps of many models cost per layer and model, not only per multiply-add: 100 models of six
    layers of 32 took 2.5 ms a step (priced 1.0 ms), of six layers of 4 0.74 ms (priced 0.13 ms)."""
    epoch = P.request_price(_playground(K, L, H, B, 101)).seconds - P.request_price(_playground(K, L, H, B)).seconds
    assert 0.67 < epoch / 100 / (measured_ms / 1e3) < 1.5


def test_memory_counts_the_final_pass_not_each_evaluations_every_model():
    """The Playground at every cap peaked at +171-174 MB (priced 341): evaluations take few models, the last all."""
    assert 0.67 < P.request_price(_playground(100, 6, 32, 10, 242)).peak_bytes / 172e6 < 1.5


def test_the_loads_own_copies_and_the_training_are_not_held_at_once():
    """The MNIST sample's load peaked at +153 MB (arrays, augmented copies), its training at +171 MB: priced
    as the larger of the two (as their sum it was 363 MB, 2.1x)."""
    cfg, shape = TrainConfig(hidden=(64,), epochs=1), lambda n: DataShape(1000, 64, 10, 100, n, loading_bytes=n)
    peak = [P.request_price([cfg], shape(n)).peak_bytes for n in (0, 10**3, 10**9)]
    training = peak[0] - BASE_BYTES - shape(0).tensor_bytes  # weights, a step, the final pass
    assert peak[1] == peak[0] and peak[2] == peak[0] - training + 10**9
    assert 0.67 < P.request_price(default_config("mnist"), (4000, 1000)).peak_bytes / 172e6 < 2


def test_a_study_holds_the_digits_it_read_and_boosting_the_histograms_of_its_open_leaves():
    """The tuner's default held +103-107 MB (scikit-learn's digits, then its trials: priced 36 MB); the
    noise probes' largest link +70 MB (boosting keeps a leaf's histograms only until it splits: priced 145)."""
    from core import when_to_use as wtu
    from core.tuning import StudySettings

    assert 0.67 < P.workload_price(StudySettings(n_trials=10).workload(SearchSpace())).peak_bytes / 105e6 < 1.5
    cfg = wtu.NoiseConfig(dataset="breast_cancer", ks=(0, 100, 500), rotate=True,
                          models=("forest", "boosting", "mlp", "sk_mlp"), folds=3)
    assert 0.67 < P.request_price(cfg, wtu.load_table("breast_cancer")).peak_bytes / 70e6 < 1.5
