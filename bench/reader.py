"""Which reader reads people's digits: side by side on the same realistic uploads.

    python -m bench.reader [--n-uploads N] [--reader FILE]

The uploads are bench/uploads.py's (paint PNGs, canvas exports, paper photos, thumbnails, ...), made from
the shipped MNIST sample's t10k digits, which no reader here trained on. Each reader reads every upload the
way the page does (decode, preprocess for its data set, :func:`core.digits.predict`), timed per upload:

- the 8x8 reader (the page's default 8x8 model, trained here or taken from the disk cache);
- the built-in reader (core/digits/data/reader.safetensors, or ``--reader FILE``): no training here, its
  training time is the build script's, recorded in the file (training seconds are each model's fit
  time, augmentation excluded);
- the MLP trained on full-size MNIST data: full MNIST when it is on this machine ($NNLAB_MNIST_DIR or
  the data folder), else the page's default MNIST model trained on the sample's train split as stand-in
  (the table says which).

The last line is ``offline_reader=<pct> cnn_sample=<pct or n/a> median_ms=<ms>`` (the built-in reader's
accuracy and median time per upload; the CNN is not in the engine yet).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench._table import table
from bench.uploads import make_uploads
from core import digits
from core.datasets import mnist
from core.digits import reading as dr
from core.digits.model_file import import_model
from core.digits.reader import mnist_here, shipped_reader
from core.engine import TrainResult


def read_all(result: TrainResult, ups: list) -> tuple[np.ndarray, np.ndarray]:
    """(right [N] bool, ms [N]) for every upload, each read as the page reads it (bytes to probabilities)."""
    ds = result.config.dataset  # type: ignore[attr-defined]
    digits.predict(result, np.zeros((1, digits.SIDE[ds] ** 2), np.float32))  # build the net once, untimed
    right, ms = [], []
    for name, data, y, _ in ups:
        x = dr._read(name, data, result, 20_000_000)  # not read_one: its cache would time a rerun, not a read
        ms.append(x.seconds * 1000)
        right.append(x.ok and x.digit == y)
    return np.array(right), np.array(ms)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.reader")
    ap.add_argument("--n-uploads", type=int, default=1000)
    ap.add_argument("--reader", type=Path, default=None, help="a built-in reader candidate (.safetensors)")
    args = ap.parse_args(argv)
    _, _, tei, tel = mnist.load_raw(mnist.SAMPLE_DIR)
    ups = make_uploads(tei[:args.n_uploads], tel[:args.n_uploads], seed=0)

    readers: list[tuple[str, str, TrainResult, str]] = []  # (name, short name, model, training seconds)
    small = digits.train(digits.default_config("digits"))
    readers.append(("8x8 reader (sklearn digits)", "8x8 reader", small, f"{small.seconds:.1f}"))
    shipped = import_model(args.reader.read_bytes()) if args.reader else shipped_reader()
    if shipped is not None:
        layers = "-".join(str(w) for w in (784, *shipped.config.hidden, 10))  # type: ignore[attr-defined]
        readers.append((f"built-in reader {layers} (4,000 sample digits)", "built-in reader", shipped,
                        f"{shipped.seconds:.1f} (once, by the build script)"))
    here = mnist_here()
    cfg = digits.default_config("mnist")
    layers = "-".join(str(w) for w in (784, *cfg.hidden, 10))
    if here is not None:
        full = digits.train(cfg, folder=here.folder)
        what, short = f"MLP {layers} on MNIST from {here.where}", "MLP on MNIST"
    else:
        full = digits.train(cfg, folder=mnist.SAMPLE_DIR)
        what, short = f"MLP {layers}, stand-in: no full MNIST here, the sample's 4,000 train digits", "MLP stand-in"
    readers.append((what, short, full, f"{full.seconds:.1f}"))

    rows, per_kind = [], []
    results = {}
    for name, _, r, train_s in readers:
        right, ms = read_all(r, ups)
        results[name] = (right, ms)
        rows.append({"reader": name, "uploads read right": f"{right.mean():.1%}",
                     "median ms": f"{np.median(ms):.1f}", "p95 ms": f"{np.percentile(ms, 95):.1f}",
                     "training s": train_s})
    print(table(rows, f"{len(ups)} realistic uploads (bench/uploads.py) of the shipped sample's t10k digits"))
    print()
    kinds = defaultdict(list)
    for i, (_, _, _, kind) in enumerate(ups):
        kinds[kind].append(i)
    for kind, idx in kinds.items():
        per_kind.append({"kind": kind, "n": len(idx), **{short: f"{results[name][0][idx].mean():.1%}"
                                                         for name, short, _, _ in readers}})
    print(table(per_kind, "by kind of upload"))
    print()
    if shipped is not None:
        right, ms = results[readers[1][0]]
        print(f"offline_reader={right.mean():.1%} cnn_sample=n/a median_ms={np.median(ms):.1f}")
    else:
        print("offline_reader=n/a cnn_sample=n/a median_ms=n/a")


if __name__ == "__main__":
    main()
