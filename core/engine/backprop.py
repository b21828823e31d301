"""Gradients of a stack's objective (per-model mean loss + L1/L2 penalty), two ways.

:meth:`Backprop.manual` is the chain rule written out with torch's own derivative kernels (the
activation registry's :class:`~core.engine.activations.Kernels`) into reused buffers: the same
numbers as autograd (a test checks it) without the autograd engine's per-step overhead, which
dominates for small networks. :meth:`Backprop.autograd` is the reference and the path for the
combinations the manual one does not cover (MSE on classes).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from core.engine.activations import REGISTRY
from core.engine.config import TrainConfig
from core.engine.dropout import Dropout
from core.engine.stack import TAIL_EXACT, Layers, Stack, padded_buffer, shared_gemm, vector_pieces


class Penalty:
    """L1 / L2 penalties on each model's weights (not biases): l1 * sum |W| + l2 * sum W^2, per model."""

    def __init__(self, configs: Sequence[TrainConfig]) -> None:
        self.l1 = torch.tensor([float(c.l1) for c in configs])
        self.l2 = torch.tensor([float(c.l2) for c in configs])
        self.use_l1, self.use_l2 = bool(self.l1.any()), bool(self.l2.any())
        self.on = self.use_l1 or self.use_l2

    def value(self, layers: Layers) -> torch.Tensor:
        """The penalty of each model [K] (differentiable)."""
        pen = torch.zeros(len(self.l1))
        for W, _ in layers:
            if self.use_l1:
                pen = pen + self.l1 * W.abs().sum((1, 2))
            if self.use_l2:
                pen = pen + self.l2 * (W * W).sum((1, 2))
        return pen

    def add_grad(self, layers: Layers, grads: Layers) -> None:
        """Add the penalty's gradient to each layer's weight gradient, in place."""
        K = len(self.l1)
        for (W, _), (gW, _) in zip(layers, grads):
            if self.use_l1:
                gW.addcmul_(self.l1.view(K, 1, 1), W.sign())
            if self.use_l2:
                gW.addcmul_(self.l2.view(K, 1, 1), W, value=2.0)


