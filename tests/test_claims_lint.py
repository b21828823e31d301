"""No page states a lesson or a verdict outside a claim (see core/claims and ui/say.py).

Read from the source, file by file:
- ``app_pages/`` and ``ui/`` put a sentence in a box only through ``ui.say``: no direct ``.success``,
  ``.info``, ``.warning``, ``.error`` or ``.toast`` call (on ``st`` or on a column) outside ui/say.py;
- a ``status(...)`` line is written in the call (a literal or an f-string), where a reader sees it is
  a status and not a lesson;
- in ``core/``, a function named like a lesson (``*_verdict``, ``*_sentence``, ``*_note(s)``,
  ``*_lesson(s)``, ``*_headline``, ``*_takeaway``) is a registered claim (``@claim``) or returns claims'
  Saids (its return annotation names ``Said``);
- every registered claim says where it is shown, what must hold, how to run it at the page's defaults,
  and some test checks it on both sides of its condition.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.claims import load_all
from core.claims.__main__ import PAGE_ORDER, checked_names

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = sorted(p for d in ("app_pages", "ui") for p in (ROOT / d).glob("*.py") if p.name != "say.py")
CORE_FILES = sorted(p for p in (ROOT / "core").rglob("*.py") if p.relative_to(ROOT).parts[:2] != ("core", "claims"))
BOXES = {"success", "info", "warning", "error", "toast"}
LESSON_NAME = re.compile(r"(^|_)(verdict|sentence|notes?|lessons?|headline|takeaway)$")


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


def _literal(node: ast.AST) -> bool:
    """A string written in the source: a literal, an f-string, or a concatenation of them."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left) and _literal(node.right)
    return False


@pytest.mark.parametrize("path", PAGE_FILES, ids=_rel)
def test_pages_box_sentences_only_through_say(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in BOXES and not (
                isinstance(f.value, ast.Name) and f.value.id in ("log", "logger", "logging", "warnings")):
            bad.append(f"line {node.lineno}: .{f.attr}(...) (use ui.say.lesson for a claim, say.status for a status)")
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        is_status = name == "status" and (isinstance(f, ast.Name) or getattr(f.value, "id", "") == "say")
        if is_status and (not node.args or not _literal(node.args[0])):
            bad.append(f"line {node.lineno}: status() text must be written in the call")
    assert not bad, f"{_rel(path)}:\n" + "\n".join(bad)


def _decorated_claim(fn: ast.FunctionDef) -> bool:
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if (getattr(target, "id", None) or getattr(target, "attr", None)) == "claim":
            return True
    return False


@pytest.mark.parametrize("path", CORE_FILES, ids=_rel)
def test_core_lesson_functions_are_claims(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and LESSON_NAME.search(node.name.lstrip("_")):
            returns = ast.unparse(node.returns) if node.returns else ""
            if not _decorated_claim(node) and "Said" not in returns:
                bad.append(f"line {node.lineno}: {node.name}() reads like a lesson but is not a @claim")
    assert not bad, f"{_rel(path)}:\n" + "\n".join(bad)


def test_every_claim_is_placed_runnable_and_checked() -> None:
    claims = load_all()
    assert claims, "no claims registered"
    checked = checked_names()
    problems = []
    for name, c in claims.items():
        if c.page not in PAGE_ORDER:
            problems.append(f"{name}: page {c.page!r} is not one of {PAGE_ORDER}")
        if not c.tab.strip() or not c.condition.strip():
            problems.append(f"{name}: needs a tab and a condition")
        if c.defaults is None:
            problems.append(f"{name}: no defaults() (python -m core.claims cannot show it at the page's defaults)")
        if name not in checked:
            problems.append(f"{name}: no test checks it with both_sides({name!r})")
    assert not problems, "\n".join(problems)


def test_claims_cli_lists_every_claim() -> None:
    out = subprocess.run([sys.executable, "-m", "core.claims", "--no-run"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"claims=(\d+) shown_at_defaults=0 checked=(\d+) unchecked=(\d+)", last)
    assert m, last
    assert int(m[1]) == len(load_all()) and int(m[2]) + int(m[3]) == int(m[1])
