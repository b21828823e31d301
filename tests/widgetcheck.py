"""For page tests: every numeric widget of a page takes its range from its config's field (ui.widgets.field_widget),
so a cap this server sets lowers its maximum. ``cap_every_field`` stands in for such a cap on fields that declare
none: each field's upper end becomes its default value."""

from __future__ import annotations

import dataclasses

import pytest


def cap_every_field(monkeypatch: pytest.MonkeyPatch) -> list[tuple[type, str]]:
    """Patch ui.widgets.bounds so every numeric field's upper end is its default; returns the (class, field)s asked."""
    from ui import widgets

    asked: list[tuple[type, str]] = []
    bounds = widgets.bounds

    def capped(cls, name, lim=None):
        b = bounds(cls, name, lim)
        asked.append((cls, name))
        default = next(f.default for f in dataclasses.fields(cls) if f.name == name)
        if b.hi is not None and isinstance(default, (int, float)) and not isinstance(default, bool):
            b = dataclasses.replace(b, hi=b.kind(default))
        return b

    monkeypatch.setattr(widgets, "bounds", capped)
    return asked
