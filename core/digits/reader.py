"""The best reader this machine has: the MNIST-format default model whenever MNIST is here, else the 8x8 one.

MNIST is "here" when ``$NNLAB_MNIST_DIR`` names a folder holding the four official idx files, or when
the data folder (``$NNLAB_DATA_DIR``/mnist) holds a finished download. Nothing here downloads.

:func:`best_reader` is for one-shot use (``python -m core.predict``): it trains the MNIST model at once
(the disk cache keeps it, so only the first call on a machine trains). :class:`BackgroundReader` is for a
server: the MNIST model trains once, in a background thread, while the 8x8 model answers and says so.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core import digits as jobs  # the package: tests may swap its default_config
from core import settings
from core.datasets import mnist
from core.engine import TrainResult

HOW_TO_GET_MNIST = (
    "To read handwriting well, put MNIST on this machine: set NNLAB_MNIST_DIR to a folder holding the four "
    "official idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
    "t10k-labels-idx1-ubyte; .gz or not), or choose \"MNIST 28x28\" on the Digit Recognizer page and click "
    "Download (about 11 MB, checked against the official checksums). The MNIST-format reader then trains "
    "once and is kept."
)


@dataclass(frozen=True)
class MnistHere:
    """Where MNIST is on this machine: folder (None = the data folder's cached download) and in words."""

    folder: str | None
    where: str


def mnist_here() -> MnistHere | None:
    """MNIST on this machine without downloading ($NNLAB_MNIST_DIR first, then the data folder), or None."""
    env = (os.environ.get("NNLAB_MNIST_DIR") or "").strip()
    if env:
        p = Path(env).expanduser()
        if p.is_dir() and all(mnist._find(p, s) for s in mnist.ORDER):
            return MnistHere(str(p), f"NNLAB_MNIST_DIR ({p})")
    cache = settings.data_dir() / "mnist"
    if cache.is_dir() and all(mnist._find(cache, s) for s in mnist.ORDER):
        return MnistHere(None, f"the data folder ({cache})")
    return None


def best_reader(progress=None) -> tuple[TrainResult, str]:
    """(model, one line saying which) for reading people's digits: MNIST-format when MNIST is here.

    Trains (or loads from the disk cache) the page's default model for the data set; an MNIST that
    cannot be read falls back to the 8x8 model, saying why.
    """
    here = mnist_here()
    if here is not None:
        try:
            r = jobs.train(jobs.default_config("mnist"), progress, folder=here.folder)
            return r, f"MNIST-format reader (28x28, MNIST from {here.where})"
        except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
            why = " ".join(str(e).split())
            return jobs.train(jobs.default_config("digits")), f"8x8 reader: MNIST could not be read ({why})"
    return jobs.train(jobs.default_config("digits")), "8x8 reader: MNIST is not on this machine"


@dataclass
class ReaderState:
    """What the background reader is doing: state is "absent", "training", "ready" or "failed"."""

    state: str
    result: TrainResult | None = None
    epoch: int = 0
    epochs: int = 0
    started: float = 0.0
    error: str = ""
    where: str = ""


class BackgroundReader:
    """Trains the MNIST-format reader once per process in a daemon thread; ask :meth:`status` any time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str | None, ReaderState] = {}

    def status(self, start: bool = True) -> ReaderState:
        """The reader for the MNIST that is here now (starting its training when ``start``)."""
        here = mnist_here()
        if here is None:
            return ReaderState("absent")
        with self._lock:
            st = self._jobs.get(here.folder)
            if st is None or (st.state == "failed" and start and time.time() - st.started > 60):
                st = ReaderState("training" if start else "absent", started=time.time(), where=here.where)
                if start:
                    self._jobs[here.folder] = st
                    threading.Thread(target=self._train, args=(here, st), daemon=True,
                                     name="nnlab-mnist-reader").start()
            return st

    def _train(self, here: MnistHere, st: ReaderState) -> None:
        def progress(epoch: int, total: int, trainer) -> None:
            st.epoch, st.epochs = epoch, total

        try:
            r = jobs.train(jobs.default_config("mnist"), progress, folder=here.folder)
            st.result, st.state = r, "ready"
        except Exception as e:  # noqa: BLE001 - a background thread must report, not die silently
            st.error, st.state = " ".join(str(e).split())[:300] or type(e).__name__, "failed"


READER = BackgroundReader()
