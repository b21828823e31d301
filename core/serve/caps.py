"""Per-field caps: the first check of a request (the price, core.serve.price, is what bounds work).

:func:`check_request` compares any :class:`core.config.Config` (epochs, hidden widths and layers,
seeds, trials) with ``settings.limits()`` and returns a one-line message naming the field and the cap,
read from each field's declared ``param(cap=...)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from core import settings
from core.config import CAP_KINDS, Config


# ---- request caps -----------------------------------------------------------------------------------
class LimitError(ValueError):
    """A request is over a cap of this server; ``field`` names it and the message says the cap."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_CAP_WORDS = {"epochs": ("", " epochs"), "seeds": ("", " seeds"), "trials": ("", " trials"),
              "width": ("a layer of ", " neurons"), "layers": ("", " hidden layers")}


def violations(cfg: Config, lim: settings.Limits | None = None) -> list[tuple[str, str]]:
    """Every (field, message) of ``cfg`` over the caps in force, from each field's declared ``cap``."""
    lim = lim or settings.limits()
    out: list[tuple[str, str]] = []
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        for kind in f.metadata.get("cap", ()):
            if kind == "layers" and isinstance(value, tuple):
                v = len(value)
            elif kind == "width" and isinstance(value, tuple):
                v = max((w for w in value if isinstance(w, int)), default=0)
            else:
                v = value
            cap = getattr(lim, CAP_KINDS[kind])
            if isinstance(v, int) and not isinstance(v, bool) and v > cap:
                pre, unit = _CAP_WORDS[kind]
                out.append((f.name, f"{f.name}: {pre}{v:,}{unit} is over this server's cap of {cap:,}{unit}"))
    return out


def check_request(cfgs: Config | Sequence[Config], lim: settings.Limits | None = None) -> str | None:
    """None when the request fits the caps, else one line naming the field(s) and the cap(s).

    A sequence of configs is one request that trains them all at once: it may hold at most
    ``max_seeds`` models as well.
    """
    lim = lim or settings.limits()
    items = [cfgs] if isinstance(cfgs, Config) else list(cfgs)
    msgs: list[str] = []
    if len(items) > lim.max_seeds:
        msgs.append(f"seeds: {len(items):,} networks trained at once is over this server's cap of "
                    f"{lim.max_seeds:,}")
    for c in items:
        for _, m in violations(c, lim):
            if m not in msgs:
                msgs.append(m)
    if not msgs:
        return None
    return "; ".join(msgs) + ". Lower it to the cap (this server is shared, so each visitor's runs are capped)."


def enforce(cfgs: Config | Sequence[Config], lim: settings.Limits | None = None) -> None:
    """Raise :class:`LimitError` when ``check_request`` finds a cap broken."""
    msg = check_request(cfgs, lim)
    if msg:
        items = [cfgs] if isinstance(cfgs, Config) else list(cfgs)
        first = next((f for c in items for f, _ in violations(c, lim or settings.limits())), "seeds")
        raise LimitError(first, msg)
