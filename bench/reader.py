"""Which reader reads people's digits: side by side on the same realistic uploads and drawn digits.

    python -m bench.reader [--n-uploads N] [--reader FILE] [--also FILE ...]

The uploads are bench/uploads.py's (paint PNGs, canvas exports, paper photos, thumbnails, ...), made from
the shipped MNIST sample's t10k digits, which no reader here trained on; the drawn digits are the ten
mouse-stroke digits tests/test_browser_drawn.py draws in chromium (bench.uploads.STROKES, drawn the canvas's
way). Each reader reads every upload the way the page does (decode, preprocess for its data set,
:func:`core.digits.predict`), timed per upload, the readers taking turns on each upload:

- the 8x8 reader (the page's default 8x8 model, trained here or taken from the disk cache);
- the built-in reader (core/digits/data/reader.safetensors, or ``--reader FILE``), an MLP or a CNN: no
  training here, its training time is the build script's, recorded in the file; ``--also FILE`` adds other
  reader files (e.g. the build script's other candidate, ``--model mlp|cnn --out FILE``);
- the MLP and the CNN trained on full-size MNIST data: full MNIST when it is on this machine
  ($NNLAB_MNIST_DIR or the data folder; the CNN is bench.cnn's, trained here, uncached), else the page's
  default MNIST MLP trained on the sample's train split as stand-in (the table says which).

"sample t10k" is each 28x28 reader's accuracy on the sample's 1,000 held-out t10k digits (the number the
default reader is chosen by). The last line is ``offline_reader=<pct> cnn_sample=<pct> median_ms=<ms>``: the
built-in reader's share of uploads read right and its median time per upload; cnn_sample is the share of
uploads read right by the CNN trained on the sample (the build script's: the built-in reader when it is the
CNN, else an ``--also`` CNN file; n/a without one).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench._table import table
from bench.uploads import STROKES, drawn_png, make_uploads
from core import digits, settings
from core.datasets import mnist
from core.digits import reading as dr
from core.digits.build_reader import sample_test_accuracy
from core.digits.model_file import import_model
from core.digits.reader import mnist_here, shipped_reader
from core.engine import TrainResult
from core.engine.conv import is_cnn


def read_all(models: list[TrainResult], ups: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per model (right [N] bool, ms [N]) for every upload, each read as the page reads it (bytes to
    probabilities); the models take turns on each upload, in a rotating order, so a busy moment of this
    shared machine falls on all of them alike."""
    for r in models:
        ds = r.config.dataset  # type: ignore[attr-defined]
        digits.predict(r, np.zeros((1, digits.SIDE[ds] ** 2), np.float32))  # build the net once, untimed
    right = [[] for _ in models]
    ms = [[] for _ in models]
    for i, (name, data, y, _) in enumerate(ups):
        for j in range(len(models)):
            k = (i + j) % len(models)
            x = dr._read(name, data, models[k], 20_000_000)  # not read_one: its cache would time a rerun
            ms[k].append(x.seconds * 1000)
            right[k].append(x.ok and x.digit == y)
    return [(np.array(a), np.array(b)) for a, b in zip(right, ms)]


