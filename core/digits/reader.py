"""The best reader this machine has, by measurement: the built-in reader (trained on the MNIST sample that
ships with NN Lab, loaded from ``core/digits/data/reader.safetensors``: no training, no download) or the
MNIST-format default model trained on the MNIST here, whichever reads more of one common held-out set right:
the sample's 1,000 t10k digits (MNIST test images 4,000-4,999, which neither the sample's train split nor
MNIST's train files hold). Each reader records its accuracy on them (the built-in one in its file, by
the build script; the trained one when it is trained, :func:`record_held_out`); where it came from
decides nothing. A tie keeps the built-in reader. The built-in file missing: the trained reader, else the
8x8 one.

MNIST is "here" when ``$NNLAB_MNIST_DIR`` names a folder holding the four official idx files, or when
the data folder (``$NNLAB_DATA_DIR``/mnist) holds a finished download. Nothing here downloads.

:func:`best_reader` is for one-shot use (``python -m core.predict``): it trains the MNIST model at once
(the disk cache keeps it, so only the first call on a machine trains). :class:`BackgroundReader` is for a
server: the MNIST model trains once, in a background thread, while the built-in reader answers and says so.
That training is the server's own run, but it is treated like a visitor's: priced before anything is
allocated (over this server's budget it fails, saying so, instead of training) and trained inside the
server's training queue, holding one slot like any visitor's run (so with two slots the reader and one
visitor train at once, and the visitors after them wait in line, told how many runs are ahead).
"""

from __future__ import annotations

import gzip
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core import digits as jobs  # the package: tests may swap its default_config
from core import settings
from core.datasets import mnist
from core.digits.build_reader import SHIPPED_READER
from core.digits.model_file import ModelFileError, import_model
from core.engine import TrainResult
from core.serve import price
from core.serve.queue import training_queue

READER_SESSION = "server:mnist-reader"  # the reader's place in the training queue: this, ":" and its folder

HOW_TO_GET_MNIST = (
    "For a better reader, put full MNIST on this machine: set NNLAB_MNIST_DIR to a folder holding the four "
    "official idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
    "t10k-labels-idx1-ubyte; .gz or not), or choose \"MNIST 28x28\" on the Digit Recognizer page and click "
    "Download (about 11 MB, checked against the official checksums). The MNIST-format reader then trains "
    "once on its 60,000 digits and is kept."
)


_SHIPPED: dict[str, TrainResult | None] = {}


def shipped_reader() -> TrainResult | None:
    """The built-in reader (loaded once per process, validated like any model file), or None when its
    file is missing or damaged."""
    if "r" not in _SHIPPED:
        try:
            # the server's own file, not a visitor's: held to the laptop's limits, not a hosted visitor's caps
            _SHIPPED["r"] = import_model(SHIPPED_READER.read_bytes(), settings.LAPTOP)
        except (OSError, ModelFileError):
            _SHIPPED["r"] = None
    return _SHIPPED["r"]


def shipped_words(result: TrainResult) -> str:
    """What the built-in reader is, in a few words (with the accuracy its file records)."""
    acc = result.extra.get("sample_test_acc")
    rows = mnist.SAMPLE_ROWS
    tail = f"; {acc:.1%} of its {rows[1]:,} test digits read right" if isinstance(acc, float) else ""
    return f"28x28, learned from the {rows[0]:,} training digits of the MNIST sample shipped with NN Lab{tail}"


@dataclass(frozen=True)
class MnistHere:
    """Where MNIST is on this machine: folder (None = the data folder's cached download) and in words."""

    folder: str | None
    where: str


def mnist_here() -> MnistHere | None:
    """MNIST on this machine without downloading ($NNLAB_MNIST_DIR first, then the data folder), or None."""
    p = settings.mnist_dir()  # "~someone/x" for an unknown user: None, not RuntimeError
    if p is not None and p.is_dir() and all(mnist._find(p, s) for s in mnist.ORDER):
        return MnistHere(str(p), f"NNLAB_MNIST_DIR ({p})")
    cache = settings.data_dir() / "mnist"
    if cache.is_dir() and all(mnist._find(cache, s) for s in mnist.ORDER):
        return MnistHere(None, f"the data folder ({cache})")
    return None


