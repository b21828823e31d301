"""Network Shapes' claims, each fed numbers on both sides of its condition: the default runs (cached like
the page) for one side, small tables of made-up numbers for the other."""

import re

import pandas as pd

from core.architectures import claims as c
from tests.claimcheck import both_sides


def shapes(acc: dict[str, float], std: dict[str, float] | None = None, params: dict[str, int] | None = None):
    """A shapes table (the columns shapes_table makes) from accuracies by shape label."""
    std = std or {}
    params = params or {"Shallow": 2410, "Deep": 12810, "Wide": 19210, "Deep and narrow": 2570}
    widths = {"Shallow": "32", "Deep": "64,64,64", "Wide": "256", "Deep and narrow": "16,16,16,16,16,16"}
    return pd.DataFrame([{"shape": s, "hidden widths": widths[s], "layers": widths[s].count(",") + 1,
                          "parameters": params[s], "mean test acc": a, "spread (std)": std.get(s, 0.003),
                          "min": a - 0.005, "max": a + 0.005, "seconds": 0.1} for s, a in acc.items()])


def approx(one: dict[int, float], deep: list[tuple[str, int, float]]):
    """An approximation table: one-layer errors by width, and (net, budget width, error) deeper nets."""
    rows = [{"net": f"1 x {w}", "layers": 1, "width": w, "parameters": 3 * w + 1, "budget of": w, "error": e,
             "worst seed": e} for w, e in one.items()]
    rows += [{"net": n, "layers": int(n[0]), "width": int(n.split("x")[1]), "parameters": 3 * b + 1, "budget of": b,
              "error": e, "worst seed": e} for n, b, e in deep]
    return pd.DataFrame(rows)


CHECKS = {"linear": 0.946, "narrow_he": 0.931, "narrow_longer": 0.949}


def test_four_shapes_claims_both_sides():
    table, checks = c.default_shapes()
    with both_sides("architectures.best_shape"):
        s = c.best_shape(table)
        assert s.holds and s.startswith("**Wide** reached the highest test accuracy")
        tie = shapes({"Shallow": 0.96, "Deep": 0.961, "Wide": 0.95, "Deep and narrow": 0.9}, {"Deep": 0.01})
        assert "this run does not separate them" in c.best_shape(tie)
    with both_sides("architectures.fewer_parameters"):
        assert c.fewer_parameters(table).startswith("**Shallow** came within one point of the best")
        assert not c.fewer_parameters(shapes({"Shallow": 0.90, "Deep": 0.93, "Wide": 0.97, "Deep and narrow": 0.88}))
    with both_sides("architectures.narrow_vs_shallow"):
        s = c.narrow_vs_shallow(table, checks, 20)
        assert s.holds and s.startswith("Deep and narrow (6 layers of 16) comes last here: 88.")
        assert "Shallow's 96.9%, with 2,570 and 2,410 parameters" in s
        assert "no hidden layer at all reaches 94.6%" in s and "in the same 20 epochs" in s
        assert "points behind Shallow." in s  # not "level with": 3x the epochs still trail
        keeps = c.narrow_vs_shallow(shapes({"Shallow": 0.95, "Deep": 0.96, "Wide": 0.97, "Deep and narrow": 0.951}),
                                    CHECKS)
        assert not keeps.holds and keeps.startswith("Deep and narrow (95.1%) keeps up with Shallow (95.0%)")
        # a different budget (the digits widths on the 2-D spiral: 1,425 against 129) says nothing about depth
        spiral = shapes({"Shallow": 0.70, "Deep": 0.99, "Wide": 0.99, "Deep and narrow": 0.77},
                        params={"Shallow": 129, "Deep": 8577, "Wide": 1025, "Deep and narrow": 1425})
        assert c.narrow_vs_shallow(spiral, CHECKS) == ""
        stuck = c.narrow_vs_shallow(shapes({"Shallow": 0.97, "Deep": 0.96, "Wide": 0.98, "Deep and narrow": 0.88}),
                                    {"linear": 0.5, "narrow_he": 0.88, "narrow_longer": 0.881})
        assert "Neither He init" in stuck and "no hidden layer" not in stuck


def test_approximation_claims_both_sides():
    table = c.default_approx()
    with both_sides("architectures.wider_fits_better"):
        assert c.wider_fits_better(table).startswith("One hidden layer of **256** units fit the function")
        assert "fit no better than" in c.wider_fits_better(approx({1: 0.5, 8: 0.6}, []))
    with both_sides("architectures.error_falls"):
        assert c.error_falls(approx({1: 0.5, 8: 0.1, 64: 0.01}, [])).startswith("The error fell at every larger")
        s = c.error_falls(approx({1: 0.5, 8: 0.1, 64: 0.2}, []))
        assert not s.holds and "width 64 did no better" in s
    with both_sides("architectures.depth_at_equal_budget"):
        s = c.depth_at_equal_budget(table)
        assert s.holds and re.match(r"With the same parameter budget, deeper nets beat one layer in \d+ of 12 ", s)
        s = c.depth_at_equal_budget(approx({8: 0.1, 16: 0.05}, [("2 x 4", 8, 0.2), ("2 x 6", 16, 0.01)]))
        assert not s.holds and "in 1 of 2 matches" in s and "**2 x 6**" in s and ", beat one layer of 16" in s
    with both_sides("architectures.pieces_add_up"):
        assert c.pieces_add_up(8, c._default_gap()).startswith("The 8 pieces plus the output bias add up")
        assert "differ from the network's output by up to 1.0e-02" in c.pieces_add_up(8, 0.01)
