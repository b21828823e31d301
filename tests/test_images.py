"""Uploads -> images -> model inputs: every mode and format, polarity, EXIF, and the bad files."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from core.digits.images import ImageError, Steps, load_image, to_grey, to_mnist, to_uci


def digit_ink(w=120, h=160, width=12) -> np.ndarray:
    """A synthetic '4'-like digit off-centre: ink map [h, w] float in {0, 1}."""
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    d.line([(30, 20), (22, 95), (95, 95)], fill=255, width=width)
    d.line([(75, 40), (70, 140)], fill=255, width=width)
    return np.asarray(img, np.float32) / 255.0


def encode(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def variants() -> dict[str, bytes]:
    """The same dark-on-light digit in every mode and format an upload may have."""
    ink = digit_ink()
    grey = (255 * (1 - ink)).astype(np.uint8)
    L = Image.fromarray(grey, "L")
    rgb = Image.merge("RGB", [L, L, L])
    rgba_black = np.zeros((*ink.shape, 4), np.uint8)
    rgba_black[..., 3] = (ink * 255).astype(np.uint8)  # black ink on a transparent background
    rgba_white = rgba_black.copy()
    rgba_white[..., :3] = 255  # white ink on a transparent background
    p_transparent = Image.fromarray((ink > 0.5).astype(np.uint8), "P")
    p_transparent.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    return {
        "L png": encode(L),
        "RGB png": encode(rgb),
        "RGBA black ink": encode(Image.fromarray(rgba_black, "RGBA")),
        "RGBA white ink": encode(Image.fromarray(rgba_white, "RGBA")),
        "LA png": encode(Image.fromarray(rgba_black, "RGBA").convert("LA")),
        "P png": encode(rgb.quantize(8)),
        "P transparent": encode(p_transparent, transparency=0),
        "I;16 png": encode(Image.fromarray(grey.astype(np.uint16) * 257)),
        "1 png": encode(L.convert("1")),
        "I tiff": encode(L.convert("I"), "TIFF"),
        "F tiff": encode(Image.fromarray(grey.astype(np.float32), "F"), "TIFF"),
        "CMYK jpeg": encode(rgb.convert("CMYK"), "JPEG", quality=95),
        "RGB jpeg": encode(rgb, "JPEG", quality=90),
        "gif": encode(L, "GIF"),
        "bmp": encode(rgb, "BMP"),
        "webp": encode(rgb, "WEBP", lossless=True),
    }


@pytest.fixture(scope="module")
def reference() -> Steps:
    return to_mnist(load_image(encode(Image.fromarray((255 * (1 - digit_ink())).astype(np.uint8), "L"))))


@pytest.mark.parametrize("name", list(variants()))
def test_every_mode_gives_the_same_mnist_input(name, reference):
    img = load_image(variants()[name])
    s = to_mnist(img)
    x = s.x.reshape(28, 28)
    assert s.x.shape == (784,) and s.x.dtype == np.float32
    assert s.x.min() >= 0 and s.x.max() == pytest.approx(1.0)
    assert s.inverted == (name == "RGBA white ink")  # white ink is put on black, then inverted
    assert np.abs(s.x - reference.x).mean() < 0.05, name
    # the MNIST layout: ink inside a 20x20 box, centre of mass at the centre
    ys, xs = np.nonzero(x > 0.05)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 <= 21
    cy, cx = ndimage.center_of_mass(x)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0
    assert x[0].sum() == 0 and x[:, 0].sum() == 0  # background stays empty
    assert [n for n, _ in s.stages][0] == "grey" and len(s.stages) == 5


def test_light_on_dark_is_detected_and_reads_the_same(reference):
    ink = digit_ink()
    chalk = Image.fromarray((40 + 200 * ink).astype(np.uint8), "L")
    s = to_mnist(load_image(encode(chalk)))
    assert s.inverted and "inverted" in s.note
    assert np.abs(s.x - reference.x).mean() < 0.05


def test_photo_with_shading_and_noise_reads_like_the_clean_image(reference):
    rng = np.random.default_rng(0)
    ink = np.pad(digit_ink(), 60)
    h, w = ink.shape
    light = np.linspace(0.55, 1.0, w)[None, :] * np.ones((h, 1))  # a strong shadow to the left
    photo = (230 * light * (1 - 0.85 * ink) + rng.normal(0, 5, ink.shape)).clip(0, 255).astype(np.uint8)
    s = to_mnist(load_image(encode(Image.fromarray(photo, "L"), "JPEG", quality=70)))
    assert not s.inverted
    assert np.abs(s.x - reference.x).mean() < 0.08


def test_exif_orientation_is_honoured(reference):
    upright = Image.fromarray((255 * (1 - digit_ink())).astype(np.uint8), "L")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a phone held sideways stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # viewers rotate 90 degrees clockwise
    img = load_image(encode(stored, "JPEG", quality=95, exif=exif))
    assert img.size == upright.size
    assert np.abs(to_mnist(img).x - reference.x).mean() < 0.05


def test_to_uci_is_a_32x32_bitmap_counted_in_4x4_blocks():
    """A bitmap that already fills 32 rows, drawn 8x bigger, comes back as its own block counts."""
    bitmap = np.zeros((32, 32), np.float32)
    bitmap[:, 10:15] = 1  # a tall stroke
    bitmap[0:5, 10:24] = 1  # a top bar: a '7'-ish shape, 14 px wide
    width = 24 - 10
    centred = np.zeros_like(bitmap)
    left = (32 - width) // 2
    centred[:, left:left + width] = bitmap[:, 10:24]
    expected = centred.reshape(8, 4, 8, 4).sum(axis=(1, 3)) / 16
    big = Image.fromarray((255 * (1 - bitmap)).astype(np.uint8), "L").resize((256, 256), Image.Resampling.NEAREST)
    s = to_uci(load_image(encode(big)))
    assert s.x.shape == (64,) and s.x.dtype == np.float32
    assert np.allclose(s.x * 16, np.round(s.x * 16)) and s.x.min() >= 0 and s.x.max() <= 1
    assert np.abs(s.x - expected.ravel()).max() <= 2 / 16
    assert [n for n, _ in s.stages][3] == "32x32 bitmap"


def test_grey_of_sixteen_bit_keeps_its_range():
    a = np.full((20, 20), 65535, np.uint16)
    a[5:15, 8:12] = 0
    g = to_grey(Image.fromarray(a))
    assert g.max() == pytest.approx(1.0) and g.min() == 0.0


# ---- the bad files -------------------------------------------------------------------------

def png_header_only(w: int, h: int) -> bytes:
    """A valid PNG signature + IHDR claiming w x h, with a tiny IDAT: a decompression bomb's header."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 100))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def bad_files() -> dict[str, tuple[bytes, str]]:
    good = encode(Image.fromarray((255 * (1 - digit_ink())).astype(np.uint8), "L"))
    return {
        "empty": (b"", "empty"),
        "text": (b"hello, this is not a picture\n" * 20, "text file"),
        "truncated png": (good[: len(good) // 2], "truncated"),
        "1x1": (encode(Image.new("L", (1, 1), 0)), "too small"),
        "bomb": (png_header_only(60_000, 60_000), "huge"),
        "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>', "SVG"),
        "svg no xml": (b'<svg width="10" height="10"><circle r="4"/></svg>', "SVG"),
        "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        "garbage": (bytes(range(256)) * 10, "not an image"),
    }


@pytest.mark.parametrize("name", list(bad_files()))
def test_bad_files_get_a_one_line_reason(name):
    data, words = bad_files()[name]
    with pytest.raises(ImageError) as e:
        load_image(data)
    msg = str(e.value)
    assert words.lower() in msg.lower(), msg
    assert "\n" not in msg and len(msg) < 160


def test_over_the_size_limit_and_pixel_limit():
    with pytest.raises(ImageError, match="limit is 20 MB"):
        load_image(b"\x89PNG\r\n\x1a\n" + bytes(20_000_001))
    big = encode(Image.new("L", (3000, 2000), 255))
    with pytest.raises(ImageError, match="megapixels"):
        load_image(big, max_pixels=5_000_000)


def test_blank_image_has_no_ink():
    for colour in (255, 0, 128):
        with pytest.raises(ImageError, match="no ink"):
            to_mnist(load_image(encode(Image.new("L", (200, 200), colour))))
    noisy = (200 + np.random.default_rng(0).normal(0, 3, (200, 200))).clip(0, 255).astype(np.uint8)
    with pytest.raises(ImageError, match="no ink"):
        to_uci(load_image(encode(Image.fromarray(noisy, "L"), "JPEG")))


def test_a_lying_extension_does_not_matter(tmp_path, monkeypatch):
    """Content decides, never the name: an upload or file called four.png that holds a JPEG reads exactly as
    under its true name, a PNG called scan.txt reads, and a text file called digit.png is refused as text."""
    import pandas as pd
    import torch

    from core import predict
    from core.digits import DigitsConfig, reading
    from core.engine import TrainResult

    cfg = DigitsConfig(hidden=(), epochs=1, patience=0, augment_copies=0)  # an 8x8 reader: a seeded linear map
    torch.manual_seed(0)
    net = torch.nn.Linear(64, 10)
    model = TrainResult(cfg, pd.DataFrame(), {}, {f"0.{k}": v for k, v in net.state_dict().items()}, 64, 10, 1, 1)
    ink = Image.fromarray((255 * (1 - digit_ink())).astype(np.uint8), "L")
    jpeg, png, text = encode(ink.convert("RGB"), "JPEG"), encode(ink), b"name,digit\nseven,7\n"
    assert load_image(jpeg).format == "JPEG"

    def read(items):  # a fresh reading cache each time: every file is really read under the name it has
        monkeypatch.setattr(reading, "READINGS", reading._Readings())
        return reading.read_many(items, model)

    lying = read([("four.png", jpeg), ("scan.txt", png), ("digit.png", text)])
    honest = read([("four.jpg", jpeg), ("scan.png", png), ("digit.txt", text)])
    assert [x.name for x in lying] == ["four.png", "scan.txt", "digit.png"]
    for liar, true in zip(lying[:2], honest[:2]):
        assert liar.ok and true.ok
        assert liar.digit == true.digit and np.array_equal(liar.probs, true.probs)
        assert np.array_equal(liar.steps.x, true.steps.x)
    assert np.array_equal(lying[0].steps.x, to_uci(load_image(jpeg)).x)  # the JPEG decoder read it
    assert not lying[2].ok and "text file" in lying[2].error and lying[2].error == honest[2].error
    # the command line reads a file by its path: the same
    (tmp_path / "four.png").write_bytes(jpeg)
    (tmp_path / "digit.png").write_bytes(text)
    assert predict.read_file(str(tmp_path / "four.png"), model) == predict.classify(jpeg, model)
    assert predict.read_file(str(tmp_path / "four.png"), model)[0] == lying[0].digit
    with pytest.raises(ImageError, match="text file"):
        predict.read_file(str(tmp_path / "digit.png"), model)


# ---- bounded reading: huge decodes, reduction while decoding, readings cached ----------------------
def huge_png(side: int = 6300) -> bytes:
    """A real PNG of ``side`` x ``side`` RGBA (white, a black bar for a '1'), about 190 kB on disk,
    written row by row so the test itself never holds the decoded image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    white = b"\xff" * (4 * side)
    bar = bytearray(white)
    lo, hi = side * 45 // 100, side * 55 // 100
    bar[4 * lo:4 * hi] = b"\x00\x00\x00\xff" * (hi - lo)
    z = zlib.compressobj(9)
    parts = []
    for y in range(side):
        row = bytes(bar) if side // 5 < y < side * 4 // 5 else white
        parts.append(z.compress(b"\x00" + row))
    parts.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


PEAK_SCRIPT = """
import os, resource, sys
sys.path.insert(0, {root!r})
from core.digits import images
data = open({path!r}, "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    img = images.load_image(data)
    steps = images.preprocess(img, "mnist")
    out = "read %dx%d" % img.size
except images.ImageError as e:
    out = "refused: " + str(e)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024, out)
"""


@pytest.fixture(scope="module")
def huge_png_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    path.write_bytes(huge_png())
    return path


@pytest.mark.parametrize("hosted", ["", "1"])
def test_a_small_png_that_decodes_huge_peaks_well_under_300_mb(huge_png_file, hosted):
    """Issue 13: 190 kB -> 6,300 x 6,300 RGBA cost 1.5-1.8 GB per file. Measured in a fresh process."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    assert 100_000 < huge_png_file.stat().st_size < 300_000
    env = {**os.environ, "NNLAB_HOSTED": hosted}
    r = subprocess.run([sys.executable, "-c", PEAK_SCRIPT.format(root=str(ROOT), path=str(huge_png_file))],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-800:]
    mb, outcome = r.stdout.split(maxsplit=1)
    assert int(mb) < 250, r.stdout  # the decoded RGBA alone is 159 MB; it was 1.5 GB
    if hosted:  # over the hosted pixel cap: refused from the header, before decoding
        assert outcome.startswith("refused:") and "megapixels" in outcome and int(mb) < 50
    else:  # laptop: decoded once, reduced in C before any float copy
        assert outcome.startswith("read "), outcome


def test_a_big_jpeg_is_reduced_while_decoding():
    img = Image.fromarray((255 * (1 - digit_ink(1200, 1600, 90))).astype(np.uint8), "L").resize((3000, 4000))
    out = load_image(encode(img, "JPEG", quality=90))
    assert max(out.size) <= 1024 and max(out.size) >= 512 and out.format == "JPEG"
    assert to_mnist(out).x.shape == (784,)


def test_a_big_png_is_reduced_before_any_float_copy():
    img = Image.fromarray((255 * (1 - digit_ink(1200, 1600, 90))).astype(np.uint8), "L").convert("P")
    out = load_image(encode(img))
    assert max(out.size) < 1024 and out.format == "PNG"
    steps = to_mnist(out)
    assert steps.x.max() > 0.5


def test_the_pixel_cap_comes_from_the_server_settings(monkeypatch):
    img = Image.new("L", (4000, 3500), 255)
    data = encode(img)
    assert load_image(data).size[0] <= 1024  # laptop: 14 MP is fine
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    with pytest.raises(ImageError, match="megapixels"):
        load_image(data)


def test_readings_are_cached_by_file_hash(monkeypatch):
    from core.digits import default_config, images, jobs, reading

    result = jobs.compute([default_config("digits").replace(epochs=1, augment_copies=0, patience=0)])[0]
    data = encode(Image.fromarray((255 * (1 - digit_ink())).astype(np.uint8), "L"))
    calls = []
    real = images.load_image
    monkeypatch.setattr(images, "load_image", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(reading, "READINGS", reading._Readings(size=2))
    first = reading.read_one("a.png", data, result)
    again = reading.read_one("b.png", data, result)
    assert calls == [1] and again.name == "b.png" and again.digit == first.digit
    for i in range(3):  # bounded: older readings go
        reading.read_one(f"{i}", data + bytes([i]), result)
    assert len(reading.READINGS.items) == 2


def test_the_drawn_digits_of_the_browser_test_are_read_right_offline():
    """The strokes tests/test_browser_drawn.py draws in chromium, drawn here the canvas's way: the built-in
    reader reads all ten, each surely."""
    from bench.uploads import STROKES, drawn_png
    from core.digits import predict
    from core.digits.images import preprocess
    from core.digits.reader import shipped_reader

    r = shipped_reader()
    X = np.stack([preprocess(load_image(drawn_png(s)), "mnist").x for s in STROKES.values()])
    p = predict(r, X)
    assert list(p.argmax(1)) == list(STROKES), p.argmax(1)
    assert p.max(1).min() > 0.9
