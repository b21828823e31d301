"""python -m core.claims: every claim of every page, run at the page's defaults.

Prints page | tab | claim | shown at the defaults | its condition's numbers, then the line
``claims=<n> shown_at_defaults=<s> checked=<c> unchecked=<u>``. A claim counts as checked when a test
file names it in ``both_sides("<name>")`` (that test fails unless it saw both outcomes).

Options: ``--no-run`` lists the claims without running the default jobs; ``--page TEXT`` keeps the pages
whose name contains TEXT; ``--unchecked`` lists the claims no test checks.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from core.claims import Claim, Said, load_all

PAGE_ORDER = ("Home", "XOR Lab", "Activation Explorer", "Backprop Step by Step", "Network Shapes",
              "Digit Recognizer", "Images and Convolutions", "Hyperparameter Effects", "Optimizers",
              "When to Use Neural Networks", "Hyperparameter Tuner", "Recap")
TESTS = Path(__file__).resolve().parents[2] / "tests"


def checked_names(tests: Path = TESTS) -> set[str]:
    """Claim names that some test file checks with ``both_sides("<name>")``."""
    found: set[str] = set()
    for f in sorted(tests.glob("test_*.py")):
        found |= set(re.findall(r"both_sides\(\s*[\"']([\w.]+)[\"']", f.read_text(encoding="utf-8")))
    return found


def _order(c: Claim) -> tuple[int, str, str]:
    page = PAGE_ORDER.index(c.page) if c.page in PAGE_ORDER else len(PAGE_ORDER)
    return page, c.tab, c.name


def _cell(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m core.claims", description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-run", action="store_true", help="list the claims without running the defaults")
    ap.add_argument("--page", default="", help="only pages whose name contains this text")
    ap.add_argument("--unchecked", action="store_true", help="list the claims no test checks")
    args = ap.parse_args(argv)

    claims = sorted(load_all().values(), key=_order)
    if args.page:
        claims = [c for c in claims if args.page.lower() in c.page.lower()]
    checked = checked_names()
    rows = []
    shown = 0
    for c in claims:
        if args.no_run or c.defaults is None:
            got, secs = None, 0.0
        else:
            t0 = time.perf_counter()
            got = c.defaults()
            secs = time.perf_counter() - t0
            if not isinstance(got, Said) or got.claim != c.name:
                raise TypeError(f"{c.name}: its defaults() must return this claim's own Said")
        if got:
            shown += 1
        state = "-" if got is None else ("yes" if got else "no")
        held = "" if got is None else ("holds" if got.holds else "does not hold")
        nums = "" if got is None else got.numbers_text()
        rows.append((c.page, c.tab, c.name, state, held, nums, got or "", secs, c.name in checked))
        print(f"{_cell(c.page, 22):22} | {_cell(c.tab, 18):18} | {_cell(c.name, 40):40} | {state:3} | "
              f"{_cell(held, 13):13} | {_cell(nums, 70)}" + ("" if c.name in checked else "  [unchecked]"),
              flush=True)
        if got:
            print(f"{'':22}   -> {_cell(str(got), 150)}", flush=True)
    n_checked = sum(r[-1] for r in rows)
    if args.unchecked:
        for r in rows:
            if not r[-1]:
                print(f"unchecked: {r[2]}")
    print(f"claims={len(rows)} shown_at_defaults={shown} checked={n_checked} unchecked={len(rows) - n_checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
