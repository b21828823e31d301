"""Reading a study for the views: trials and curves in a few queries, importance, and the link that
trains a trial's settings on the Digit Recognizer."""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd

from core.config import ConfigError
from core.engine import TrainConfig
from core.tuning import optuna_internals as internals
from core.tuning.errors import TuningError, mask_url
from core.tuning.notes import notes_from_attrs
from core.tuning.owners import OWNER_KEY
from core.tuning.space import PARAMS, StudySettings
from core.tuning.storage import default_storage, open_storage, reports_outage
from core.tuning.study import StudyInfo, info_from_attrs
from core.tuning.trial import CURVE_COLUMNS, MNIST_MAX_TRAIN, train_config

# INTERRUPTED is ours, not Optuna's: a trial that Stop (or SIGTERM) ended after an epoch is stored as FAIL
# with an ``interrupted`` attribute and its settings queued again; it did not fail, so it is not counted as failed.
STATE_ORDER = ("COMPLETE", "PRUNED", "RUNNING", "INTERRUPTED", "FAIL", "WAITING")
DIGITS_URL_PATH = "digits"  # the Digit Recognizer's url_path in app.py


@dataclass
class StudyFrame:
    """A study read in a few queries: one row per trial, and the per-epoch validation curves.

    trials: number, state, value, value2 (a second objective's, NaN for one), start, end, duration_s, worker,
    interrupted, epochs, last, test_acc, + one column per param.
    ``state`` is Optuna's, except INTERRUPTED for a FAIL that a stop ended.
    curves: number, epoch, val_acc (long form; running trials included).
    owner: the stored owner token (a session hash) or None. note, trial_notes: the notes kept in the storage.
    """

    name: str
    trials: pd.DataFrame
    curves: pd.DataFrame
    params: list[str]
    info: StudyInfo | None = None
    read_seconds: float = 0.0
    owner: str | None = None
    note: str = ""  # the study's note
    trial_notes: dict[int, str] = dataclasses.field(default_factory=dict)  # trial number -> its note

    @property
    def counts(self) -> dict[str, int]:
        vc = self.trials["state"].value_counts()
        return {s: int(vc.get(s, 0)) for s in STATE_ORDER}

    def best(self) -> pd.Series | None:
        done = self.trials[self.trials["state"] == "COMPLETE"].dropna(subset=["value"])
        if done.empty:
            return None
        return done.loc[done["value"].idxmax()]

    def best_params(self) -> dict[str, Any] | None:
        b = self.best()
        return None if b is None else {p: _plain(b[p]) for p in self.params if p in b and pd.notna(b[p])}


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


_DIST_CACHE: dict[str, Any] = {}


def _external_many(dist_json: str, values: np.ndarray) -> list[Any]:
    """Internal representations -> the values trials saw (vectorised per distribution)."""
    d = _DIST_CACHE.get(dist_json)
    if d is None:
        d = _DIST_CACHE[dist_json] = optuna.distributions.json_to_distribution(dist_json)
    if isinstance(d, optuna.distributions.CategoricalDistribution):
        choices = np.array(d.choices, dtype=object)
        return list(choices[values.astype(int)])
    if isinstance(d, optuna.distributions.IntDistribution):
        return list(values.round().astype(np.int64))
    return list(values)


@reports_outage
def read_study(url: str | None, name: str, with_curves: bool = True) -> StudyFrame:
    """The study's trials in four queries straight from Optuna's tables (no per-trial objects).

    10,000 trials read in well under a second, where ``study.get_trials()`` builds a Python
    object per trial with every attribute.
    """
    t0 = time.perf_counter()
    storage = open_storage(url)
    try:
        sid = storage.get_study_id_from_name(name)
    except KeyError:
        raise TuningError(f"there is no study named {name!r} in {mask_url(url or default_storage())}") from None
    rows = internals.study_rows(storage, sid, with_curves)
    attrs = storage.get_study_user_attrs(sid)
    try:
        info = info_from_attrs(name, attrs)
    except TuningError:
        info = None
    owner = attrs.get(OWNER_KEY)
    trials = _trials(rows["trials"])
    trials, names = _with_params(trials, rows["params"])
    trials = _with_attrs(trials, rows["attrs"])
    trials, curves = _with_curves(trials, rows["curves"], with_curves)
    trials = trials.drop(columns=["trial_id"])
    note, trial_notes = notes_from_attrs(attrs)
    return StudyFrame(name, trials, curves, names, info, time.perf_counter() - t0,
                      owner if isinstance(owner, str) else None, note, trial_notes)


