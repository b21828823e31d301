"""``both_sides(name)``: a test block that must see a claim's condition both hold and fail.

    with both_sides("digits.dropout_narrows_gap"):
        assert dropout_narrows_gap(off, on).holds          # numbers where it holds
        assert not dropout_narrows_gap(on, off)            # and where it does not

``python -m core.claims`` counts a claim as checked when a test file names it this way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from core.claims import load_all, observing


@contextlib.contextmanager
def both_sides(name: str) -> Iterator[None]:
    """Fail unless the claim ``name`` is registered and, inside the block, returned both outcomes."""
    assert name in load_all(), f"no claim named {name!r}"
    with observing() as log:
        yield
    seen = {holds for n, holds in log if n == name}
    assert seen == {True, False}, f"{name}: saw only holds={sorted(seen)} (a check needs both sides)"
