"""Realistic uploads made from real MNIST digits: what a new user would photograph, draw or export.

Each 28x28 MNIST digit (ink = 255 on 0) becomes an image file the way people make them: a paint
program's PNG, a canvas export with a transparent background, a photo of paper (shading, noise,
JPEG), a small thumbnail, 16-bit and palette PNGs, off-centre and slightly rotated digits, chalk on
a dark board, a phone JPEG with an EXIF orientation tag, GIF/BMP/WebP/TIFF. ``make_uploads`` cycles
through the kinds; everything is seeded.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Maker = Callable[[np.ndarray, np.random.Generator], tuple[bytes, str]]


def _big(d: np.ndarray, size: int) -> Image.Image:
    """The digit upscaled smoothly: 'L', ink = 255."""
    return Image.fromarray(d).resize((size, size), Image.Resampling.BICUBIC)


def _on_canvas(d: np.ndarray, rng: np.random.Generator, w: int, h: int, digit: int,
               off: float = 0.25, angle: float = 0.0) -> np.ndarray:
    """Ink map [h, w] float in [0,1]: the digit scaled to ``digit`` px, rotated, placed off-centre."""
    img = _big(d, digit)
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    ink = np.zeros((h, w), np.float32)
    a = np.asarray(img, np.float32) / 255.0
    ah, aw = a.shape
    cx = int(w / 2 + rng.uniform(-off, off) * (w - aw) - aw / 2)
    cy = int(h / 2 + rng.uniform(-off, off) * (h - ah) - ah / 2)
    cx, cy = min(max(cx, 0), w - aw), min(max(cy, 0), h - ah)
    ink[cy:cy + ah, cx:cx + aw] = np.maximum(ink[cy:cy + ah, cx:cx + aw], a[:ah, :aw])
    return ink


def _png(img: Image.Image, **kw) -> bytes:
    b = io.BytesIO()
    img.save(b, "PNG", **kw)
    return b.getvalue()


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def _rgb(ink: np.ndarray, paper: tuple[float, float, float], pen: tuple[float, float, float]) -> np.ndarray:
    p, q = np.array(paper, np.float32), np.array(pen, np.float32)
    return p * (1 - ink[..., None]) + q * ink[..., None]


def paint_png(d, rng):
    ink = _on_canvas(d, rng, 400, 400, int(rng.integers(220, 330)), off=0.1)
    rgb = _rgb(ink, (255, 255, 255), (0, 0, 0))
    return _png(Image.fromarray(rgb.astype(np.uint8), "RGB")), "png"


def canvas_rgba(d, rng):
    ink = _on_canvas(d, rng, 280, 280, int(rng.integers(180, 260)), off=0.1)
    colour = [(0, 0, 0), (20, 40, 200), (200, 30, 30)][int(rng.integers(3))]
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = (ink * 255).astype(np.uint8)
    return _png(Image.fromarray(rgba, "RGBA")), "png"


def paper_photo(d, rng):
    h, w = 480, 640
    ink = _on_canvas(d, rng, w, h, int(rng.integers(200, 330)), off=0.25, angle=float(rng.uniform(-8, 8)))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # lighting: a gradient across the page plus a soft shadow in a corner
    gx, gy = rng.uniform(-1, 1, 2)
    light = 0.85 + 0.12 * (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)) * 2
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    light -= 0.18 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (w / 4) ** 2))
    paper = np.array([rng.uniform(225, 250), rng.uniform(220, 245), rng.uniform(200, 235)], np.float32)
    pen = np.array([[30, 30, 40], [20, 30, 110], [60, 60, 60]][int(rng.integers(3))], np.float32)
    rgb = _rgb(ink * rng.uniform(0.75, 1.0), tuple(paper), tuple(pen)) * light[..., None]
    rgb += rng.normal(0, 6, rgb.shape)
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(1.2))
    return _save(img, "JPEG", quality=int(rng.integers(55, 85))), "jpg"


def thumbnail(d, rng):
    side = int(rng.integers(16, 40))
    ink = _on_canvas(d, rng, side + 8, side + 8, side, off=0.1)
    return _png(Image.fromarray((255 - ink * 255).astype(np.uint8), "L")), "png"


def png16(d, rng):
    ink = _on_canvas(d, rng, 200, 200, 150, off=0.15)
    a = (65535 * (1 - ink)).astype(np.uint16)
    return _png(Image.fromarray(a)), "png"  # uint16 -> mode I;16


def palette_png(d, rng):
    ink = _on_canvas(d, rng, 240, 240, 180, off=0.15)
    rgb = _rgb(ink, (250, 250, 240), (10, 10, 80)).astype(np.uint8)
    return _png(Image.fromarray(rgb, "RGB").quantize(16)), "png"


def off_centre_rotated(d, rng):
    ink = _on_canvas(d, rng, 500, 360, int(rng.integers(120, 200)), off=0.45, angle=float(rng.uniform(-12, 12)))
    rgb = _rgb(ink, (255, 255, 255), (0, 0, 0))
    return _png(Image.fromarray(rgb.astype(np.uint8), "RGB")), "png"


def chalkboard(d, rng):
    ink = _on_canvas(d, rng, 400, 300, 220, off=0.2)
    rgb = _rgb(ink * 0.9, (40, 60, 50), (235, 235, 225)) + rng.normal(0, 8, (300, 400, 3))
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    return _save(img, "JPEG", quality=80), "jpg"


def phone_exif(d, rng):
    """A phone JPEG stored sideways with an EXIF Orientation tag that puts it upright."""
    ink = _on_canvas(d, rng, 300, 400, 240, off=0.15)
    rgb = _rgb(ink, (240, 238, 230), (25, 25, 35)) + rng.normal(0, 4, (400, 300, 3))
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    stored = img.transpose(Image.Transpose.ROTATE_90)  # orientation 6: viewers turn it 90 degrees clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(stored, "JPEG", quality=85, exif=exif), "jpg"


def other_formats(d, rng):
    ink = _on_canvas(d, rng, 200, 200, 150, off=0.15)
    img = Image.fromarray((255 - ink * 255).astype(np.uint8), "L")
    fmt = ["GIF", "BMP", "WEBP", "TIFF"][int(rng.integers(4))]
    return _save(img, fmt), fmt.lower()


KINDS: dict[str, Maker] = {
    "paint PNG": paint_png, "canvas RGBA": canvas_rgba, "paper photo JPEG": paper_photo,
    "thumbnail": thumbnail, "16-bit PNG": png16, "palette PNG": palette_png,
    "off-centre rotated": off_centre_rotated, "light on dark": chalkboard, "EXIF phone JPEG": phone_exif,
    "GIF/BMP/WebP/TIFF": other_formats,
}


def make_uploads(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> list[tuple[str, bytes, int, str]]:
    """(file name, bytes, true digit, kind) for each digit [N, 28, 28] uint8, cycling the kinds."""
    rng = np.random.default_rng(seed)
    names = list(KINDS)
    out = []
    for i, (d, y) in enumerate(zip(images, labels)):
        kind = names[i % len(names)]
        data, ext = KINDS[kind](np.asarray(d, np.uint8), rng)
        out.append((f"{i:04d}_{kind.split()[0].lower().replace('/', '-')}.{ext}", data, int(y), kind))
    return out


# ---- digits drawn with mouse strokes on the Read tab's canvas (tests/test_browser_drawn.py draws them) ----

PEN = 20  # px: ui.canvas.digit_canvas's default line width on its 280 px canvas


def _ring(cx: float, cy: float, rx: float, ry: float, n: int, start: float, turn: float) -> list[tuple[float, float]]:
    angles = [math.radians(start + turn * i / n) for i in range(n + 1)]
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# canvas pixels (0-280); a list of strokes per digit, each a list of points
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_ring(140, 140, 62, 95, 14, -95, 375)],
    1: [[(150, 45), (144, 110), (137, 175), (132, 238)]],
    2: [[(85, 95), (105, 60), (145, 45), (185, 62), (195, 102), (175, 145), (130, 190), (85, 235), (145, 232),
         (205, 230)]],
    3: [[(85, 68), (128, 44), (178, 55), (186, 95), (152, 128), (125, 135), (160, 138), (192, 165), (193, 208),
         (152, 236), (90, 225)]],
    4: [[(155, 40), (122, 100), (92, 160), (150, 160), (208, 158)], [(178, 92), (175, 165), (172, 240)]],
    5: [[(105, 48), (98, 88), (92, 128), (140, 114), (185, 137), (194, 187), (163, 228), (96, 222)],
        [(105, 48), (150, 46), (196, 44)]],
    6: [[(178, 45), (132, 82), (102, 138), (96, 195), (126, 236), (172, 226), (188, 182), (160, 146), (120, 150),
         (98, 182)]],
    7: [[(75, 50), (140, 50), (205, 50), (162, 145), (120, 240)]],
    8: [[(176, 72), (140, 42), (100, 64), (106, 110), (140, 135), (180, 165), (186, 210), (142, 238), (96, 212),
         (100, 166), (140, 135), (176, 106), (176, 72)]],
    9: [[(182, 78), (150, 48), (108, 60), (98, 100), (130, 126), (178, 106), (182, 78), (178, 160), (168, 240)]],
}


def drawn_png(strokes: list[list[tuple[float, float]]], width: int = PEN, scale: int = 4) -> bytes:
    """The strokes as the canvas draws them (round caps and joins, black on white, anti-aliased): 280 px PNG."""
    im = Image.new("L", (280 * scale, 280 * scale), 255)
    d = ImageDraw.Draw(im)
    w = width * scale
    for stroke in strokes:
        pts = [(x * scale, y * scale) for x, y in stroke]
        d.line(pts, fill=0, width=w, joint="curve")
        for x, y in pts:
            d.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=0)
    b = io.BytesIO()
    im.resize((280, 280), Image.Resampling.LANCZOS).save(b, "PNG")
    return b.getvalue()