def _trials(rows: list[tuple]) -> pd.DataFrame:
    trials = pd.DataFrame(rows, columns=["trial_id", "number", "state", "start", "end", "value", "value2"])
    trials["state"] = trials["state"].map(internals.state_name)
    trials["value"] = pd.to_numeric(trials["value"], errors="coerce")
    trials["value2"] = pd.to_numeric(trials["value2"], errors="coerce")
    for col in ("start", "end"):
        trials[col] = pd.to_datetime(trials[col])
    trials["duration_s"] = (trials["end"] - trials["start"]).dt.total_seconds()
    return trials


def _with_params(trials: pd.DataFrame, rows: list[tuple]) -> tuple[pd.DataFrame, list[str]]:
    """One column per parameter, holding the value the trial saw (a category index -> the choice)."""
    params = pd.DataFrame(rows, columns=["trial_id", "param", "value", "dist"])
    if not len(params):
        return trials, []
    ext = pd.Series(index=params.index, dtype=object)
    for dj, idx in params.groupby("dist").groups.items():  # a handful of distinct distributions
        ext[idx] = _external_many(dj, params.loc[idx, "value"].to_numpy(dtype=float))
    params["ext"] = ext
    wide = params.pivot(index="trial_id", columns="param", values="ext")
    names = [p for p in PARAMS if p in wide.columns] + sorted(set(wide.columns) - set(PARAMS))
    trials = trials.join(wide[names], on="trial_id")
    for p in names:
        nums = pd.to_numeric(trials[p], errors="coerce")
        if nums.notna().sum() == trials[p].notna().sum():
            trials[p] = nums
    return trials, names


def _with_attrs(trials: pd.DataFrame, rows: list[tuple]) -> pd.DataFrame:
    """The small attributes (worker, test accuracy, interrupted); surplus attempts dropped."""
    extra: dict[str, dict[int, Any]] = {k: {} for k in ("worker", "surplus", "interrupted", "metrics")}
    for tid, key, vj in rows:
        if key in extra:
            extra[key][tid] = json.loads(vj)
    workers = extra["worker"]
    trials["worker"] = [str(workers.get(i, "")) for i in trials["trial_id"]]
    metrics = extra["metrics"]
    trials["test_acc"] = trials["trial_id"].map({k: m.get("test_acc") for k, m in metrics.items()})
    trials["interrupted"] = trials["trial_id"].map(extra["interrupted"])
    trials.loc[(trials["state"] == "FAIL") & trials["interrupted"].notna(), "state"] = "INTERRUPTED"
    surplus = trials["trial_id"].isin(list(extra["surplus"]))
    return trials[~surplus].reset_index(drop=True)


