"""A run's random numbers: each model's seeded generator gives its row order and its dropout masks.

Model k draws from its own ``torch.Generator`` seeded with its config's seed, so it gets the same
numbers whether it trains alone or in a stack. Masks are drawn a chunk of steps at a time (fewer
calls, same numbers: torch's CPU generator is serial), and with a spare core a helper thread
draws them ahead of the loop (:class:`DrawAhead`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from core.engine.config import TrainConfig

CHUNK_DRAWS = 1 << 20  # dropout draws made at once (4 MB): masks for this many steps come from one call per model


class Dropout:
    """Per-model generators and dropout rates of a stack with hidden widths [H] per layer."""

    def __init__(self, configs: Sequence[TrainConfig], hidden_widths: Sequence[int]) -> None:
        # models of one seed that all draw masks (or none does) draw the same numbers: one generator serves
        # them all (a stream), drawn once, each model thresholding the draw at its own rate
        streams: dict[tuple[int, bool], torch.Generator] = {}
        gens = []
        for c in configs:
            key = (c.seed, c.dropout > 0)
            if key not in streams:
                streams[key] = torch.Generator().manual_seed(c.seed)
            gens.append(streams[key])
        self._setup(gens, [c.dropout for c in configs], hidden_widths)

    def _setup(self, gens: list[torch.Generator], p: list[float], hidden_widths: Sequence[int]) -> None:
        self.K, self.gens, self.p = len(gens), gens, p
        self.hidden_widths = list(hidden_widths)
        self.on = any(q > 0 for q in self.p) and len(self.hidden_widths) > 0  # on hidden layers only
        groups: dict[int, list[int]] = {}
        for k, g in enumerate(gens):
            groups.setdefault(id(g), []).append(k)
        self.streams = [(gens[ks[0]], ks) for ks in groups.values()]  # (generator, its models), first first

    def subset(self, keep: Sequence[int]) -> Dropout:
        """The generators and rates of the models ``keep`` (the generators themselves: they go on drawing)."""
        new = Dropout.__new__(Dropout)
        new._setup([self.gens[k] for k in keep], [self.p[k] for k in keep], self.hidden_widths)
        return new

    def mask(self, shape: Sequence[int]) -> torch.Tensor:
        """Fresh masks [K, ...]: kept units 1 / (1 - p), dropped 0; models with p = 0 all ones."""
        if len(self.streams) == 1 and len(set(self.p)) == 1 and self.p[0] > 0 and self.K > 1:
            return self._one_mask(shape)  # every model draws and drops alike: one mask serves the stack
        masks = torch.empty(shape)
        for g, models in self.streams:
            if self.p[models[0]] <= 0:
                for k in models:
                    masks[k].fill_(1.0)
                continue
            draw: torch.Tensor | None = None
            made: dict[float, torch.Tensor] = {}  # rate -> a finished mask of this stream
            for k in models:
                m, p = masks[k], self.p[k]
                if p in made:
                    m.copy_(made[p])
                    continue
                if draw is None:
                    torch.rand(m.shape, generator=g, out=m)
                    draw = m.clone() if len(models) > 1 else m
                else:
                    m.copy_(draw)
                m.ge_(p).div_(1 - p)
                made[p] = m
        return masks

    def _one_mask(self, shape: Sequence[int]) -> torch.Tensor:
        """The masks when every model's is the same: one drawn, seen by each model (no copies)."""
        m = torch.empty(shape[1:])
        torch.rand(m.shape, generator=self.gens[0], out=m)
        m.ge_(self.p[0]).div_(1 - self.p[0])
        return m.expand(shape)

    def step_masks_now(self, B: int) -> list[torch.Tensor]:
        """One step's masks per hidden layer [K, B, H], drawn now (layer by layer)."""
        return [self.mask((self.K, B, H)) for H in self.hidden_widths]

    def epoch_draws(self, N: int, B: int, shuffle: bool) -> Iterator[Any]:
        """One epoch's random numbers in the order the loop takes them.

        First each model's order of the N rows [K, N] (when shuffling), then the dropout masks in
        chunks of steps: per chunk (masks [K, rows * sum(H)], the chunk's batch sizes), read step by
        step by :meth:`step_masks`. A model's masks for a whole chunk are one draw from its
        generator, laid out step by step and layer by layer, which gives the same numbers as one draw
        per step and layer (torch's CPU generator is serial) in a few calls instead of a few per step.
        """
        if shuffle:
            perms = {id(g): torch.randperm(N, generator=g) for g, _ in self.streams}
            yield torch.stack([perms[id(g)] for g in self.gens])
        if not self.on:
            return
        sizes = [min(B, N - s) for s in range(0, N, B)]
        per_row = sum(self.hidden_widths)
        steps = max(1, CHUNK_DRAWS // (self.K * B * per_row))
        for c in range(0, len(sizes), steps):
            chunk = sizes[c:c + steps]
            yield self.mask((self.K, sum(chunk) * per_row)), chunk

    def step_masks(self, take: Callable[[], Any]) -> Iterator[list[torch.Tensor]]:
        """Each step's dropout masks per hidden layer [K, b, H]: views of the chunks take() gives.

        The views are made here, on the training thread: a helper thread making them would take
        the GIL once per view, and every hand-over of the GIL stalls the training loop.
        """
        while True:
            buf, sizes = take()
            off = 0
            for b in sizes:
                masks = []
                for H in self.hidden_widths:
                    masks.append(buf[:, off:off + b * H].view(self.K, b, H))
                    off += b * H
                yield masks


class DrawAhead:
    """Draws a run's random numbers on a helper thread, ahead of the training loop.

    Dropout masks cost as much as a small model's matrix products (torch's CPU generator is serial),
    and nothing else in a step depends on them, so a second core can draw them meanwhile. The
    helper yields exactly what :meth:`Dropout.epoch_draws` gives the loop without it, epoch after
    epoch, so a run gives the same numbers with or without it. The loop must take every item in order.
    """

    def __init__(self, dropout: Dropout, epochs: int, N: int, B: int) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=3)
        self._stop = threading.Event()

        def draw() -> None:
            try:
                for _ in range(epochs):
                    for item in dropout.epoch_draws(N, B, shuffle=True):
                        self._put(item)
            except _Stopped:
                pass
            except BaseException as e:  # handed to the loop, raised there
                self._q.put(e)

        self._thread = threading.Thread(target=draw, name="nnlab-draw-ahead", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def next(self) -> Any:
        """The next item epoch_draws would give (raises what the helper raised)."""
        item = self._q.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop drawing (the loop ended, maybe early) and wait for the helper."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._q.get_nowait()
            except queue.Empty:
                self._thread.join(0.05)


class _Stopped(Exception):
    pass
