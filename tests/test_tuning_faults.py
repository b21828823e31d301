"""Tuning faults (issue 13): a database outage, secrets on command lines and in logs, crafted inputs,
shutdown. Real worker processes; the outage test stops and restarts a real PostgreSQL mid-study."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from core import settings, tuning
from core.config import ConfigError
from core.tuning.worker import Backoff
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[1]
SMALL = tuning.SearchSpace(lr_low=1e-3, lr_high=0.05, layers_min=1, layers_max=2, width_min=8, width_max=32,
                           batch_sizes=(32,), activations=("relu", "tanh"), dropout_low=0.0, dropout_high=0.3)


def _wait(cond, timeout: float, every: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(every)
    raise AssertionError("timed out waiting")


def _worker(url: str, name: str, *extra: str, env: dict | None = None) -> subprocess.Popen:
    """A real worker process, given the URL through its environment as the page gives it."""
    env = {**os.environ, "NNLAB_STORAGE": url, **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "core.tuning", "worker", "--study", name, *extra], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _running(url: str, name: str, min_epochs: int = 1):
    def check():
        t = tuning.read_study(url, name).trials
        return ((t["state"] == "RUNNING") & (t["epochs"] >= min_epochs)).any()
    return check


# ---- crafted inputs: a ConfigError naming the field, never a crash later --------------------------
@pytest.mark.parametrize(("changes", "field"), [
    ({"lr_low": 0.2, "lr_high": 0.1}, "lr_low"),
    ({"layers_min": 3, "layers_max": 2}, "layers_min"),
    ({"width_min": 64, "width_max": 32}, "width_min"),
    ({"dropout_low": 0.5, "dropout_high": 0.1}, "dropout_low"),
    ({"batch_sizes": (48,)}, "batch_sizes"),
    ({"batch_sizes": (0,)}, "batch_sizes"),
    ({"batch_sizes": (64, 64)}, "batch_sizes"),
    ({"batch_sizes": ()}, "batch_sizes"),
    ({"activations": ("softmax",)}, "activations"),
])
def test_crafted_space_names_the_field(changes, field):
    with pytest.raises(ConfigError) as e:
        tuning.SearchSpace(**changes)
    assert e.value.field == field


def test_an_empty_space_names_a_field_that_fixes_it():
    fixed = dict(lr_low=0.01, lr_high=0.01, layers_min=2, layers_max=2, width_min=32, width_max=32,
                 batch_sizes=(64,), activations=("relu",), dropout_low=0.2, dropout_high=0.2)
    with pytest.raises(ConfigError, match="empty") as e:
        tuning.SearchSpace(**fixed)
    assert e.value.field in {f for pair in (("lr_low", "lr_high"),) for f in pair}
    # the same from a link: that field falls back to its default, the rest is kept
    space, notices = tuning.SearchSpace.from_query({f"s_{k}": (",".join(map(str, v)) if isinstance(v, tuple)
                                                                 else str(v)) for k, v in fixed.items()}, "s_")
    assert space.varying() and len(notices) == 1 and "empty" in notices[0]
    # every range fixed at its top: widening needs the low end
    top = tuning.SearchSpace(lr_low=1.0, lr_high=1.0, layers_min=8, layers_max=8, width_min=1024, width_max=1024,
                             batch_sizes=(64, 128)).replace
    with pytest.raises(ConfigError) as e:
        top(batch_sizes=(64,), activations=("relu",), dropout_low=0.9, dropout_high=0.9)
    assert e.value.field == "lr_low"


def test_batch_sizes_offered_are_the_fields_choices():
    assert tuning.SearchSpace.limits("batch_sizes")["choices"] == tuning.BATCH_SIZES
    assert set(tuning.SearchSpace().batch_sizes) <= set(tuning.BATCH_SIZES)


def test_caps_come_from_the_fields(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    lim = settings.limits()
    for kwargs, field in (({"width_max": lim.max_width * 2}, "width_max"),
                          ({"layers_max": 8, "layers_min": 1}, None)):
        if field is None:
            tuning.SearchSpace(**kwargs)  # within the hosted cap of layers
            continue
        with pytest.raises(ConfigError, match="more than the limit here") as e:
            tuning.SearchSpace(**kwargs)
        assert e.value.field == field
    with pytest.raises(ConfigError, match=f"more than the limit here \\({lim.max_epochs:,}\\)") as e:
        tuning.StudySettings(epochs=lim.max_epochs + 1)
    assert e.value.field == "epochs"


def test_a_stored_study_this_version_cannot_read_is_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    tuning.create_study("old", SMALL, tuning.StudySettings(n_trials=2, epochs=1), url)
    import optuna

    study = optuna.load_study(study_name="old", storage=tuning.open_storage(url))
    meta = study.user_attrs[tuning.META_KEY]
    meta["space"]["batch_sizes"] = [7]  # a batch size no longer offered
    study.set_user_attr(tuning.META_KEY, meta)
    with pytest.raises(tuning.TuningError, match="cannot use"):
        tuning.study_info(url, "old")
    assert tuning.read_study(url, "old").info is None  # the views still open


def test_two_upside_down_ranges_in_a_link_fall_back():
    space, notices = tuning.SearchSpace.from_query(
        {"s_layers_min": "3", "s_layers_max": "2", "s_width_min": "100", "s_width_max": "50"}, "s_")
    assert len(notices) == 2 and space.layers_min <= space.layers_max and space.width_min <= space.width_max


# ---- the storage URL stays secret ---------------------------------------------------------------
def test_spawned_worker_gets_the_url_from_its_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'secret-place.db'}"
    tuning.create_study("env", SMALL, tuning.StudySettings(sampler="random", pruner="none", n_trials=1, epochs=2),
                        url)
    logs = tmp_path / "logs"
    p = tuning.spawn_worker(url, "env", log_dir=logs)
    try:
        cmdline = Path(f"/proc/{p.pid}/cmdline").read_bytes().decode(errors="replace")
        assert "secret-place" not in cmdline and "--storage" not in cmdline
        assert p.wait(120) == 0
    finally:
        p.kill()
    [log] = logs.glob("*.log")
    assert "ran 1 trials" in log.read_text()
    assert (tuning.read_study(url, "env").trials["state"] == "COMPLETE").sum() == 1


@pytest.mark.postgres
def test_a_password_never_reaches_a_command_line_or_a_log(postgres_url, tmp_path):
    # the test server trusts 127.0.0.1, so it accepts (and ignores) any password
    url = postgres_url.replace("://nnlab@", "://nnlab:pw-s3cret@")
    name = f"pw-{uuid.uuid4().hex[:8]}"
    tuning.create_study(name, SMALL, tuning.StudySettings(sampler="random", pruner="none", n_trials=1, epochs=2),
                        url)
    logs = tmp_path / "logs"
    p = tuning.spawn_worker(url, name, log_dir=logs)
    try:
        assert b"pw-s3cret" not in Path(f"/proc/{p.pid}/cmdline").read_bytes()
        assert p.wait(120) == 0
    finally:
        p.kill()
    text = "".join(Path(f).read_text() for f in glob.glob(str(logs / "*.log")))
    assert "nnlab:***@" in text and "pw-s3cret" not in text
    with pytest.raises(tuning.TuningError) as e:
        tuning.read_study(url, "no-such-study")
    assert "pw-s3cret" not in str(e.value)


# ---- shutdown: Stop and SIGTERM leave no trial RUNNING ---------------------------------------------
def test_sigterm_leaves_no_trial_running(tmp_path):
    url = f"sqlite:///{tmp_path / 'term.db'}"
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=3, epochs=100, seed=4)
    tuning.create_study("term", SMALL, st, url)
    w = _worker(url, "term")
    try:
        _wait(_running(url, "term", 2), 120, 0.1)
        tuning.stop_workers([w], timeout=60)
        out = w.stdout.read()
    finally:
        w.kill()
    assert w.returncode == 0 and "stopped" in out, out
    t = tuning.read_study(url, "term").trials
    assert not (t["state"] == "RUNNING").any()
    assert t["interrupted"].notna().sum() == 1 and (t["state"] == "WAITING").sum() == 1  # queued for a resume


def test_sigterm_while_a_worker_is_starting_ends_it_at_once(monkeypatch):
    """Stop used to wait for a starting worker to load PyTorch and the data before it read the flag."""
    import signal

    from core.tuning import worker

    monkeypatch.setitem(worker._TERM, "asked", False)
    monkeypatch.setitem(worker._TERM, "ready", False)
    with pytest.raises(worker.EndNow) as e:  # still starting: it holds no trial, so it ends now
        worker.ask_to_end(signal.SIGTERM, None)
    assert e.value.code == 0 and worker._TERM["asked"]
    monkeypatch.setitem(worker._TERM, "ready", True)  # running trials: the epoch ends first (the test above)
    worker.ask_to_end(signal.SIGTERM, None)
    assert worker._TERM["asked"]


def test_the_page_polls_fast_until_its_stopped_workers_are_gone(tmp_path):
    """After Stop the study is no longer active at once; the page then polled every 15 s, so its workers
    showed as alive for up to 15 s after they had exited."""
    url = f"sqlite:///{tmp_path / 'poll.db'}"
    tuning.create_study("poll", SMALL, tuning.StudySettings(n_trials=3, epochs=2), url)
    frame = tuning.read_study(url, "poll")
    assert tuning.poll_seconds(frame, 2) == tuning.read.FAST_POLL_S  # workers here, budget left: running
    tuning.request_stop(url, "poll")
    stopped = tuning.read_study(url, "poll")
    assert not tuning.is_active(stopped, 2)
    assert tuning.poll_seconds(stopped, 2) == tuning.read.FAST_POLL_S  # stopped, its workers still ending
    assert tuning.poll_seconds(stopped, 0) == tuning.SLOW_POLL_S  # all gone: slow


def test_signal_workers_does_not_wait(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    t0 = time.perf_counter()
    assert tuning.signal_workers([sleeper, done]) == 1  # only the running one is signalled
    assert time.perf_counter() - t0 < 1.0
    assert sleeper.wait(10) != 0


# ---- a database outage ----------------------------------------------------------------------------
def test_backoff_doubles_up_to_a_bound_then_gives_up():
    b = Backoff(limit=3600, first=0.5, most=8)
    waits = [b.next_wait(RuntimeError("x")) for _ in range(7)]
    assert waits == [0.5, 1, 2, 4, 8, 8, 8]
    b.reset()
    assert b.next_wait(RuntimeError("x")) == 0.5
    with pytest.raises(tuning.StorageUnavailable, match="unreachable for 0 s; giving up"):
        Backoff(limit=0).next_wait(RuntimeError("x"))


def test_a_worker_gives_up_on_a_dead_database_after_its_retry_time(capsys):
    url = "postgresql://nnlab:pw-s3cret@127.0.0.1:1/nnlab"  # nothing listens on port 1
    with pytest.raises(tuning.StorageUnavailable) as e:
        tuning.run_worker(url, "any", retry_s=1.5, log=print)
    assert "giving up" in str(e.value) and "pw-s3cret" not in str(e.value)
    out = capsys.readouterr().out
    assert tuning.UNREACHABLE in out and "pw-s3cret" not in out
    assert tuning.retry_seconds() == 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_postgres():
    """A throwaway PostgreSQL cluster this test may stop and start: (url, pg_ctl(action))."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    need("PostgreSQL server binaries (initdb)", bool(bins), "NNLAB_REQUIRE_POSTGRES")
    pgbin = bins[-1]
    root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if root else []
    d = tempfile.mkdtemp(prefix="nnlab-pg-outage-")
    if root:
        shutil.chown(d, "postgres")
    port = _free_port()
    subprocess.run([*run_as, f"{pgbin}/initdb", "-D", f"{d}/data", "-U", "nnlab", "--auth=trust"], check=True,
                   capture_output=True)

    def pg_ctl(action: str) -> None:
        extra = ["-m", "fast"] if action == "stop" else [
            "-o", f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={d}"]
        subprocess.run([*run_as, f"{pgbin}/pg_ctl", "-D", f"{d}/data", "-l", f"{d}/log", "-w", action, *extra],
                       check=True, capture_output=True)

    pg_ctl("start")
    try:
        subprocess.run([f"{pgbin}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "nnlab", "outage"],
                       check=True, capture_output=True)
        yield f"postgresql://nnlab@127.0.0.1:{port}/outage", pg_ctl
    finally:
        subprocess.run([*run_as, f"{pgbin}/pg_ctl", "-D", f"{d}/data", "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.postgres
def test_database_outage_mid_study(own_postgres):
    url, pg_ctl = own_postgres
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=3, epochs=40, seed=1)
    tuning.create_study("outage", SMALL, st, url, heartbeat=tuning.Heartbeat(1, 3))
    w = _worker(url, "outage", env={"NNLAB_DB_RETRY_S": "120"})
    try:
        _wait(_running(url, "outage", 2), 120, 0.1)
        pg_ctl("stop")
        # the page's reads: one clear line, no SQLAlchemy traceback
        for read in (lambda: tuning.read_study(url, "outage"), lambda: tuning.list_studies(url),
                     lambda: tuning.study_info(url, "outage")):
            with pytest.raises(tuning.StorageUnavailable) as e:
                read()
            assert str(e.value) == tuning.UNREACHABLE
        # the worker keeps retrying instead of exiting within seconds
        retries = []
        _wait(lambda: w.poll() is not None or retries.append(1) or len(retries) > 25, 30, 0.2)
        assert w.poll() is None, "the worker gave up during a short outage"
        pg_ctl("start")
        out = w.communicate(timeout=240)[0]
    finally:
        w.kill()
    assert w.returncode == 0, out
    assert tuning.UNREACHABLE in out and "Traceback" not in out, out
    t = tuning.read_study(url, "outage").trials
    assert (t["state"] == "COMPLETE").sum() == 3 and not t["state"].isin(["RUNNING", "WAITING"]).any(), t
    assert (t["state"] == "FAIL").sum() == 1  # the trial the outage cut off; its settings ran again
