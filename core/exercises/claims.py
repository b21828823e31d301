"""Each exercise's verdict: a claim of the student's pick and the run's numbers (who was right, and why).

One claim per exercise (its condition: the pick is a choice the numbers make right). At the page's defaults
``python -m core.claims`` judges the first choice, as if a student had picked it.
"""

from __future__ import annotations

from core.claims import Said, claim, said
from core.exercises.defs import EXERCISES, Exercise, Numbers

CONDITION = "the student's pick is a choice the run's numbers make right"


def _verdict(ex: Exercise, picked: str, numbers: Numbers, because: str) -> Said:
    """'Right: ...' or 'Not this time: ...', then what the numbers say; ``because`` states them."""
    right = ex.right(numbers)
    answer = " / ".join(ex.label(k) for k, _ in ex.choices if k in right)
    return said(picked in right, f"You were right ({ex.label(picked)}): {because}",
                f"Not this time: you picked \"{ex.label(picked)}\", but the answer is \"{answer}\": {because}",
                picked=picked, right="|".join(sorted(right)))


def _first(name: str) -> Said:
    ex = EXERCISES[name]
    return JUDGES[name](ex.choices[0][0], ex.numbers())


@claim("exercises.xor_perceptron", page="XOR Lab", tab="① Perceptron", condition=CONDITION,
       defaults=lambda: _first("xor_perceptron"))
def xor_perceptron(picked: str, n: Numbers) -> Said:
    """Will the perceptron learn XOR: from its run's last pass and final errors."""
    if n["converged"]:
        because = f"the perceptron learned XOR in {n['epochs']:,} epochs."
    else:
        because = (f"after {n['epochs']:,} epochs it still got {n['wrong']} of XOR's 4 rows wrong and made "
                   f"{n['last_updates']} updates in its last pass. No straight line separates XOR, so the rule "
                   "never stops moving its line.")
    return _verdict(EXERCISES["xor_perceptron"], picked, n, because)


@claim("exercises.explorer_depth", page="Activation Explorer", tab="④ Depth", condition=CONDITION,
       defaults=lambda: _first("explorer_depth"))
def explorer_depth(picked: str, n: Numbers) -> Said:
    """Which activation trained slowest in depth: the lowest final test accuracy of the depth study."""
    ex = EXERCISES["explorer_depth"]
    accs = ", ".join(f"{ex.label(k)} {v:.1%}" for k, v in sorted(n["acc"].items(), key=lambda kv: kv[1]))
    because = (f"after {n['epochs']} epochs through {n['layers']} layers the test accuracies were {accs} "
               "(chance is 10%).")
    return _verdict(ex, picked, n, because)


@claim("exercises.hp_lr", page="Hyperparameter Effects", tab="Learning rate", condition=CONDITION,
       defaults=lambda: _first("hp_lr"))
def hp_lr(picked: str, n: Numbers) -> Said:
    """What the largest learning rate did, against the sweep's best."""
    acc, lr = n["acc"], max(n["acc"])
    top = max(acc, key=acc.get)
    because = (f"at learning rate {lr:g} the test accuracy after {n['epochs']} epochs was {acc[lr]:.1%} "
               f"({n['diverged'][lr]} seed(s) diverged); the best rate, {top:g}, reached {acc[top]:.1%}.")
    return _verdict(EXERCISES["hp_lr"], picked, n, because)


@claim("exercises.shapes", page="Network Shapes", tab="① Four shapes", condition=CONDITION,
       defaults=lambda: _first("shapes"))
def shapes(picked: str, n: Numbers) -> Said:
    """Which shape scored best on the test images, with every shape's score and size."""
    ranked = sorted(n["acc"].items(), key=lambda kv: -kv[1])
    because = "mean test accuracy " + ", ".join(f"{k} {v:.1%} ({n['params'][k]:,} parameters)" for k, v in ranked) + "."
    return _verdict(EXERCISES["shapes"], picked, n, because)


@claim("exercises.wtu_duel", page="When to Use Neural Networks", tab="① Head to head", condition=CONDITION,
       defaults=lambda: _first("wtu_duel"))
def wtu_duel(picked: str, n: Numbers) -> Said:
    """Trees or a network on a small table: the best of each family, over the page's folds."""
    because = (f"on {n['data']} ({n['rows']:,} rows) the best network, {n['net']}, scored {n['net_score']:.1%} and "
               f"the best tree ensemble, {n['tree']}, {n['tree_score']:.1%} over {n['folds']} seeded folds.")
    if n["net_score"] >= n["tree_score"]:
        because += " The tutorial's rule (trees usually win under ~10,000 rows) is a tendency, not a law."
    return _verdict(EXERCISES["wtu_duel"], picked, n, because)


#: exercise id -> its verdict claim
JUDGES = {"xor_perceptron": xor_perceptron, "explorer_depth": explorer_depth, "hp_lr": hp_lr, "shapes": shapes,
          "wtu_duel": wtu_duel}


def judge(ex: Exercise, picked: str) -> Said:
    """The verdict on ``picked``, from the exercise's run (its page's cached default job)."""
    return JUDGES[ex.id](picked, ex.numbers())
