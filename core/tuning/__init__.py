"""Hyperparameter search with Optuna: search space, seeded samplers, pruners, storage, workers.

A *study* is an Optuna study in a storage URL (a SQLite file in the data folder by default, or any
SQLAlchemy URL such as PostgreSQL, so workers on many machines share it). Everything a worker needs
is stored in the study itself (search space, settings, heartbeat), so a worker is just

    NNLAB_STORAGE=URL python -m core.tuning worker --study NAME [--n-trials N]

The parts, in the order a study goes through them:

- ``space``: SearchSpace and StudySettings (frozen configs; caps declared on their fields), names
- ``samplers``: samplers seeded per trial, and the pruners
- ``storage``: open_storage (SQLite WAL, PostgreSQL), URLs shown masked, StorageUnavailable on outages
- ``study``: create / resume / stop / delete a study, reap trials of dead workers
- ``trial``: the data, a trial's TrainConfig, the objective
- ``worker``: the worker loop (retries an unreachable database), worker processes, SIGTERM
- ``owners``: who may stop, resume or delete a study (hosted: only the session that started it)
- ``read``: StudyFrame for the views, curves, importance, the Digit Recognizer link
- ``filters``: TrialFilter and apply_filter (one filter for every view)
- ``charts``: the views' Altair charts; ``cli``: ``python -m core.tuning worker|list``
- ``optuna_internals``: the only place that knows Optuna beyond its public API

``from core import tuning; tuning.X`` reaches everything the page, tests and benchmarks use.
"""

from __future__ import annotations

from core import settings as nn_settings
from core.tuning.cli import main
from core.tuning.errors import UNREACHABLE, StorageUnavailable, TuningError, mask_url
from core.tuning.filters import TrialFilter, apply_filter, param_bounds, trial_mask
from core.tuning.owners import (
    OWNER_KEY,
    NotOwner,
    claim,
    delete_as,
    may_control,
    owner_of,
    owner_token,
    resume_as,
    stop_as,
)
from core.tuning.read import (
    DIGITS_URL_PATH,
    SLOW_POLL_S,
    STATE_ORDER,
    StudyFrame,
    digits_link,
    digits_query,
    is_active,
    param_importance,
    poll_seconds,
    read_study,
    trial_curve,
)
from core.tuning.samplers import make_pruner, make_sampler
from core.tuning.space import (
    BATCH_SIZES,
    DATASETS,
    OBJECTIVE_LABELS,
    OBJECTIVES,
    PARAMS,
    PRUNER_LABELS,
    PRUNERS,
    SAMPLER_LABELS,
    SAMPLERS,
    TUTORIAL_TABLE,
    SearchSpace,
    StudySettings,
    check_name,
    grid_size,
)
from core.tuning.storage import Heartbeat, close_storages, default_storage, open_storage
from core.tuning.study import (
    META_KEY,
    RUN_KEY,
    STOP_KEY,
    StudyInfo,
    create_study,
    delete_study,
    list_studies,
    reap_stale,
    request_stop,
    resume,
    study_info,
)
from core.tuning.trial import CURVE_COLUMNS, MNIST_MAX_TRAIN, load_data, make_objective, train_config, worker_id
from core.tuning.worker import (
    max_workers,
    retry_seconds,
    run_worker,
    signal_workers,
    spawn_worker,
    start_workers,
    stop_workers,
)

__all__ = [
    "OWNER_KEY", "NotOwner", "TrialFilter", "apply_filter", "claim", "delete_as", "may_control", "owner_of",
    "owner_token", "param_bounds", "resume_as", "stop_as", "trial_mask",
    "BATCH_SIZES", "CURVE_COLUMNS", "DATASETS", "DIGITS_URL_PATH",
    "OBJECTIVES", "OBJECTIVE_LABELS", "META_KEY", "MNIST_MAX_TRAIN", "PARAMS",
    "PRUNERS", "PRUNER_LABELS", "RUN_KEY", "SAMPLERS", "SAMPLER_LABELS", "SLOW_POLL_S", "STATE_ORDER", "STOP_KEY",
    "TUTORIAL_TABLE", "UNREACHABLE", "Heartbeat", "SearchSpace", "StorageUnavailable", "StudyFrame",
    "StudyInfo", "StudySettings", "TuningError", "check_name", "close_storages", "create_study",
    "default_storage", "delete_study", "digits_link", "digits_query", "grid_size", "is_active", "list_studies",
    "load_data", "main", "make_objective", "make_pruner", "make_sampler", "mask_url", "max_workers",
    "nn_settings", "open_storage", "param_importance", "poll_seconds", "read_study", "reap_stale", "request_stop",
    "resume", "retry_seconds", "run_worker", "signal_workers", "spawn_worker", "start_workers", "stop_workers",
    "study_info", "train_config", "trial_curve", "worker_id",
]
