"""Augmentation in chunks: the same numbers as warping every row at once, in bounded memory."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from core.digits.augment import augment_images
from tests.conftest import ROOT


def test_chunks_give_the_numbers_of_one_pass():
    X = np.random.default_rng(0).random((300, 784), dtype=np.float32)
    whole = augment_images(X, 1.0, 2, seed=3, chunk=10_000)
    for chunk in (17, 256):
        assert np.array_equal(augment_images(X, 1.0, 2, seed=3, chunk=chunk), whole)
    X8 = np.random.default_rng(1).random((300, 64), dtype=np.float32)
    assert np.array_equal(augment_images(X8, 0.5, 2, 0, 8, chunk=7), augment_images(X8, 0.5, 2, 0, 8))


def test_writes_into_a_given_array():
    X = np.random.default_rng(0).random((50, 784), dtype=np.float32)
    train = np.empty((150, 784), np.float32)
    train[:50] = X
    got = augment_images(X, 1.0, 2, seed=1, out=train[50:])
    assert np.shares_memory(got, train) and np.array_equal(train[50:], augment_images(X, 1.0, 2, seed=1))
    with pytest.raises(ValueError, match="out must be"):
        augment_images(X, 1.0, 2, out=np.empty((10, 784), np.float32))
    assert augment_images(X, 0.0, 2).shape == (0, 784) and augment_images(X, 1.0, 0).shape == (0, 784)


SCRIPT = """
import resource, sys
sys.path.insert(0, {root!r})
import numpy as np
from core.digits.augment import augment_images
X = np.random.default_rng(0).random((6000, 784), dtype=np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
augment_images(X, 1.0, 1)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_memory_is_the_output_plus_a_chunk():
    """6,000 MNIST rows, 1 copy: the output is 19 MB; warping all rows at once took about 20x that."""
    r = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT))], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-500:]
    assert int(r.stdout.split()[-1]) < 19 + 80, r.stdout
