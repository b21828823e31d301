"""The optimiser step on a whole stack at once: torch.optim's Adam, SGD and SGD-momentum rules.

Every model has its own learning rate and momentum; a stopped model does not move. SGD and momentum
are one elementwise pass over the flat weights [K * P]. Adam is torch's fused CPU kernel, run so that
every element takes its vector path: the kernel computes the last ``size % 16`` elements of a tensor
in a scalar path with other roundings, so where an element falls would change its bits. Its tensors
are therefore padded to a multiple of 16 (:func:`padded`): one call over the stack when every model is
active with one learning rate, else one call per run of models with one learning rate on rows of
[K, P padded] (model-major copies). Either way a model's numbers are those of training it alone, in
any stack, at any place (a merged run of several visitors' models gives each exactly its own run).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from core.engine.config import TrainConfig
from core.engine.stack import Layout, padded


class Optimizer:
    """Adam / SGD / momentum state for a stack's flat weights [K * P], updated in place.

    ``flat_buf``/``grad_buf``: padded buffers whose first K * P floats are ``flat`` and the gradient
    (a :class:`~core.engine.stack.Stack`'s); without them Adam always takes the row path.
    """

    def __init__(self, configs: Sequence[TrainConfig], layout: Layout, flat: torch.Tensor,
                 flat_buf: torch.Tensor | None = None, grad_buf: torch.Tensor | None = None) -> None:
        self.kind = configs[0].optimizer
        self.layout, self.flat = layout, flat
        self.flat_buf, self.grad_buf = flat_buf, grad_buf
        self.K, self.P = layout.K, layout.P
        self.lr = torch.tensor([float(c.lr) for c in configs])
        self.mom = torch.tensor([float(c.momentum) for c in configs])
        self.step_count = 0
        self._adam_step = torch.zeros(())
        self._mom: torch.Tensor | None = None  # momentum per element
        self._lr_for: torch.Tensor | None = None  # the active mask _lr_active was made for
        self._lr_active = torch.zeros(0)  # per-element lr, zero for stopped models
        self._runs: list[tuple[int, int, float]] = []  # Adam's row path: (lo, hi, lr) of active models
        self.rows_mode = False  # Adam state in rows [K, P padded] (else block layout, like flat)
        if self.kind == "adam":
            uniform = bool((self.lr == self.lr[0]).all()) and flat_buf is not None
            self._set_mode(not uniform)
        else:
            self.m = torch.zeros_like(flat)  # momentum buffer
            self.v = self.m

    # ---- Adam's two layouts ------------------------------------------------------------------
    def _set_mode(self, rows: bool) -> None:
        self.rows_mode = rows
        if rows:
            Pp = padded(self.P)
            self.m, self.v = torch.zeros(self.K, Pp), torch.zeros(self.K, Pp)
            self._rows_p, self._rows_g = torch.zeros(self.K, Pp), torch.zeros(self.K, Pp)
        else:
            n = len(self.flat_buf) if self.flat_buf is not None else padded(self.K * self.P)
            self.m, self.v = torch.zeros(n), torch.zeros(n)

    def state_rows(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Adam's (m, v) as rows [K, P] (nn.Linear order per model); for SGD, (momentum, momentum)."""
        if self.kind != "adam":
            r = self.layout.to_rows(self.m)
            return r, r
        if self.rows_mode:
            return self.m[:, :self.P], self.v[:, :self.P]
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
        if self.rows_mode:
            self.m[:, :self.P].copy_(m)
            self.v[:, :self.P].copy_(v)
        else:
            n = self.K * self.P
            self.m[:n].copy_(self.layout.from_rows(m))
            self.v[:n].copy_(self.layout.from_rows(v))

    def _to_rows(self) -> None:
        """Switch Adam's state to rows (once: when the models stop sharing one active learning rate)."""
        m, v = self.state_rows()
        m, v = m.clone(), v.clone()
        self._set_mode(True)
        self.m[:, :self.P].copy_(m)
        self.v[:, :self.P].copy_(v)

    def _gather(self, out: torch.Tensor, flat: torch.Tensor) -> None:
        col = 0
        for off, s in self.layout.blocks:
            n = s[1] * s[2]
            out[:, col:col + n].copy_(flat[off:off + self.K * n].view(self.K, n))
            col += n

    def _scatter(self, rows: torch.Tensor) -> None:
        col = 0
        for off, s in self.layout.blocks:
            n = s[1] * s[2]
            self.flat[off:off + self.K * n].view(self.K, n).copy_(rows[:, col:col + n])
            col += n

    def _fused(self, p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, v: torch.Tensor, lr: float) -> None:
        torch._fused_adam_([p], [g], [m], [v], [], [self._adam_step], lr=lr, beta1=0.9, beta2=0.999,
                           weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)

    # ---- the step --------------------------------------------------------------------------------
    def _learning_rates(self, active: torch.Tensor) -> torch.Tensor:
        """Per-element learning rates for the active models [K] (remade when the mask is replaced)."""
        if self._lr_for is not active:
            self._lr_for = active
            lr = torch.where(active, self.lr, 0.0)
            if self.kind == "adam":
                uniform = bool(active.all()) and bool((self.lr == self.lr[0]).all())
                if not uniform and not self.rows_mode:
                    self._to_rows()
                self._runs = []
                for k, (a, r) in enumerate(zip(active.tolist(), lr.tolist())):
                    if not a:
                        continue
                    if self._runs and self._runs[-1][1] == k and self._runs[-1][2] == r:
                        self._runs[-1] = (self._runs[-1][0], k + 1, r)
                    else:
                        self._runs.append((k, k + 1, r))
            else:
                self._lr_active = self.layout.per_element(lr)
        return self._lr_active

    def step(self, grad: torch.Tensor, active: torch.Tensor) -> None:
        """One step on every model where active [K] (a mask the caller replaces, never edits, on change)."""
        self.step_count += 1
        lr = self._learning_rates(active)
        if self.kind == "adam":
            self._adam_step.fill_(self.step_count)
            if not self.rows_mode and self.grad_buf is not None and grad.data_ptr() == self.grad_buf.data_ptr():
                assert self.flat_buf is not None
                self._fused(self.flat_buf, self.grad_buf, self.m, self.v, self._runs[0][2])
                return
            if not self.rows_mode:
                self._to_rows()
            self._gather(self._rows_p, self.flat)
            self._gather(self._rows_g, grad)
            for lo, hi, r in self._runs:
                self._fused(self._rows_p[lo:hi], self._rows_g[lo:hi], self.m[lo:hi], self.v[lo:hi], r)
            self._scatter(self._rows_p)
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
