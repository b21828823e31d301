"""What a When to Use request fits, as the server prices it: every model fit (folds, noise columns,
shares) on the table's shape, one after the other, and the table's copies held beside them.
:mod:`core.serve.price` prices these."""

from __future__ import annotations

from typing import Any

from core.serve.workload import DataShape, Lower, TableFit, Workload
from core.when_to_use.data import TableShape

TABLE_BYTES_COPIES = 6  # the float64 table held: the table, noise columns, rotation, a fold's train and test copies
MODEL_WORDS = {"forest": "the random forest", "boosting": "gradient boosting", "mlp": "the NN Lab MLP",
               "sk_mlp": "scikit-learn's MLP", "rule": "the rule-of-thumb MLP"}
PRICED_AS = {"rule": "mlp"}  # the rule of thumb is the engine's MLP with other widths (and dropout)


def table_data(cfg: Any, data: Any = None) -> DataShape:
    """The table a request reads, as a DataShape (n_outputs: its classes, 1 for a regression target):
    ``data`` (a loaded Table or a DataShape), else the table the config names without loading it."""
    if isinstance(data, DataShape):
        return data
    t = data.table_shape if data is not None else cfg.table_shape()
    return DataShape(t.rows, t.features, max(1, t.classes), levels=t.levels)


def table(cfg: Any, data: Any = None) -> Workload:
    """A request's workload: the fits ``cfg.fits(shape)`` runs on the table, one after the other."""
    d = table_data(cfg, data)
    fits = cfg.fits(TableShape(d.n_train, d.n_features, d.n_outputs if d.n_outputs > 1 else 0, d.levels))
    priced = tuple(TableFit(PRICED_AS.get(f.model, f.model), f.n_train, f.n_features, f.n_test, f.rounds,
                            d.n_outputs, f.levels, tuple(f.hidden), f.batch, MODEL_WORDS.get(f.model, f.model))
                   for f in fits)
    widest = max((f.n_features for f in fits), default=0)
    return Workload(fits=priced, held_bytes=TABLE_BYTES_COPIES * 8 * d.n_train * widest, lower=_lower(cfg))


def _lower(cfg: Any) -> tuple[Lower, ...]:
    """What to lower: its models (naming one that costs most of it), noise columns, shares, folds, the table."""
    words: list[Lower] = []
    if len(cfg.models) > 1 and cfg.kind != "wtu-rule":  # the rule's section compares a fixed four
        words.append(Lower("fewer models", costliest=True))
    if cfg.kind == "wtu-noise":
        words += [Lower("fewer noise columns")] + ([Lower("no rotation")] if cfg.rotate else [])
    elif cfg.kind == "wtu-curve":
        words.append(Lower("fewer shares"))
    if cfg.kind != "wtu-curve" and cfg.folds > 2:
        words.append(Lower("fewer folds"))
    words.append(Lower("a smaller CSV" if cfg.dataset == "csv" else "a smaller table"))
    return tuple(words)
