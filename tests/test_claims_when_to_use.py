"""When to Use Neural Networks: its claims (core/when_to_use/claims.py) at each tab's defaults, and each fed
numbers on both sides of its condition (small made-up runs for the side the defaults do not show)."""

from __future__ import annotations

import core.when_to_use as wtu
from core.when_to_use import claims as wc
from core.when_to_use.models import CurvePoint, ModelRun
from tests.claimcheck import both_sides


def run(model: str, scores: list[float], seconds: float = 1.0, scaled: bool | None = None) -> ModelRun:
    return ModelRun(model, scores, seconds, model in wtu.NETS if scaled is None else scaled,
                    *wtu.settings_effort(model))


def cp(m: str, f: float, n: int, s: float) -> CurvePoint:
    return CurvePoint(m, f, n, s, 0.1)


# ---- ① head to head ------------------------------------------------------------------------------------


def test_duel_winner_and_the_rows_rule():
    """At the defaults (breast cancer, 3 folds) scikit-learn's MLP edges out gradient boosting (97.2% to 96.7%):
    the tutorial's small-table rule did not hold here, and the gap is within the folds' spread."""
    runs, label, rows = wc.default_duel()
    with both_sides("wtu.mlp_won"), both_sides("wtu.trees_win_small_tables"):
        notes = wtu.duel_notes(runs, label, rows)
        assert notes["winner"].holds and notes["winner"].startswith("The MLP won on breast cancer: MLP (scikit-learn)")
        assert not notes["rows"].holds and notes["rows"].endswith("here it did not hold.")
        trees_win = wtu.duel_notes([run("boosting", [0.97, 0.99]), run("sk_mlp", [0.90, 0.92])], "x", 500)
        assert trees_win["winner"].startswith("A tree ensemble won") and "held here" in trees_win["rows"]
    big = wtu.duel_notes([run("boosting", [0.97, 0.99]), run("sk_mlp", [0.90, 0.92])], "x", 50_000)
    assert "rows" not in big  # the rule of thumb is about small tables only
    tie = wc.duel_winner([run("forest", [0.9]), run("mlp", [0.9])], "x")
    assert tie.startswith("A tie on x")


def test_best_model_when_only_one_family_ran():
    with both_sides("wtu.best_model"):
        said = wtu.duel_notes([run("forest", [0.9]), run("boosting", [0.95])], "x", 100)["winner"]
        assert said.holds and said.startswith("Best on x: Gradient boosting, 95.0%")
        assert wc.best_model([run("forest", [0.9]), run("boosting", [0.9])], "x").startswith("A tie on x")
    assert wc.best_model([], "") == ""


def test_gap_against_the_spread():
    runs, _, _ = wc.default_duel()
    with both_sides("wtu.gap_beyond_spread"):
        said = wc.duel_spread(runs)
        assert not said.holds and "within the fold-to-fold spread (±1.0 points)" in said
        said = wc.duel_spread([run("forest", [0.90, 0.92]), run("mlp", [0.97, 0.99])])
        assert said.holds and "larger than the fold-to-fold spread" in said


def test_speed_names_this_runs_fastest_and_slowest():
    with both_sides("wtu.speed"):
        said = wc.duel_speed([run("forest", [0.9], 2.0), run("mlp", [0.9], 0.5)])
        assert said.holds and said.startswith("Fastest to train in this run: MLP (NN Lab engine) (0.50 s")
        assert wc.duel_speed([run("forest", [0.9], 1.0), run("mlp", [0.9], 1.0)]) == ""


def test_effort_says_what_each_family_was_given_not_what_it_needed():
    """The MLPs were given standardised inputs; nothing in tab ① shows they needed them, and the engine's
    "defaults" are NN Lab's own TrainConfig, not a library's."""
    runs, _, _ = wc.default_duel()
    assert all(r.changed == 0 and not r.scaled for r in runs if r.model in wtu.TREES)
    with both_sides("wtu.effort"):
        said = wc.duel_effort(runs)
        assert said.holds and "needed" not in said and "were given standardised inputs" in said
        assert "MLP (NN Lab engine): 4 of 13 settings differ from NN Lab's own engine defaults" in said
        assert "MLP (scikit-learn): 2 of 22 settings differ from scikit-learn's defaults" in said
        assert wc.duel_effort([run("forest", [0.9]), run("mlp", [0.8], scaled=False)]) == ""