def _buffers(shapes: list[tuple[int, int, int]]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(padded flat buffers, their views of these shapes): see stack.padded_buffer."""
    pairs = [padded_buffer(s) for s in shapes]
    return [b for b, _ in pairs], [v for _, v in pairs]


class Workspace:
    """Preallocated buffers for one training step of a stack on batches of B rows.

    The step writes every large tensor in place (``out=`` kernels), so it allocates almost nothing,
    and each activation group of the stack works on fixed views of these buffers instead of slicing
    and concatenating every step. Shapes: x [K, B, F] (None when the models share their input
    [B, F]), y [K, B]; per layer z, dz [K, B, out]; per hidden layer a, h, da [K, B, H].
    """

    def __init__(self, stack: Stack, B: int, shared_input: bool, y_dtype: torch.dtype, dropout: bool,
                 threads: int = 1) -> None:
        K, hidden = stack.K, stack.hidden_widths
        self.x = None if shared_input else torch.empty(K, B, stack.n_in)
        self.y = torch.empty(K, B, dtype=y_dtype)
        # padded buffers: elementwise calls may reach past their part (stack.vector_pieces), so that each
        # element gets its own bits at any place of the stack
        zb, self.z = _buffers([(K, B, o) for o, _ in stack.shapes])  # pre-activations; logits last
        dzb, self.dz = _buffers([(K, B, o) for o, _ in stack.shapes])
        kernels = [REGISTRY[c.activation].kernels for c in stack.configs]
        # each activation group's kernels on its part of the flat buffers, in model order: TAIL_EXACT ones in one
        # call, the others in calls of whole steps (stack.vector_pieces) whose reach past the part is overwritten
        # by the next group's calls
        groups = [(lo, hi, kernels[lo], stack.configs[lo].activation in TAIL_EXACT) for lo, hi, _ in stack.act_groups]
        calls = [[(k, b, e) for lo, hi, k, exact in groups if k is not None
                  for b, e in ([(lo * B * H, hi * B * H)] if exact else
                               vector_pieces(lo * B * H, (hi - lo) * B * H, threads))]
                 for H in hidden]  # per hidden layer: (kernels, begin, end) in its flat buffers
        reach = any(not exact for *_, exact in groups[:-1])  # a call reaches into another group's part
        # activations whose derivative needs only their output may overwrite their input (one buffer less); not
        # when a call's reach would overwrite the next group's input
        in_place = not reach and all(k is not None and k.from_output for k in kernels)
        ab, self.a = (zb[:-1], self.z[:-1]) if in_place else _buffers([(K, B, H) for H in hidden])
        dab, self.da = _buffers([(K, B, H) for H in hidden])
        self.h = [torch.empty(K, B, H) for H in hidden] if dropout else self.a  # next layer's input
        self.shared = torch.empty(B, K * stack.shapes[0][0]) if shared_input else None  # first layer's one GEMM
        self.minus_one = torch.full((K, B, 1), -1.0)
        self.target = self.y.unsqueeze(-1)  # class ids as gather/scatter indices [K, B, 1]
        self.dzT = [dz.transpose(1, 2) for dz in self.dz]
        # views the step would otherwise make each time (each a torch call on Python's lock): the first layer's
        # GEMM output as [K, B, out], the logits and their delta as [K, B] (one output unit), the targets
        # expanded to [K, B] (kept with the tensor they view)
        self.shared_kbo = self.shared.view(B, K, -1).transpose(0, 1) if self.shared is not None else None
        self.z_out, self.dz_out = self.z[-1].squeeze(-1), self.dz[-1].squeeze(-1)
        self.y_expanded: tuple[torch.Tensor, torch.Tensor] | None = None
        self.fwd = [[(k.forward, z[b:e], a[b:e]) for k, b, e in cl] for cl, z, a in zip(calls, zb, ab)]
        self.bwd = [[(k.backward, da[b:e], z[b:e], a[b:e], dz[b:e]) for k, b, e in cl]
                    for cl, da, z, a, dz in zip(calls, dab, zb, ab, dzb)]
        # the binary output's sigmoid, into dz of the logits
        n_out = K * B * stack.shapes[-1][0]
        self.out_sigmoid = [(zb[-1][b:e], dzb[-1][b:e]) for b, e in vector_pieces(0, n_out, threads)]


class Backprop:
    """The gradient of a stack's objective for one batch, written into ``stack.grad``."""

    def __init__(self, stack: Stack, dropout: Dropout, penalty: Penalty, y_dtype: torch.dtype) -> None:
        self.stack, self.dropout, self.penalty, self.y_dtype = stack, dropout, penalty, y_dtype
        #: every model can take the manual path (else the whole stack uses autograd)
        self.fast = stack.loss_kind in ("ce", "mse") \
            and not (stack.loss_kind == "mse" and stack.task == "multiclass") \
            and all(REGISTRY[c.activation].kernels is not None for c in stack.configs)
        self._workspaces: dict[tuple[int, bool, int], Workspace] = {}

    def workspace(self, B: int, shared_input: bool) -> Workspace:
        """The reused buffers for batches of B rows (made on first use) and torch's thread count now (its
        elementwise calls give each thread whole vector steps)."""
        key = (B, shared_input, torch.get_num_threads())
        if key not in self._workspaces:
            self._workspaces[key] = Workspace(self.stack, B, shared_input, self.y_dtype, self.dropout.on, key[2])
        return self._workspaces[key]

    def step(self, xb: torch.Tensor, yb: torch.Tensor,
             masks: list[torch.Tensor] | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-model losses [K] and the gradient [K * P], by the manual path when it covers the stack."""
        if self.fast:
            return self.manual(xb, yb, masks), self.stack.grad
        with torch.enable_grad():
            return self.autograd(xb, yb, masks)

    def autograd(self, xb: torch.Tensor, yb: torch.Tensor,
                 masks: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-model losses [K] and the gradient of their sum [K * P], through autograd.

        masks: this step's dropout masks per hidden layer [K, B, H] (default: drawn now)."""
        s = self.stack
        if self.dropout.on and masks is None:
            masks = self.dropout.step_masks_now(xb.shape[-2])
        flat = s.flat.detach().requires_grad_(True)
        losses = s.loss_per_model(s.forward(xb, flat, masks=masks), yb)
        objective = losses + self.penalty.value(s.layout.layers(flat)) if self.penalty.on else losses
        (grad,) = torch.autograd.grad(objective.sum(), flat)
        return losses.detach(), grad

    def manual(self, xb: torch.Tensor, yb: torch.Tensor, masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Backprop by the chain rule with torch's own derivative kernels, written into stack.grad.

        xb [K, B, F] (or [B, F] shared by all models), yb [K, B] (or [B]). masks: this step's
        dropout masks per hidden layer [K, B, H] (the loop's; default: drawn now). Returns per-model
        losses [K].
        """
        B = xb.shape[-2]
        w = self.workspace(B, xb.dim() == 2)
        if self.dropout.on and masks is None:
            masks = self.dropout.step_masks_now(B)
        logits = self._forward(w, xb, masks)
        losses, dz = self._output_delta(w, logits, yb)
        self._backward(w, xb, dz, masks)
        if self.penalty.on:
            self.penalty.add_grad(self.stack.flat_layers, self.stack.grad_layers)
        return losses

    def _forward(self, w: Workspace, xb: torch.Tensor, masks: list[torch.Tensor] | None) -> torch.Tensor:
        """The forward pass into the workspace: z, a (and h with dropout) per layer; logits [K, B, out]."""
        s = self.stack
        K, L, B = s.K, len(s.flat_layers), xb.shape[-2]
        h = xb
        for li, (W, b) in enumerate(s.flat_layers):
            z = w.z[li]
            if h.dim() == 2:  # shared input [B, F]: one GEMM for all K models
                Wt = s.flat_W2dT[li]
                tmp = shared_gemm(h, W.reshape(-1, W.shape[2]).t() if Wt is None else Wt, out=w.shared)
                torch.add(w.shared_kbo if tmp is w.shared else tmp.view(B, K, -1).transpose(0, 1), b, out=z)
            else:
                torch.baddbmm(b, h, s.flat_Wt[li], out=z)
            if li == L - 1:
                return z
            for fn, zv, av in w.fwd[li]:
                fn(zv, av)
            if masks is not None:
                torch.mul(w.a[li], masks[li], out=w.h[li])
            h = w.h[li]
        raise AssertionError("unreachable")

    def _output_delta(self, w: Workspace, z: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each model's mean loss over the batch [K] and dL/dz of the output layer [K, B, out]."""
        s = self.stack
        K, B = s.K, z.shape[1]
        if yb.dim() == 1:  # the whole training set's targets, the same tensor every step
            if w.y_expanded is None or w.y_expanded[0] is not yb:
                w.y_expanded = (yb, yb.expand(K, B))
            y = w.y_expanded[1]
        else:
            y = yb
        if s.task == "multiclass":  # cross-entropy: softmax(z) - onehot(y)
            logp = torch.sub(z, torch.logsumexp(z, -1, keepdim=True), out=w.dz[-1])  # log_softmax: ~8x slower here
            target = w.target if y is w.y else y.unsqueeze(-1)
            losses = logp.gather(-1, target).sum((1, 2)).div_(-B)
            dz = logp.exp_()
            dz.scatter_add_(-1, target, w.minus_one)
            return losses, dz.div_(B)
        zz = w.z_out if z is w.z[-1] else z.squeeze(-1)
        if s.task == "binary":  # sigmoid(z) into dz, in calls of whole steps (torch's BCE is exact anywhere)
            for zv, pv in w.out_sigmoid:
                torch.sigmoid(zv, out=pv)
            p = w.dz_out
        if s.task == "binary" and s.loss_kind == "ce":
            losses = F.binary_cross_entropy_with_logits(zz, y, reduction="none").mean(1)
            dz = p.sub_(y).div_(B)
        elif s.task == "binary":  # MSE on the probability
            diff = p - y
            losses = (diff * diff).mean(1)
            dz = torch.ops.aten.sigmoid_backward(diff.mul_(2.0 / B), p)
        else:  # regression: MSE on the value
            diff = zz - y
            losses = (diff * diff).mean(1)
            dz = diff.mul_(2.0 / B)
        return losses, w.dz[-1] if dz is w.dz_out else dz.unsqueeze(-1)

    def _backward(self, w: Workspace, xb: torch.Tensor, dz: torch.Tensor, masks: list[torch.Tensor] | None) -> None:
        """From dL/dz of the output layer down to the first: each layer's gW, gb into stack.grad."""
        s = self.stack
        B = xb.shape[-2]
        for li in range(len(s.flat_layers) - 1, -1, -1):
            W, _ = s.flat_layers[li]
            gW, gb = s.grad_layers[li]
            h = xb if li == 0 else w.h[li - 1]  # this layer's input
            if h.dim() == 2:  # shared input [B, F]: one GEMM for all K models
                g2d = s.grad_W2d[li]
                torch.mm(dz.transpose(0, 1).reshape(B, -1).t(), h, out=gW.view(-1, gW.shape[2]) if g2d is None else g2d)
            else:
                torch.bmm(w.dzT[li] if dz is w.dz[li] else dz.transpose(1, 2), h, out=gW)
            torch.sum(dz, 1, keepdim=True, out=gb)
            if li == 0:
                return
            if W.shape[1] == 1:  # one output unit: each product is one multiply, bmm's bits (a bmm of inner size 1
                da = torch.mul(dz, W, out=w.da[li - 1])  # costs 1.7x more: 126 against 70 us for 3,000 XOR nets)
            else:
                da = torch.bmm(dz, W, out=w.da[li - 1])  # dL/d(input of this layer)
            if masks is not None:
                da.mul_(masks[li - 1])
            for fn, g, zv, av, out in w.bwd[li - 1]:
                fn(g, zv, av, out)
            dz = w.dz[li - 1]
