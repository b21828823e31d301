"""The epoch loop: train a stack of K models together, evaluate, stop early; resumable.

A :class:`Trainer` holds K models of one shape (same layer widths, batch size and loss) that may
differ in seed, activation, initialisation, learning rate, regularisation, dropout, epochs and
patience. Model k starts from the weights ``build_mlp(..., seed=cfg.seed)`` makes and shuffles
with its own generator, so it ends where training it alone (K = 1) ends. One epoch, in order: each
model's row order and dropout masks (:mod:`~core.engine.dropout`), per batch the gradient
(:mod:`~core.engine.backprop`) and the optimiser step (:mod:`~core.engine.optim`), then the
epoch's metrics and who stops (:mod:`~core.engine.evaluation`), kept in the epoch log
(:mod:`~core.engine.results`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from core.datasets import Dataset
from core.engine import cores
from core.engine.backprop import Backprop, Penalty
from core.engine.config import TrainConfig, check_stack
from core.engine.conv import ConvStack, is_cnn
from core.engine.dropout import DrawAhead, Dropout
from core.engine.evaluation import Evaluator, Stopping
from core.engine.guard import deadline_within, guarded
from core.engine.leaving import LeavingModels
from core.engine.optim import Optimizer
from core.engine.results import EpochLog, TrainResult, collect
from core.engine.stack import Layers, Stack
from core.engine.twins import TwinRows, group, row_config, trim_requests

HELPER_FLOPS = 3e8  # evaluation work (matmul FLOPs) below which a helper thread costs more than it saves
HELPER_DRAWS = 10_000  # dropout draws per step (about 40 us) below which drawing ahead does not pay

ProgressFn = Callable[[int, int, "Trainer"], None]


def default_eval_every(configs: Sequence[TrainConfig]) -> int:
    """Evaluate every epoch when early stopping watches it, else about 200 times over the run."""
    return 1 if any(c.patience for c in configs) else max(1, max(c.epochs for c in configs) // 200)


def _row_macs(stack: Stack) -> int:
    """Multiply-adds of one row's forward pass through one model of the stack."""
    return stack.row_macs if isinstance(stack, ConvStack) else sum(o * i for o, i in stack.shapes)


@dataclass(frozen=True)
class _Plan:
    """One call of run(): train to epoch ``target`` on N rows in batches of B."""

    target: int
    total: int  # the largest of the models' epochs (what progress reports against)
    N: int
    B: int
    eval_every: int
    log_every: int  # a row is kept for an epoch not evaluated only every log_every epochs
    progress: ProgressFn | None
    report_seconds: float
    deadline: float | None

    @property
    def shuffle(self) -> bool:
        return self.B < self.N


