"""bench.hosted's view of the server from inside: one JSON line per script run, written to $NNLAB_BENCH_TRACE.

On PYTHONPATH only for the benchmark's server (bench.hosted sets it). When Streamlit's script runner is
imported it wraps ``ScriptRunner._run_script``: each run's session, query string, start (the shared
monotonic clock), wall seconds and the CPU seconds of its own thread (time waiting for the GIL or a core
is not CPU). Other processes (tuning workers) never import the script runner, so pay nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import threading
import time

TRACE = os.environ.get("NNLAB_BENCH_TRACE")
TARGET = "streamlit.runtime.scriptrunner.script_runner"
_lock = threading.Lock()


def _patch(module) -> None:
    runner = module.ScriptRunner
    real = runner._run_script

    def traced(self, rerun_data):
        t0, c0 = time.monotonic(), time.thread_time()
        try:
            return real(self, rerun_data)
        finally:
            row = {"session": self._session_id, "query": rerun_data.query_string or "",
                   "page": rerun_data.page_script_hash or "", "start": round(t0, 4),
                   "wall": round(time.monotonic() - t0, 4), "cpu": round(time.thread_time() - c0, 4)}
            with _lock, open(TRACE, "a") as fh:
                fh.write(json.dumps(row) + "\n")

    runner._run_script = traced


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        real_exec = spec.loader.exec_module

        def exec_module(module):
            real_exec(module)
            _patch(module)

        spec.loader.exec_module = exec_module
        return spec


if TRACE:
    sys.meta_path.insert(0, _Finder())
