"""Every lesson and verdict Backprop Step by Step states, as claims of one step's numbers."""

from __future__ import annotations

import functools

import numpy as np

from core.backprop import jobs as bpj
from core.claims import Said, claim, said

PAGE = "Backprop Step by Step"
TAB = "step"
AGREE = 1e-9  # every hand-computed number within this of autograd's
PICKED = "W1[2,1]"  # the weight the page picks at its defaults


@functools.cache
def _default_step() -> bpj.StepTrace:
    return bpj.run(bpj.BackpropConfig())


def change(a: float, b: float, lo: int = 5, hi: int = 12) -> str:
    """'fell from 0.006761 to 0.006758' / 'rose from ...': with the fewest decimals (at least ``lo``) that
    tell the two apart; 'stayed at 0.00676 to within 1e-12' when even ``hi`` decimals do not."""
    for d in range(lo, hi + 1):
        x, y = f"{a:.{d}f}", f"{b:.{d}f}"
        if x != y:
            return f"{'fell' if b < a else 'rose'} from {x} to {y}"
    return f"stayed at {a:.{lo}f} to within 1e-{hi}"


def apart(*values: float, lo: int = 5, hi: int = 12) -> list[str]:
    """The values with the fewest decimals (at least ``lo``, at most ``hi``) that tell unequal ones apart."""
    for d in range(lo, hi + 1):
        out = [f"{v:.{d}f}" for v in values]
        if all(out[i] != out[j] for i in range(len(values)) for j in range(i) if values[i] != values[j]):
            return out
    return out


def moved(t: bpj.StepTrace) -> tuple[list[str], str]:
    """(the weights and biases the update left in place, a sentence saying which moved and why)."""
    names = bpj.weight_names()
    still = [n for n in names if bpj.value_of(t.step_grads, n) == 0.0]
    if not still:
        return still, f"moved all {len(names)} weights and biases against their gradients"
    zero_inputs = [i for i in range(2) if t.x[i] == 0.0]
    why = "had a zero gradient"
    if not t.batch and all(n.startswith(tuple(f"W1[{i + 1}," for i in zero_inputs)) for n in still):
        xs = " and ".join(f"x{i + 1}" for i in zero_inputs)
        inputs = f"inputs ({xs}) are" if len(zero_inputs) > 1 else f"input ({xs}) is"
        why = (f"get{'s' * (len(still) == 1)} a zero gradient, because {'its' if len(still) == 1 else 'their'} "
               f"{inputs} 0 on this example: dL/dW1[i,j] = x_i · dL/dz1[j]")
    listed = ", ".join(still) if len(still) <= 4 else f"{still[0]} ... {still[-1]}"
    return still, (f"moved {len(names) - len(still)} of the {len(names)} weights and biases against their "
                   f"gradients; the other {len(still)} ({listed}) {why}, and stayed put")


# ---- the check against autograd --------------------------------------------------------------------------
@claim("backprop.autograd_agrees", page=PAGE, tab=TAB,
       condition=f"every hand-computed number of the step within {AGREE:g} of autograd's",
       defaults=lambda: autograd_agrees(_default_step()))
def autograd_agrees(t: bpj.StepTrace) -> Said:
    """The on-screen check: hand-written backprop against torch autograd on this step."""
    diff = t.max_autograd_diff()
    n = sum(v.size for v in t.autograd.values())
    return said(diff <= AGREE,
                f"Autograd agrees to 1e-9: over all {n} numbers of this step (the loss, every derivative on "
                f"the way back, every gradient of the example shown) the largest difference is {diff:.1e}.",
                f"Autograd disagrees: the largest difference is {diff:.2e}.", max_diff=diff, numbers=n)


@claim("backprop.dz2_is_a2_minus_y", page=PAGE, tab=TAB,
       condition="dL/dz2 from the chain equals a2 - y (the tutorial's dz2) within 1e-6",
       defaults=lambda: dz2_is_a2_minus_y(_default_step()))
def dz2_is_a2_minus_y(t: bpj.StepTrace) -> Said:
    """The table's dL/dz2 (two factors multiplied) is the tutorial's one-line ``dz2 = a2 - y``."""
    short = t.a2 - t.y
    gap = abs(t.dL_dz2 - short)
    how = ("the full-batch step averages it over the four rows, as the tutorial's code does when it "
           "divides by the number of rows" if t.batch else
           "the tutorial's full-batch code then averages it over the four rows")
    return said(gap <= 1e-6,
                f"The tutorial writes this as one line, dz2 = a2 - y: here a2 - y = {t.a2:.6f} - {t.y:g} = "
                f"{short:.6f}, and the table's dL/dz2 = dL/da2 × a2(1-a2) = {t.dL_dz2:.6f}. For a sigmoid output "
                f"with cross-entropy the two factors cancel to a2 - y ({how}).",
                f"The tutorial's dz2 = a2 - y would give {short:.6g}; the table's dL/dz2 is {t.dL_dz2:.6g}, "
                f"{gap:.1e} away: with a2 = {t.a2:.3g} this close to 0 or 1, the ε = 1e-8 inside the logs "
                "matters.", a2_minus_y=short, dL_dz2=t.dL_dz2, gap=gap)


