"""What a trained XOR network computes over the plane, and the numbers the XOR Lab reports about runs.

Pure functions of results (no Streamlit): the decision surface of a :class:`~core.engine.TrainResult`
around the unit square, whether a network answers all four XOR inputs right, a seed study's summary,
and the long loss frames the charts draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.engine import TrainResult

XOR_POINTS = pd.DataFrame({"x1": [0, 0, 1, 1], "x2": [0, 1, 0, 1], "label": [0, 1, 1, 0]})


def unit_square_grid(steps: int = 41) -> np.ndarray:
    """A steps x steps grid over the unit square with a margin, [-0.5, 1.5]^2: [steps*steps, 2] float32."""
    return datasets.grid(1.0, steps) + 0.5


def probability_surface(result: TrainResult, steps: int = 41) -> pd.DataFrame:
    """P(output = 1) of a trained 2-input network over [-0.5, 1.5]^2: columns x1, x2, p (steps**2 rows).

    The network's output is a logit (sigmoid applied here), as the seed study and Home train it.
    """
    g = unit_square_grid(steps)
    with torch.no_grad():
        p = torch.sigmoid(result.model()(torch.as_tensor(g)))[:, 0].numpy()
    return pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": p})


def solves_xor(outputs: pd.Series | np.ndarray, target: pd.Series | np.ndarray) -> bool:
    """True when every output is on the right side of 0.5 (outputs and targets: [4])."""
    return bool(((np.asarray(outputs) > 0.5).astype(int) == np.asarray(target)).all())


@dataclass(frozen=True)
class NetVerdict:
    """One network of the NumPy-vs-PyTorch comparison: its final loss and whether it solves XOR."""

    name: str
    final_loss: float
    solved: bool


def compare_verdicts(predictions: pd.DataFrame, losses: pd.DataFrame,
                     names: tuple[str, ...] = ("NumPy", "PyTorch")) -> list[NetVerdict]:
    """Per network: the last logged loss and whether its four outputs (column ``name``) match ``target``.

    ``predictions``: one row per input, a column per network plus ``target``; ``losses``: long frame with
    ``net`` (starting with the network's name) and ``loss``.
    """
    out = []
    for name in names:
        final = float(losses[losses.net.str.startswith(name)].loss.iloc[-1])
        out.append(NetVerdict(name, final, solves_xor(predictions[name], predictions["target"])))
    return out


@dataclass(frozen=True)
class SeedSummary:
    """A seed study in numbers: solved per seed ([n] bool), its count, the median final loss, total
    training seconds and how many runs diverged."""

    solved: np.ndarray
    n_solved: int
    n: int
    median_loss: float
    seconds: float
    n_diverged: int

    @property
    def failed(self) -> list[int]:
        """Indices of the seeds that did not solve XOR."""
        return [i for i in range(self.n) if not self.solved[i]]


def seed_summary(results: list[TrainResult]) -> SeedSummary:
    """The numbers the seed tab shows, from a seed study's results (in seed order)."""
    from core.xor.jobs import solved as solved_each

    solved = np.asarray(solved_each(results), dtype=bool)
    return SeedSummary(
        solved=solved,
        n_solved=int(solved.sum()),
        n=len(solved),
        median_loss=float(np.median([r.metrics["final_train_loss"] for r in results])),
        seconds=float(sum(r.seconds for r in results)),
        n_diverged=int(sum(bool(r.diverged) for r in results)),
    )


def all_histories(results: list[TrainResult]) -> pd.DataFrame:
    """Every run's history stacked, with ``model`` = the run's index (for the many-curves chart)."""
    hists = [r.history_columns() for r in results]  # arrays, not a frame per run (100 runs: 20 ms -> 2 ms)
    cols = list(hists[0]) if hists else []
    if any(list(h) != cols for h in hists):
        return pd.concat([r.history.assign(model=i) for i, r in enumerate(results)], ignore_index=True)
    lens = [len(h["epoch"]) if "epoch" in h else len(r.history) for h, r in zip(hists, results)]
    parts = {c: np.concatenate([h[c] for h in hists]) for c in cols}
    parts["model"] = np.repeat(np.arange(len(results)), lens)
    return pd.DataFrame(parts)


def train_test_losses(history: pd.DataFrame) -> pd.DataFrame:
    """A Playground trainer's history as long rows: model, epoch, series ("train"/"test"), loss."""
    long = history.melt(
        id_vars=["model", "epoch"],
        value_vars=[c for c in ("train_eval_loss", "test_loss") if c in history],
        var_name="series",
        value_name="loss",
    ).dropna()
    long["series"] = long["series"].map({"train_eval_loss": "train", "test_loss": "test"})
    return long
