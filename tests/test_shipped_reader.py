"""The MNIST sample and the built-in reader that ship in the repository: intact, readable, small, reproducible."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from core.datasets import mnist
from core.digits import build_reader as br
from core.digits import import_model, predict, raw_arrays
from core.digits.reader import best_reader, shipped_reader


def test_the_shipped_sample_is_intact_and_reads_like_any_mnist_folder(tmp_path):
    mnist.verify_sample()  # its own SHA256SUMS, the IDX headers, 4,000 + 1,000 digits
    tri, trl, tei, tel = mnist.read_folder(mnist.SAMPLE_DIR)
    assert tri.shape == (4000, 28, 28) and tei.shape == (1000, 28, 28) and trl.shape == (4000,)
    assert set(np.unique(tel)) == set(range(10))
    assert "CC BY-SA 3.0" in (mnist.SAMPLE_DIR / "README.md").read_text()
    # a copy with one byte changed fails its checksum, naming the file
    for p in mnist.SAMPLE_DIR.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(bad.read_bytes())
    raw[-9] ^= 1
    bad.write_bytes(bytes(raw))
    with pytest.raises(mnist.MnistUnavailable, match="t10k-labels-idx1-ubyte.gz"):
        mnist.verify_sample(tmp_path)


def test_data_and_weights_together_stay_under_3_mb():
    total = sum(p.stat().st_size for p in mnist.SAMPLE_DIR.iterdir()) + br.SHIPPED_READER.stat().st_size
    assert total < 3_000_000, total


def test_the_shipped_reader_reads_the_samples_test_split_at_its_recorded_accuracy():
    r = import_model(br.SHIPPED_READER.read_bytes())  # validated like any uploaded model file
    assert r.config == br.CONFIGS[br.kind_of(r)]  # what the build script trains
    recorded = r.extra["sample_test_acc"]
    assert br.sample_test_accuracy(r) == pytest.approx(recorded, abs=1e-9)
    assert recorded >= 0.97
    assert r.config.dataset == "mnist" and "4,000" in r.extra["trained_on"]


def test_the_shipped_reader_is_the_one_of_the_two_that_read_better():
    """The build script built the MLP and the CNN and shipped the one that read more realistic uploads (ties: more
    test digits); the file records the one it beat."""
    r = import_model(br.SHIPPED_READER.read_bytes())
    other = "mlp" if br.kind_of(r) == "cnn" else "cnn"
    mine, theirs = r.extra["uploads_acc"], r.extra[f"beat_{other}_uploads_acc"]
    assert (mine, r.extra["sample_test_acc"]) >= (theirs, r.extra[f"beat_{other}_sample_test_acc"])
    assert br.uploads_accuracy(r, 100) >= 0.97  # the first 100 of them read again (all 1,000: the full build's test)
    assert mine >= 0.985  # the goal for the offline reader


def test_without_mnist_the_best_reader_is_the_shipped_one_with_no_training(monkeypatch):
    from core import digits

    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    monkeypatch.setattr(digits.jobs, "fit", lambda *a, **k: pytest.fail("nothing may train"))
    r, which = best_reader()
    assert r is shipped_reader() and which.startswith("built-in reader")
    assert "MNIST is not on this machine" in which


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_the_build_script_is_seeded_fast_check(kind):
    """A reduced build (1-2 epochs, 1 copy, on part of the sample) twice: the same weights and accuracy."""
    cfg = br.CONFIGS[kind].replace(epochs=2 if kind == "mlp" else 1, augment_copies=1, patience=0,
                                   train_limit=2000 if kind == "mlp" else 1500)  # the elastic warps cost most
    a, b = br.build(cfg), br.build(cfg)
    assert a.state.keys() == b.state.keys()
    assert all(torch.equal(a.state[k], b.state[k]) for k in a.state)
    assert a.extra["sample_test_acc"] == b.extra["sample_test_acc"] > (0.7 if kind == "mlp" else 0.4)  # it learns


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not os.environ.get("NNLAB_FULL_BUILD"), reason="the full build takes 5-8 min: NNLAB_FULL_BUILD=1")
def test_the_build_script_reproduces_the_shipped_reader():
    """The full build of the shipped kind (5-8 minutes; the fast check above is its reduced form): the shipped
    reader again, and it reads the same uploads as its file records. Bit for
    bit with the same torch and thread count; a busy machine trains on one thread instead of two, which changes
    the order of float sums, so the check is on what it reads, not on the last bit of each weight."""
    shipped = import_model(br.SHIPPED_READER.read_bytes())
    again = br.build(br.CONFIGS[br.kind_of(shipped)])
    assert again.config == shipped.config and again.stopped_epoch == shipped.stopped_epoch
    assert again.extra["sample_test_acc"] == pytest.approx(shipped.extra["sample_test_acc"], abs=0.004)
    _, _, Xte, _ = raw_arrays("mnist", mnist.SAMPLE_DIR)
    same = (predict(again, Xte).argmax(1) == predict(shipped, Xte).argmax(1)).mean()
    assert same >= 0.99, same
    assert br.uploads_accuracy(again) == pytest.approx(shipped.extra["uploads_acc"], abs=0.004)


def test_a_hosted_server_reads_with_the_built_in_reader(monkeypatch):
    """The built-in reader is the server's own file: a hosted visitor's caps on model files (the MLP's 512-wide
    layer is over them) do not refuse it."""
    from core.digits import reader

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(reader, "_SHIPPED", {})
    assert reader.shipped_reader() is not None
