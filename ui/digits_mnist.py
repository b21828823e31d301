"""The Digit Recognizer's MNIST on this machine: whether its four files can be read (a typed folder, or the
data folder's download), the folder box with its Download button, and the training images a model learned from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from core import digits, settings
from core.datasets import mnist
from ui import say


@st.cache_data(max_entries=4, show_spinner=False)
def _unreadable(folder: str, stamp: tuple) -> str | None:
    """Why MNIST's four files in ``folder`` cannot be read (None when they can): read once per change of
    the files (``stamp``), so a damaged copy is found before a tab reaches for it."""
    try:
        mnist.read_folder(folder)
    except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
        return " ".join(str(e).split())
    return None


def _stamp(folder: Path) -> tuple:
    try:
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))
    except OSError:
        return ()


def mnist_problem(folder: str | None) -> str | None:
    """None when MNIST can be read without a download, else why not (one line). ``folder``: one typed on a
    laptop; None: the server's own (NNLAB_MNIST_DIR, else the data folder's download)."""
    if folder:
        try:
            p = mnist.local_folder(folder)
        except mnist.MnistUnavailable as e:
            return str(e)
        if not p.is_dir():
            return f"the folder {folder!r} does not exist (or is not a folder)"
        try:
            digits.raw_arrays("mnist", str(p))
        except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError) as e:
            return " ".join(str(e).split())
        return None
    cache = settings.data_dir() / "mnist"
    if not (cache.is_dir() and all(mnist._find(cache, s) for s in mnist.ORDER)):
        return "MNIST is not on this machine yet"
    why = _unreadable(str(cache), _stamp(cache))
    return None if why is None else f"the copy in the data folder is damaged ({why})"


def mnist_source(container, owned: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The MNIST folder box (and a Download button when MNIST is missing); returns (folder, problem):
    folder None means the data folder; problem is None when MNIST can be read, else why not (one line).
    The page stays usable either way: the tabs say what MNIST would need, the Read tab reads with the built-in reader.
    Hosted, neither is shown: the folder and any download are the server owner's (its environment), never
    a visitor's, and nothing is said about a path a visitor names."""
    if settings.hosted():
        own = settings.mnist_dir()
        folder = str(own) if own is not None and own.is_dir() else None
        problem = mnist_problem(folder)
        if problem:
            say.status("MNIST is not on this server: its owner can put the four official files in the folder "
                       "NNLAB_MNIST_DIR names (or the data folder). Choose the 8x8 digits meanwhile.", "info",
                       icon=":material/cloud_off:", where=container)
            problem = "MNIST is not on this server"
        return folder, problem
    container.text_input(
        "MNIST folder (optional)", key="d_mnist_dir",
        placeholder="empty: download into the data folder; or a folder with the four idx files",
        help="A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
             "and t10k-labels-idx1-ubyte (.gz or not), checked by their headers and counts.")
    folder = st.session_state.d_mnist_dir.strip() or None
    problem = mnist_problem(folder)
    if problem and not folder:
        say.status(f"MNIST cannot be read here yet ({problem}). Download it (about 11 MB from public mirrors, "
                   "checked against the official checksums) or type a folder that holds the four idx files.",
                   "warning", icon=":material/cloud_download:", where=container)
        if container.button("Download MNIST", key="d_download", icon=":material/download:"):
            with st.spinner("Downloading MNIST (each mirror gets 10 s before the next is tried)..."):
                try:
                    mnist.load_raw(None, download=True)
                    _unreadable.clear()
                    problem = mnist_problem(None)
                    st.session_state.pop("d_download_error", None)
                except mnist.MnistUnavailable as e:
                    st.session_state.d_download_error = " ".join(str(e).split())
        if problem and st.session_state.get("d_download_error"):
            say.status(f"No download: {st.session_state.d_download_error}", "error", icon=":material/cloud_off:",
                       where=container)
    elif problem:
        say.status(f"MNIST folder not usable: {problem}", "error", icon=":material/folder_off:", where=container)
    return folder, problem


def train_images(dataset: str, folder: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The raw training images X [N, F] and labels [N] a model of this data set learned from (None: not here)."""
    if dataset == "mnist" and mnist_problem(folder):
        return None
    try:
        Xtr, ytr, _, _ = digits.raw_arrays(dataset, folder)
    except (mnist.MnistUnavailable, mnist.IdxError, OSError, ValueError):
        return None
    return Xtr, ytr