# ---- ② scaling ---------------------------------------------------------------------------------------


def test_scaling_collapses_the_mlps_and_leaves_the_trees():
    """At the defaults (wine) both MLPs lose more than 5 points without scaling (scikit-learn's 98.3% -> 60.2%),
    and the trees score exactly the same."""
    got, label = wc.default_scaling()
    with both_sides("wtu.mlp_collapses_unscaled"), both_sides("wtu.trees_ignore_scaling"):
        notes = wtu.scaling_notes(got, label)
        assert [n.holds for n in notes] == [True] * 4
        assert "Without scaling, MLP (scikit-learn) fell from 98.3% to 60.2% on wine" in " ".join(notes)
        same = wc.scaling_collapse(run("mlp", [0.9]), run("mlp", [0.89], scaled=False), "x")
        assert not same.holds and same.endswith("no collapse here.")
        moved = wc.scaling_trees(run("forest", [0.9], scaled=True), run("forest", [0.8], scaled=False))
        assert not moved.holds and "a difference of 10.0 points" in moved
    assert got[("forest", True)].mean == got[("forest", False)].mean


# ---- ③ noise columns and rotation --------------------------------------------------------------------


def test_noise_columns_hurt_the_mlp_most_at_the_defaults():
    pts = wc.default_noise()
    with both_sides("wtu.noise_hurts_mlp_most"):
        (said,) = wtu.noise_notes(pts)  # no rotation at the defaults: no rotation sentence
        assert said.holds and said.startswith("Going from 0 to 100 uninformative columns: MLP (NN Lab engine) lost")
        tree_worst = [(0, False, run("forest", [0.95])), (0, False, run("mlp", [0.95])),
                      (10, False, run("forest", [0.80])), (10, False, run("mlp", [0.94]))]
        said = wc.noise_verdict(tree_worst)
        assert not said.holds and "Unlike Grinsztajn et al. (2022), here a tree ensemble suffered most." in said
    flat = [(0, False, run("forest", [0.9])), (0, False, run("mlp", [0.9])),
            (5, False, run("forest", [0.9])), (5, False, run("mlp", [0.9]))]
    assert wc.noise_verdict(flat).endswith("All lost about the same here.")


def test_rotation_note_describes_the_k_its_chart_shows():
    """With the Rotate toggle on, the dashed lines part at k = 100 (rotated trees lose about 20 points, the MLP
    gains): the sentence gives every k and its verdict is about the largest, not k = 0."""
    pts = wc.default_noise(rotate=True)
    with both_sides("wtu.rotation_hurts_trees_most"):
        said = wc.rotation_verdict(pts)
        assert said.holds and said.numbers["k"] == 100
        assert "at k = 0: " in said and "at k = 20: " in said and "at k = 100: Random forest -19.6 points" in said
        assert "With 100 noise columns rotation hurt Random forest most (19.6 points)" in said
        net_worst = [(0, False, run("forest", [0.95])), (0, False, run("mlp", [0.95])),
                     (0, True, run("forest", [0.95])), (0, True, run("mlp", [0.80]))]
        said = wc.rotation_verdict(net_worst)
        assert not said.holds and "Unlike Grinsztajn et al. (2022), who found trees" in said
    assert wc.rotation_verdict(wc.default_noise()) == ""  # not rotated: nothing said
    flat = [(0, False, run("forest", [0.9])), (0, False, run("mlp", [0.9])),
            (0, True, run("forest", [0.9])), (0, True, run("mlp", [0.9]))]
    assert wc.rotation_verdict(flat).endswith("rotation cost every model about the same.")
    assert "±0.0 points" in wc.rotation_verdict(flat)


