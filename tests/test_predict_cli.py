"""python -m core.predict: output format, bad files, exit status."""

import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from core import digits, predict
from core.digits import DigitsConfig
from tests.conftest import MNIST_SAMPLE

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = MNIST_SAMPLE
TINY = DigitsConfig(hidden=(64,), epochs=40, patience=0, augment_copies=0, batch_size=64, lr=0.01)


def digit_png(i: int) -> bytes:
    """An 8x8 sklearn digit drawn big, dark ink on white: (bytes, label)."""
    d = load_digits()
    img = Image.fromarray((255 - d.images[i] * 255 / 16).astype(np.uint8), "L")
    b = io.BytesIO()
    img.resize((96, 96), Image.Resampling.BILINEAR).save(b, "PNG")
    return b.getvalue()


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "seven.png"
    good.write_bytes(digit_png(7))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"  # the extension lies
    text.write_text("this is a shopping list\n")
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    return good, empty, text, blank, tmp_path / "missing.png"


def test_cli_lines_and_exit_status(files, capsys, monkeypatch):
    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    monkeypatch.setattr(digits, "default_config", lambda dataset="digits": TINY)
    good, empty, text, blank, missing = files
    code = predict.main([str(good), str(empty), str(text), str(blank), str(missing)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1 and len(lines) == 5
    name, digit, prob = lines[0].split("\t")
    assert name == str(good) and digit.isdigit() and 0 < float(prob) <= 1
    reasons = [ln.split("\t") for ln in lines[1:]]
    assert all(len(r) == 2 and r[1].startswith("error: ") for r in reasons)
    assert "empty" in reasons[0][1] and "text" in reasons[1][1] and "no ink" in reasons[2][1]
    assert "No such file" in reasons[3][1]

    assert predict.main([str(good)]) == 0
    assert capsys.readouterr().out.count("\n") == 1


def test_cli_reads_digits_right(tmp_path, capsys, monkeypatch):
    """The page's default 8x8 model reads 8x8 digits drawn big (the UCI round trip)."""
    d = load_digits()
    paths = []
    for i in range(1500, 1530):  # some of these rows are in the test split, all are 8x8 digits
        p = tmp_path / f"d{i}.png"
        p.write_bytes(digit_png(i))
        paths.append(str(p))
    assert predict.main(["--dataset", "digits", *paths]) == 0
    got = [int(line.split("\t")[1]) for line in capsys.readouterr().out.splitlines()]
    assert np.mean(np.array(got) == d.target[1500:1530]) >= 0.8


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="MNIST sample folder not available")
def test_cli_mnist_with_a_local_folder(files, capsys, monkeypatch):
    tiny = DigitsConfig(dataset="mnist", hidden=(32,), epochs=2, patience=0, augment_copies=0,
                        train_limit=600, batch_size=128, lr=0.01)
    monkeypatch.setattr(digits, "default_config", lambda dataset="digits": tiny)
    good = files[0]
    assert predict.main(["--dataset", "mnist", "--data-dir", str(SAMPLE), str(good)]) == 0
    assert capsys.readouterr().out.startswith(f"{good}\t")


def test_cli_without_mnist_says_why_and_how(files, tmp_path):
    env = {**os.environ, "NNLAB_DATA_DIR": str(tmp_path / "d"), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "core.predict", "--dataset", "mnist", "--data-dir",
                          str(tmp_path / "nowhere"), str(files[0])], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "does not exist" in run.stderr and "Traceback" not in run.stderr


def test_cli_without_flags_reads_with_the_built_in_reader_and_says_how_to_get_a_better_one(tmp_path, capsys,
                                                                                             monkeypatch):
    """No MNIST here: no flags reads with the shipped reader at once (nothing trains, nothing downloads)."""
    from PIL import ImageDraw

    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    monkeypatch.setattr(digits.jobs, "fit", lambda *a, **k: pytest.fail("nothing may train"))
    paths = []
    for name, strokes in (("seven", [(60, 50), (220, 50), (120, 250)]), ("one", [(140, 30), (140, 250)])):
        im = Image.new("L", (280, 280), 255)
        ImageDraw.Draw(im).line(strokes, fill=0, width=20)
        im.save(tmp_path / f"{name}.png")
        paths.append(str(tmp_path / f"{name}.png"))
    assert predict.main(paths) == 0
    out = capsys.readouterr()
    assert [line.split("\t")[1] for line in out.out.splitlines()] == ["7", "1"]
    assert out.err.count("\n") == 1 and out.err.startswith("reading with the built-in reader")
    assert "MNIST is not on this machine" in out.err and "NNLAB_MNIST_DIR" in out.err


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="MNIST sample folder not available")
@pytest.mark.parametrize("built_in_reads", ["better", "worse"])
def test_cli_without_flags_reads_with_the_reader_that_reads_the_held_out_digits_better(
        tmp_path, capsys, monkeypatch, built_in_reads):
    """NNLAB_MNIST_DIR names MNIST: no flags trains the MNIST-format model there, measures it on the sample's
    held-out digits and reads with it only if it beats the built-in reader there (a plain 7 is a 7 either way)."""
    from core.digits import reader

    tiny = DigitsConfig(dataset="mnist", hidden=(64,), epochs=8, patience=0, augment_copies=1, augment=1.0,
                        batch_size=64, lr=0.003)
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(SAMPLE))
    monkeypatch.setattr(digits, "default_config", lambda dataset="digits": tiny if dataset == "mnist" else TINY)
    if built_in_reads == "worse":  # a built-in reader whose recorded held-out accuracy is below the tiny model's
        weak = reader.shipped_reader()
        weak = dataclasses.replace(weak, extra={**weak.extra, "sample_test_acc": 0.5})
        monkeypatch.setattr(reader, "_SHIPPED", {"r": weak})
    seven = tmp_path / "seven.png"
    im = Image.new("L", (280, 280), 255)
    from PIL import ImageDraw

    ImageDraw.Draw(im).line([(60, 50), (220, 50), (120, 250)], fill=0, width=20)
    im.save(seven)
    assert predict.main([str(seven)]) == 0
    out = capsys.readouterr()
    assert "held-out test digits" in out.err and "NNLAB_MNIST_DIR to a folder" not in out.err
    if built_in_reads == "better":
        assert out.err.startswith("reading with the built-in reader")
    else:
        assert out.err.startswith("reading with the MNIST-format reader")
    assert out.out.split("\t")[1] == "7"