class Trainer(LeavingModels, TwinRows):
    """Train a stack of K compatible MLPs (or CNNs, :mod:`core.engine.conv`) together; resumable (``run``
    continues where it stopped).

    Its state, by part: ``stack`` (weights, views, forward pass), ``dropout`` (each model's
    generator), ``backprop`` (gradients and their buffers), ``optim``, ``evaluator``, ``stopping``
    (who still trains, early stopping) and ``log`` (the epoch rows); plus the epoch reached.
    """

    def __init__(self, configs: Sequence[TrainConfig], data: Dataset,
                 alone: Sequence[tuple[TrainConfig, ...]] | None = None) -> None:
        check_stack(configs)
        self.inputs = list(configs)  # the models asked for; a merged run trains twins (core.engine.twins) as one row
        whole = tuple(self.inputs)
        self.alone_all: list[tuple[TrainConfig, ...]] = list(alone) if alone is not None else [whole] * len(configs)
        self.members = group(self.inputs, self.alone_all)  # per row of the stack: the input models it holds
        self.configs = [row_config(self.inputs, m) for m in self.members]
        configs = self.configs
        self.data = data
        self.stack = ConvStack(configs, data) if is_cnn(configs[0]) else Stack(configs, data)
        self.dropout = Dropout(configs, self.stack.hidden_widths)
        self.backprop = Backprop(self.stack, self.dropout, Penalty(configs), data.y_train.dtype)
        if isinstance(self.stack, ConvStack):
            self.backprop.fast = False  # its gradients come from autograd
        self.optim = Optimizer(configs, self.stack.layout, self.stack.flat, getattr(self.stack, "grad_buf", None))
        self.evaluator = Evaluator(self.stack, data)
        self.stopping = Stopping(configs, self.stack.layout, self.stack.flat)
        self.log = EpochLog(len(configs))
        self.epoch = 0
        self.seconds = 0.0  # the stack's training seconds (whole runs)
        self._t_run: float | None = None  # perf_counter() when the run now going started
        self._share_s, self._mark = 0.0, 0.0  # per-model seconds, and self.elapsed(), at the last compaction
        self.helpers = True  # may use a spare core: dropout masks drawn ahead, evaluation beside the loop
        self.cancelled = False  # set from another thread: stop after the current epoch
        self.cut_short: torch.Tensor | None = None  # [K]: models the last run's deadline stopped
        # each model's own stack: the configs it would train with alone (its evaluation schedule and early
        # stopping follow that stack's, so a model merged with others' ends exactly as it would alone)
        self.alone = [self.alone_all[m[-1]] for m in self.members]  # per row: the request of its longest member
        watch = {id(a): any(c.patience for c in a) for a in {id(a): a for a in self.alone}.values()}
        self.stopping.watching = torch.tensor([watch[id(a)] for a in self.alone])
        self.compact = False  # models that stop leave the stack (fit() sets it; a stopped model costs nothing)
        self.one_thread = False  # train on one thread (a merged run: its numbers are then those of a run alone)
        self.merged = len({id(a) for a in self.alone_all}) > 1  # models of several stacks (several visitors')
        self.ids = [m[0] for m in self.members]  # the original index of each row now in the stack (its first)
        self._ends = self._twin_ends()  # epochs at which a twin leaves a row that trains on
        self._positions: tuple[list[list[int]], dict[int, int]] | None = None  # (members, input -> row) last read
        self._log_every = 1
        self._done: dict[int, TrainResult] = {}  # models that left the stack: original index -> result
        self._raw: dict[int, tuple[int, int]] = {}  # their (stopped, best) epochs as recorded
        # (stopping.active as last read, whether any model in it trains): the mask is replaced, never edited, when
        # a model stops, so the loop asks torch again only then (a class's XOR retry: 13,000 epochs of ~0.2 ms)
        self._active_seen: tuple[torch.Tensor | None, bool] = (None, True)
        self._compact_seen: torch.Tensor | None = None  # the mask the last compaction check read

    # ---- the models, for pages and probes -------------------------------------------------------
    @property
    def K(self) -> int:
        return self.stack.K

    @property
    def task(self) -> str:
        return self.stack.task

    @property
    def n_in(self) -> int:
        return self.stack.n_in

    @property
    def n_out(self) -> int:
        return self.stack.n_out

    @property
    def flat(self) -> torch.Tensor:
        """Every model's weights [K * P] in block layout (see :mod:`core.engine.stack`), live."""
        return self.stack.flat

    @property
    def fast(self) -> bool:
        """Gradients come from the manual backprop (else autograd)."""
        return self.backprop.fast

    @property
    def act_groups(self) -> list[tuple[int, int, Callable]]:
        return self.stack.act_groups

    @property
    def diverged(self) -> torch.Tensor:
        """Models [K] (bool) whose loss stopped being finite."""
        return self.stopping.diverged

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The epoch log: one row per epoch, {"epoch": e, "train_loss": [K], metric: [K], ...}."""
        return self.log.rows

    def layers(self, flat: torch.Tensor) -> Layers:
        """Views of a flat [K * P] as (W [K, out, in], b [K, 1, out]) per layer."""
        return self.stack.layout.layers(flat)

    def forward(self, x: torch.Tensor, flat: torch.Tensor | None = None, capture: list | None = None) -> torch.Tensor:
        """Logits of every model (no dropout): x [K, B, F] (or [B, F], shared) -> [K, B, n_out].

        capture, if given, receives each hidden layer's (pre-activation, activation) [K, B, H].
        """
        return self.stack.forward(x, flat, capture)

    def loss_per_model(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean loss of each model: logits [K, B, n_out], y [K, B] or [B] -> [K]."""
        return self.stack.loss_per_model(logits, y)

    def accuracy(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Fraction right per model: [K, B, n_out], [B] -> [K]."""
        return self.stack.accuracy(logits, y)

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs of every model on shared inputs: X [N, F] -> probabilities or values [K, N, n_out]."""
        return self.stack.predict(X)

    def evaluate(self) -> dict[str, np.ndarray]:
        """Loss (and accuracy) of every model now on train/test(/val): name -> [K]."""
        return {k: v.numpy() for k, v in self.evaluator().items()}

    def _evaluate(self, flat: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """evaluate() as tensors, of flat (default: the live weights); kept for bench/digits.py."""
        return self.evaluator(flat)

    def history(self, k: int | None = None) -> pd.DataFrame:
        """History as a long frame: model, epoch, train_loss, [train_eval_loss, test_loss, ...].

        Rows after a model stopped are dropped; epochs that were not evaluated have NaN metrics.
        """
        if k is not None:
            if k in self._done:
                return self._done[k].history
            k = self._position(k)
        return self.log.frame(self.stopping.stopped, k)

    def results(self) -> list[TrainResult]:
        """One :class:`TrainResult` per model, in config order; early-stopped models get their best weights."""
        st = self.stopping
        results = dict(self._done)
        for p, r in enumerate(collect(self)):
            results.update(self._leave(p, r, (int(st.stopped[p]), int(st.best_epoch[p]))))
        raw = self._raw
        # a run alone ends when its last model stops: epochs not recorded (0) are read as that epoch
        ends: dict[int, int | None] = {}
        for i, a in enumerate(self.alone_all):
            prev, s = ends.get(id(a), 0), raw[i][0]
            ends[id(a)] = None if s == 0 or prev is None else max(prev, s)
        for i, a in enumerate(self.alone_all):
            end = ends[id(a)] or self.epoch
            results[i].stopped_epoch, results[i].best_epoch = raw[i][0] or end, raw[i][1] or end
        if self.merged:
            trim_requests(results, self.alone_all)
        return [results[i] for i in range(len(results))]

    # ---- the loop -------------------------------------------------------------------------------
    def run(self, epochs: int | None = None, progress: ProgressFn | None = None,
            eval_every: int | None = None, report_seconds: float = 0.25, deadline: float | None = None,
            log_every: int = 1) -> None:
        """Train ``epochs`` more epochs (default: up to each model's own ``epochs``).

        Evaluates train/test(/val) metrics every ``eval_every`` epochs (default: about 200 points
        over the run, every epoch when early stopping needs it) and on the last epoch. Calls
        ``progress(epoch, total, trainer)`` at most every ``report_seconds`` and at the end.
        ``deadline`` (a ``time.monotonic()`` value): once it has passed, the run stops at the end of
        the epoch it is in, evaluates that epoch, and the models it stopped are marked cut short
        (``cut_short``; their results' ``extra["cut_short"]``; a run resumed after a cut may differ
        from an uncut one when a helper drew masks ahead). ``log_every``: the history keeps an epoch that
        was not evaluated only when it is a multiple of it (or a model diverged then); 1: every epoch.
        Runs inside the run guard (:mod:`core.engine.guard`: hosted mode's price check and the shared
        training queue).
        """
        with guarded(self.configs, self.data) as limit:
            self.run_unguarded(epochs, progress, eval_every, report_seconds, deadline_within(limit, deadline),
                               log_every)

    def run_unguarded(self, epochs: int | None = None, progress: ProgressFn | None = None,
                      eval_every: int | None = None, report_seconds: float = 0.25,
                      deadline: float | None = None, log_every: int = 1) -> None:
        """run() without entering the guard: for fit(), which holds it for all its stacks at once."""
        t0 = self._t_run = time.perf_counter()
        total = int(self.stopping.max_epochs.max())
        N = len(self.data.X_train)
        B = N if self.configs[0].batch_size <= 0 else min(self.configs[0].batch_size, N)
        plan = _Plan(target=total if epochs is None else min(total, self.epoch + epochs), total=total, N=N, B=B,
                     eval_every=default_eval_every(self.configs) if eval_every is None else eval_every,
                     log_every=max(1, int(log_every)), progress=progress, report_seconds=report_seconds,
                     deadline=deadline)
        self.cut_short = None
        self._log_every = plan.log_every
        self._schedule(eval_every, plan.target)
        step_flops = 0.0 if self.one_thread else 6 * self.K * B * _row_macs(self.stack)
        with cores.training_threads(step_flops) as spare_core:
            self._loop(plan, spare_core)
        self.seconds += time.perf_counter() - t0
        self._t_run = None
        if progress is not None:
            progress(self.epoch, total, self)

    def _schedule(self, eval_every: int | None, target: int) -> None:
        """Each model's evaluation schedule, that of its stack alone (every, last epoch, end epochs, watch),
        laid out once per run as a table [epoch, stack alone] of whether that stack evaluates then (a
        merged run of thousands of epochs asked each epoch in Python: a fifth of its time)."""
        sched = {id(a): (default_eval_every(a) if eval_every is None else eval_every, max(c.epochs for c in a),
                         {c.epochs for c in a}, any(c.patience for c in a))
                 for a in {id(a): a for a in self.alone_all}.values()}  # once per stack alone, not per model
        self._sched, self._due_target, self._due_seen = sched, target, {}
        if not self.merged:
            return
        e = np.arange(target + 1)[:, None]
        every, last, watch = (np.array([v[i] for v in sched.values()]) for i in (0, 1, 3))
        ends = np.zeros((target + 1, len(sched)), dtype=bool)
        for g, v in enumerate(sched.values()):
            ends[[x for x in v[2] if x <= target], g] = True
        self._due_table = (e % every == 0) | (e == np.minimum(last, target)) | watch | ends

    def _due(self, e: int, target: int) -> torch.Tensor | None:
        """Models whose own stack evaluates epoch e [K] (bool); None: every model's does."""
        if target != self._due_target:  # a deadline cut the run short: this epoch is its last
            return None if e == target else self._due_slow(e, target)
        row = self._due_table[e]
        if row.all():
            return None
        key = (row.tobytes(), len(self.alone))  # the stacks alone in this stack, in order (they leave as they stop)
        hit = self._due_seen.get(key)
        if hit is None or hit[0] is not self.alone:
            index = {k: g for g, k in enumerate(self._sched)}
            hit = self._due_seen[key] = (self.alone, self._rows_due(row, index))
        return hit[1]

    def _due_slow(self, e: int, target: int) -> torch.Tensor | None:
        due = np.array([e % every == 0 or e == min(last, target) or watch or e in ends
                        for every, last, ends, watch in self._sched.values()])
        if due.all():
            return None
        return self._rows_due(due, {k: g for g, k in enumerate(self._sched)})

    def _loop(self, plan: _Plan, spare_core: bool) -> None:
        """Epochs until the plan's target, every model stopped, a cancel or the deadline."""
        ahead = self._start_helpers(plan, spare_core)
        last_report = time.perf_counter()
        try:
            while self.epoch < plan.target and self._any_active() and not self.cancelled:
                self.epoch += 1
                take = ahead.next if ahead else self.dropout.epoch_draws(plan.N, plan.B, plan.shuffle).__next__
                epoch_loss = self._train_epoch(take, plan)
                cut = plan.deadline is not None and self.epoch < plan.target and time.monotonic() >= plan.deadline
                self._after_epoch(epoch_loss, plan.eval_every, self.epoch if cut else plan.target, plan.log_every)
                if self.epoch in self._ends:
                    self._members_end(self.epoch)
                if plan.progress is not None and (time.perf_counter() - last_report > plan.report_seconds):
                    last_report = time.perf_counter()
                    plan.progress(self.epoch, plan.total, self)
                if cut:
                    self.cut_short = self.stopping.active.clone()
                    break
                if self.compact:
                    self._compact()
            self._settle()
        finally:
            if ahead is not None:
                ahead.close()
            self.evaluator.stop_helper()

    def _any_active(self) -> bool:
        """Whether any model still trains."""
        mask = self.stopping.active
        if mask is not self._active_seen[0]:
            self._active_seen = (mask, bool(mask.any()))
        return self._active_seen[1]

    def _start_helpers(self, plan: _Plan, spare_core: bool) -> DrawAhead | None:
        """Helper threads, only where their work outweighs what they cost the loop.

        Every torch call a helper makes takes the GIL back, and each such hand-over stalls the loop
        for tens of microseconds (measured: 2,000 tiny ops/s on a helper made the 8x8 digits step
        25-40% slower; at first the helpers made the XOR Lab's 100 tiny models 40% slower). So the
        masks come a chunk at a time, and evaluation (~50 calls) moves only when it is big.
        """
        if not (self.helpers and spare_core):
            return None
        if self.compact:  # the generators must stay where the loop is: a stack made of some models takes them
            return None
        s, epochs = self.stack, plan.target - self.epoch
        ahead = None
        if self.fast and self.dropout.on and plan.shuffle and s.K * plan.B * sum(s.hidden_widths) >= HELPER_DRAWS:
            ahead = DrawAhead(self.dropout, epochs, plan.N, plan.B)
        if epochs > 1 and 2 * s.K * self.evaluator.rows * _row_macs(s) >= HELPER_FLOPS:
            self.evaluator.start_helper()
        return ahead

    def _train_epoch(self, take: Callable[[], Any], plan: _Plan) -> torch.Tensor:
        """One pass over the training rows; each model's mean batch loss [K]. take() gives the epoch's draws."""
        K = self.K
        if plan.shuffle:  # each model's own order; batches are [K * b] row ids, model-major
            order = take()
            batches = order[0].split(plan.B) if K == 1 else [r.reshape(-1) for r in order.split(plan.B, 1)]
        else:
            batches = [None]
        step_masks = self.dropout.step_masks(take) if self.dropout.on else None
        batch_losses = []
        with torch.no_grad():
            for rows in batches:
                masks = next(step_masks) if step_masks is not None else None
                xb, yb = self._batch(rows)
                losses, grad = self.backprop.step(xb, yb, masks)
                self.optim.step(grad, self.stopping.active)
                batch_losses.append(losses)
        if len(batch_losses) == 1:
            return batch_losses[0]
        total = batch_losses[0].clone()  # added in batch order: each model's sum is the same in any stack
        for losses in batch_losses[1:]:
            total += losses
        return total.div_(len(batch_losses))

    def _batch(self, rows: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch's inputs [K, b, F] and targets [K, b], gathered into the workspace (cache-sized);
        the whole training set [N, F], [N] when rows is None (full batch)."""
        X, y = self.data.X_train, self.data.y_train
        if rows is None:
            return X, y
        w = self.backprop.workspace(len(rows) // self.K, False)
        assert w.x is not None
        torch.index_select(X, 0, rows, out=w.x.view(-1, X.shape[1]))
        torch.index_select(y, 0, rows, out=w.y.view(-1))
        return w.x, w.y

    def _after_epoch(self, epoch_loss: torch.Tensor, eval_every: int, target: int, log_every: int = 1) -> None:
        """Record epoch self.epoch: divergence, its row of metrics, early stopping, models that end.

        With a helper thread the evaluation runs on a copy of the weights while the next epoch
        trains; its early-stopping decisions are applied (dated to this epoch) when the next epoch
        ends. A model that should have stopped trains that one epoch for nothing; its result is
        unchanged, since an early-stopped model returns its best weights and rows up to its stop.
        The run's last epoch (target) is evaluated at once.
        """
        self._settle()  # the previous epoch's evaluation first: decisions stay in epoch order
        e, st = self.epoch, self.stopping
        diverged = st.check_divergence(epoch_loss, self.stack.flat, e)
        row: dict[str, Any] = {"epoch": e, "train_loss": epoch_loss}
        ending = e in st.end_epochs
        active = st.active  # who was training at this epoch (before the models that end now stop)
        if ending:
            st.end(e)
        due = self._due(e, target) if self.merged else None
        if due is not None:
            row["_due"] = due
        if not (e % eval_every == 0 or e == target or st.watch or ending) and not self.merged or \
                due is not None and not bool(due.any()):
            row.pop("_due", None)
            if e % log_every == 0 or diverged:  # a diverged model's history ends at its last epoch
                self.log.rows.append(row)
        elif self.evaluator.helper and e != target:
            self.evaluator.defer(row, active, e)
        else:
            row.update(self.evaluator())
            self._decide(row, self.stack.flat, active, e)

    def _settle(self) -> None:
        """Apply a pending (helper-thread) evaluation, if any."""
        pending = self.evaluator.pending
        if pending is not None:
            row, future, snapshot, active, e = pending
            self.evaluator.pending = None
            row.update(future.result())
            self._decide(row, snapshot, active, e)

    def _decide(self, row: dict[str, Any], flat: torch.Tensor, active: torch.Tensor, e: int) -> None:
        """Keep epoch e's row; with early stopping, let it decide on the weights flat evaluated there."""
        due = row.pop("_due", None)
        if due is not None:  # models whose own stack would not evaluate this epoch: not evaluated
            for name, v in row.items():
                if name not in ("epoch", "train_loss"):
                    row[name] = torch.where(due, v, torch.nan)
        self.log.rows.append(row)
        if self.stopping.watch:
            self.stopping.decide(row, flat, active, e)
