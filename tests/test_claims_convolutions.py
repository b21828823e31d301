"""Images and Convolutions' claims, each fed numbers on both sides of its condition: the page's default run
(the side that holds) and small synthetic tables (the other side)."""

import pandas as pd

from core.convolutions import claims as cl
from core.convolutions import jobs as J
from tests.claimcheck import both_sides


def _table(col: str, mlp: list[float], cnn: list[float], values: list[int]) -> pd.DataFrame:
    rows = [{"model": m, col: v, "accuracy": a} for m, accs in (("MLP", mlp), ("CNN", cnn))
            for v, a in zip(values, accs)]
    return pd.DataFrame(rows)


def test_budget_both_sides():
    with both_sides("convolutions.budget"):
        assert cl.budget(0.95, 0.96, 12_060, 12_182).holds
        assert not cl.budget(0.96, 0.95, 12_060, 12_182).holds  # the CNN worse
        assert not cl.budget(0.90, 0.96, 12_060, 50_000).holds  # not a similar budget


def test_shift_both_sides_and_holds_at_the_defaults():
    with both_sides("convolutions.shift"):
        said = cl.shift(cl._default_tables()[0])
        assert said.holds, said
        # pinned: the MLP loses at least 5 points more than the CNN on a one-pixel move of the 8x8 digits
        assert said.numbers["mlp_drop"] - said.numbers["cnn_drop"] >= 5, said.numbers
        assert not cl.shift(_table("shift", [0.95, 0.9], [0.95, 0.8], [0, 1])).holds
    t = cl._default_tables()[0]
    assert sorted(t["shift"].unique()) == [0, 1, 2]
    cnn, mlp = t[t.model == "CNN"].set_index("shift").accuracy, t[t.model == "MLP"].set_index("shift").accuracy
    assert (cnn[1:] > mlp[1:]).all()  # at every shift the CNN reads more moved digits


def test_rotation_both_sides_and_holds_at_the_defaults():
    with both_sides("convolutions.rotation"):
        assert cl.rotation(cl._default_tables()[1]).holds
        assert not cl.rotation(_table("angle", [0.95, 0.9], [0.95, 0.7], [0, 20])).holds


def test_field_both_sides():
    with both_sides("convolutions.field"):
        size = J.field_size(J.receptive_field(J.cnn_config(J.ConvConfig()), 28, 7, 7))
        assert size == 14  # 5 pooled cells of layer 1 = 10 input pixels, plus the 4 a 5x5 kernel adds at its edges
        assert cl.field(size, 5, 28).holds
        assert not cl.field(5, 5, 28).holds


def test_sizes_both_sides():
    with both_sides("convolutions.sizes"):
        t = J.sizes_table(cl.default_sizes())
        assert cl.sizes(t).holds
        assert len(t) == 8 and t[t.model == "CNN"].params.is_monotonic_increasing
        worse = t.assign(accuracy=[0.99 if m == "MLP" else 0.5 for m in t.model])
        assert not cl.sizes(worse).holds
