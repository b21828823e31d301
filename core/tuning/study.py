"""A study's life: create (or reopen), stop, resume, delete, and reap the trials of dead workers.

Everything a worker needs is stored in the study itself as user attributes (search space,
settings, heartbeat; the stop flag; the time limit), so a worker anywhere needs only the URL and
the study's name. Every function here raises StorageUnavailable (one line) when the database is away.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import warnings
from dataclasses import dataclass
from typing import Any

import optuna

from core import settings as nn_settings
from core.config import Config, ConfigError
from core.tuning.errors import TuningError, mask_url
from core.tuning.samplers import make_pruner, make_sampler
from core.tuning.space import SearchSpace, StudySettings, check_name
from core.tuning.storage import Heartbeat, default_storage, open_storage, reports_outage
from core.tuning.trial import load_data

META_KEY = "nnlab"  # study user attribute holding the space, settings and heartbeat
STOP_KEY = "nnlab_stop"  # study user attribute: true asks every worker to stop
RUN_KEY = "nnlab_run"  # study user attribute: {"deadline": unix seconds or null, "started": ...}


@dataclass
class StudyInfo:
    """What is stored about a study: its space, settings, heartbeat and run state."""

    name: str
    space: SearchSpace
    settings: StudySettings
    heartbeat: Heartbeat
    stop: bool = False
    deadline: float | None = None


def info_from_attrs(name: str, attrs: dict[str, Any]) -> StudyInfo:
    """A StudyInfo from a study's user attributes; TuningError when they do not describe an NN Lab study."""
    meta = attrs.get(META_KEY)
    if not meta:
        raise TuningError(f"study {name!r} was not made by NN Lab (it has no search space stored)")
    tup = lambda d: {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}  # noqa: E731
    run = attrs.get(RUN_KEY) or {}
    try:
        return StudyInfo(name, SearchSpace(**tup(meta["space"])), StudySettings(**tup(meta["settings"])),
                         Heartbeat(*meta.get("heartbeat", (5, 20))), bool(attrs.get(STOP_KEY)), run.get("deadline"))
    except (ConfigError, TypeError, KeyError, AttributeError) as e:
        raise TuningError(f"study {name!r} stores settings this version cannot use ({e})") from None


def load(url: str | None, name: str, heartbeat: Heartbeat | None = None, **kw: Any) -> optuna.Study:
    """``optuna.load_study`` on our storage; TuningError naming the study when there is none."""
    try:
        return optuna.load_study(study_name=name, storage=open_storage(url, heartbeat), **kw)
    except KeyError:
        raise TuningError(f"there is no study named {name!r} in {mask_url(url or default_storage())}; "
                          "create it on the Hyperparameter Tuner page first (or check the name)") from None


@reports_outage
def list_studies(url: str | None = None) -> list[str]:
    """Names of the studies in a storage, newest first."""
    studies = list(enumerate(open_storage(url).get_all_studies()))

    def created(item: tuple[int, Any]) -> tuple[float, int]:
        meta = item[1].user_attrs.get(META_KEY)
        return (float(meta.get("created", 0.0)) if isinstance(meta, dict) else 0.0, item[0])

    return [s.study_name for _, s in sorted(studies, key=created, reverse=True)]


@reports_outage
def study_info(url: str | None, name: str) -> StudyInfo:
    """The stored description of a study; TuningError if there is no such study."""
    return info_from_attrs(name, load(url, name).user_attrs)


def _describe_difference(a: Config, b: Config) -> str:
    diffs = [f"{f.name} {getattr(a, f.name)!s} there, {getattr(b, f.name)!s} here"
             for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)]
    return "; ".join(diffs[:3])


