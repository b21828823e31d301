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
# Wait this long before importing: an import holds the GIL for most of a second or two, and the server's
# event loop needs it to send Home's last messages while the browser draws the chart.
WARM_DELAY_S = 2.0


def _warm() -> None:
    from ui.common import install_run_guard

    try:
        install_run_guard()
        for name in WARM_MODULES:
            importlib.import_module(name)
    except Exception:  # a warm-up is only a head start: the page that needs the module imports it again
        logging.getLogger(__name__).exception("background warm-up failed")


def warm_in_background(delay_s: float = WARM_DELAY_S) -> None:
    """Once per server process: import torch and the first pages' modules in a daemon thread, after
    ``delay_s`` seconds (a page that needs them sooner imports them itself; the import lock makes that safe)."""
    with _lock:
        if _started.is_set():
            return
        _started.set()
    t = threading.Timer(delay_s, _warm)
    t.name, t.daemon = "nnlab-warm", True
    t.start()
