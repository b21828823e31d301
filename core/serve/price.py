"""The price of a request, from its workload alone, before any tensor is allocated; and the budget check.

A request is anything with ``workload(data=None)`` (a page's config: see :mod:`core.serve.workload`), a
:class:`Workload`, or a list of TrainConfigs (one stack, what the run guard sees). ``data`` is what the
request reads when the caller has it already (a loaded Dataset, a table, the MNIST files' row counts);
each page's workload reads its own kind, and without it prices the data the config names.

:func:`check` is the one check: the per-field caps first (:mod:`core.serve.caps`), then the price
against the budget in ``settings.limits()`` (``run_seconds``, ``run_mb``); it returns None or ONE line
naming the budget and what to lower. :func:`check_study` does the same for a tuning study, priced as
all its trials. The cost model itself is :mod:`core.serve.cost`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

from core import settings
from core.config import Config
from core.serve.caps import check_request
from core.serve.cost import digits_8x8, fits_price, stack_price, table_fit_price
from core.serve.workload import FREE, DataShape, Price, Workload, one_stack


def shape_of(data: Any) -> DataShape:
    """The DataShape of a loaded :class:`core.datasets.Dataset` (X_train, X_test, X_val, n_outputs),
    already loaded, so no load_seconds."""
    n_eval = len(data.X_test) + (len(data.X_val) if data.X_val is not None else 0)
    return DataShape(len(data.X_train), int(data.X_train.shape[1]), int(data.n_outputs), n_eval)


def workload_of(request: Any, data: Any = None) -> Workload:
    """The workload of a request: its own ``workload(data)``; a list of models is one stack (on ``data``,
    a Dataset or a DataShape; else the data its first model's workload names). Models that name no data
    are priced on sklearn's 8x8 digits, the largest data the engine's small pages train on; a config
    that is not a model's (no epochs, no batch) and says no workload trains nothing."""
    if isinstance(request, Workload):
        return request
    if isinstance(request, (list, tuple)):
        if not request:
            return Workload()
        if data is None and len(request) == 1 and hasattr(request[0], "workload"):
            return request[0].workload()
        if data is None:
            shape = request[0].workload().stacks[0].data if hasattr(request[0], "workload") else digits_8x8()
        else:
            shape = data if isinstance(data, DataShape) else shape_of(data)
        return one_stack(request, shape)
    if hasattr(request, "workload"):
        return request.workload(data)
    if not (hasattr(request, "epochs") and hasattr(request, "batch_size")):
        return Workload()  # a config that trains nothing (a chart's settings, a link's page parameters)
    return one_stack([request], data if isinstance(data, DataShape) else
                     shape_of(data) if data is not None else digits_8x8())


def workload_price(work: Workload) -> Price:
    """The price of a workload: its stacks, fits and the work after them one after the other, plus the
    work beside them (whose time and memory add to theirs), all of it ``repeat`` times."""
    total = FREE
    for i, s in enumerate(work.stacks):
        total = total + stack_price(s.models, s.data, first=i == 0)
    if work.fits:
        total = total + fits_price(work.fits, work.held_bytes)
    total = total + work.after
    b = work.beside
    if b != FREE:
        total = dataclasses.replace(total, seconds=total.seconds + b.seconds, macs=total.macs + b.macs,
                                    peak_bytes=total.peak_bytes + b.peak_bytes,
                                    likely_seconds=total.likely_seconds + b.likely_seconds)
    if work.likely_seconds is not None:
        total = dataclasses.replace(total, likely_seconds=work.likely_seconds)
    return total.times(work.repeat) if work.repeat != 1 else total


def request_price(request: Any, data: Any = None) -> Price:
    """The price of a request (see the module docstring), from its workload alone."""
    return workload_price(workload_of(request, data))


# ---- the budget -----------------------------------------------------------------------------------
def _say_seconds(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def what_to_lower(work: Workload, memory: bool) -> str:
    """The first three things a visitor could lower (from the workload), for a request over the memory
    or the time budget; a fit that costs over half the fits' time is named."""
    words = []
    for h in work.lower:
        if not (h.memory if memory else h.time):
            continue
        w = h.words
        if h.costliest and work.fits:
            cost: dict[str, float] = {}
            for f in work.fits:
                cost[f.part] = cost.get(f.part, 0.0) + table_fit_price(f).seconds
            top = max(cost, key=cost.get)
            if cost[top] > 0.5 * sum(cost.values()):
                w += f" ({top} costs the most here)"
        words.append(w)
    words = words[:3] or ["a smaller request"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def over_budget(p: Price, work: Workload | None = None, lim: settings.Limits | None = None,
                study: bool = False, hints: bool = True) -> str | None:
    """None when ``p`` fits this server's budget, else one line naming the budget and what to lower (from
    ``work``, the workload ``p`` prices; ``hints=False``: the budget only, for the server's own runs,
    where nobody can lower anything)."""
    lim = lim or settings.limits()
    budget_s = lim.study_seconds if study else lim.run_seconds
    what = "study" if study else "run"
    work = work or Workload()
    if p.seconds > budget_s:
        lower = f": {what_to_lower(work, memory=False)}" if hints else ""
        return f"about {_say_seconds(p.seconds)} of CPU; this server allows {_say_seconds(budget_s)} per {what}{lower}."
    mb = p.peak_bytes / 1e6
    if mb > lim.run_mb:
        lower = f": {what_to_lower(work, memory=True)}" if hints else ""
        return f"about {mb:,.0f} MB of memory; this server allows {lim.run_mb:,.0f} MB per {what}{lower}."
    return None


def batch_fits(requests: Sequence[Sequence[Any]], data: Any, cores: int | None = None) -> bool:
    """Whether one merged run of these requests (each a visitor's TrainConfigs) on ``data`` is within one run's
    budget: each part of it (the models one core trains, core.engine.cores.merged_plan over ``cores``: a part's
    wall time is its own CPU time) within the CPU budget, and all its models at once within the memory budget.
    A class's 30 Digit Recognizer runs, 65 s of CPU as one stack, are two parts of 32 s: one batch (as one part
    they were over the 60 s budget, and the last 3 visitors trained in a second batch beside the first)."""
    configs = [c for r in requests for c in r]
    whole, lim = request_price(configs, data), settings.limits()
    if whole.peak_bytes / 1e6 > lim.run_mb:
        return False
    if whole.seconds <= lim.run_seconds:
        return True
    from core.engine.cores import merged_plan  # torch: a visitor's fit() is asking, so it is loaded

    bounds = list(itertools.accumulate(len(r) for r in requests))
    owners = list(zip([0, *bounds[:-1]], bounds))
    return all(over_budget(request_price([configs[k] for k in part], data), hints=False) is None
               for part in merged_plan(configs, data, owners, cores=cores))


def _configs(request: Any) -> list[Config]:
    """The Configs whose fields the caps read: the request itself, or each model of a stack."""
    items = list(request) if isinstance(request, (list, tuple)) else [request]
    return [c for c in items if isinstance(c, Config)]


def check(request: Any, data: Any = None, lim: settings.Limits | None = None, hints: bool = True,
          work: Workload | None = None) -> str | None:
    """The one check before any work: per-field caps, then the price against the budget.

    Returns None when it may run, else one line for the visitor (``hints=False``: without what to
    lower, for the server's own runs). ``work``: the request's workload when the caller has it already.
    """
    lim = lim or settings.limits()
    cfgs = _configs(request)
    if cfgs:
        msg = check_request(cfgs if isinstance(request, (list, tuple)) else cfgs[0], lim)
        if msg:
            return msg
    work = work if work is not None else workload_of(request, data)
    return over_budget(workload_price(work), work, lim, hints=hints)


def check_study(space: Config, study: Any, lim: settings.Limits | None = None) -> str | None:
    """:func:`check` for a tuning study (``study.workload(space)``): each field's caps, then all its
    trials against study_seconds, and one trial against the per-run budget."""
    lim = lim or settings.limits()
    msg = check_request(space, lim) or check_request(study, lim)
    if msg:
        return msg
    work = study.workload(space)
    one = dataclasses.replace(work, repeat=1)
    return over_budget(workload_price(one), one, lim) or over_budget(workload_price(work), work, lim, study=True)

