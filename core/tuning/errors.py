"""The two errors the tuner raises, and how a storage URL is shown: never with its password."""

from __future__ import annotations

import re

UNREACHABLE = "the study's database is unreachable: retrying"


class TuningError(ValueError):
    """Something about a study cannot be done; the message is one plain line for the user."""


class StorageUnavailable(TuningError):
    """The study's database cannot be reached now (stopped, restarting, network): try again later.

    ``str(e)`` is one line for the page; ``reason`` is the driver's first line (passwords masked).
    """

    def __init__(self, message: str = UNREACHABLE, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


def mask_url(url: str) -> str:
    """A storage URL with any password hidden (for messages and the page)."""
    url = re.sub(r"^(\w+)\+\w+://", r"\1://", url)  # the driver is an implementation detail
    return mask_text(url)


def mask_text(text: str) -> str:
    """Any ``scheme://user:password@`` inside a text, password hidden (error messages quote URLs)."""
    return re.sub(r"(://[^:/@\s]+):[^@\s]*@", r"\1:***@", text)


def is_outage(e: BaseException | None) -> bool:
    """True when ``e`` (or what caused it) says the database cannot be reached right now.

    SQLAlchemy's OperationalError / InterfaceError / pool TimeoutError, also when Optuna wraps them
    in its StorageInternalError (as it does for errors during a commit).
    """
    from sqlalchemy import exc

    for _ in range(6):
        if e is None:
            return False
        if isinstance(e, (StorageUnavailable, exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
            return True
        e = e.__cause__ or e.__context__
    return False


def first_line(e: BaseException) -> str:
    """The first line of an error (a driver's own, when SQLAlchemy wraps one), passwords masked."""
    text = str(getattr(e, "orig", None) or e).strip()
    return mask_text(text.splitlines()[0][:160] if text else type(e).__name__)
