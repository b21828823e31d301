"""Start and stop `streamlit run app.py` on 127.0.0.1 (used by the browser tests and bench/hosted.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data: Path, env_extra: dict[str, str] | None = None, timeout: float = 90, root: Path = ROOT,
          poll: float = 0.3) -> tuple[subprocess.Popen, str]:
    """The app (``root``'s app.py) on a free port with its own data folder; returns (process, base URL).

    NNLAB_HOSTED and NNLAB_MAX_CONCURRENT come only from ``env_extra`` (never from the caller's environment).
    Raises RuntimeError with the end of the server's log if it is not healthy within ``timeout`` seconds.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("NNLAB_HOSTED", "NNLAB_MAX_CONCURRENT")}
    env.update({"NNLAB_DATA_DIR": str(data), **(env_extra or {})})
    log = open(data / "streamlit.log", "w")  # noqa: SIM115 (open for the server's lifetime)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(poll)
    proc.kill()
    raise RuntimeError("streamlit did not start: " + (data / "streamlit.log").read_text()[-2000:])


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
