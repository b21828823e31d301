"""The optimiser step on a whole stack at once: torch.optim's Adam, SGD and SGD-momentum rules.

Every model has its own learning rate and momentum; a stopped model does not move. SGD and momentum are one
elementwise pass over the flat weights [K * P]. Adam is torch's fused CPU kernel run once over the whole stack
at learning rate 1 on a zeroed buffer, which leaves each element's Adam step u (-m_hat / (sqrt(v_hat) + eps));
each model's own learning rate then scales it (w += lr * u, a multiply and an add, each rounded once wherever
the element sits; steps below :data:`TINY_STEP` are dropped first). The kernel computes the last ``size % 16``
elements of a tensor in a scalar path with other roundings, so its tensors are padded to a multiple of 16
(:func:`padded`): every element takes the vector path. So a model's numbers are those of training it alone, in
any stack, at any place (a merged run of several visitors' models, each with its own learning rate, gives each
exactly its own run), and a step costs the same few calls however many learning rates the stack holds. The
numbers equal torch.optim.Adam's to a rounding (lr is applied after the kernel, not inside it).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from core.engine.config import TrainConfig
from core.engine.stack import Layout, padded

TINY_STEP = 1e-30  # Adam steps (at lr 1) this small are dropped: any lr >= 1e-8 then keeps a step a normal float


class Optimizer:
    """Adam / SGD / momentum state for a stack's flat weights [K * P], updated in place.

    ``grad_buf``: a padded buffer whose first K * P floats are the gradient (a
    :class:`~core.engine.stack.Stack`'s); without it Adam copies the gradient into one of its own.
    """

    def __init__(self, configs: Sequence[TrainConfig], layout: Layout, flat: torch.Tensor,
                 grad_buf: torch.Tensor | None = None) -> None:
        self.kind = configs[0].optimizer
        self.layout, self.flat = layout, flat
        self.K, self.P = layout.K, layout.P
        self.lr = torch.tensor([float(c.lr) for c in configs])
        self.mom = torch.tensor([float(c.momentum) for c in configs])
        self.step_count = 0
        self._adam_step = torch.zeros(())
        self._mom: torch.Tensor | None = None  # momentum per element
        self._lr_for: torch.Tensor | None = None  # the active mask _lr_active was made for
        self._lr_active = torch.zeros(0)  # per-element lr, zero for stopped models
        self._still: torch.Tensor | None = None  # per-element: the model has stopped (None: none has)
        if self.kind == "adam":
            n = padded(self.K * self.P)
            self.m, self.v, self._u = torch.zeros(n), torch.zeros(n), torch.zeros(n)
            # the kernel reads the gradient from a padded buffer: the stack's own, else a copy (a CNN's)
            self._g = grad_buf if grad_buf is not None and len(grad_buf) == n else torch.zeros(n)
        else:
            self.m = torch.zeros_like(flat)  # momentum buffer
            self.v = self.m

    def state_rows(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Adam's (m, v) as rows [K, P] (nn.Linear order per model); for SGD, (momentum, momentum)."""
        if self.kind != "adam":
            r = self.layout.to_rows(self.m)
            return r, r
        n = self.K * self.P
        return self.layout.to_rows(self.m[:n]), self.layout.to_rows(self.v[:n])

    def load_rows(self, m: torch.Tensor, v: torch.Tensor, step_count: int) -> None:
        """Take over (m, v) rows [K, P] and the step count (a stack made of some models of another)."""
        self.step_count = step_count
        self._adam_step.fill_(step_count)
        if self.kind != "adam":
            self.m.copy_(self.layout.from_rows(m))
            if step_count >= 1 and self.kind == "momentum":
                self._mom = self.layout.per_element(self.mom)
            return
        n = self.K * self.P
        self.m[:n].copy_(self.layout.from_rows(m))
        self.v[:n].copy_(self.layout.from_rows(v))

    # ---- the step --------------------------------------------------------------------------------
    def _learning_rates(self, active: torch.Tensor) -> torch.Tensor:
        """Per-element learning rates for the active models [K] (remade when the mask is replaced)."""
        if self._lr_for is not active:
            self._lr_for = active
            self._lr_active = self.layout.per_element(torch.where(active, self.lr, 0.0))
            self._still = None if bool(active.all()) else self.layout.per_element(~active)
        return self._lr_active

    def step(self, grad: torch.Tensor, active: torch.Tensor) -> None:
        """One step on every model where active [K] (a mask the caller replaces, never edits, on change)."""
        self.step_count += 1
        lr = self._learning_rates(active)
        if self.kind == "adam":
            n = self.K * self.P
            if grad.data_ptr() != self._g.data_ptr():
                self._g[:n].copy_(grad)
            self._adam_step.fill_(self.step_count)
            self._u.zero_()
            torch._fused_adam_([self._u], [self._g], [self.m], [self.v], [], [self._adam_step], lr=1.0,
                               beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)
            # steps below 1e-30 (a unit's gradient long gone: m decays to nothing) become 0 before the scaling,
            # which would make subnormal floats of them, ~50x slower in every later multiply and add
            u = torch.hardshrink(self._u, TINY_STEP, out=self._u)[:n].mul_(lr)
            if self._still is not None:  # a stopped model's step may be NaN (it diverged): it stays put
                u.masked_fill_(self._still, 0.0)
            self.flat.add_(u)
        elif self.kind == "momentum":
            if self.step_count == 1:
                self.m.copy_(grad)
                self._mom = self.layout.per_element(self.mom)
            else:
                assert self._mom is not None
                self.m.mul_(self._mom).add_(grad)
            self.flat.addcmul_(lr, self.m, value=-1)
        else:
            self.flat.addcmul_(lr, grad, value=-1)
