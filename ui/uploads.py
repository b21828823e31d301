"""Uploaded files: a refused file is remembered for the session (by its hash) so a rerun does not parse it
again; a parse goes through the door (hosted mode: priced, one slot); the server's own upload limit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from core import settings

T = TypeVar("T")
REFUSALS_KEPT = 16  # refused files remembered per session (their hash and one line each)


def _session() -> Any:
    return st.session_state


def read_once(raw: bytes, parse: Callable[[], T], *key: object) -> T:
    """``parse()`` of an uploaded file's bytes, raising its ValueError; a file refused before (same bytes,
    same ``key``) is refused again at once, without parsing it again."""
    refused: dict = _session().setdefault("_upload_refusals", {})
    k = (hashlib.sha256(raw).hexdigest(), *key)
    if k in refused:
        raise ValueError(refused[k])
    try:
        return parse()
    except ValueError as e:
        refused[k] = str(e)
        while len(refused) > REFUSALS_KEPT:
            refused.pop(next(iter(refused)))
        raise


@contextmanager
def parsing(n_bytes: int) -> Iterator[None]:
    """The door for parsing an uploaded CSV of ``n_bytes``: priced from its size (hosted mode; always far
    under the budget, see core.datasets.csv_parse_cost) and one training slot, so parses do not pile up."""
    from core.datasets.toy import csv_parse_cost  # here, not at start-up: app.py imports this module
    from core.serve.workload import Lower, Price, Workload
    from ui.common import admitted

    seconds, peak = csv_parse_cost(n_bytes)
    work = Workload(beside=Price(seconds, peak, 0.0, 0, 0), lower=(Lower("a smaller file"),))
    with admitted(work):
        yield


def enforce_server_limit() -> None:
    """Make the server itself refuse a file over this mode's per-file limit (a scripted client skips the
    browser's ``max_upload_size``): hosted mode lowers ``server.maxUploadSize`` to its cap."""
    from streamlit import config

    cap = int(settings.limits().max_upload_mb)
    if config.get_option("server.maxUploadSize") > cap:
        config.set_option("server.maxUploadSize", cap)
