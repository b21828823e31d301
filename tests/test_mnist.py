"""MNIST: reading and checking the official idx files, and downloading them (against a local server)."""

import gzip
import hashlib
import http.server
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.datasets import mnist
from core.datasets.mnist import IdxError, MnistUnavailable, load_mnist, parse_idx
from tests.conftest import MNIST_SAMPLE

SAMPLE = MNIST_SAMPLE
needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="MNIST sample folder not available")


def idx_bytes(a: np.ndarray) -> bytes:
    """An array of uint8 as an IDX file (the official layout)."""
    a = np.asarray(a, np.uint8)
    return struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def tiny_set(n_train=12, n_test=5, seed=0) -> dict[str, bytes]:
    """The four files, gzip'd, of a tiny fake MNIST."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    return {k: gzip.compress(idx_bytes(v), mtime=0) for k, v in arrays.items()}


def write_set(folder: Path, files: dict[str, bytes], gz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, data in files.items():
        if gz:
            (folder / f"{stem}.gz").write_bytes(data)
        else:
            (folder / stem).write_bytes(gzip.decompress(data))
    return folder


# ---- reading a folder ------------------------------------------------------------------------

@needs_sample
def test_sample_folder_reads_with_shapes_counts_and_range():
    Xtr, ytr, Xte, yte = load_mnist(SAMPLE)
    assert Xtr.shape == (4000, 784) and Xte.shape == (1000, 784)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert Xtr.min() >= 0.0 and Xtr.max() == 1.0
    assert set(np.unique(ytr)) == set(range(10))
    assert ytr[:5].tolist() == [7, 2, 1, 0, 4]  # the first t10k labels, as the README says


def test_plain_and_gz_folders_read_the_same(tmp_path):
    files = tiny_set()
    a = load_mnist(write_set(tmp_path / "gz", files))
    b = load_mnist(write_set(tmp_path / "plain", files, gz=False))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert a[0].shape == (12, 784) and a[2].shape == (5, 784)


def test_corrupted_and_inconsistent_files_are_caught_with_a_reason(tmp_path):
    files = tiny_set()
    raw = gzip.decompress(files["train-images-idx3-ubyte"])

    cases = {
        "truncated": gzip.compress(raw[:-100]),
        "magic": gzip.compress(raw[:3] + b"\x01" + raw[4:]),  # ndim 1: not images
        "gzip": files["train-images-idx3-ubyte"][:-30],  # the gzip stream itself is cut
    }
    reasons = {}
    for name, bad in cases.items():
        folder = write_set(tmp_path / name, {**files, "train-images-idx3-ubyte": bad})
        with pytest.raises(MnistUnavailable) as e:
            load_mnist(folder)
        reasons[name] = str(e.value)
        assert "\n" not in str(e.value)
    assert "truncated" in reasons["truncated"]
    assert "magic" in reasons["magic"] or "expected" in reasons["magic"]
    assert "gzip" in reasons["gzip"] or "truncated" in reasons["gzip"]

    # labels and images disagree in count
    other = tiny_set(n_train=13)
    folder = write_set(tmp_path / "count", {**files, "train-labels-idx1-ubyte": other["train-labels-idx1-ubyte"]})
    with pytest.raises(MnistUnavailable, match="12 images but 13 labels"):
        load_mnist(folder)
    # a file missing
    folder = write_set(tmp_path / "missing", {k: v for k, v in files.items() if not k.startswith("t10k-labels")})
    with pytest.raises(MnistUnavailable, match="t10k-labels"):
        load_mnist(folder)
    with pytest.raises(MnistUnavailable, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_parse_idx_rejects_swapped_files_and_trailing_bytes():
    labels = idx_bytes(np.arange(10))
    with pytest.raises(IdxError, match="magic"):
        parse_idx(labels, 2051, (28, 28), "labels-as-images")
    with pytest.raises(IdxError, match="trailing"):
        parse_idx(labels + b"\0", 2049, ())
    with pytest.raises(IdxError, match="short"):
        parse_idx(b"\0\0", 2049, ())
    assert parse_idx(labels, 2049, ()).tolist() == list(range(10))


# ---- downloading -----------------------------------------------------------------------------

class Server:
    """A static file server on 127.0.0.1 for one folder; counts requests."""

    def __init__(self, root: Path) -> None:
        self.requests = 0
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(root), **kw)

            def log_message(self, *a):
                outer.requests += 1

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path):
    files = tiny_set()
    good = write_set(tmp_path / "good", files)
    bad = write_set(tmp_path / "bad", {**files, "train-images-idx3-ubyte": tiny_set(seed=1)["train-images-idx3-ubyte"]})
    sums = {k: hashlib.md5(v).hexdigest() for k, v in files.items()}
    s_good, s_bad = Server(good), Server(bad)
    yield s_good, s_bad, sums
    s_good.close()
    s_bad.close()


def test_download_verifies_checksums_tries_the_next_mirror_and_caches(served, tmp_path):
    s_good, s_bad, sums = served
    cache = tmp_path / "data"
    X, y, Xt, yt = load_mnist(data_dir=cache, mirrors=[s_bad.url, s_good.url], checksums=sums, timeout=5)
    assert X.shape == (12, 784) and Xt.shape == (5, 784)
    assert s_bad.requests >= 1 and s_good.requests >= 1  # the bad mirror's train images were refused
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(f"{k}.gz" for k in sums)
    # second call: from the cache, no request
    before = s_good.requests + s_bad.requests
    load_mnist(data_dir=cache, mirrors=[s_bad.url, s_good.url], checksums=sums, timeout=5)
    assert s_good.requests + s_bad.requests == before


def test_checksum_mismatch_everywhere_fails_with_reason_and_local_folder_hint(served, tmp_path):
    _, s_bad, sums = served
    with pytest.raises(MnistUnavailable) as e:
        load_mnist(data_dir=tmp_path / "d", mirrors=[s_bad.url], checksums=sums, timeout=5)
    msg = str(e.value)
    assert "checksum mismatch" in msg and "local folder" in msg and "\n" not in msg
    assert not list((tmp_path / "d" / "mnist").glob("train-images*"))  # nothing unverified kept


def test_official_checksums_are_torchvisions():
    assert mnist.FILES["t10k-images-idx3-ubyte"][0] == "9fb629c4189551a2d022fa330f9573f3"
    assert mnist.FILES["train-images-idx3-ubyte"][0] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"


def test_no_network_fails_fast_never_hangs(tmp_path):
    # a port that accepts connections but never answers, and a closed port
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        t0 = time.perf_counter()
        with pytest.raises(MnistUnavailable) as e:
            load_mnist(data_dir=tmp_path, timeout=0.5, mirrors=[
                f"http://127.0.0.1:{silent.getsockname()[1]}/", f"http://127.0.0.1:{closed_port}/"])
        assert time.perf_counter() - t0 < 5
        assert "could not download MNIST" in str(e.value) and "--data-dir" in str(e.value)
    finally:
        silent.close()
    with pytest.raises(MnistUnavailable, match="downloading is off"):
        load_mnist(data_dir=tmp_path, download=False)


# ---- a folder nobody can name, a damaged cache offline, and a hosted server ---------------------------
@pytest.mark.parametrize("text", ["~someone-who-does-not-exist/x", "a\x00b"])
def test_a_folder_text_python_cannot_read_is_a_plain_reason_not_a_crash(text):
    with pytest.raises(MnistUnavailable):
        mnist.read_folder(text)  # Path.expanduser raised RuntimeError for an unknown user


def _damaged_cache(data_dir: Path) -> None:
    files = tiny_set()
    files["train-images-idx3-ubyte"] = files["train-images-idx3-ubyte"][:20] + bytes(range(256)) * 4
    write_set(data_dir / "mnist", files)


def test_a_damaged_cache_offline_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_get", lambda url, timeout: (_ for _ in ()).throw(OSError("offline")))
    _damaged_cache(tmp_path)
    with pytest.raises(MnistUnavailable, match="could not download") as e:
        load_mnist(data_dir=tmp_path, download=True)
    assert "\n" not in str(e.value)
    with pytest.raises(MnistUnavailable, match="damaged"):
        load_mnist(data_dir=tmp_path, download=False)


def test_a_hosted_server_never_downloads(tmp_path, monkeypatch):
    def no_network(*a, **k):
        raise AssertionError("a hosted server reached for the network")

    monkeypatch.setattr(mnist, "_get", no_network)
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    with pytest.raises(MnistUnavailable, match="downloading is off"):
        load_mnist(data_dir=tmp_path)  # download=None: the server's policy (settings.downloads_allowed)
    _damaged_cache(tmp_path)
    with pytest.raises(MnistUnavailable, match="damaged"):
        load_mnist(data_dir=tmp_path)


DIGITS_PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "digit_recognizer.py")


def _digits_page(query: dict[str, str]) -> AppTest:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(DIGITS_PAGE, default_timeout=300)
    at.query_params.update(query)
    return at.run()


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("warning", "info", "error", "markdown", "caption")
                    for e in getattr(at, kind))


@pytest.mark.parametrize("where", ["/etc", "/nonexistent-folder-xyz", "~someone-who-does-not-exist/x", "../.."])
def test_hosted_the_folder_box_and_download_are_the_server_owners(where, tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    monkeypatch.setattr(mnist, "_get", lambda *a, **k: (_ for _ in ()).throw(AssertionError("network")))
    at = _digits_page({"dataset": "mnist", "mnist_dir": where})
    assert not at.exception, [e.value for e in at.exception]
    assert not [t for t in at.text_input if t.key == "d_mnist_dir"]  # no folder box
    assert not [b for b in at.button if b.key == "d_download"]  # no Download button
    said = _texts(at)
    assert "`mnist_dir` ignored" in said
    assert where not in said and "does not exist" not in said  # nothing about the visitor's path
    assert "mnist_dir" not in at.query_params  # and the link the page keeps does not carry it


@needs_sample
def test_hosted_the_owners_folder_is_used_and_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(SAMPLE))
    at = _digits_page({"dataset": "mnist"})
    assert not at.exception, [e.value for e in at.exception]
    assert "MNIST is not on this server" not in _texts(at)
    assert str(SAMPLE) not in _texts(at) and "mnist_dir" not in at.query_params


def test_on_a_laptop_a_folder_python_cannot_read_is_a_reason_on_the_page(monkeypatch):
    at = _digits_page({"dataset": "mnist", "mnist_dir": "~someone-who-does-not-exist/x"})
    assert not at.exception, [e.value for e in at.exception]
    assert "not a folder name" in _texts(at)


def test_on_a_laptop_a_damaged_cache_offline_is_said_and_offers_the_download(tmp_path, monkeypatch):
    import os

    _damaged_cache(Path(os.environ["NNLAB_DATA_DIR"]))
    monkeypatch.setattr(mnist, "_get", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    for tab in ("train", "evaluate", "read", "compare"):
        at = _digits_page({"dataset": "mnist", "tab": tab})
        assert not at.exception, (tab, [e.value for e in at.exception])
        assert "damaged" in _texts(at)
        assert [b for b in at.button if b.key == "d_download"]
