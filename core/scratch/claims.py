"""Every lesson the from-scratch tab (Backprop Step by Step) states, as claims of one comparison's numbers."""

from __future__ import annotations

import functools

from core.claims import Said, claim, said
from core.scratch import jobs as J

PAGE = "Backprop Step by Step"
TAB = "From scratch: digits"
TOLERANCE = 1e-6  # the largest relative error the float64 check allows
SAME_ACC = 0.02  # NumPy and the engine "learn about as well" within 2 accuracy points
CHANCE = 0.1  # ten classes


@functools.cache
def default_comparison() -> J.Comparison:
    """The tab's default job (cached: the claims at the defaults share it)."""
    return J.compare(J.ScratchConfig())


@claim("scratch.gradients_agree", page=PAGE, tab=TAB,
       condition=f"every hand-written gradient within {TOLERANCE:g} relative error of autograd's (float64), "
                 "at the first and at the trained weights",
       defaults=lambda: gradients_agree(default_comparison()))
def gradients_agree(c: J.Comparison) -> Said:
    """The gradient check: NumPy's backward against torch autograd on the same weights and rows."""
    err = c.max_rel_error
    n = len(c.check_start) - 1
    return said(err < TOLERANCE,
                f"Autograd agrees: on the same weights and the same {J.CHECK_ROWS} rows, all {n} hand-written "
                f"gradient arrays (and the loss) match PyTorch's autograd in float64, at the first weights and "
                f"after training; the largest relative error is {err:.1e}, under {TOLERANCE:g}: the hand-written "
                "backward pass is the chain rule, computed right.",
                f"Autograd disagrees: the largest relative error is {err:.1e}, over {TOLERANCE:g}. Some line of "
                "the backward pass does not compute the derivative of the forward pass.", max_rel_error=err)


@claim("scratch.same_accuracy", page=PAGE, tab=TAB,
       condition=f"NumPy's and the engine's test accuracies within {SAME_ACC:.0%} (2 points) of each other",
       defaults=lambda: same_accuracy(default_comparison()))
def same_accuracy(c: J.Comparison) -> Said:
    """The NumPy network beside the engine's twin: the same recipe, do they learn as well?"""
    a, b = c.numpy.test_acc, c.torch.test_acc
    gap = abs(a - b)
    both = f"NumPy {a:.1%}, PyTorch {b:.1%} on the 360 test digits"
    learned = min(a, b) >= 5 * CHANCE
    why = ("The same recipe learns about as well either way" if learned else
           "Neither learned at these settings, and the same recipe fails the same way in both")
    return said(gap <= SAME_ACC,
                f"{why}: {both}, {gap * 100:.1f} points apart. The two start from different random draws (and "
                "visit the rows in different orders), so they are not the same number.",
                f"Here the two differ by {gap * 100:.1f} points ({both}): at these settings the random draws "
                "(first weights, row order) matter more than usual, a sign the training is unstable or too "
                "short. Try another seed, a smaller learning rate or more epochs.", numpy=a, torch=b, gap=gap)


@claim("scratch.learns", page=PAGE, tab=TAB,
       condition="the NumPy network's training loss fell from its first epoch to its last, and its test "
                 "accuracy is at least 5x chance (50%)",
       defaults=lambda: learns(default_comparison().numpy))
def learns(r: J.ScratchRun) -> Said:
    """Whether the NumPy network learned the digits."""
    first, last = r.losses[0], r.losses[-1]
    ok = last < first and r.test_acc >= 5 * CHANCE
    return said(ok,
                f"The NumPy network learned the digits: the mean training loss fell from {first:.3f} in "
                f"the first epoch to {last:.3f} in the last, and {r.test_acc:.1%} of the test digits are read "
                f"right (chance: {CHANCE:.0%}).",
                f"At these settings it did not learn: the loss went from {first:.3g} to {last:.3g}, test "
                f"accuracy {r.test_acc:.1%} (chance {CHANCE:.0%}). A learning rate too high diverges; sigmoid in "
                "depth learns slowly.", first_loss=first, last_loss=last, test_acc=r.test_acc)
