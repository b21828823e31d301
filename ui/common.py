"""Helpers every page uses: secrets -> env, configs <-> URL, a memory+disk cache for training."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

import streamlit as st

from core import settings
from core.config import Config
from core.serve import price, queue
from core.serve.memory import approx_bytes, memory_cache_bytes
from ui import say

if TYPE_CHECKING:  # core.engine and core.serve.cache import torch (~1-2 s): Home's first paint does without it
    from core.engine import TrainResult
    from core.serve.cache import DiskCache

C = TypeVar("C", bound=Config)

SECRET_KEYS = ("NNLAB_DATA_DIR", "NNLAB_HOSTED", "NNLAB_STORAGE", "NNLAB_MAX_CONCURRENT")


def apply_secrets() -> None:
    """Copy NNLAB_* Streamlit secrets into the environment (the environment wins if both are set)."""
    try:
        secrets = dict(st.secrets)
    except Exception:  # no secrets.toml: nothing to copy
        return
    for k in SECRET_KEYS:
        if k in secrets and k not in os.environ:
            os.environ[k] = str(secrets[k])


def query_dict() -> dict[str, str]:
    """The page's query params as a plain dict."""
    return {k: st.query_params.get(k) for k in st.query_params}


def sync_url(params: dict[str, str], owned: tuple[str, ...] | None = None) -> None:
    """Make the URL hold exactly ``params`` (for the keys this page owns); leaves it alone if equal."""
    current = query_dict()
    keys = set(current) if owned is None else {k for k in current if k in owned or k in params}
    want = {k: v for k, v in params.items()}
    if {k: current[k] for k in keys if k in current} == want and set(want) <= set(current):
        return
    for k in keys - set(want):
        del st.query_params[k]
    for k, v in want.items():
        if current.get(k) != v:
            st.query_params[k] = v


def share_link() -> None:
    """A copyable link to this page as it is now."""
    try:
        url = st.context.url
    except Exception:
        url = None
    base = (url or "").split("?")[0]
    with st.popover("Share", icon=":material/link:"):
        st.caption("This link opens the page with these settings (runs are seeded, so the numbers match).")
        st.code(share_url(base, query_dict()) or "(open the app in a browser to get its address)", language=None)


def share_url(base: str, params: dict[str, str]) -> str:
    """``base?k=v&...`` with every value URL-encoded (``+ & # % =``, spaces, non-ASCII survive the trip)."""
    q = urlencode(params, quote_via=quote)  # spaces as %20: a "+" in a pasted link is read as a space
    return f"{base}?{q}" if q else base


class Memo:
    """A small LRU shared by every session of this server process (results; ui.vega's chart specs).

    Bounded by entry count and (when ``max_bytes`` is given) by the approximate bytes it holds.
    """

    def __init__(self, size: int = 64, max_bytes: int | None = None) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.sizes: dict[str, int] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: str, value: Any) -> None:
        nbytes = approx_bytes(value) if self.max_bytes is not None else 0
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            self.sizes[key] = nbytes
            while len(self.items) > self.size or (
                    self.max_bytes is not None and len(self.items) > 1 and sum(self.sizes.values()) > self.max_bytes):
                old, _ = self.items.popitem(last=False)
                self.sizes.pop(old, None)


@st.cache_resource
def memo() -> Memo:
    # hosted: fewer entries and a byte budget (a quarter of settings.limits().cache_mb)
    return Memo(32 if settings.hosted() else 64, memory_cache_bytes())


@st.cache_resource
def disk_cache() -> DiskCache:
    from core.serve.cache import DiskCache

    return DiskCache()


def cached_results(key: str, compute: Callable[[], list[TrainResult]],
                   config_types: tuple[type, ...] = (), request: Any = None) -> list[TrainResult]:
    """Results from memory, else from the disk cache, else ``compute()`` (stored in both).

    Only ``compute()`` goes through the door (:func:`admitted`): a result already on disk opens at once.
    ``request`` (the page's config, or a list of TrainConfigs): in hosted mode it is priced there, before
    it joins the queue or loads any data, and refused with one line when over a cap or the budget;
    without it, each stack ``compute()`` trains is priced as it starts.
    """
    from core.serve.cache import cached, cut_short, load, not_cached

    m = memo()
    hit = m.get(key)
    if hit is not None:
        return hit
    hit = load(key, disk_cache(), config_types)
    if hit is not None:
        m.put(key, hit)
        return hit
    with admitted(request, merge=_mergeable(request)):  # hosted: priced once, then a fair line (runs of one shape
        hit = m.get(key)  # train together); another visitor may have trained it while this one waited
        if hit is not None:
            return hit
        results, _ = cached(key, compute, disk_cache(), config_types)
    cut = cut_short(results)
    if cut:  # hosted: the wall-clock limit stopped it; shown, never cached
        say.status(f"{cut}", "warning", icon=":material/timer_off:")
    why = not_cached(results)
    if why and not cut:  # the result is good, only the disk could not keep it
        st.caption(why)
    m.put(key, results)
    return results


