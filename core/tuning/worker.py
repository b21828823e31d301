"""Tuning workers: the loop that runs a stored study's trials, and the processes the page starts.

A worker runs trials until the study's budget is done, someone presses Stop, its time is up, it ran
``n_trials``, or it is asked to end (SIGTERM, or its parent process went away): then it finishes the
current epoch, queues that trial's settings again, and leaves no trial RUNNING.

When the database goes away (a restart, a network cut) the worker waits and retries, doubling the
wait from 0.5 s to 8 s, for at most ``retry_s`` seconds ($NNLAB_DB_RETRY_S, default 60); a trial the
outage cut off is failed and its settings queued again once the database is back.

The storage URL reaches a spawned worker through its environment ($NNLAB_STORAGE), never its
command line, where any user of the machine could read the password.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

from core import settings as nn_settings
from core.tuning import optuna_internals as internals
from core.tuning.errors import UNREACHABLE, StorageUnavailable, first_line, is_outage, mask_url
from core.tuning.samplers import make_pruner, make_sampler
from core.tuning.space import grid_size
from core.tuning.storage import default_storage, open_storage
from core.tuning.study import STOP_KEY, StudyInfo, load, study_info
from core.tuning.trial import Interrupted, Surplus, load_data, make_objective, worker_id

ROOT = Path(__file__).resolve().parents[2]
_TERM = {"asked": False, "ready": False}  # asked: set by SIGTERM; ready: the study is open, trials may run


class EndNow(SystemExit):
    """SIGTERM while the worker is still starting: it holds no trial, so it exits at once."""


def ask_to_end(signum: int | None = None, frame: Any = None) -> None:
    """SIGTERM handler: end after the current epoch, as the Stop button does; a worker still starting
    (loading PyTorch and the data, opening the study) has nothing to finish and exits now."""
    _TERM["asked"] = True
    if signum is not None and not _TERM["ready"]:
        raise EndNow(0)


def retry_seconds() -> float:
    """How long a worker keeps retrying an unreachable database: $NNLAB_DB_RETRY_S, default 60 s."""
    try:
        return max(0.0, float(os.environ.get("NNLAB_DB_RETRY_S", "") or 60.0))
    except ValueError:
        return 60.0


class Backoff:
    """Waits between attempts while the database is away: ``first`` s doubling to ``most`` s, for at
    most ``limit`` s from the first failure; then StorageUnavailable."""

    def __init__(self, limit: float, first: float = 0.5, most: float = 8.0) -> None:
        self.limit, self.first, self.most = limit, first, most
        self.since: float | None = None
        self.delay = first

    def reset(self) -> None:
        self.since, self.delay = None, self.first

    def next_wait(self, error: BaseException) -> float:
        now = time.monotonic()
        self.since = self.since if self.since is not None else now
        left = self.limit - (now - self.since)
        if left <= 0:
            raise StorageUnavailable(f"the study's database has been unreachable for {self.limit:.0f} s; "
                                     f"giving up ({first_line(error)})", first_line(error)) from None
        wait, self.delay = min(self.delay, left), min(self.delay * 2, self.most)
        return wait


class Worker:
    """One worker's loop over a stored study (see the module docstring); also the trials' Supervisor."""

    def __init__(self, url: str | None, name: str, n_trials: int | None = None, parent: int | None = None,
                 log: Callable[[str], None] | None = None, retry_s: float | None = None) -> None:
        self.url = (url or default_storage()).strip()
        self.name, self.n_trials, self.parent = name, n_trials or 0, parent
        self.say = log or (lambda s: None)
        self.retry_s = retry_seconds() if retry_s is None else retry_s
        self.study: optuna.Study | None = None
        self.storage: Any = None  # the RDBStorage with this study's heartbeat
        self.sid = -1  # the study's id in that storage
        self.data: Any = None
        self.info: StudyInfo | None = None
        self.check_every, self.last_check, self.stop = 0.5, 0.0, False
        self.ran = 0
        self.current: int | None = None  # the trial this worker is running (to fail it after an outage)
        self.idle_since: float | None = None

    def run(self) -> int:
        """Run until done; returns how many trials this worker ran."""
        backoff = Backoff(self.retry_s)
        while True:
            try:
                if self.study is None:
                    self._open()
                self._recover()
                reason = self._step()
            except Exception as e:
                if not is_outage(e):
                    raise
                wait = backoff.next_wait(e)
                self.say(f"{UNREACHABLE} in {wait:.1f} s ({first_line(e)})")
                if self._pause(wait):
                    self.say("stopped")
                    break
                continue
            backoff.reset()
            if reason is not None:
                if reason:
                    self.say(reason)
                break
        return self.ran

    # ---- the trials' Supervisor ---------------------------------------------------------------
    def surplus(self, trial: optuna.trial.Trial) -> bool:
        """True when the trials numbered before this one already fill the budget (another worker won)."""
        self.current = trial.number
        done = internals.count_states(self.storage, self.sid, below=trial.number)
        taken = done.get("COMPLETE", 0) + done.get("PRUNED", 0) + done.get("RUNNING", 0)
        return taken >= self.info.settings.n_trials

    def should_stop(self) -> bool:
        """SIGTERM, a vanished parent, or the study's stop flag (read at most every ``check_every`` s)."""
        if self.stop or self._told_to_end():
            self.stop = True
            return True
        now = time.monotonic()
        if now - self.last_check >= self.check_every:
            self.last_check = now
            self.stop = bool(self.storage.get_study_user_attrs(self.sid).get(STOP_KEY))
        return self.stop

    # ---- steps --------------------------------------------------------------------------------
    def _told_to_end(self) -> bool:
        return _TERM["asked"] or (self.parent is not None and os.getppid() != self.parent)

    def _open(self) -> None:
        info = self.info = study_info(self.url, self.name)
        self.storage = open_storage(self.url, info.heartbeat)
        self.sid = self.storage.get_study_id_from_name(self.name)
        self.data = load_data(info.settings)
        self.study = load(self.url, self.name, info.heartbeat, sampler=make_sampler(info.space, info.settings),
                          pruner=make_pruner(info.settings))
        self.say(f"worker {worker_id()} on study {self.name!r} ({mask_url(self.url)})")
        _TERM["ready"] = True  # from here a SIGTERM lets the current epoch finish and its trial be queued again

    def _step(self) -> str | None:
        """One turn: run a trial (or wait for others' last ones); a reason to end, '' to end quietly."""
        if self.should_stop():
            return "stopped"
        info = self.info = study_info(self.url, self.name)  # the budget may have been raised by a resume
        if info.deadline is not None and time.time() > info.deadline:
            return "time limit reached"
        if self.n_trials and self.ran >= self.n_trials:
            return ""
        counts = internals.count_states(self.storage, self.sid)
        finished, running = counts.get("COMPLETE", 0) + counts.get("PRUNED", 0), counts.get("RUNNING", 0)
        if info.settings.sampler == "grid" and finished >= grid_size(info.space, info.settings.grid_points):
            return "grid done"
        if finished + running >= info.settings.n_trials:
            return "budget done" if running == 0 else self._wait_for_others()
        self.idle_since = None
        self.study.optimize(make_objective(info, self.data, self), n_trials=1, catch=(Interrupted, Surplus),
                            gc_after_trial=False)
        self.current = None
        self.ran += 1
        return None

    def _wait_for_others(self) -> str | None:
        """Others are finishing the last trials; one of them may be dead: wait, reap, re-check."""
        self.idle_since = self.idle_since or time.monotonic()
        if time.monotonic() - self.idle_since > max(60, 3 * self.info.heartbeat.grace):
            return "the last trials belong to other workers; leaving them to finish"
        time.sleep(min(1.0, self.info.heartbeat.interval))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(self.study)
        return None

    def _recover(self) -> None:
        """After an outage cut a trial off: fail it (if nobody did) and queue its settings again."""
        if self.current is None:
            return
        number, self.current = self.current, None
        trial = self.storage.get_trial(self.storage.get_trial_id_from_study_id_trial_number(self.sid, number))
        if trial.state == optuna.trial.TrialState.RUNNING:
            self.study.tell(number, state=optuna.trial.TrialState.FAIL)
            if trial.params:
                self.study.enqueue_trial(trial.params, user_attrs={"retry_of": number})
            self.say(f"trial {number} was cut off by the database outage: failed, its settings queued again")

    def _pause(self, seconds: float) -> bool:
        """Sleep, waking early (True) when asked to end."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self._told_to_end():
                return True
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))
        return self._told_to_end()


def run_worker(url: str | None, name: str, n_trials: int | None = None, parent: int | None = None,
               log: Callable[[str], None] | None = None, retry_s: float | None = None) -> int:
    """Run trials of a stored study until its budget is done, it is stopped, its time is up, or
    ``n_trials`` trials ran here. Returns how many trials this worker ran."""
    import torch

    prev = torch.get_num_threads()
    torch.set_num_threads(1)  # one core per worker: two workers on two cores, not four threads fighting
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return Worker(url, name, n_trials, parent, log, retry_s).run()
    finally:  # run in-process (a test, a thread): the caller's own runs keep their thread count, and their bits
        torch.set_num_threads(prev)


# ---- worker processes started from the page ----------------------------------------------------
def max_workers() -> int:
    """Worker processes one machine may run: its cores, and the hosted-mode limit."""
    cap = getattr(nn_settings.limits(), "max_workers", 4)
    return max(1, min(os.cpu_count() or 1, cap))


def prune_logs(log_dir: Path, days: float) -> int:
    """Delete worker logs in ``log_dir`` older than ``days`` (0: keep all); returns how many went.

    The retention rule (``core.settings.keep_log_days``), applied when a worker starts."""
    if days <= 0:
        return 0
    cutoff = time.time() - days * 86_400
    gone = 0
    for f in log_dir.glob("*.log"):
        try:
            if f.stat().st_mtime < cutoff:
                f.unlink()
                gone += 1
        except OSError:  # another server's worker pruned it first, or it is still held
            pass
    return gone


def spawn_worker(url: str, name: str, n_trials: int | None = None, parent: int | None = None,
                 log_dir: Path | None = None) -> subprocess.Popen:
    """Start ``python -m core.tuning worker`` as a separate process (returns at once).

    The URL goes in the child's environment (NNLAB_STORAGE), not on its command line.
    """
    log_dir = log_dir or nn_settings.data_dir() / "tuning-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    prune_logs(log_dir, nn_settings.keep_log_days())
    cmd = [sys.executable, "-m", "core.tuning", "worker", "--study", name]
    if n_trials:
        cmd += ["--n-trials", str(n_trials)]
    if parent is not None:
        cmd += ["--parent", str(parent)]
    safe = "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)
    log = open(log_dir / f"{safe}-{int(time.time() * 1000)}.log", "ab")  # noqa: SIM115 (child owns it)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": "1", "NNLAB_STORAGE": url}
    try:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    finally:
        log.close()


def start_workers(url: str, name: str, n: int, parent: int | None = None) -> list[subprocess.Popen]:
    """Start n workers on a study (capped by :func:`max_workers`). The page passes its own pid as
    parent, so its workers end when the app ends (no worker is left running on its own)."""
    n = max(1, min(int(n), max_workers()))
    return [spawn_worker(url, name, parent=parent) for _ in range(n)]


def signal_workers(procs: list[subprocess.Popen]) -> int:
    """Ask worker processes to end (SIGTERM) without waiting: in a trial they finish the epoch and queue it
    again; starting or between trials they exit at once. Returns how many were still running."""
    alive = [p for p in procs if p.poll() is None]
    for p in alive:
        p.send_signal(signal.SIGTERM)
    return len(alive)


def stop_workers(procs: list[subprocess.Popen], timeout: float = 10.0) -> None:
    """Ask worker processes to end (SIGTERM: they finish the current epoch), then make sure."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.time() + timeout
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
