"""Where studies live: an Optuna RDBStorage per URL (a SQLite file by default, or any SQLAlchemy URL
such as PostgreSQL, so workers on many machines share one study).

A URL is never shown with its password (:func:`mask_url`). A database that cannot be reached raises
:class:`StorageUnavailable` (one line) instead of a SQLAlchemy traceback: :func:`reports_outage`
wraps every function the page calls.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import optuna

from core import settings as nn_settings
from core.tuning import optuna_internals as internals
from core.tuning.errors import StorageUnavailable, TuningError, first_line, is_outage, mask_url

F = TypeVar("F", bound=Callable[..., Any])


def default_storage() -> str:
    """The storage URL in force: $NNLAB_STORAGE (or Streamlit secrets, copied there) or the SQLite file."""
    return nn_settings.storage_url()


def reports_outage(fn: F) -> F:
    """Turn 'the database cannot be reached' raised inside ``fn`` into :class:`StorageUnavailable`."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StorageUnavailable:
            raise
        except Exception as e:
            if is_outage(e):
                raise StorageUnavailable(reason=first_line(e)) from None
            raise

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Heartbeat:
    """How often a running trial says it is alive, and how long silence means its worker is dead (s)."""

    interval: int = 5
    grace: int = 20


_STORAGES: dict[tuple[str, Heartbeat | None], optuna.storages.RDBStorage] = {}


def open_storage(url: str | None = None, heartbeat: Heartbeat | None = None) -> optuna.storages.RDBStorage:
    """An Optuna RDBStorage for url (created once per process).

    StorageUnavailable when the database does not answer, TuningError when the URL is unusable.
    """
    url = _driver_url((url or default_storage()).strip())
    key = (url, heartbeat)
    if key in _STORAGES:
        return _STORAGES[key]
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}}
    elif "://" in url:
        kwargs = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}} if url.startswith("postgres") else {}
    else:
        raise TuningError(f"{mask_url(url)[:80]!r} is not a database URL (expected e.g. sqlite:///path/tuning.db "
                          "or postgresql://user@host:5432/db)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            hb: dict[str, Any] = {}
            if heartbeat is not None:  # a trial silent for `grace` s is failed, and its settings queued once more
                hb = {"heartbeat_interval": heartbeat.interval, "grace_period": heartbeat.grace,
                      "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)}
            storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs, **hb)
    except ImportError as e:
        raise TuningError(f"cannot use {mask_url(url)}: its database driver is not installed ({e.name})") from None
    except Exception as e:  # sqlalchemy.exc.OperationalError, ArgumentError, ...
        message = f"cannot reach the database {mask_url(url)}: {first_line(e)}"
        raise (StorageUnavailable(message, first_line(e)) if is_outage(e) else TuningError(message)) from None
    if url.startswith("sqlite:///"):
        _sqlite_wal(storage)
    _STORAGES[key] = storage
    return storage


def close_storages() -> None:
    """Forget every storage this process opened (the next call connects afresh, as a new page would)."""
    for storage in _STORAGES.values():
        internals.engine(storage).dispose()
    _STORAGES.clear()


def _driver_url(url: str) -> str:
    """postgresql:// means psycopg 3 to SQLAlchemy 2.1; use psycopg2 (requirements.txt's) when only it is here."""
    m = re.match(r"^postgres(?:ql)?://", url)
    if m and importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url[m.end():]
    return url


def _sqlite_wal(storage: optuna.storages.RDBStorage) -> None:
    """WAL journal, so readers (the page) never block the workers' writes, and synchronous=NORMAL, so a
    commit does not wait for an fsync (18 ms -> 6 ms per reported epoch here, and the write lock is
    held that much shorter). A killed worker still loses nothing committed; only a power cut could
    lose the last moments."""
    import sqlalchemy

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    engine = internals.engine(storage)
    try:
        with engine.connect() as c:
            c.execute(sqlalchemy.text("PRAGMA journal_mode=WAL"))
        sqlalchemy.event.listen(engine, "connect", on_connect)
        engine.dispose()  # pooled connections made before the listener reconnect with it
    except Exception:  # a read-only or odd file system: the default journal still works
        pass
