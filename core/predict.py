"""Read digits from image files on the command line, with the page's default model.

    python -m core.predict [--dataset digits|mnist] [--data-dir DIR] FILE...

Prints ``FILE<TAB>DIGIT<TAB>PROBABILITY`` per file, or ``FILE<TAB>error: <why>`` for a file it cannot
read (the other files are still read); exits 1 when any file failed. The model is the page's default
for the data set, trained once and then loaded from the disk cache (``$NNLAB_DATA_DIR``). Same code
path as the page: :mod:`core.digits.images` then :mod:`core.digits`.

With no flags it reads with the best reader on this machine (:func:`core.digits.reader.best_reader`): of
the built-in reader (trained on the MNIST sample that ships with NN Lab: no training, no download) and,
when MNIST is here ($NNLAB_MNIST_DIR, or the data folder's download), the MNIST-format model trained on
it, the one that reads more of the sample's held-out test digits right; one line on stderr says which
(and, without MNIST, how to get a better one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from core import digits
from core.datasets.mnist import MnistUnavailable
from core.digits import images
from core.digits.reader import HOW_TO_GET_MNIST, best_reader, mnist_here
from core.digits.reading import one_thread
from core.engine import TrainResult


def read_file(path: str, result: TrainResult, max_bytes: int = 20_000_000) -> tuple[int, float]:
    """(digit, probability) for one image file; raises images.ImageError or OSError with the reason."""
    return classify(images.read_image_file(Path(path), max_bytes), result)


def classify(data: bytes, result: TrainResult) -> tuple[int, float]:
    """(digit, probability) for an image's bytes with a trained digit model."""
    dataset = result.config.dataset  # type: ignore[attr-defined]
    steps = images.preprocess(images.load_image(data), dataset)
    with one_thread():
        probs = digits.predict(result, steps.x[None])[0]
    d = int(np.argmax(probs))
    return d, float(probs[d])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m core.predict", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", choices=digits.DATASETS, default=None,
                    help="train the page's default model for 8x8 sklearn digits or MNIST (default: the best "
                         "reader here, by accuracy on the MNIST sample's held-out digits)")
    ap.add_argument("--data-dir", metavar="DIR", default=None,
                    help="folder holding the four official MNIST idx files (.gz or not) instead of downloading")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args(argv)
    try:
        if args.dataset is None and args.data_dir is None:
            result, which = best_reader()
            hint = " " + HOW_TO_GET_MNIST if mnist_here() is None else ""
            print(f"reading with the {which}.{hint}", file=sys.stderr)
        else:
            cfg = digits.default_config(args.dataset or ("mnist" if args.data_dir else "digits"))
            result = digits.train(cfg, folder=args.data_dir)
    except MnistUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    failed = False
    for f in args.files:
        try:
            d, p = read_file(f, result)
            print(f"{f}\t{d}\t{p:.4f}", flush=True)
        except (images.ImageError, OSError) as e:
            failed = True
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            print(f"{f}\terror: {' '.join(str(reason).split())}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