# ---- ④ data hunger -----------------------------------------------------------------------------------


def test_learning_curves_at_the_defaults():
    """The digits with 67 to 1,347 training rows: the forest gains most (83.8% -> 98.2%); the MLP keeps up at
    67 rows but trails at 1,347, so the page does not call it data-hungry and says where it trailed."""
    cps, task = wc.default_curve()
    by = {(p.fraction, p.model): p for p in cps}
    assert by[(0.05, "forest")].n_train == 67 and by[(1.0, "forest")].n_train == 1347
    with both_sides("wtu.gained_most"), both_sides("wtu.mlp_data_hungry"):
        gain, hungry = wtu.curve_notes(cps, task)
        assert gain.holds and gain.startswith("With 67 training rows: Random forest 83.8%, MLP (NN Lab engine) 84.4%.")
        assert "Random forest gained most from more data (14.4 points)" in gain
        assert not hungry.holds and hungry.startswith("Not data-hungry here: even with only 67 training rows")
        assert "with 1,347 the best tree ensemble led (98.2% against 97.6%)" in hungry
        pts = [cp("forest", 0.1, 100, 0.8), cp("mlp", 0.1, 100, 0.6), cp("forest", 1, 1000, 0.9),
               cp("mlp", 1, 1000, 0.95)]
        gain, hungry = wtu.curve_notes(pts, "classification")
        assert hungry.holds and "caught up and passed" in hungry
        equal = [cp("forest", 0.1, 100, 0.8), cp("mlp", 0.1, 100, 0.7), cp("forest", 1, 1000, 0.9),
                 cp("mlp", 1, 1000, 0.8)]
        assert wc.curve_gain(equal, "classification").endswith("More data helped them about equally.")
    stuck = [cp("forest", 0.1, 100, 0.8), cp("mlp", 0.1, 100, 0.6), cp("forest", 1, 1000, 0.95),
             cp("mlp", 1, 1000, 0.7)]
    said = wc.data_hungry(stuck, "classification")
    assert not said.holds and "more data did not close the gap" in said


# ---- ① the tutorial's rule of thumb for tables -------------------------------------------------------------
def test_the_rule_of_thumb_claims_both_ways():
    """At the defaults (breast cancer, 3 folds) the rule's 30-21-11-2 net with dropout scores above the page's own
    64-32 MLP (within the spread) and above gradient boosting; made-up runs give the other sides."""
    runs = wc.default_rule()
    assert [r.model for r in runs] == ["rule", "mlp", "forest", "boosting"]
    with both_sides("wtu.rule_vs_own_mlp"), both_sides("wtu.rule_vs_trees"):
        own, trees = wtu.rule_notes(runs)
        rule, mlp = runs[0].mean, runs[1].mean
        assert own.holds is (rule >= mlp) and f"{rule:.1%}" in own and "64-32 MLP without dropout" in own
        assert trees.holds is (rule > max(runs[2].mean, runs[3].mean))
        worse = [run("rule", [0.90, 0.92]), run("mlp", [0.97, 0.97]), run("forest", [0.95, 0.96]),
                 run("boosting", [0.98, 0.99])]
        w_own, w_trees = wtu.rule_notes(worse)
        assert not w_own.holds and "did worse than the page's own network" in w_own
        assert not w_trees.holds and "gradient boosting, 98.5%" in w_trees and "larger than the fold" in w_trees
        assert "within the fold-to-fold spread" in wtu.rule_notes([run("rule", [0.90, 0.98]), *worse[1:]])[0]


def test_the_rule_sizes_two_layers_between_input_and_output():
    assert wtu.rule_hidden(30, 2) == (21, 11) and wtu.rule_hidden(64, 10) == (46, 28)
    assert wtu.rule_hidden(10, 1) == (7, 4) and wtu.rule_hidden(4, 3) == (4, 3)
    for n_in, n_out in ((30, 2), (13, 3), (200, 5), (2, 2)):
        a, b = wtu.rule_hidden(n_in, n_out)
        assert n_in >= a >= b >= min(n_out, n_in) >= 1
