"""Uploads and files that escaped the price or the memory bound (issue 22, part 2): each refused or bounded."""

from __future__ import annotations

import errno
import hashlib
import os
import threading
import tomllib

import numpy as np
import pandas as pd
import pytest
import torch

import core.when_to_use as wtu
from core import digits, settings
from core.datasets import mnist
from core.digits import DigitsConfig, ModelFileError, novelty
from core.engine import TrainResult
from tests.conftest import ROOT
from tests.test_mnist import tiny_set


# ---- 1. When to Use's CSV: checked before pandas parses it --------------------------------------------
@pytest.fixture
def no_pandas(monkeypatch):
    """pandas' parser must never see these files (it renamed repeated names in quadratic time)."""
    def boom(*a, **k):
        raise AssertionError("pandas parsed a file the header check should have refused")

    monkeypatch.setattr(pd, "read_csv", boom)


@pytest.mark.parametrize("raw, message", [
    ((",".join(["a"] * 40_000) + "\n" + ",".join(["1"] * 40_000) + "\n").encode(), "40,000 columns"),
    ((",".join(f"c{i}" for i in range(260_000)) + "\n").encode(), "260,000 columns"),
    (b"a,a,b\n" + b"1,2,0\n" * 30, "two columns are named 'a'"),
    (b"a, b,b \n" + b"1,2,0\n" * 30, "two columns are named 'b'"),
    (b"a,b\n" + b",".join([b"1"] * 300_000) + b"\n1,0\n", "row 1 has 300,000 fields"),
    (b'a,b\n"' + b"x" * 200_000 + b'",1\n', "could not read it as CSV"),
    (b"a,b\r" + b"1,0\r" * 6000, "rows; the limit is 5,000"),
])
def test_a_hostile_csv_is_refused_before_pandas_parses_it(no_pandas, raw, message):
    with pytest.raises(ValueError, match=message) as e:
        wtu.table_from_csv(raw)
    assert "\n" not in str(e.value)


def test_a_csv_within_the_limits_still_reads_and_a_trailing_delimiter_is_no_index():
    raw = b"x1,x2,label,\n" + b"".join(f"{i},{i % 7},{i % 2},\n".encode() for i in range(40))
    t = wtu.table_from_csv(raw, "label")
    assert t.features == ("x1", "x2") and t.shape == (40, 2) and t.n_classes == 2
    assert t.X[:, 0].tolist() == list(range(40))  # not shifted by an index column


def test_the_session_remembers_a_refused_csv_so_a_rerun_does_not_parse_it_again(monkeypatch):
    from ui import uploads

    state: dict = {}
    monkeypatch.setattr(uploads, "_session", lambda: state)
    calls = []

    def parse():
        calls.append(1)
        raise ValueError("the file has 40,000 columns; the limit is 200")

    for _ in range(3):
        with pytest.raises(ValueError, match="40,000 columns"):
            uploads.read_once(b"a,a\n1,2\n", parse, "wtu", "")
    assert calls == [1]
    with pytest.raises(ValueError):  # another target is another question
        uploads.read_once(b"a,a\n1,2\n", parse, "wtu", "a")
    assert calls == [1, 1]


# ---- 2. model files: held to the caps, every field typed, the novelty bank float32 and bounded -----------
def model_file(hidden: tuple[int, ...], dataset: str = "digits", **item) -> bytes:
    n_in = 64 if dataset == "digits" else 784
    cfg = DigitsConfig(hidden=hidden, dropout=0.0, epochs=2, patience=0, augment_copies=0, dataset=dataset)
    widths = [n_in, *hidden, 10]
    g = torch.Generator().manual_seed(0)
    state = {}
    for i in range(len(widths) - 1):
        state[f"{2 * i}.weight"] = torch.randn(widths[i + 1], widths[i], generator=g) * 0.1
        state[f"{2 * i}.bias"] = torch.zeros(widths[i + 1])
    hist = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.9], "test_acc": [0.5, 0.5]})
    r = TrainResult(cfg, hist, item.pop("metrics", {"final_test_acc": 0.5}), state, n_in, 10, 2, 2,
                    extra=item.pop("extra", {}))
    return digits.export_model(r)


def test_a_wide_model_file_is_refused_by_the_caps_before_anything_is_built(monkeypatch):
    """0.64 MB: ten 4,096-wide layers; read once it held 1.3 GB and cost 14 s of CPU."""
    blob = model_file((1, 4096) * 10)
    assert len(blob) < 700_000
    with pytest.raises(ModelFileError, match="caps: hidden: a layer of 4,096 neurons is over"):
        digits.import_model(blob)
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    with pytest.raises(ModelFileError, match="cap of 256 neurons"):
        digits.import_model(model_file((300,)))
    with pytest.raises(ModelFileError, match="13 hidden layers is over this server's cap of 12"):
        digits.import_model(model_file((8,) * 13))
    assert digits.import_model(model_file((256,) * 2)).config.hidden == (256, 256)


@pytest.mark.parametrize("item, message", [
    ({"metrics": {"final_test_acc": None}}, "metrics"),
    ({"extra": {"_digest": "0123456789ab"}}, "extra fields"),  # would pose as another model in the memos
    ({"extra": {"_net": "x"}}, "extra fields"),
    ({"extra": {"cut_short_epoch": "3"}}, "cut_short_epoch"),
    ({"extra": {"cut_short": 1}}, "cut_short"),
    ({"extra": {"a": None}}, "extra fields"),
])
def test_every_metadata_field_the_page_reads_is_typed(item, message):
    from tests.test_model_files import with_item

    blob = with_item(model_file((8,)), **item)  # as a hand-edited file would say it (export drops "_" keys)
    with pytest.raises(ModelFileError, match=message):
        digits.import_model(blob)


