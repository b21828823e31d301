"""Start-up work kept off the first paint: torch and the pages' heavy modules load in a background
thread once Home has drawn, and the run guard is installed there (app.py installs it at once on every
other page, before anything can train)."""

from __future__ import annotations

import importlib
import logging
import threading

_started = threading.Event()
_lock = threading.Lock()

# what the next steps of the path import first (torch through core.engine)
WARM_MODULES = ("core.engine", "core.xor.jobs", "core.xor.surfaces", "core.explorer", "ui.widgets")


def _warm() -> None:
    from ui.common import install_run_guard

    try:
        install_run_guard()
        for name in WARM_MODULES:
            importlib.import_module(name)
    except Exception:  # a warm-up is only a head start: the page that needs the module imports it again
        logging.getLogger(__name__).exception("background warm-up failed")


def warm_in_background() -> None:
    """Once per server process: import torch and the first pages' modules in a daemon thread."""
    with _lock:
        if _started.is_set():
            return
        _started.set()
    threading.Thread(target=_warm, name="nnlab-warm", daemon=True).start()