def mnist_rows(here: MnistHere) -> tuple[int, int] | None:
    """(training images, test images) of the MNIST that is here, from the two image files' IDX headers
    alone (nothing else is read); None when a header cannot be read."""
    folder = Path(here.folder).expanduser() if here.folder is not None else settings.data_dir() / "mnist"
    counts = []
    for stem in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        p = mnist._find(folder, stem)
        if p is None:
            return None
        try:
            with open(p, "rb") as f:
                gz = f.read(2) == b"\x1f\x8b"
            with (gzip.open(p, "rb") if gz else open(p, "rb")) as f:
                _, n = struct.unpack(">II", f.read(8))
        except (OSError, EOFError, struct.error):
            return None
        counts.append(int(n))
    return counts[0], counts[1]


def reader_over_budget(cfg: jobs.DigitsConfig, here: MnistHere,
                       rows: tuple[int, int] | None = None) -> str | None:
    """None when training ``cfg`` on the MNIST here fits this server's budget (the one check every
    request passes, core.serve.price.check), else why not, in one line. Priced from the config and the
    files' headers, before any image is read; a header that cannot be read prices all of MNIST."""
    # rows: from the headers; hints=False: the budget only (nobody can lower the server's own run)
    msg = price.check(cfg, rows or mnist_rows(here), hints=False)
    return f"its price is over this server's budget ({msg.rstrip('.')})" if msg else None


# Training rows tried, largest first, when the whole of MNIST is over this server's budget (0 = all). None
# at or below the shipped sample's 4,000: the built-in reader learned from as many digits, with more copies
TRAIN_LIMITS = (0, 30_000, 15_000, 8_000)


def reader_config(here: MnistHere) -> tuple[jobs.DigitsConfig, str | None]:
    """The reader's config for the MNIST here: the page's default MNIST model on as many training digits
    as this server's budget allows (all of them on a laptop; the first N on a hosted server, the largest
    of :data:`TRAIN_LIMITS` that fits). Returns (config, None), or (the default, why) when none fits."""
    base = jobs.default_config("mnist")
    rows = mnist_rows(here)
    why = None
    for n in TRAIN_LIMITS:
        if n and rows is not None and n >= rows[0]:
            continue  # no fewer rows than the files hold
        cfg = base.replace(train_limit=n) if n else base
        why = reader_over_budget(cfg, here, rows)
        if why is None:
            return cfg, None
    return base, why


def fallback_reader(why: str) -> tuple[TrainResult, str]:
    """(model, one line) when MNIST's own reader is not to be had: the built-in reader, else the 8x8 one."""
    r = shipped_reader()
    if r is not None:
        return r, f"built-in reader ({shipped_words(r)}): {why}"
    return jobs.train(jobs.default_config("digits")), f"8x8 reader: {why}, and the built-in reader's file is missing"


HELD_OUT_KEY = "sample_test_acc"  # a reader's recorded accuracy on the held-out digits (result.extra)


def held_out_words() -> str:
    """What the common held-out set is, in a few words."""
    return f"the MNIST sample's {mnist.SAMPLE_ROWS[1]:,} held-out test digits"


def record_held_out(result: TrainResult, folder: str | None) -> float | None:
    """Measure a reader trained on the MNIST in ``folder`` (None: the data folder's) on the held-out digits
    and record it in ``result.extra``; None (and nothing recorded) when its training files hold any of those
    digits, so the number would not be held out."""
    from core.digits.build_reader import sample_test_accuracy

    extra = getattr(result, "extra", None)
    if not isinstance(extra, dict):
        return None  # not a trained model (a stand-in): no number
    if HELD_OUT_KEY in extra:
        return float(extra[HELD_OUT_KEY])
    _, _, held, _ = jobs.raw_arrays("mnist", mnist.SAMPLE_DIR)
    Xtr, _, _, _ = jobs.raw_arrays("mnist", folder)
    limit = getattr(result.config, "train_limit", 0)
    held_rows = {r.tobytes() for r in held}
    if any(r.tobytes() in held_rows for r in (Xtr[:limit] if limit else Xtr)):
        return None
    acc = sample_test_accuracy(result)
    result.extra[HELD_OUT_KEY] = acc
    return acc


def trained_reads_better(trained: TrainResult | None) -> bool:
    """The trained MNIST-format reader reads more held-out digits right than the built-in reader (recorded
    on both; True when the built-in file is missing, False when the trained one has no held-out number)."""
    if trained is None:
        return False
    mine = (getattr(trained, "extra", None) or {}).get(HELD_OUT_KEY)
    shipped = shipped_reader()
    if shipped is None:
        return True
    theirs = shipped.extra.get(HELD_OUT_KEY)
    return isinstance(mine, float) and (not isinstance(theirs, float) or mine > theirs)