def test_the_novelty_bank_is_float32_and_bounded(monkeypatch):
    m = digits.import_model(model_file((1, 512) * 3))
    Xtr = digits.raw_arrays("digits")[0]
    monkeypatch.setattr(novelty, "BANK_FLOATS", 1539 * 300)  # 300 rows of this model's hidden space
    flag = novelty.fit(m, Xtr)
    assert {b.dtype for b in flag.banks.values()} == {np.dtype(np.float32)}
    assert flag.banks["hidden"].shape == (300, 1539) and len(flag.bank_index) == 300
    assert flag.flags(m, Xtr[:3]).shape == (3,)


# ---- 3. the server's own upload limit -----------------------------------------------------------------
def test_the_servers_upload_limit_is_what_the_pages_declare():
    from ui.widgets import upload_mb

    conf = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert conf["server"]["maxUploadSize"] == settings.LAPTOP.max_upload_mb  # the laptop's largest uploader
    assert upload_mb(wtu.MAX_CSV_BYTES) <= settings.HOSTED.max_upload_mb < settings.LAPTOP.max_upload_mb
    assert upload_mb() == settings.LAPTOP.max_upload_mb


def test_a_hosted_server_enforces_its_own_smaller_upload_limit(monkeypatch):
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    from ui import uploads

    before = config.get_option("server.maxUploadSize")
    try:
        uploads.enforce_server_limit()  # a laptop: as configured
        assert config.get_option("server.maxUploadSize") == before
        monkeypatch.setenv("NNLAB_HOSTED", "1")
        AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()  # app.py does it on a hosted server
        assert config.get_option("server.maxUploadSize") == settings.HOSTED.max_upload_mb
    finally:
        config.set_option("server.maxUploadSize", before)


# ---- 4. a full disk, a FIFO -------------------------------------------------------------------------------
def test_a_full_disk_during_the_download_leaves_no_part_file_and_says_one_line(tmp_path, monkeypatch):
    files = tiny_set()
    sums = {k: hashlib.md5(v).hexdigest() for k, v in files.items()}
    monkeypatch.setattr(mnist, "_get", lambda url, timeout: files[url.rsplit("/", 1)[1][:-3]])
    real = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

        def write(self, b):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(mnist.os, "fdopen", lambda fd, mode: Full(real(fd, mode)))
    with pytest.raises(mnist.MnistUnavailable, match="No space left on device") as e:
        mnist.load_raw(None, download=True, data_dir=tmp_path, mirrors=["http://mirror/"], checksums=sums)
    assert "\n" not in str(e.value)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_predict_refuses_a_fifo_at_once(tmp_path):
    from core import predict

    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    out: list = []

    def go():
        try:
            predict.read_file(str(fifo), result=None)  # type: ignore[arg-type]
        except OSError as e:
            out.append(str(e))

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(5)
    if t.is_alive():  # unblock the reader so the test process can end
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("reading a FIFO blocked")
    assert out and "not a regular file" in out[0]
    with pytest.raises(OSError, match="not a regular file"):
        predict.read_file("/dev/null", result=None)  # type: ignore[arg-type]


# ---- the pages: a refused file never stays, and is not read again -----------------------------------------
def test_digit_page_a_refused_model_file_never_stays_in_the_session(monkeypatch):
    from core.digits import model_file as mfile
    from tests.test_digit_page import page, texts
    from tests.test_model_files import with_item

    good = model_file((16,))
    at = page()
    at.file_uploader(key="d_model_file").set_value(("good.safetensors", good, "application/octet-stream")).run()
    assert "Loaded **good.safetensors**" in texts(at, "success") and "d_loaded" in at.session_state
    bad = with_item(good, metrics={"final_test_acc": None})  # passed validation, then crashed every rerun
    calls = []
    real = mfile.import_model
    monkeypatch.setattr(digits, "import_model", lambda raw: calls.append(1) or real(raw))
    at.file_uploader(key="d_model_file").set_value(("null.safetensors", bad, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "**null.safetensors** refused: the model file's metrics should be numbers" in texts(at, "error")
    assert "d_loaded" not in at.session_state
    at.run()  # a rerun: refused again at once, not read again
    assert "refused" in texts(at, "error") and calls == [1] and not at.exception


def test_when_to_use_page_refuses_a_hostile_csv_once_per_session(monkeypatch):
    from core.when_to_use import data as wdata
    from tests.test_when_to_use import page

    calls = []
    real = wdata.table_from_csv
    monkeypatch.setattr(wtu, "table_from_csv", lambda raw, target="": calls.append(1) or real(raw, target))
    at = page(d_dataset="iris", d_models="forest", d_folds="2")
    raw = (",".join(["a"] * 40_000) + "\n" + ",".join(["1"] * 40_000) + "\n").encode()
    at.file_uploader(key="csv_file").set_value([("same.csv", raw, "text/csv")]).run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("same.csv: the file has 40,000 columns; the limit is 200" in str(e.value) for e in at.error)
    assert calls == [1]


def test_playground_csv_rows_are_counted_and_measured_before_numpy_reads_them(monkeypatch):
    from core.datasets import points_from_csv

    monkeypatch.setattr(np, "loadtxt", lambda *a, **k: (_ for _ in ()).throw(AssertionError("numpy read it")))
    with pytest.raises(ValueError, match="found 300000 in row 2"):
        points_from_csv(b"x1,x2,label\n1,2,0\n" + b",".join([b"1"] * 300_000) + b"\n")
    with pytest.raises(ValueError, match="rows; the limit is 5000"):
        points_from_csv(b"x1,x2,label\n" + b"\n" * 1_000_000)