# ---- hosted mode: one door (the price, then the shared training queue) ----------------------------
def _script_ctx():
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True)


def _wait_display(ctx) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """(on_wait, clear): show "waiting: k runs ahead of yours" in place while the line moves; on_wait(-1, -1)
    only notices a rerun or a closed tab (a run shared with others, training)."""
    box: list[Any] = []
    shown: list[str] = []
    cap = queue.training_queue().capacity

    def on_wait(ahead: int, running: int) -> None:
        if ahead < 0:
            if ctx is not None:
                ctx.yield_check()
            return
        msg = queue.wait_message(ahead, running, cap)
        if not box:
            box.append(st.empty())
        if not shown or shown[-1] != msg:
            say.status(f"{msg}", "info", icon=":material/hourglass_top:", where=box[0])
            shown.append(msg)
        elif ctx is not None:
            ctx.yield_check()  # a rerun or a closed tab stops this wait (and frees the place)

    def clear() -> None:
        if box:
            box[0].empty()

    return on_wait, clear


class _Door(threading.local):
    """This thread's pass through the door: whether it is inside, whether its request was priced, and
    the last request that passed (asked again, as a page's stacks each ask for their request, it is not
    priced again). ``merging``: inside without a slot of its own: its fit() runs join a batch of runs of
    one shape (core.serve.merge), its other runs take a slot each (``slotted`` while one does);
    ``shared``: how many other visitors its runs trained with."""

    inside: bool = False
    priced: bool = False
    passed: Any = None
    merging: bool = False
    slotted: bool = False
    shared: int = 0
    sid: str = ""
    on_wait: Any = None


_DOOR = _Door()


def refuse(msg: str) -> None:
    """Say why a request is refused (one line, from the price or the caps) and stop this script run."""
    say.status(f"{msg}", "error", icon=":material/block:")
    st.stop()


def check_request(request: Any, data: Any = None) -> bool:
    """Before any work: in hosted mode, price ``request`` (anything with a workload, or a list of
    TrainConfigs) and refuse it when it breaks a cap or the budget, with one line, and stop the script.
    True when it may run; its work then enters through :func:`training_slot`, unpriced."""
    if settings.hosted():
        work = price.workload_of(request, data)
        key = (tuple(request) if isinstance(request, list) else request, work, settings.limits())
        if _DOOR.passed == key:
            return True
        msg = price.check(request, data, work=work)
        if msg:
            refuse(msg)
        _DOOR.passed = key
    return True


MERGE_DATA_BYTES = 64 << 20  # requests whose loaded data is at most this big may wait without a slot (to merge)


def _mergeable(request: Any) -> bool:
    """Merging is on (hosted, $NNLAB_MERGE) and ``request`` trains stacks on small data (each visitor holds
    its own loaded tensors while its run waits to be merged, outside the queue's bound; the loader's
    passing work space, such as the 8x8 digits' sklearn parse or an augmentation chunk, is gone by then)."""
    if request is None or not settings.merge_on():
        return False
    try:
        work = price.workload_of(request)
    except Exception:  # noqa: BLE001 - a request the price cannot read does not merge
        return False
    return bool(work.stacks) and not work.fits and all(s.data.tensor_bytes <= MERGE_DATA_BYTES for s in work.stacks)


def _merge_hook(configs, data, progress, eval_every, deadline, log_every=1):
    """The engine's merge point (every fit() asks it first): inside a merging door, join a batch of runs of
    one shape and return this visitor's results; else None (fit trains it here)."""
    if not (_DOOR.inside and _DOOR.merging) or _DOOR.slotted or not settings.merge_on():
        return None
    from core.serve import merge

    if not merge.mergeable(configs, data):
        return None
    box: list[Any] = []

    def on_start(others: int) -> None:
        if others > 0:
            box.append(st.empty())
            say.status(f"Training together with {others} other visitors' runs of this shape: each gets exactly "
                       "its own numbers.", "info", icon=":material/group:", where=box[0])

    results, others = merge.merger().join(_DOOR.sid, configs, data, progress, eval_every, _DOOR.on_wait, on_start,
                                          log_every)
    if box:
        box[0].empty()
    _DOOR.shared = max(_DOOR.shared, others)
    return results


@contextmanager
def _merging_door(request: Any, data: Any, sid: str, on_wait, clear):
    """admitted() when merging: priced, then inside without a slot of its own (see :class:`_Door`)."""
    if request is not None:
        check_request(request, data)
    _DOOR.inside, _DOOR.priced, _DOOR.merging, _DOOR.shared = True, True, True, 0
    _DOOR.sid, _DOOR.on_wait = sid, on_wait
    try:
        yield
    finally:
        clear()
        shared = _DOOR.shared
        _DOOR.inside = _DOOR.priced = _DOOR.merging = False
        _DOOR.on_wait = None
    if shared:
        from core.serve.merge import shared_message

        say.status(f"{shared_message(shared)}.", "info", icon=":material/group:")