@reports_outage
def create_study(name: str, space: SearchSpace, st: StudySettings, url: str | None = None,
                 heartbeat: Heartbeat = Heartbeat()) -> StudyInfo:
    """Create a study, or reopen one of that name with the same space and settings (the budget may change).

    Raises TuningError when the name exists with another space or other settings.
    """
    name = check_name(name)
    storage = open_storage(url)
    if st.dataset == "mnist":
        load_data(st)  # fail now, with the reason, rather than in every worker
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        study = None
    if study is not None:
        old = info_from_attrs(name, study.user_attrs)
        if old.space != space:
            raise TuningError(f"a study named {name!r} already exists with another search space "
                              f"({_describe_difference(old.space, space)}); resume it as it is or pick a new name")
        if not old.settings.resumable_with(st):
            raise TuningError(f"a study named {name!r} already exists with other settings "
                              f"({_describe_difference(old.settings, st)}); resume it as it is or pick a new name")
        meta = study.user_attrs[META_KEY]
        meta["settings"] = st.to_dict()
        study.set_user_attr(META_KEY, meta)
    else:
        try:
            study = optuna.create_study(study_name=name, storage=storage, directions=st.directions,
                                        sampler=make_sampler(space, st), pruner=make_pruner(st))
        except optuna.exceptions.DuplicatedStudyError:  # made by someone else a moment ago
            return create_study(name, space, st, url, heartbeat)
        study.set_user_attr(META_KEY, {"version": 1, "space": space.to_dict(), "settings": st.to_dict(),
                                       "heartbeat": [heartbeat.interval, heartbeat.grace],
                                       "created": time.time()})
        prune_studies(url, keep=nn_settings.keep_studies())
    _arm(study, st)
    return info_from_attrs(name, study.user_attrs)


@reports_outage
def prune_studies(url: str | None, keep: int) -> list[str]:
    """Delete the oldest studies beyond the newest ``keep`` (0: keep all); returns the names deleted.

    The retention rule (``core.settings.keep_studies``), applied when a new study starts."""
    if keep <= 0:
        return []
    old = list_studies(url)[keep:]
    storage = open_storage(url)
    for name in old:
        with contextlib.suppress(KeyError):  # deleted by someone else meanwhile
            optuna.delete_study(study_name=name, storage=storage)
    return old


def _arm(study: optuna.Study, st: StudySettings) -> None:
    """Clear the stop flag and set the time limit (counted from now)."""
    deadline = time.time() + st.timeout_min * 60 if st.timeout_min > 0 else None
    study.set_user_attr(RUN_KEY, {"deadline": deadline, "started": time.time()})
    study.set_user_attr(STOP_KEY, False)


@reports_outage
def request_stop(url: str | None, name: str) -> None:
    """Ask every worker of the study (on any machine) to stop after its current epoch."""
    load(url, name).set_user_attr(STOP_KEY, True)


@reports_outage
def resume(url: str | None, name: str, n_trials: int | None = None, timeout_min: float | None = None) -> StudyInfo:
    """Clear the stop flag (optionally with a new budget), so workers may run again.

    Hosted mode prices the study again with its new budget (all its trials, as when it was started) and
    refuses a resume over the caps or the budget (ConfigError naming ``n_trials``, one line)."""
    info = study_info(url, name)
    changes = {k: v for k, v in (("n_trials", n_trials), ("timeout_min", timeout_min)) if v is not None}
    st = info.settings.replace(**changes) if changes else info.settings
    if nn_settings.hosted():
        from core.serve.price import check_study

        too_much = check_study(info.space, st)
        if too_much:
            raise ConfigError("n_trials", too_much)
    return create_study(name, info.space, st, url, info.heartbeat)


@reports_outage
def delete_study(url: str | None, name: str) -> None:
    """Delete a study and its trials."""
    optuna.delete_study(study_name=name, storage=open_storage(url))


@reports_outage
def reap_stale(url: str | None, name: str) -> None:
    """Mark trials whose worker stopped beating as FAIL (what a worker does before each trial)."""
    info = study_info(url, name)
    study = load(url, name, info.heartbeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
