"""The registry of every lesson and verdict a page can state.

A claim is a named function of a run's numbers that returns its sentence only when its condition holds
in those numbers, and otherwise the sentence that is true (or nothing). It lives next to the job it
describes, in its page package's ``claims.py``, and registers itself here with :func:`claim`:

    @claim("digits.dropout_narrows_gap", page="Digit Recognizer", tab="① Train",
           condition="test-minus-train loss gap with dropout < without", defaults=_dropout_at_defaults)
    def dropout_narrows_gap(off: TrainResult, on: TrainResult) -> Said:
        g0, g1 = loss_gap(off), loss_gap(on)
        return said(g1 < g0, f"Dropout narrowed the gap ...", f"Here dropout did not narrow it ...",
                    gap_off=g0, gap_on=g1)

A claim returns a :class:`Said`: a ``str`` (so a page shows it like any text; ``""`` says nothing) that
also carries the claim's name, whether its condition held and the numbers it read. Pages show lesson
and verdict text only through ``ui.say.lesson``, which accepts nothing but a registered claim's Said.

``defaults`` is a zero-argument function that runs the page's default jobs (small, seeded, cached like
the page) and returns the claim's Said at those defaults: ``python -m core.claims`` lists them all.
A claim is *checked* when a test feeds it numbers on both sides of its condition inside
``both_sides(name)`` (tests/claimcheck.py): the test fails unless both outcomes were seen.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ParamSpec

P = ParamSpec("P")


class Said(str):
    """A claim's sentence ('' when it says nothing), with ``claim`` (its name), ``holds`` (whether its
    condition held in the numbers) and ``numbers`` (what the condition read, name -> value)."""

    claim: str
    holds: bool
    numbers: dict[str, Any]

    def __new__(cls, text: str, holds: bool, numbers: dict[str, Any] | None = None, claim: str = "") -> Said:
        s = super().__new__(cls, text)
        s.holds = bool(holds)
        s.numbers = dict(numbers or {})
        s.claim = claim
        return s

    def __reduce__(self) -> tuple:
        # st.cache_data pickles a page's results: keep the claim's outcome with its text
        return (Said, (str(self), self.holds, self.numbers, self.claim))

    def numbers_text(self, digits: int = 4) -> str:
        """The numbers as ``name=value`` pairs, floats to ``digits`` significant digits."""
        def fmt(v: Any) -> str:
            if isinstance(v, float):
                return f"{v:.{digits}g}" if math.isfinite(v) else str(v)
            return str(v)
        return " ".join(f"{k}={fmt(v)}" for k, v in self.numbers.items())


def said(holds: bool, text: str, otherwise: str = "", **numbers: Any) -> Said:
    """The sentence ``text`` when ``holds``, else ``otherwise`` (the sentence that is true, or '')."""
    return Said(text if holds else otherwise, holds, numbers)


@dataclass(frozen=True)
class Claim:
    """One registered claim: where it is shown, what must hold, the function and its default run."""

    name: str
    page: str
    tab: str
    condition: str
    fn: Callable[..., Said]
    defaults: Callable[[], Said] | None = None


REGISTRY: dict[str, Claim] = {}
_observers: list[list[tuple[str, bool]]] = []


def claim(name: str, *, page: str, tab: str, condition: str,
          defaults: Callable[[], Said] | None = None) -> Callable[[Callable[P, Said]], Callable[P, Said]]:
    """Register a claim function under ``name`` (``"<package>.<what>"``, unique).

    The function must return a :class:`Said` (build it with :func:`said`); the wrapper stamps the
    claim's name on it and reports the outcome to any :func:`observing` block.
    """
    def wrap(fn: Callable[P, Said]) -> Callable[P, Said]:
        if name in REGISTRY and REGISTRY[name].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"claim {name!r} registered twice")

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> Said:
            out = fn(*args, **kwargs)
            if not isinstance(out, Said):
                raise TypeError(f"claim {name!r} returned {type(out).__name__}, not Said")
            out.claim = name
            for log in _observers:
                log.append((name, out.holds))
            return out

        run.claim_name = name  # type: ignore[attr-defined]
        REGISTRY[name] = Claim(name, page, tab, condition, run, defaults)
        return run
    return wrap


@contextlib.contextmanager
def observing() -> Iterator[list[tuple[str, bool]]]:
    """Collect (claim name, holds) for every claim called inside the block."""
    log: list[tuple[str, bool]] = []
    _observers.append(log)
    try:
        yield log
    finally:
        _observers.remove(log)


def is_claim(text: object) -> bool:
    """True when ``text`` is a Said returned by a registered claim."""
    return isinstance(text, Said) and text.claim in REGISTRY


def load_all() -> dict[str, Claim]:
    """Import every page package's ``claims`` module (registering its claims); the registry by name."""
    import core
    for mod in pkgutil.iter_modules(core.__path__):
        if mod.ispkg and mod.name != "claims":
            try:
                importlib.import_module(f"core.{mod.name}.claims")
            except ModuleNotFoundError as e:
                if e.name != f"core.{mod.name}.claims":
                    raise
    return dict(sorted(REGISTRY.items()))


__all__ = ["Claim", "REGISTRY", "Said", "claim", "is_claim", "load_all", "observing", "said"]
