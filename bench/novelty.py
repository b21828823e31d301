"""Does this look like a digit at all? The not-a-digit flag measured, and the scores it was chosen from.

    python -m bench.novelty [--sample DIR] [--n-made N]

For the page's default 8x8 model and its default MNIST-format model (trained on the MNIST sample's
train files, or $NNLAB_MNIST_DIR), each score's threshold is set from the training images alone (a
quantile of their own distance to the other training images, or of their own score), then counted on
the made non-digits (core.digits.novelty.make_non_digits: letters, shapes, scribbles, blank or nearly
blank images; refused-as-blank counts as flagged) and on the real test digits (the 8x8 test split; the
sample's t10k digits), and for MNIST on realistic uploads made from t10k digits (bench/uploads.py).
The last line is ``flagged_8x8=<share> false_8x8=<share> flagged_mnist=<share> false_mnist=<share>``
for the flag the page uses.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

import numpy as np

from bench._table import table
from bench.uploads import make_uploads
from core import digits
from core.digits import images, inside
from core.digits import novelty as nv

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = next((p for p in (ROOT.parent / "shared" / "data" / "mnist-sample", Path("/work/shared/data/mnist-sample"))
               if p.is_dir()), ROOT.parent / "shared" / "data" / "mnist-sample")


def _uploads(X_test: np.ndarray, y_test: np.ndarray, n: int) -> np.ndarray:
    """Realistic uploads of the first n test digits, preprocessed like the page: [M, 784]."""
    raw = (X_test[:n].reshape(-1, 28, 28) * 255).round().astype(np.uint8)
    out = []
    for _, data, _, _ in make_uploads(raw, y_test[:n], 0):
        with contextlib.suppress(images.ImageError):
            out.append(images.preprocess(images.load_image(data), "mnist").x)
    return np.stack(out)


def rows_for(dataset: str, folder: str | None, n_made: int, n_uploads: int) -> tuple[list[dict], nv.Measurement]:
    r = digits.train(digits.default_config(dataset), folder=folder)
    Xtr, _, Xte, yte = digits.raw_arrays(dataset, folder)
    items = nv.make_non_digits(n_made, 0)
    Xn, refused, _ = nv.prepare(items, dataset)
    Xup = _uploads(Xte, yte, n_uploads) if dataset == "mnist" else None
    rng = np.random.default_rng(31)
    cal = np.sort(rng.choice(len(Xtr), min(nv.CALIBRATION_ROWS, len(Xtr)), replace=False))
    pca = nv.pca_fit(Xtr, 30 if dataset == "mnist" else 20)
    rows = []

    def add(name: str, score, q: float) -> None:
        thr = np.quantile(score(Xtr[cal], cal), q)
        fl = (score(Xn, None) > thr).sum() + refused.sum()
        row = {"data": dataset, "score": name, "quantile": q,
               "non-digits flagged": f"{fl}/{len(items)} ({fl / len(items):.0%})",
               "test digits flagged": f"{(score(Xte, None) > thr).mean():.1%} of {len(Xte)}"}
        row["uploads flagged"] = f"{(score(Xup, None) > thr).mean():.1%} of {len(Xup)}" if Xup is not None else "-"
        rows.append(row)

    for k in (1, 5):
        for space in ("hidden", "pixel"):
            bank = inside.unit_norm(inside.embed(r, Xtr, space))
            add(f"{space} NN distance, k={k}", lambda X, ex, b=bank, s=space, k=k: nv.knn_score(
                inside.unit_norm(inside.embed(r, X, s)), b, k, ex), 0.98)
    add("1 - max softmax", lambda X, ex: nv.max_softmax_score(r, X), 0.98)
    add("PCA reconstruction", lambda X, ex: nv.pca_score(X, pca), 0.98)
    model = nv.fit(r, Xtr)
    m = nv.measure(r, model, Xte, n_made)
    row = {"data": dataset, "score": "hidden OR pixel, k=1 (the page's)", "quantile": nv.QUANTILE,
           "non-digits flagged": f"{m.flagged}/{m.non_digits} ({m.flag_rate:.0%})",
           "test digits flagged": f"{m.false_rate:.1%} of {m.test_digits}",
           "uploads flagged": f"{model.flags(r, Xup).mean():.1%} of {len(Xup)}" if Xup is not None else "-"}
    rows.append(row)
    return rows, m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", default=os.environ.get("NNLAB_MNIST_DIR") or str(SAMPLE))
    ap.add_argument("--n-made", type=int, default=120)
    ap.add_argument("--n-uploads", type=int, default=500)
    a = ap.parse_args()
    r8, m8 = rows_for("digits", None, a.n_made, a.n_uploads)
    rm, mm = rows_for("mnist", a.sample, a.n_made, a.n_uploads)
    print(table(r8 + rm, "Not-a-digit scores: thresholds from training images only"))
    print()
    print(table([{"data": d, **{k: f"{f}/{n}" for k, (f, n) in m.by_kind.items()}, "refused as blank": m.refused}
                 for d, m in (("digits", m8), ("mnist", mm))], "The page's flag by kind of non-digit"))
    print(f"flagged_8x8={m8.flag_rate:.3f} false_8x8={m8.false_rate:.3f} "
          f"flagged_mnist={mm.flag_rate:.3f} false_mnist={mm.false_rate:.3f}")


if __name__ == "__main__":
    main()