@contextmanager
def admitted(request: Any = None, data: Any = None, priced: bool = False, merge: bool = False):
    """The one door to training: ``request`` priced once (hosted mode; refused with one line when over a
    cap or the budget), then one training slot held for the body, whose runs pass the run guard without
    being priced or queued again. ``request`` None: its stacks are priced as they start (unless
    ``priced``: the caller priced it already). A door inside a door passes straight through.

    With a limit (hosted mode: NNLAB_MAX_CONCURRENT, default 2) the visitor waits in a fair line and
    sees its place; without one (a laptop) this costs nothing.
    """
    if _DOOR.inside:
        was = _DOOR.priced
        if request is not None and not was:  # the outer door priced nothing: this request is priced here
            check_request(request, data)
            _DOOR.priced = True
        try:
            yield
        finally:
            _DOOR.priced = was
        return
    ctx = _script_ctx()
    sid = ctx.session_id if ctx is not None else f"thread-{threading.get_ident()}"
    on_wait, clear = _wait_display(ctx)
    if merge and ctx is not None:
        try:
            with _merging_door(request, data, sid, on_wait, clear):
                yield
        except queue.Superseded:
            st.stop()
        return
    if request is not None:
        check_request(request, data)
    try:
        with queue.slot(sid, on_wait):
            clear()
            _DOOR.inside, _DOOR.priced = True, priced or request is not None
            try:
                yield
            finally:
                _DOOR.inside = _DOOR.priced = False
    except queue.Superseded:  # a newer run of this page took this place in line
        clear()
        st.stop()


def thread_slot() -> Callable[[Callable[[int, int], None]], Any]:
    """For work a page starts in a thread of its own (Play): ``slot(on_wait)`` gives this visitor's place
    in the shared training queue, held by that thread while it trains (price it first with
    :func:`check_request`). The thread is not this script's, so it shows its wait itself."""
    ctx = _script_ctx()
    sid = ctx.session_id if ctx is not None else f"thread-{threading.get_ident()}"
    return lambda on_wait: queue.slot(sid, on_wait)


def training_slot():
    """The door for work its caller priced with :func:`check_request` (or that trains nothing the
    price knows): one training slot, nothing priced again inside."""
    return admitted(priced=True)


@contextmanager
def _trainer_guard(configs, data: Any = None) -> Any:
    """The app's run guard (see :func:`install_run_guard`): what every engine run passes.

    Inside the door (:func:`admitted`) it only gives the wall-clock limit, pricing the stack when
    nobody priced its request. Outside (a page's run that took no door), the stack is its own request:
    ``configs`` (every model about to train) on ``data`` (the Dataset, when the engine passes it; else
    the data the configs name) goes through the door. Not on a page's script thread (tests, worker
    threads): no caps, no queue.
    """
    if _script_ctx() is None:
        yield None
        return
    limit = settings.limits().run_wall_seconds  # the engine stops a run still going after this long
    if not _DOOR.inside:
        with admitted(list(configs), data):
            yield limit
        return
    if not _DOOR.priced:
        check_request(list(configs), data)
    if _DOOR.merging and not _DOOR.slotted:  # a run that did not merge takes a slot of its own
        with queue.slot(_DOOR.sid, _DOOR.on_wait):
            _DOOR.slotted = True
            try:
                yield limit
            finally:
                _DOOR.slotted = False
        return
    yield limit


def install_run_guard() -> None:
    """Route every training run of this process through :func:`_trainer_guard` (app.py calls it at start)."""
    from core.engine.fitting import set_merge_point
    from core.engine.guard import set_run_guard  # imports torch: app.py calls this off Home's first paint

    set_run_guard(_trainer_guard)
    set_merge_point(_merge_hook)


def memo_get(key: str) -> Any:
    """Anything kept in the shared memory cache under key (or None)."""
    return memo().get(key)


def memo_put(key: str, value: Any) -> None:
    memo().put(key, value)


def seed_state(values: dict[str, Any]) -> None:
    """Give widgets their first values (from the URL config) without fighting later user changes."""
    for k, v in values.items():
        if k not in st.session_state:
            st.session_state[k] = v


def show_config_error(e: Exception) -> None:
    """A bad setting, said plainly next to the controls."""
    say.status(f"Setting not accepted: {str(e).rstrip('.')}. The previous valid settings are kept.", "error",
               icon=":material/error:")


def widget_config(build: Callable[[], C], fallback: C) -> C:
    """The config the widgets ask for, from build(); if it is refused (ConfigError, or a ValueError
    saying why), the reason is shown next to the controls and fallback is used instead."""
    try:
        return build()
    except ValueError as e:  # ConfigError is a ValueError
        show_config_error(e)
        return fallback


# Pages import this module; applying the secrets here too means hosted mode never depends on how a
# page's script was started (app.py, AppTest on a page file, a worker).
apply_secrets()
