"""The optimiser step on a whole stack at once: torch.optim's Adam, SGD and SGD-momentum rules.

Every model has its own learning rate and momentum; a stopped model's learning rate is zero, so
one elementwise pass over the flat weights [K * P] updates the stack. When every model is active
with one learning rate, Adam is torch's fused CPU kernel (one call).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from core.engine.config import TrainConfig
from core.engine.stack import Layout


class Optimizer:
    """Adam / SGD / momentum state for a stack's flat weights [K * P], updated in place."""

    def __init__(self, configs: Sequence[TrainConfig], layout: Layout, flat: torch.Tensor) -> None:
        self.kind = configs[0].optimizer
        self.layout, self.flat = layout, flat
        self.lr = torch.tensor([float(c.lr) for c in configs])
        self.mom = torch.tensor([float(c.momentum) for c in configs])
        self.m = torch.zeros_like(flat)  # Adam first moment, or momentum buffer
        self.v = torch.zeros_like(flat)  # Adam second moment
        self.step_count = 0
        self._adam_step = torch.zeros(())
        self._mom: torch.Tensor | None = None  # momentum per element
        self._lr_for: torch.Tensor | None = None  # the active mask _lr_active was made for
        self._lr_active = torch.zeros(0)  # per-element lr, zero for stopped models
        self._lr_uniform: float | None = None  # the one lr when every model is active and shares it

    def _learning_rates(self, active: torch.Tensor) -> torch.Tensor:
        """Per-element learning rates for the active models [K] (remade when the mask is replaced)."""
        if self._lr_for is not active:
            self._lr_for = active
            self._lr_active = self.layout.per_element(torch.where(active, self.lr, 0.0))
            same = bool(active.all()) and bool((self.lr == self.lr[0]).all())
            self._lr_uniform = float(self.lr[0]) if same else None
        return self._lr_active

    def step(self, grad: torch.Tensor, active: torch.Tensor) -> None:
        """One step on every model where active [K] (a mask the caller replaces, never edits, on change)."""
        self.step_count += 1
        lr = self._learning_rates(active)
        if self.kind == "adam" and self._lr_uniform is not None:
            # every model active with one learning rate: torch's fused CPU Adam kernel, one call
            self._adam_step.fill_(self.step_count)
            torch._fused_adam_([self.flat], [grad], [self.m], [self.v], [], [self._adam_step],
                               lr=self._lr_uniform, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8,
                               amsgrad=False, maximize=False)
        elif self.kind == "adam":
            b1, b2, eps = 0.9, 0.999, 1e-8
            self.m.lerp_(grad, 1 - b1)
            self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
            bc1 = 1 - b1 ** self.step_count
            bc2 = 1 - b2 ** self.step_count
            denom = (self.v.sqrt() / math.sqrt(bc2)).add_(eps)
            self.flat.addcdiv_(self.m * lr, denom, value=-1 / bc1)
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