def layers(r: TrainResult) -> str:
    """A reader's layers in a few characters."""
    c = r.config
    if is_cnn(c):
        return f"CNN conv{c.kernel}x{c.kernel} {'-'.join(map(str, c.channels))} + {'-'.join(map(str, (*c.hidden, 10)))}"
    return "MLP " + "-".join(str(w) for w in (r.n_in, *c.hidden, 10))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.reader")
    ap.add_argument("--n-uploads", type=int, default=1000)
    ap.add_argument("--reader", type=Path, default=None, help="a built-in reader candidate (.safetensors)")
    ap.add_argument("--also", type=Path, nargs="*", default=[], help="other reader files to compare")
    args = ap.parse_args(argv)
    _, _, tei, tel = mnist.load_raw(mnist.SAMPLE_DIR)
    ups = make_uploads(tei[:args.n_uploads], tel[:args.n_uploads], seed=0)
    drawn = [(f"drawn-{d}.png", drawn_png(s), d, "drawn with mouse strokes") for d, s in STROKES.items()]

    readers: list[tuple[str, str, TrainResult, str]] = []  # (name, short name, model, training seconds)
    small = digits.train(digits.default_config("digits"))
    readers.append(("8x8 reader (sklearn digits)", "8x8 reader", small, f"{small.seconds:.1f}"))
    shipped = import_model(args.reader.read_bytes(), settings.LAPTOP) if args.reader else shipped_reader()
    if shipped is not None:
        readers.append((f"built-in reader, {layers(shipped)} (4,000 sample digits)", "built-in reader", shipped,
                        f"{shipped.seconds:.1f} (once, by the build script)"))
    for f in args.also:
        r = import_model(f.read_bytes(), settings.LAPTOP)
        readers.append((f"{f.name}: {layers(r)} (4,000 sample digits)", f.stem, r,
                        f"{r.seconds:.1f} (by the build script)"))
    here = mnist_here()
    cfg = digits.default_config("mnist")
    if here is not None:
        full = digits.train(cfg, folder=here.folder)
        readers.append((f"{layers(full)} on MNIST from {here.where}", "MLP on MNIST", full, f"{full.seconds:.1f}"))
        from bench.cnn import cnn_for

        t0 = time.perf_counter()
        (cnn,) = digits.compute([cnn_for("mnist")], None, here.folder)
        readers.append((f"{layers(cnn)} on MNIST from {here.where}", "CNN on MNIST", cnn,
                        f"{time.perf_counter() - t0:.1f}"))
    else:
        full = digits.train(cfg, folder=mnist.SAMPLE_DIR)
        readers.append((f"{layers(full)}, stand-in: no full MNIST here, the sample's 4,000 train digits",
                        "MLP stand-in", full, f"{full.seconds:.1f}"))

    rows, per_kind = [], []
    results = {}
    read = read_all([r for _, _, r, _ in readers], ups)
    seen = read_all([r for _, _, r, _ in readers], drawn)
    for (name, _, r, train_s), (right, ms), (d_right, _) in zip(readers, read, seen):
        results[name] = (right, ms)
        t10k = r.extra.get("sample_test_acc") if r.config.dataset == "mnist" else None  # type: ignore[attr-defined]
        if r.config.dataset == "mnist" and not isinstance(t10k, float):  # type: ignore[attr-defined]
            t10k = sample_test_accuracy(r)
        rows.append({"reader": name, "uploads read right": f"{right.mean():.1%}",
                     "drawn 0-9 right": f"{int(d_right.sum())}/10",
                     "sample t10k": f"{t10k:.1%}" if isinstance(t10k, float) else "-",
                     "median ms": f"{np.median(ms):.1f}", "p95 ms": f"{np.percentile(ms, 95):.1f}",
                     "training s": train_s})
    print(table(rows, f"{len(ups)} realistic uploads (bench/uploads.py) of the shipped sample's t10k digits, "
                      "and the 10 digits the browser test draws"))
    print()
    kinds = defaultdict(list)
    for i, (_, _, _, kind) in enumerate(ups):
        kinds[kind].append(i)
    for kind, idx in kinds.items():
        per_kind.append({"kind": kind, "n": len(idx), **{short: f"{results[name][0][idx].mean():.1%}"
                                                         for name, short, _, _ in readers}})
    print(table(per_kind, "by kind of upload"))
    print()
    files = readers[1:1 + (shipped is not None) + len(args.also)]  # the build script's readers, from files
    cnn_sample = next((f"{results[name][0].mean():.1%}" for name, _, r, _ in files if is_cnn(r.config)), "n/a")
    if shipped is not None:
        right, ms = results[readers[1][0]]
        print(f"offline_reader={right.mean():.1%} cnn_sample={cnn_sample} median_ms={np.median(ms):.1f}")
    else:
        print(f"offline_reader=n/a cnn_sample={cnn_sample} median_ms=n/a")


if __name__ == "__main__":
    main()
