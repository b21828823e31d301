"""The default reader is chosen by measured accuracy on one common held-out set (the MNIST sample's 1,000 t10k
digits), recorded with each reader, never by where the reader came from: both ways, in the core and on the page."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import digits
from core.datasets import mnist
from core.digits import reader
from core.digits.build_reader import sample_test_accuracy

TINY = digits.DigitsConfig(dataset="mnist", hidden=(32,), epochs=2, patience=0, augment_copies=0, batch_size=64,
                           lr=0.003, val_fraction=0.0)


@pytest.fixture(scope="module")
def tiny() -> digits.DigitsConfig:
    return TINY


def weak_shipped(acc: float):
    """The built-in reader with its recorded held-out accuracy replaced (its file is not touched)."""
    r = reader.shipped_reader()
    return dataclasses.replace(r, extra={**r.extra, reader.HELD_OUT_KEY: acc})


def test_the_shipped_reader_records_its_held_out_accuracy():
    r = reader.shipped_reader()
    assert isinstance(r.extra[reader.HELD_OUT_KEY], float)
    assert "1,000 held-out" in reader.held_out_words()


def test_a_weaker_trained_reader_does_not_replace_the_built_in_one(monkeypatch):
    """MNIST here (the sample itself): the reader trained on it reads fewer held-out digits: the built-in one
    stays the default, and the line says both numbers."""
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(mnist.SAMPLE_DIR))
    monkeypatch.setattr(digits, "default_config", lambda dataset="digits": TINY if dataset == "mnist"
                        else digits.DigitsConfig())
    r, which = reader.best_reader()
    assert r is reader.shipped_reader()
    assert which.startswith("built-in reader") and "it reads better than the one trained on MNIST" in which
    trained = digits.train(TINY, folder=str(mnist.SAMPLE_DIR))  # from the disk cache: no number recorded yet
    acc = reader.record_held_out(trained, str(mnist.SAMPLE_DIR))
    assert acc == trained.extra[reader.HELD_OUT_KEY] == pytest.approx(sample_test_accuracy(trained))
    assert f"{acc:.1%}" in which
    assert not reader.trained_reads_better(trained)


def test_a_better_trained_reader_replaces_the_built_in_one(monkeypatch):
    """The same trained reader against a built-in one that records less: the trained one reads."""
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(mnist.SAMPLE_DIR))
    monkeypatch.setattr(digits, "default_config", lambda dataset="digits": TINY if dataset == "mnist"
                        else digits.DigitsConfig())
    monkeypatch.setattr(reader, "_SHIPPED", {"r": weak_shipped(0.5)})
    r, which = reader.best_reader()
    assert r is not reader.shipped_reader() and r.config == TINY
    assert which.startswith("MNIST-format reader") and "the built-in reader 50.0%" in which
    assert reader.trained_reads_better(r)


def test_a_tie_keeps_the_built_in_reader(monkeypatch):
    trained = digits.train(TINY, folder=str(mnist.SAMPLE_DIR))
    acc = reader.record_held_out(trained, str(mnist.SAMPLE_DIR))
    monkeypatch.setattr(reader, "_SHIPPED", {"r": weak_shipped(acc)})
    assert not reader.trained_reads_better(trained)
    monkeypatch.setattr(reader, "_SHIPPED", {"r": weak_shipped(acc - 0.001)})
    assert reader.trained_reads_better(trained)


def test_a_reader_that_trained_on_held_out_digits_gets_no_number(tmp_path):
    """MNIST files whose train split holds the held-out digits: the number would not be held out, so none is
    recorded, and the trained reader cannot win by it."""
    import gzip

    tri, trl, tei, tel = mnist.read_folder(mnist.SAMPLE_DIR)
    for stem, a in (("train-images-idx3-ubyte", np.concatenate([tri[:200], tei[:5]])),
                    ("train-labels-idx1-ubyte", np.concatenate([trl[:200], tel[:5]])),
                    ("t10k-images-idx3-ubyte", tei[:50]), ("t10k-labels-idx1-ubyte", tel[:50])):
        head = (b"\x00\x00\x08\x03" + len(a).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 if a.ndim == 3
                else b"\x00\x00\x08\x01" + len(a).to_bytes(4, "big"))
        (tmp_path / f"{stem}.gz").write_bytes(gzip.compress(head + a.astype(np.uint8).tobytes()))
    trained = digits.compute(TINY, folder=str(tmp_path))[0]
    assert reader.record_held_out(trained, str(tmp_path)) is None
    assert reader.HELD_OUT_KEY not in trained.extra and not reader.trained_reads_better(trained)
    assert "no held-out accuracy" in reader.comparison_words(trained)


def test_the_read_tab_reads_with_the_better_reader_both_ways(monkeypatch):
    """The page's own choice (ui.digits.best_reader) with the background reader trained: by the numbers."""
    from core.digits.reader import ReaderState
    from ui import digits as ud

    trained = digits.train(TINY, folder=str(mnist.SAMPLE_DIR))
    reader.record_held_out(trained, str(mnist.SAMPLE_DIR))
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(mnist.SAMPLE_DIR))
    monkeypatch.setattr(reader.READER, "status", lambda start=True: ReaderState("ready", trained, where="here"))
    said = []
    monkeypatch.setattr(ud.say, "status", lambda text, *a, **k: said.append(text))
    model, _ = ud.best_reader()
    assert model is reader.shipped_reader() and said[-1].startswith("Reading with the **built-in reader**")
    assert "held-out test digits" in said[-1]
    monkeypatch.setattr(reader, "_SHIPPED", {"r": weak_shipped(0.5)})
    model, _ = ud.best_reader()
    assert model is trained and said[-1].startswith("Reading with the **MNIST-format reader**")
