"""Does this look like a digit at all? The not-a-digit flag on its made set of non-digits vs real test digits.

Measured by bench/novelty.py (thresholds from training images only, quantile 0.98 per space):
8x8 default model: 120/120 made non-digits flagged (23 refused as blank), 2.5% of the 360 test digits;
MNIST default model on the sample's 4,000 training digits: 93/120 flagged, 2.9% of its 1,000 t10k digits.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core import digits
from core.digits import images
from core.digits import novelty as nv
from tests.conftest import MNIST_SAMPLE


@pytest.fixture(scope="module")
def model8():
    r = digits.compute(digits.default_config("digits"))[0]
    Xtr, _, Xte, _ = digits.raw_arrays("digits")
    return r, nv.fit(r, Xtr), Xte


def test_the_made_set_is_seeded_and_covers_every_kind():
    a, b = nv.make_non_digits(40, 0), nv.make_non_digits(40, 0)
    assert [x[2] for x in a] == [x[2] for x in b]
    assert [x[2] for x in nv.make_non_digits(40, 1)] != [x[2] for x in a]
    assert {k for k, _, _ in a} == set(nv.KINDS)
    names = {n for _, n, _ in nv.make_non_digits(120, 0)}
    assert {"blank", "a dot", "scribble", "letter L", "letter T", "letter X", "double ring", "square"} <= names
    for _, _, data in a[:4]:
        assert Image.open(io.BytesIO(data)).size == (nv.CANVAS, nv.CANVAS)


def test_thresholds_come_from_the_training_images(model8):
    r, m, _ = model8
    for s in nv.SPACES:
        assert m.thresholds[s] == pytest.approx(np.quantile(m.calibration[s], nv.QUANTILE))
        assert 0.01 <= (m.calibration[s] > m.thresholds[s]).mean() <= 0.03


def test_8x8_flags_the_non_digits_and_few_real_digits(model8):
    r, m, Xte = model8
    got = nv.measure(r, m, Xte)
    assert got.non_digits == 120 and got.test_digits == 360
    assert got.flag_rate >= 0.95  # measured 120/120
    assert got.false_rate <= 0.05  # measured 2.5%
    assert all(f >= n - 1 for f, n in got.by_kind.values())


def test_a_drawn_L_is_flagged(model8):
    r, m, _ = model8
    im = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(im).line([(90, 40), (90, 230), (200, 230)], fill=0, width=20)
    b = io.BytesIO()
    im.save(b, "PNG")
    x = images.preprocess(images.load_image(b.getvalue()), "digits").x
    assert m.flags(r, x[None])[0]


@pytest.mark.skipif(not MNIST_SAMPLE.is_dir(), reason="MNIST sample folder not available")
def test_mnist_flags_most_non_digits_and_few_real_digits():
    folder = str(MNIST_SAMPLE)
    r = digits.compute(digits.default_config("mnist"), folder=folder)[0]
    Xtr, _, Xte, _ = digits.raw_arrays("mnist", folder)
    got = nv.measure(r, nv.fit(r, Xtr), Xte)
    assert got.test_digits == 1000
    assert got.flag_rate >= 0.72  # measured 93/120 (77.5%)
    assert got.false_rate <= 0.05  # measured 2.9%
