"""Tiny helper: print a side-by-side table."""

from __future__ import annotations


def table(rows: list[dict], title: str = "") -> str:
    """Rows of dicts (same keys) as an aligned text table."""
    if not rows:
        return ""
    cols = list(rows[0])
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    out = [title, line, "  ".join("-" * w for w in widths)] if title else [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(out)
