"""A benchmark fixture: a made-up NN Lab study of thousands of finished trials, written in seconds.

    from bench.fake_study import populate_fake
    populate_fake("sqlite:///tmp/f.db", "fake", 10_000)

For timing the views (bench/tuning.py) and testing them on big studies, never for results. It writes
Optuna's tables with bulk inserts (through core.tuning.optuna_internals, the one place that knows them).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import optuna

from core import settings as nn_settings
from core import tuning
from core.tuning import optuna_internals as internals


def _draw(space: tuning.SearchSpace, n: int, epochs: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Parameters (internal representations), a smooth made-up accuracy, states and stopping epochs."""
    lr = np.exp(rng.uniform(np.log(space.lr_low), np.log(space.lr_high), n))
    layers = rng.integers(space.layers_min, space.layers_max + 1, n)
    width = np.exp(rng.uniform(np.log(space.width_min), np.log(space.width_max), n)).round().astype(int)
    drop = rng.uniform(space.dropout_low, space.dropout_high, n)
    cols = {"lr": lr, "layers": layers, "width": width, "batch_size": rng.integers(0, len(space.batch_sizes), n),
            "activation": rng.integers(0, len(space.activations), n), "dropout": drop,
            "optimizer": np.zeros(n, dtype=int)}
    final = np.clip(0.97 - 0.05 * (np.log10(lr) + 2.5) ** 2 - 0.08 * drop ** 2 - 0.01 * layers
                    + 0.01 * np.log2(width / 16) / 3 + rng.normal(0, 0.01, n), 0.05, 0.995)
    state = np.where(rng.random(n) < 0.35, "PRUNED", "COMPLETE")
    state[rng.random(n) < 0.01] = "FAIL"
    stop = np.where(state == "PRUNED", rng.integers(1, max(2, epochs // 2), n), epochs)
    stop[state == "FAIL"] = 1
    return {"cols": cols, "final": final, "state": state, "stop": stop}


def populate_fake(url: str | None, name: str, n: int, epochs: int = 10, seed: int = 0, workers: int = 4) -> None:
    """Write ``n`` made-up finished trials into a new NN Lab study with bulk inserts (seconds for 10,000).

    Accuracies follow a smooth made-up function of the parameters plus noise; about a third of the
    trials are pruned part-way, a few failed.
    """
    models = internals.rdb_models()
    space = tuning.SearchSpace()
    st = tuning.StudySettings(n_trials=min(n, nn_settings.limits().max_trials), epochs=epochs, seed=seed)
    tuning.create_study(name, space, st, url)
    storage = tuning.open_storage(url)
    sid = storage.get_study_id_from_name(name)
    rng = np.random.default_rng(seed)
    d = _draw(space, n, epochs, rng)
    cols, final, state, stop = d["cols"], d["final"], d["state"], d["stop"]
    t0 = datetime(2026, 1, 1, 9, 0, 0)
    dur = rng.uniform(0.5, 3.0, n) * stop / epochs
    starts = [t0 + timedelta(seconds=float(s)) for s in np.cumsum(dur) / workers]
    ends = [s + timedelta(seconds=float(x)) for s, x in zip(starts, dur)]
    TS = optuna.trial.TrialState
    tt = models.TrialModel.__table__
    with internals.engine(storage).begin() as c:
        base = len(c.execute(tt.select().where(tt.c.study_id == sid)).fetchall())
        c.execute(tt.insert(), [
            {"number": base + i, "study_id": sid, "state": TS[state[i]], "datetime_start": starts[i],
             "datetime_complete": ends[i]} for i in range(n)])
        ids = dict(c.execute(tt.select().with_only_columns(tt.c.number, tt.c.trial_id).where(
            tt.c.study_id == sid)).fetchall())
        dj = {k: optuna.distributions.distribution_to_json(v) for k, v in space.distributions().items()}
        c.execute(models.TrialParamModel.__table__.insert(), [
            {"trial_id": ids[base + i], "param_name": p, "param_value": float(cols[p][i]), "distribution_json": dj[p]}
            for i in range(n) for p in tuning.PARAMS])
        c.execute(models.TrialValueModel.__table__.insert(), [
            {"trial_id": ids[base + i], "objective": 0, "value": float(final[i]),
             "value_type": models.TrialValueModel.TrialValueType.FINITE}
            for i in range(n) if state[i] == "COMPLETE"])
        finite = models.TrialIntermediateValueModel.TrialIntermediateValueType.FINITE
        ivs = []
        for i in range(n):
            e = np.arange(1, stop[i] + 1)
            curve = final[i] * (1 - np.exp(-e / 2.5)) + rng.normal(0, 0.005, len(e))
            ivs += [{"trial_id": ids[base + i], "step": int(k), "intermediate_value": float(v),
                     "intermediate_value_type": finite} for k, v in zip(e, curve)]
        c.execute(models.TrialIntermediateValueModel.__table__.insert(), ivs)
        c.execute(models.TrialUserAttributeModel.__table__.insert(), [
            {"trial_id": ids[base + i], "key": "worker", "value_json": json.dumps(f"fake:{i % workers}")}
            for i in range(n)])
