"""Who may stop, resume or delete a study: in hosted mode only the session that started it.

The owner is stored in the study itself, as the user attribute ``nnlab_owner``: a SHA-256 hash of the
starting Streamlit session's id (the id itself never leaves the server's memory). Stored with the study
rather than in one server's memory because

- every app server sharing the database (several replicas behind one address, a restart) sees the
  same owner, and a study that no session owns (made by ``python -m core.tuning`` or before this
  existed) is plainly read-only in hosted mode instead of open to anyone;
- it goes when the study is deleted, so nothing to clean up.

A session id lives as long as the browser tab's connection: after a reload the tab is a new session
and sees its own study read-only (the study still runs to its budget). On a laptop (not hosted) every
session may control every study, as before.

    token = owner_token(session_id)
    create_study(...); claim(url, name, token)
    stop_as(url, name, token)        # NotOwner in hosted mode when token is not the owner
"""

from __future__ import annotations

import hashlib
from typing import Any

from core import settings as nn_settings
from core.tuning.errors import TuningError
from core.tuning.storage import open_storage, reports_outage
from core.tuning.study import StudyInfo, delete_study, request_stop, resume

OWNER_KEY = "nnlab_owner"  # study user attribute: owner_token() of the session that started it


class NotOwner(TuningError):
    """This session did not start the study, and hosted mode lets only its starter control it."""


def owner_token(session_id: str) -> str:
    """What is stored for a session: a hash of its id (32 hex characters), never the id itself."""
    return hashlib.sha256(f"nnlab-owner:{session_id}".encode()).hexdigest()[:32]


def may_control(owner: str | None, token: str | None, hosted: bool | None = None) -> bool:
    """True when the session with ``token`` may stop, resume or delete a study owned by ``owner``.

    Not hosted: always. Hosted: only the owner; a study nobody owns is read-only.
    """
    hosted = nn_settings.hosted() if hosted is None else hosted
    return not hosted or (owner is not None and token is not None and owner == token)


@reports_outage
def owner_of(url: str | None, name: str) -> str | None:
    """The stored owner token of a study (None when nobody owns it); TuningError when there is no such study."""
    storage = open_storage(url)
    try:
        sid = storage.get_study_id_from_name(name)
    except KeyError:
        raise TuningError(f"there is no study named {name!r}") from None
    owner = storage.get_study_user_attrs(sid).get(OWNER_KEY)
    return owner if isinstance(owner, str) else None


@reports_outage
def claim(url: str | None, name: str, token: str) -> bool:
    """Make ``token`` the study's owner unless someone owns it already; True when ``token`` owns it now."""
    storage = open_storage(url)
    sid = storage.get_study_id_from_name(name)
    owner = storage.get_study_user_attrs(sid).get(OWNER_KEY)
    if isinstance(owner, str):
        return owner == token
    storage.set_study_user_attr(sid, OWNER_KEY, token)
    return True


def _check(url: str | None, name: str, token: str | None, verb: str) -> None:
    if not may_control(owner_of(url, name), token):
        raise NotOwner(f"only the session that started study {name!r} may {verb} it; "
                       "here it is read only")


def stop_as(url: str | None, name: str, token: str | None) -> None:
    """:func:`request_stop`, when this session may control the study (else NotOwner)."""
    _check(url, name, token, "stop")
    request_stop(url, name)


def resume_as(url: str | None, name: str, token: str | None, **changes: Any) -> StudyInfo:
    """:func:`resume` (``n_trials``, ``timeout_min``), when this session may control the study (else NotOwner)."""
    _check(url, name, token, "resume")
    return resume(url, name, **changes)


def delete_as(url: str | None, name: str, token: str | None) -> None:
    """:func:`delete_study`, when this session may control the study (else NotOwner)."""
    _check(url, name, token, "delete")
    delete_study(url, name)