def comparison_words(trained: TrainResult) -> str:
    """Both readers' held-out accuracies in one clause, the better first."""
    mine, shipped = trained.extra.get(HELD_OUT_KEY), shipped_reader()
    theirs = shipped.extra.get(HELD_OUT_KEY) if shipped is not None else None
    if not isinstance(mine, float):
        return "the MNIST-format reader trained here has no held-out accuracy: its training files hold held-out digits"
    if not isinstance(theirs, float):
        return f"the MNIST-format reader trained here reads {mine:.1%} of {held_out_words()}"
    sides = [("the MNIST-format reader trained here", mine), ("the built-in reader", theirs)]
    (n1, a1), (n2, a2) = sides if trained_reads_better(trained) else sides[::-1]
    return f"on {held_out_words()} {n1} reads {a1:.1%} right, {n2} {a2:.1%}"


def best_reader(progress=None) -> tuple[TrainResult, str]:
    """(model, one line saying which) for reading people's digits: whichever of the built-in reader and the
    MNIST-format reader trained on the MNIST here reads more of the held-out digits right.

    Trains (or loads from the disk cache) the page's default MNIST model when MNIST is here, and measures
    it; without MNIST (or an MNIST that cannot be read) the built-in reader reads, saying why; nothing is
    trained or downloaded then.
    """
    here = mnist_here()
    if here is None:
        return fallback_reader("MNIST is not on this machine")
    try:
        r = jobs.train(jobs.default_config("mnist"), progress, folder=here.folder)
        record_held_out(r, here.folder)
    except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
        return fallback_reader(f"MNIST could not be read ({' '.join(str(e).split())})")
    if trained_reads_better(r):
        return r, f"MNIST-format reader (28x28, MNIST from {here.where}; {comparison_words(r)})"
    return fallback_reader(f"it reads better than the one trained on MNIST from {here.where} "
                           f"({comparison_words(r)})")


@dataclass
class ReaderState:
    """What the background reader is doing: state is "absent", "training", "ready" or "failed".

    While "training", ``ahead`` is set (runs ahead of it, runs training now) as long as it waits for a
    training slot; ``over_budget`` marks a failure by price (never retried: the same files cost the same).
    """

    state: str
    result: TrainResult | None = None
    epoch: int = 0
    epochs: int = 0
    started: float = 0.0
    error: str = ""
    where: str = ""
    ahead: tuple[int, int] | None = None
    over_budget: bool = False
    train_limit: int = 0  # > 0: trained on the first N training digits (this server's budget)


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
            retry = st is not None and st.state == "failed" and not st.over_budget and time.time() - st.started > 60
            if st is None or (start and retry):
                st = ReaderState("training" if start else "absent", started=time.time(), where=here.where)
                if start:
                    self._jobs[here.folder] = st
                    threading.Thread(target=self._train, args=(here, st), daemon=True,
                                     name="nnlab-mnist-reader").start()
            return st

    def _train(self, here: MnistHere, st: ReaderState) -> None:
        """Priced first (on as many digits as the budget allows; none fits: failed, saying why), then from
        the disk cache at once, else trained in a training slot."""
        def progress(epoch: int, total: int, trainer) -> None:
            st.epoch, st.epochs = epoch, total

        def on_wait(ahead: int, running: int) -> None:
            st.ahead = (ahead, running)

        try:
            cfg, why = reader_config(here)
            if why:
                st.error, st.over_budget, st.state = why, True, "failed"
                return
            st.train_limit = cfg.train_limit
            result = _cached(cfg, here)  # a reader trained before opens at once: no queue
            if result is None:
                # waits its turn like a visitor's run (one place per MNIST folder: two never supersede each other)
                with training_queue().slot(f"{READER_SESSION}:{here.folder or 'data folder'}", on_wait):
                    st.ahead = None
                    result = jobs.train(cfg, progress, folder=here.folder)
            record_held_out(result, here.folder)  # the number the default reader is chosen by
            st.result, st.state = result, "ready"
        except Exception as e:  # noqa: BLE001 - a background thread must report, not die silently
            st.error, st.state = " ".join(str(e).split())[:300] or type(e).__name__, "failed"
        finally:
            st.ahead = None


def _cached(cfg: jobs.DigitsConfig, here: MnistHere) -> TrainResult | None:
    """The reader from the disk cache, or None (reading MNIST's files to know their fingerprint)."""
    from core.serve.cache import DiskCache, load

    hit = load(jobs.train_key(cfg, here.folder), DiskCache(), (jobs.DigitsConfig,))
    return hit[0] if hit else None


READER = BackgroundReader()