def _with_curves(trials: pd.DataFrame, rows: list[tuple], with_curves: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long-form validation curves, and each trial's epochs and last value."""
    curves = pd.DataFrame(rows, columns=["trial_id", "epoch", "val_acc"])
    if with_curves and len(curves):
        curves = curves.merge(trials[["trial_id", "number"]], on="trial_id")
        curves = curves[["number", "epoch", "val_acc"]].sort_values(["number", "epoch"]).reset_index(drop=True)
        by = curves.groupby("number")
        trials["epochs"] = trials["number"].map(by["epoch"].max()).fillna(0).astype(int)
        trials["last"] = trials["number"].map(by["val_acc"].last())
    else:
        curves = pd.DataFrame({"number": pd.Series(dtype=int), "epoch": pd.Series(dtype=int),
                               "val_acc": pd.Series(dtype=float)})
        trials["epochs"] = 0
        trials["last"] = np.nan
    return trials, curves


@reports_outage
def trial_curve(url: str | None, name: str, number: int) -> pd.DataFrame:
    """One trial's full learning curve (its ``curve`` attribute): epoch + CURVE_COLUMNS."""
    storage = open_storage(url)
    try:
        t = storage.get_trial(storage.get_trial_id_from_study_id_trial_number(
            storage.get_study_id_from_name(name), number))
    except KeyError:
        raise TuningError(f"there is no trial {number} in a study named {name!r}") from None
    curve = t.user_attrs.get("curve") or {}
    df = pd.DataFrame({c: pd.to_numeric(pd.Series(curve.get(c, [])), errors="coerce") for c in CURVE_COLUMNS})
    df.insert(0, "epoch", np.arange(1, len(df) + 1))
    return df


def is_active(frame: StudyFrame, live_workers: int = 0) -> bool:
    """True while the study is going: trials running, or workers alive that have budget left."""
    c = frame.counts
    if c["RUNNING"] > 0:
        return True
    if frame.info is None or frame.info.stop:
        return False
    return live_workers > 0 and c["COMPLETE"] + c["PRUNED"] < frame.info.settings.n_trials


FAST_POLL_S, SLOW_POLL_S = 2.0, 15.0  # the page's refresh while a study runs, and otherwise


def poll_seconds(frame: StudyFrame, live_workers: int = 0) -> float:
    """How often the page re-reads a study: every 2 s while it is active or while this server's workers on it
    are still alive (after Stop they end their epoch and exit: the page shows them go), else every 15 s."""
    return FAST_POLL_S if live_workers > 0 or is_active(frame, live_workers) else SLOW_POLL_S


def param_importance(frame: StudyFrame, max_trials: int = 600) -> dict[str, float]:
    """Each varying parameter's importance by Optuna's PED-ANOVA evaluator (fast on big studies).

    Uses up to ``max_trials`` completed trials (an even sample) in an in-memory copy of the study.
    Empty when fewer than 4 trials completed.
    """
    if frame.info is None:
        return {}
    done = frame.trials[frame.trials["state"] == "COMPLETE"].dropna(subset=["value"])
    varying = [p for p in frame.info.space.varying() if p in done.columns]
    if len(done) < 4 or not varying:
        return {}
    if len(done) > max_trials:
        done = done.iloc[np.linspace(0, len(done) - 1, max_trials).round().astype(int)]
    all_dists = frame.info.space.distributions()
    dists = {p: all_dists[p] for p in varying}
    trials = []
    for row in done.itertuples(index=False):
        r = row._asdict()
        try:
            ps = {p: _plain(r[p]) for p in varying}
            trials.append(optuna.trial.create_trial(params=ps, distributions=dists, value=float(r["value"])))
        except (ValueError, KeyError):
            continue  # a value outside today's distribution (cannot happen for NN Lab studies)
    if len(trials) < 4:
        return {}
    mem = optuna.create_study(direction="maximize")
    mem.add_trials(trials)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            imp = optuna.importance.get_param_importances(
                mem, evaluator=optuna.importance.PedAnovaImportanceEvaluator(), params=varying)
        except (RuntimeError, ValueError, ZeroDivisionError):
            return {}
    return {k: float(v) for k, v in imp.items()}


def digits_link(params: dict[str, Any], st: StudySettings) -> str:
    """``/digits?...``: the Digit Recognizer on these settings (its config's own URL keys)."""
    from urllib.parse import urlencode

    return f"/{DIGITS_URL_PATH}?" + urlencode(digits_query(params, st))


def digits_query(params: dict[str, Any], st: StudySettings) -> dict[str, str]:
    """The Digit Recognizer's URL query params for a trial's settings (``DigitsConfig.to_query()``)."""
    cfg = train_config(params, st)
    try:
        from core.digits import DigitsConfig  # the Digit Recognizer's job config (a TrainConfig)
    except ImportError:
        return _explicit_query(cfg)
    names = {f.name for f in dataclasses.fields(DigitsConfig)}
    values = {k: v for k, v in cfg.to_dict().items() if k in names}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    extra = {"dataset": st.dataset, "val_fraction": st.val_fraction,
             "train_limit": MNIST_MAX_TRAIN if st.dataset == "mnist" else 0}
    values.update({k: v for k, v in extra.items() if k in names})
    try:
        return DigitsConfig(**values).to_query()
    except (ConfigError, TypeError, ValueError):
        return _explicit_query(cfg)


def _explicit_query(cfg: TrainConfig) -> dict[str, str]:
    keys = ("hidden", "activation", "optimizer", "lr", "batch_size", "dropout", "epochs", "seed")
    full = TrainConfig(**{k: getattr(cfg, k) for k in keys})
    q = full.to_query()
    for k in keys:  # every key explicit: the other page's defaults may differ from TrainConfig's
        if k not in q:
            v = getattr(cfg, k)
            q[k] = ",".join(str(x) for x in v) if isinstance(v, tuple) else (
                repr(v) if isinstance(v, float) else str(v))
    return q