# ---- the picked weight ------------------------------------------------------------------------------------
@claim("backprop.weight_gets_no_gradient", page=PAGE, tab=TAB,
       condition="one chain-rule factor of the picked weight is exactly 0 on the example shown",
       defaults=lambda: weight_gets_no_gradient(_default_step(), PICKED))
def weight_gets_no_gradient(t: bpj.StepTrace, name: str) -> Said:
    """Why the picked weight does (not) move: a zero factor in its chain, else its update written out."""
    factors = bpj.chain_for(t, name)
    zero = [m for _, m, v in factors if v == 0.0]
    g = bpj.value_of(t.grads, name)
    used = bpj.value_of(t.step_grads, name)
    old, new = apart(bpj.value_of(t.params, name), bpj.value_of(t.new_params, name), lo=6)
    update = (f"the update is -lr × {'the mean gradient' if t.batch else 'gradient'} = -{t.lr:g} × {used:.6g} = "
              f"{-t.lr * used + 0.0:.6g}: {name} goes from {old} to {new}.")
    if zero and t.batch:
        text = (f"One factor is exactly 0 on this row ({zero[0]}), so this row gives {name} no gradient. The "
                f"full-batch step uses the mean over the four rows instead: {update}")
    elif not zero:
        text = update[0].upper() + update[1:]
    else:
        text = (f"One factor is exactly 0 on this example ({zero[0]}), so {name} gets no gradient and does not "
                "move: it played no part in this output.")
    return said(bool(zero), text, text, weight=name, gradient=g, step_gradient=used)


# ---- the update ---------------------------------------------------------------------------------------------
@claim("backprop.update_lowers_loss", page=PAGE, tab=TAB,
       condition="the step lowers the loss it descends (this example's; full batch: the mean over four rows)",
       defaults=lambda: update_lowers_loss(_default_step()))
def update_lowers_loss(t: bpj.StepTrace) -> Said:
    """Whether the update lowered the loss it follows the gradient of, and which weights it moved."""
    before, after = (t.mean_loss_before, t.mean_loss_after) if t.batch else (t.loss, t.new_loss)
    what = "the mean loss over the four rows" if t.batch else "the loss on this example"
    _, which = moved(t)
    return said(after < before,
                f"The update lowered {what}: it {change(before, after)}, and gradient descent {which}.",
                f"The update did not lower {what}: it {change(before, after)}. The learning rate {t.lr:g} "
                "stepped past the minimum along the gradient.",
                before=before, after=after, still=len(moved(t)[0]))


@claim("backprop.mean_loss_falls", page=PAGE, tab=TAB,
       condition="one example's step lowers the mean loss over all four rows",
       defaults=lambda: mean_loss_falls(_default_step()))
def mean_loss_falls(t: bpj.StepTrace) -> Said:
    """One example's step and the other three rows (nothing to add for a full-batch step)."""
    a, b = t.mean_loss_before, t.mean_loss_after
    if t.batch:
        return said(b < a, "", "", before=a, after=b)
    own = t.new_loss < t.loss
    return said(b < a,
                f"The mean loss over all four rows {change(a, b)}{', too' if own else ''}.",
                f"{'Yet the' if own else 'The'} mean loss over all four rows {change(a, b)}: a step fitted "
                "to one example can hurt the others, which is why training cycles through them all, epoch after "
                "epoch (the tutorial's full-batch step follows the four rows' mean gradient instead).",
                before=a, after=b)


def _other_way(t: bpj.StepTrace) -> float:
    """The mean loss after the other kind of step from the same weights: full batch for a one-example
    step, the shown row alone for a full-batch step."""
    grads = t.grads if t.batch else {k: np.mean([g[k] for g in t.row_grads], axis=0) for k in t.grads}
    return bpj.mean_loss({k: v - t.lr * grads[k] for k, v in t.params.items()})


@claim("backprop.full_batch_lowers_more", page=PAGE, tab=TAB,
       condition="from these weights, the full-batch step lowers the mean loss more than the one-example step",
       defaults=lambda: full_batch_lowers_more(_default_step()))
def full_batch_lowers_more(t: bpj.StepTrace) -> Said:
    """This step beside the other kind from the same weights (the tutorial's full batch, or one row)."""
    other = _other_way(t)
    full, one = (t.mean_loss_after, other) if t.batch else (other, t.mean_loss_after)
    ex = f"row ({t.x[0]:g},{t.x[1]:g})" if t.batch else "this example"
    f_s, o_s, b_s = apart(full, one, t.mean_loss_before)
    s = (f"From these weights, the tutorial's full-batch step (lr {t.lr:g}, the mean of the four rows' gradients) "
         f"would leave the mean loss at {f_s}; a step on {ex} alone leaves it at {o_s} (before either: {b_s}).")
    return said(full < one, s + " The full batch lowers it more: it follows all four rows at once.",
                s + " Here the one-example step lowers it more: one step on a single row can, though the next "
                "rows may undo it.", full_batch=full, one_example=one)
