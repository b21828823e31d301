"""Does this look like a digit at all? The not-a-digit flag measured, and the scores it was chosen from.

    python -m bench.novelty [--sample DIR] [--n-made N] [--n-uploads N] [--reader FILE ...]

For the page's default 8x8 model, the default reader (the built-in reader, core/digits/data/reader.safetensors,
plus any ``--reader`` file) and the page's default MNIST-format model (trained on the sample's train files, or
$NNLAB_MNIST_DIR), each score's threshold is set from the training images alone (a quantile of their own
distance to the other training images, or of their own score), then counted on the made non-digits
(core.digits.novelty.make_non_digits: letters, shapes, scribbles, blank or nearly blank images; refused by the
reader, as blank or as a filled area, counts as flagged), on the real test digits (the 8x8 test split; the
sample's t10k digits) and, for 28x28 models, on realistic uploads made from t10k digits (bench/uploads.py).
The last line is ``flagged_8x8=<share> false_8x8=<share> flagged_reader=<share> uploads_reader=<share>
flagged_mnist=<share> uploads_mnist=<share>`` for the flag the page uses ("reader": the built-in reader).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path

import numpy as np

from bench._table import table
from bench.uploads import make_uploads
from core import digits, settings
from core.datasets import mnist
from core.digits import images
from core.digits import novelty as nv
from core.digits.model_file import import_model
from core.digits.reader import shipped_reader
from core.engine import TrainResult
from core.engine.conv import is_cnn


def _uploads(n: int, folder: str) -> np.ndarray:
    """Realistic uploads of the first n t10k digits, preprocessed like the page: [M, 784] (refused ones left out)."""
    _, _, tei, tel = mnist.load_raw(folder)
    out = []
    for _, data, _, _ in make_uploads(tei[:n], tel[:n], 0):
        with contextlib.suppress(images.ImageError):
            out.append(images.preprocess(images.load_image(data), "mnist").x)
    return np.stack(out)


def _name(r: TrainResult) -> str:
    c = r.config
    if is_cnn(c):
        return f"CNN conv{c.kernel}x{c.kernel} {'-'.join(map(str, c.channels))}, dense {'-'.join(map(str, c.hidden))}"
    return f"MLP {'-'.join(str(w) for w in (r.n_in, *c.hidden, 10))}"


def rows_for(label: str, r: TrainResult, folder: str | None, made, Xup: np.ndarray | None,
             compare: bool) -> tuple[list[dict], nv.Measurement, float]:
    """Table rows for one model: the other scores (when ``compare``), then the page's flag without and with
    the shift minimum; returns (rows, the page's measurement, its share of uploads flagged)."""
    dataset = r.config.dataset  # type: ignore[attr-defined]
    Xtr, _, Xte, _ = digits.raw_arrays(dataset, folder)
    kinds, Xn, refused = made
    rows = []

    def row(score: str, q: float, made_fl: int, test_fl: np.ndarray, up_fl: np.ndarray | None, secs: str = "") -> None:
        rows.append({"model": label, "score": score, "quantile": q,
                     "non-digits flagged": f"{made_fl}/{len(kinds)} ({made_fl / len(kinds):.0%})",
                     "test digits flagged": f"{test_fl.mean():.1%} of {len(test_fl)}",
                     "uploads flagged": f"{up_fl.mean():.1%} of {len(up_fl)}" if up_fl is not None else "-",
                     "fit s": secs})

    if compare:
        rng = np.random.default_rng(31)
        cal = np.sort(rng.choice(len(Xtr), min(nv.CALIBRATION_ROWS, len(Xtr)), replace=False))
        pca = nv.pca_fit(Xtr, 30 if dataset == "mnist" else 20)

        def add(name: str, score, q: float = 0.98) -> None:
            thr = np.quantile(score(Xtr[cal], cal), q)
            row(name, q, int((score(Xn, None) > thr).sum() + refused.sum()), score(Xte, None) > thr,
                score(Xup, None) > thr if Xup is not None else None)

        for k in (1, 5):
            for space in nv.SPACES:
                bank = nv._embed(r, Xtr, space)
                add(f"{space} NN distance, k={k}", lambda X, ex, b=bank, s=space, k=k: nv.knn_score(
                    nv._embed(r, X, s), b, k, ex))
        add("1 - max softmax", lambda X, ex: nv.max_softmax_score(r, X))
        add("PCA reconstruction", lambda X, ex: nv.pca_score(X, pca))
    out = None
    for shifts in ((False, True) if dataset == "mnist" else (True,)):
        t0 = time.perf_counter()
        model = nv.fit(r, Xtr, shifts=shifts)
        secs = f"{time.perf_counter() - t0:.1f}"
        m = nv.measure(r, model, Xte, made=made)
        up = model.flags(r, Xup) if Xup is not None else None
        name = "hidden OR pixel, k=1" + (", nearest over 1-px shifts (the page's)" if shifts and dataset == "mnist"
                                         else " (the page's)" if shifts else ", no shifts")
        row(name, nv.QUANTILE, m.flagged, model.flags(r, Xte), up, secs)
        out = (m, float(up.mean()) if up is not None else float("nan"))
    return rows, out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", default=os.environ.get("NNLAB_MNIST_DIR") or str(mnist.SAMPLE_DIR))
    ap.add_argument("--n-made", type=int, default=120)
    ap.add_argument("--n-uploads", type=int, default=1000)
    ap.add_argument("--reader", type=Path, nargs="*", default=[], help="more reader files (.safetensors) to measure")
    a = ap.parse_args()
    made8, made28 = nv.made_set("digits", a.n_made), nv.made_set("mnist", a.n_made)
    Xup = _uploads(a.n_uploads, str(mnist.SAMPLE_DIR))
    rows, by_kind = [], []
    r8 = digits.train(digits.default_config("digits"))
    part, m8, _ = rows_for("8x8 default", r8, None, made8, None, compare=True)
    rows += part
    by_kind.append(("8x8 default", m8))
    shipped = shipped_reader()
    part, mr, ur = rows_for(f"built-in reader ({_name(shipped)})", shipped, str(mnist.SAMPLE_DIR), made28, Xup,
                            compare=True)
    rows += part
    by_kind.append(("built-in reader", mr))
    for f in a.reader:
        r = import_model(f.read_bytes(), settings.LAPTOP)
        part, m, _ = rows_for(f"{f.name} ({_name(r)})", r, str(mnist.SAMPLE_DIR), made28, Xup, compare=False)
        rows += part
        by_kind.append((f.name, m))
    rm = digits.train(digits.default_config("mnist"), folder=a.sample)
    part, mm, um = rows_for(f"MNIST default ({_name(rm)})", rm, a.sample, made28, Xup, compare=False)
    rows += part
    by_kind.append(("MNIST default", mm))
    print(table(rows, f"Not-a-digit scores: thresholds from training images only; {len(Xup)} realistic uploads of "
                      "real digits (bench/uploads.py)"))
    print()
    print(table([{"model": d, **{k: f"{f}/{n}" for k, (f, n) in m.by_kind.items()}, "refused by the reader": m.refused}
                 for d, m in by_kind], "The page's flag by kind of non-digit (refused: blank, a speck, a filled area)"))
    print(f"flagged_8x8={m8.flag_rate:.3f} false_8x8={m8.false_rate:.3f} flagged_reader={mr.flag_rate:.3f} "
          f"uploads_reader={ur:.3f} flagged_mnist={mm.flag_rate:.3f} uploads_mnist={um:.3f}")


if __name__ == "__main__":
    main()
