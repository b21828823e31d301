"""Uploaded bytes -> a safe, validated image -> the input a digit model expects, step by step.

:func:`load_image` decodes for real (the extension and the browser's content type are never trusted)
under size caps and a decompression-bomb guard. :func:`to_mnist` makes a 28x28 input the way MNIST
itself was made (grey, ink, crop, scale into 20x20 keeping the aspect, centre of mass at the centre
of 28x28); :func:`to_uci` makes the 8x8 input the way the UCI digits were made (32x32 bitmap, 4x4
block counts 0..16). Both return a :class:`Steps` with every intermediate image, for display.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from core import settings

FORMATS = ("PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP", "TIFF")
MIN_SIDE = 6  # pixels: anything smaller cannot hold a readable digit
WORK_SIDE = 256  # preprocessing works at most at this size (the result is 28x28 anyway)
SOLID_MAX = 0.9  # ink filling a region wider than a third of the image, above its surroundings: not strokes


class ImageError(ValueError):
    """An upload that cannot be read as a digit; the message is one line, meant for the user."""


def _sniff_non_image(data: bytes) -> str | None:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    low = head.lower()
    if low.startswith(b"<?xml") or b"<svg" in low:
        return "this is an SVG (vector) file; export it as PNG or JPEG first"
    if low.startswith((b"<!doctype", b"<html")):
        return "this is an HTML page, not an image"
    if low.startswith(b"%pdf"):
        return "this is a PDF, not an image; export the page as PNG or JPEG"
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text and sum(c.isprintable() or c in "\r\n\t" for c in text) > 0.95 * len(text):
        return "this is a text file, not an image"
    return None


def read_image_file(path: Path, max_bytes: int = 20_000_000) -> bytes:
    """An image file's bytes; a folder, a FIFO or a device (anything but a regular file) is refused before it
    is opened (reading a FIFO waits for a writer forever; /dev/zero never ends). Raises OSError or ImageError."""
    st = path.stat()
    if stat.S_ISDIR(st.st_mode):
        raise OSError("is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise OSError("is not a regular file (a FIFO, a socket or a device); not read")
    if st.st_size > max_bytes:
        raise ImageError(f"the file is {st.st_size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # swapped for a FIFO since: never blocks
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError("is not a regular file (a FIFO, a socket or a device); not read")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageError(f"the file is over {max_bytes / 1e6:g} MB; the limit is {max_bytes / 1e6:g} MB")
    return data


def load_image(data: bytes, *, max_bytes: int = 20_000_000, max_pixels: int | None = None) -> Image.Image:
    """Decode uploaded bytes into a loaded PIL image, upright (EXIF orientation applied), reduced
    while decoding to at most about ``2 * REDUCE_SIDE`` pixels on its long side.

    Accepts PNG, JPEG, GIF (first frame), BMP, WebP and TIFF in any mode. Raises :class:`ImageError`
    with a one-line reason for an empty, oversized, truncated, tiny, non-image or bomb file, or one
    whose header claims more than ``max_pixels`` (default: this server's ``settings.limits().image_pixels``).
    Memory: a JPEG decodes at 1/2 to 1/8 scale (``Image.draft``); any other format decodes once at its
    own size (at most ``max_pixels`` x 4 bytes) and is reduced (``Image.reduce``, a box average in C)
    before any float copy, so one upload peaks near its decoded size, not 10x that.
    """
    if max_pixels is None:
        max_pixels = settings.limits().image_pixels
    if not data:
        raise ImageError("the file is empty")
    if len(data) > max_bytes:
        raise ImageError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB")
    reason = _sniff_non_image(data)
    if reason:
        raise ImageError(reason)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            Image.init()
            img = Image.open(io.BytesIO(data), formats=[f for f in FORMATS if f in Image.OPEN])
        except Image.DecompressionBombError:
            raise ImageError("the image claims a huge size (a decompression bomb?); not decoded") from None
        except Image.DecompressionBombWarning:
            raise ImageError("the image claims a huge size (a decompression bomb?); not decoded") from None
        except Image.UnidentifiedImageError:
            raise ImageError("not an image this app can read (PNG, JPEG, GIF, BMP, WebP or TIFF)") from None
        except (OSError, ValueError, SyntaxError) as e:
            raise ImageError(f"the image could not be read ({str(e)[:60]})") from None
        w, h = img.size
        if w * h > max_pixels:
            raise ImageError(f"the image is {w}x{h} pixels; the limit is {max_pixels / 1e6:g} megapixels "
                             "(a photo or scan of one digit needs far fewer: crop or shrink it)")
        if min(w, h) < MIN_SIDE:
            raise ImageError(f"the image is {w}x{h} pixels; too small to hold a digit")
        try:
            img.seek(0)
            fmt = img.format
            if fmt in ("JPEG", "MPO"):  # libjpeg scales by 1/2, 1/4 or 1/8 while decoding, never below this
                img.draft(img.mode, (REDUCE_SIDE * 2, REDUCE_SIDE * 2))
            img.load()
            img = _shrink(img, REDUCE_SIDE * 2)
            img = ImageOps.exif_transpose(img) or img
            img.format = fmt  # a transposed or reduced copy forgets where it came from
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageError("the image claims a huge size (a decompression bomb?); not decoded") from None
        except (OSError, ValueError, SyntaxError, EOFError, struct_error) as e:
            msg = str(e)
            if "truncated" in msg or isinstance(e, EOFError):
                raise ImageError("the image file is truncated or damaged") from None
            raise ImageError(f"the image could not be decoded ({msg[:60]})") from None
    return img


REDUCE_SIDE = 256  # decoded images are reduced to at most about twice this on their long side


def _shrink(img: Image.Image, side: int) -> Image.Image:
    """``img`` reduced by the largest whole factor that keeps its long side at least ``side`` (a box
    average in Pillow's C code; no copy when it is small already). Modes Image.reduce cannot take
    (palette, 1-bit, 16-bit, transparency by colour key) are converted first to the mode that
    :func:`to_grey` reads the same way."""
    factor = max(img.size) // side
    if factor < 2:
        return img
    info = {k: img.info[k] for k in ("exif",) if k in img.info}
    if img.mode in ("P", "PA") or "transparency" in img.info:
        img = img.convert("RGBA")
    elif img.mode == "1":
        img = img.convert("L")
    elif img.mode.startswith("I;16"):
        img = img.convert("I")
    elif img.mode not in ("L", "LA", "RGB", "RGBA", "I", "F", "CMYK", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGBA")
    # in strips: Image.reduce premultiplies RGBA/LA through a full-size copy, which would double the peak
    w, h = img.size
    small = Image.new(img.mode, (-(-w // factor), -(-h // factor)))
    rows = factor * 64
    for y in range(0, h, rows):
        small.paste(img.crop((0, y, w, min(h, y + rows))).reduce(factor), (0, y // factor))
    small.info.update(info)  # keep the EXIF orientation for exif_transpose
    return small


try:  # struct.error is raised by a few malformed headers
    from struct import error as struct_error
except ImportError:  # pragma: no cover
    struct_error = ValueError  # type: ignore[misc,assignment]


def to_grey(img: Image.Image) -> np.ndarray:
    """Any mode -> luminance [H, W] float32 in [0, 1] (0 black, 1 white).

    Transparency is composited on a background that contrasts with the opaque pixels (white behind
    dark ink, black behind light ink), so a canvas export with a transparent background keeps its ink.
    16-bit and 32-bit modes keep their range.
    """
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        if mode.startswith("I;16"):
            a = a / 65535.0
        else:
            lo, hi = float(a.min()), float(a.max())
            top = 255.0 if lo >= 0 and hi <= 255 else (65535.0 if lo >= 0 and hi <= 65535 else None)
            a = a / top if top else (a - lo) / max(hi - lo, 1e-12)
        return np.clip(a, 0, 1).astype(np.float32)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in img.info) \
        or (mode in ("L", "RGB") and "transparency" in img.info)
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3]
        lum = rgba[..., 0] * 0.299 + rgba[..., 1] * 0.587 + rgba[..., 2] * 0.114
        if alpha.min() < 0.98:
            opaque = alpha > 0.5
            ink_is_light = bool(opaque.any()) and float(np.median(lum[opaque])) > 0.5 and \
                float(opaque.mean()) < 0.5
            bg = 0.0 if ink_is_light else 1.0
            lum = lum * alpha + bg * (1 - alpha)
        return lum.astype(np.float32)
    if mode == "1":
        return np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    if mode != "L":
        img = img.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV, ...
        rgb = np.asarray(img, dtype=np.float32) / 255.0
        return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)
    return np.asarray(img, dtype=np.float32) / 255.0


@dataclass
class Steps:
    """The preprocessing of one image: named stages to show, the model input, and what was detected.

    stages: (name, 2-D image) in order, uint8 0..255 or float in [0, 1], white = ink for every stage
    after the first. x: the model input, [784] or [64] float32 in [0, 1]. inverted: the image was
    light ink on a dark background. note: one line on anything worth telling the user.
    """

    stages: list[tuple[str, np.ndarray]] = field(default_factory=list)
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    inverted: bool = False
    note: str = ""


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    """Resize a float image; area averaging when shrinking (anti-aliased, as MNIST was made)."""
    if (a.shape[1], a.shape[0]) == (w, h):
        return a.astype(np.float32)
    shrinking = w < a.shape[1] or h < a.shape[0]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(a.astype(np.float32), mode="F").resize((w, h), resample), dtype=np.float32)


def _otsu(v: np.ndarray) -> float:
    hist, edges = np.histogram(v, bins=64, range=(0.0, 1.0))
    p = hist.astype(np.float64) / max(hist.sum(), 1)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    m0 = np.cumsum(p * centres)
    mt = m0[-1]
    w1 = 1 - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 - m0) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = 0
    return float(edges[int(np.argmax(between)) + 1])


@dataclass
class Ink:
    """The ink found in an image: the soft ink map, the kept mask, its box and whether it was inverted."""

    grey: np.ndarray  # [H, W] working-size luminance
    ink: np.ndarray  # [H, W] in [0, 1], 1 = full ink, background 0
    mask: np.ndarray  # [H, W] bool, the strokes kept
    box: tuple[int, int, int, int]  # top, bottom, left, right (exclusive)
    inverted: bool


def find_ink(img: Image.Image) -> Ink:
    """Grey it, detect polarity, flatten uneven lighting, threshold (Otsu), drop specks, box the digit."""
    grey = to_grey(img)
    H, W = grey.shape
    scale = WORK_SIDE / max(H, W)
    if scale < 1:
        grey = _resize(grey, max(1, round(W * scale)), max(1, round(H * scale)))
        H, W = grey.shape
    b = max(1, min(H, W) // 20)
    border = np.concatenate([grey[:b].ravel(), grey[-b:].ravel(), grey[:, :b].ravel(), grey[:, -b:].ravel()])
    inverted = bool(np.median(border) < 0.5)
    ink = (grey if inverted else 1.0 - grey).astype(np.float32)
    # uneven lighting (a photo of paper): subtract the local background, a smoothed grey opening
    size = max(3, min(H, W) // 3)  # wider than any marker stroke; lighting varies more slowly
    small = max(1, min(H, W) // 64)
    coarse = ink[::small, ::small]
    bg = ndimage.grey_opening(coarse, size=(max(3, size // small),) * 2)
    # ink wider than a third of the image everywhere survives the opening: a filled shape (or a finger, a dark
    # shadow), not pen strokes; measured: realistic uploads of real digits (bench/uploads.py) under 0.3, the 8x8
    # digits blown up 12x (blocks of ink) up to 0.83, the made filled discs and boxes (bench/novelty.py) 1.0
    edge = np.concatenate([bg[:2].ravel(), bg[-2:].ravel(), bg[:, :2].ravel(), bg[:, -2:].ravel()])
    if float(bg.max() - np.median(edge)) > SOLID_MAX:
        raise ImageError("the ink is one large filled area, not pen strokes: not a digit (a filled shape, a finger "
                         "or a shadow? crop to the digit)")
    bg = ndimage.uniform_filter(bg, size=max(3, size // small))
    if small > 1:
        bg = _resize(bg, W, H)
    flat = np.clip(ink - bg[:H, :W], 0, 1)
    peak = float(np.percentile(flat, 99.7))
    if peak < 0.12:
        raise ImageError("no ink found: the image looks blank (write or draw a darker, bigger digit)")
    flat = np.clip(flat / peak, 0, 1)
    t = min(max(_otsu(flat), 0.2), 0.6)
    mask = flat > t
    labels, n = ndimage.label(mask)
    if n == 0:
        raise ImageError("no ink found: the image looks blank (write or draw a darker, bigger digit)")
    areas = ndimage.sum(mask, labels, index=np.arange(1, n + 1))
    keep = areas >= max(areas.max() * 0.08, H * W * 2e-4)
    mask = keep[labels - 1] & (labels > 0)
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    if (bottom - top) * (right - left) < 4:
        raise ImageError("no ink found: only a speck, no digit (write or draw a bigger digit)")
    # soft ink of the kept strokes, with a one-pixel halo so anti-aliased edges survive
    halo = ndimage.binary_dilation(mask, iterations=1)
    soft = np.where(halo, np.clip((flat - t * 0.5) / (1 - t * 0.5), 0, 1), 0).astype(np.float32)
    return Ink(grey, soft, mask, (int(top), int(bottom), int(left), int(right)), inverted)


def _place_by_mass(box: np.ndarray, side: int = 28) -> np.ndarray:
    """Put a small image into side x side with its centre of mass at the centre (integer shift)."""
    h, w = box.shape
    out = np.zeros((side, side), np.float32)
    cy, cx = ndimage.center_of_mass(box) if box.sum() > 0 else (h / 2, w / 2)
    top = int(round(side / 2 - cy - 0.5 + 0.5))
    left = int(round(side / 2 - cx - 0.5 + 0.5))
    top = min(max(top, 0), side - h)
    left = min(max(left, 0), side - w)
    out[top:top + h, left:left + w] = box
    return out


def _crop(ink: Ink) -> np.ndarray:
    top, bottom, left, right = ink.box
    return ink.ink[top:bottom, left:right]


def to_mnist(img: Image.Image) -> Steps:
    """The MNIST way: grey, ink, crop, scale into 20x20 keeping the aspect, centre of mass in 28x28.

    Steps.x is [784] float32 in [0, 1] with ink = 1 (row-major 28x28). Raises ImageError if no ink.
    """
    found = find_ink(img)
    crop = _crop(found)
    h, w = crop.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    box = _resize(crop, nw, nh)
    top = float(box.max())
    if top > 0:
        box = np.clip(box / top, 0, 1)
    final = _place_by_mass(box)
    note = "light ink on a dark background: inverted" if found.inverted else ""
    stages = [
        ("grey", found.grey),
        ("ink (light = ink)", found.ink),
        ("cropped to the ink", crop),
        ("scaled into 20x20", box),
        ("28x28, centred by mass", final),
    ]
    return Steps(stages, final.reshape(-1).astype(np.float32), found.inverted, note)


def to_uci(img: Image.Image) -> Steps:
    """The UCI 8x8 way: grey, ink, crop, a 32x32 bitmap, then 4x4 block counts 0..16.

    Steps.x is [64] float32 = counts / 16, the scale of ``core.datasets.digits_arrays``.
    """
    found = find_ink(img)
    crop = _crop(found)
    h, w = crop.shape
    s = 32.0 / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    scaled = _resize(crop, nw, nh)
    top = float(scaled.max())
    if top > 0:
        scaled = scaled / top
    canvas = np.zeros((32, 32), np.float32)
    t0, l0 = (32 - nh) // 2, (32 - nw) // 2
    canvas[t0:t0 + nh, l0:l0 + nw] = scaled
    on = canvas >= 0.5
    # the UCI forms were written with a pen about 4-5 bitmap pixels wide (their 8x8 digits average 0.31
    # ink); a stroke up to 4 pixels wide (half of it gone after one erosion) is thickened to match
    if ndimage.binary_erosion(on).sum() < 0.55 * on.sum():
        on = ndimage.binary_dilation(on)
    bitmap = on.astype(np.float32)
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    note = "light ink on a dark background: inverted" if found.inverted else ""
    stages = [
        ("grey", found.grey),
        ("ink (light = ink)", found.ink),
        ("cropped to the ink", crop),
        ("32x32 bitmap", bitmap),
        ("8x8 block counts (0-16)", counts / 16.0),
    ]
    return Steps(stages, (counts / 16.0).reshape(-1).astype(np.float32), found.inverted, note)


def preprocess(img: Image.Image, dataset: str) -> Steps:
    """to_mnist for "mnist", to_uci for "digits"."""
    if dataset == "mnist":
        return to_mnist(img)
    if dataset == "digits":
        return to_uci(img)
    raise ValueError(f"unknown dataset {dataset!r}; known: digits, mnist")
