"""Everything NN Lab knows about Optuna's storage beyond its public API, in one place.

Checked against Optuna 5.0.0 (``optuna.storages.RDBStorage``, schema of ``optuna/storages/_rdb/models.py``).
When Optuna is upgraded, re-check this file and nothing else: the rest of ``core.tuning`` uses
public API only (``optuna.load_study``, ``Study``/``Trial`` methods, and the documented ``BaseStorage``
methods such as ``get_study_id_from_name``, ``get_study_user_attrs``, ``get_trial``).

Why each is needed:
- ``RDBStorage.engine`` (an attribute without a leading underscore, but undocumented): SQLite's WAL
  pragma is set on its connections, and the two queries below run on it.
- Optuna's tables (``trials``, ``trial_values``, ``trial_params``, ``trial_user_attributes``,
  ``trial_intermediate_values``; a trial's state stored as its TrialState name):
  - :func:`count_states`: a worker counts trials per state before every trial (and a trial counts the
    ones numbered below it, to know whether another worker took the last slot). The public
    ``BaseStorage.get_n_trials`` loads every trial object to count them (RDBStorage does not override it).
  - :func:`study_rows`: the page reads a 10,000-trial study in four queries, well under a second;
    ``study.get_trials()`` builds a Python object per trial with every attribute.
- ``Trial._trial_id`` and ``Trial.storage``: :func:`report` stores a multi-objective trial's per-epoch
  accuracy as an intermediate value, as ``Trial.report`` does for one objective (it refuses two), so
  the page's learning curves read every study the same way.
- ``optuna.storages._rdb.models`` (private module): only :func:`rdb_models`, for the benchmark's fixture
  that bulk-inserts a made-up 10,000-trial study (bench/fake_study.py). Never used by the app.
"""

from __future__ import annotations

from typing import Any

import optuna
import sqlalchemy

CHECKED_WITH = "5.0.0"


def engine(storage: optuna.storages.RDBStorage) -> sqlalchemy.engine.Engine:
    """The SQLAlchemy engine an RDBStorage talks through."""
    return storage.engine


def count_states(storage: optuna.storages.RDBStorage, study_id: int, below: int | None = None) -> dict[str, int]:
    """Trials per state name in one small query (optionally only trial numbers below ``below``)."""
    sql = "SELECT state, COUNT(*) FROM trials WHERE study_id = :sid"
    args: dict[str, Any] = {"sid": study_id}
    if below is not None:
        sql += " AND number < :below"
        args["below"] = below
    with engine(storage).connect() as c:
        rows = c.execute(sqlalchemy.text(sql + " GROUP BY state"), args).fetchall()
    return {state_name(s): int(n) for s, n in rows}


def state_name(state: Any) -> str:
    """'COMPLETE' from however the driver returns the state column (a string or an enum)."""
    return str(getattr(state, "name", state)).split(".")[-1]


ATTR_KEYS = ("worker", "surplus", "interrupted", "metrics", "pruned_at")  # small trial attributes the views use


def study_rows(storage: optuna.storages.RDBStorage, study_id: int, with_curves: bool = True) -> dict[str, list[tuple]]:
    """The raw rows of one study, as the driver's plain tuples (building Row objects costs seconds).

    trials: (trial_id, number, state, start, end, value, value2) by number (value2: a second objective's,
    else None); params: (trial_id, name, internal
    value, distribution JSON); attrs: (trial_id, key, value JSON) for :data:`ATTR_KEYS`; curves:
    (trial_id, step, value), empty unless ``with_curves``.
    """
    keys = ", ".join(f"'{k}'" for k in ATTR_KEYS)
    sqls = {
        "trials": "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete, v.value, w.value "
                  "FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
                  "LEFT JOIN trial_values w ON w.trial_id = t.trial_id AND w.objective = 1 "
                  "WHERE t.study_id = :sid ORDER BY t.number",
        "params": "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trial_params p "
                  "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = :sid",
        "attrs": "SELECT a.trial_id, a.key, a.value_json FROM trial_user_attributes a "
                 f"JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = :sid AND a.key IN ({keys})",
        "curves": "SELECT i.trial_id, i.step, i.intermediate_value FROM trial_intermediate_values i "
                  "JOIN trials t ON t.trial_id = i.trial_id WHERE t.study_id = :sid",
    }
    if not with_curves:
        del sqls["curves"]
    out: dict[str, list[tuple]] = {"curves": []}
    with engine(storage).connect() as c:
        for key, sql in sqls.items():
            res = c.execute(sqlalchemy.text(sql), {"sid": study_id})
            cur = getattr(res, "cursor", None)
            out[key] = list(cur.fetchall()) if cur is not None else [tuple(r) for r in res.fetchall()]
    return out


def report(trial: optuna.trial.Trial, value: float, step: int) -> None:
    """Store ``value`` at ``step`` as the trial's intermediate value (Trial.report's storage call)."""
    trial.storage.set_trial_intermediate_value(trial._trial_id, int(step), float(value))


def rdb_models() -> Any:
    """Optuna's table classes (``optuna.storages._rdb.models``), for bulk-inserting fake studies."""
    from optuna.storages._rdb import models

    return models
