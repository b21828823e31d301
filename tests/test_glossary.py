"""The glossary: one line per term, every term a tooltip names is in it, and the issue's terms are covered."""

import ast
from pathlib import Path

import pytest

from ui import glossary

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for p in [*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py")] if p.name != "glossary.py")

# every term issue 14 names for a beginner, plus the basics it says "..." about
MUST_HAVE = ("autograd", "logits", "entropy", "cross-entropy", "xavier init", "he init", "lecun init", "adam",
             "momentum", "weight decay", "l1", "l2", "patience", "pre-activation", "tpe", "pruner", "hyperband",
             "ped-anova", "parallel coordinates", "epoch", "batch", "learning rate", "dropout", "softmax")


def tip_calls() -> list[tuple[Path, int, str]]:
    """(file, line, term) for every string argument of a ``tip(...)`` or ``glossary.tip(...)`` call."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ("tip", "term"):
                    for a in node.args:
                        if isinstance(a, ast.Starred):  # terms kept as data: checked below
                            continue
                        assert isinstance(a, ast.Constant) and isinstance(a.value, str), \
                            f"{path.name}:{node.lineno}: tip() takes the terms as plain strings"
                        found.append((path, node.lineno, a.value))
    return found


def test_every_term_a_tooltip_names_is_in_the_glossary():
    calls = tip_calls()
    assert len(calls) >= 20  # the pages really use it
    missing = [f"{p.name}:{line}: {t!r}" for p, line, t in calls if t.lower() not in glossary.TERMS]
    assert not missing, missing


def test_terms_kept_as_data_are_in_the_glossary():
    from core.recap.takeaways import TAKEAWAYS
    missing = [t for k in TAKEAWAYS for t in k.terms if t.lower() not in glossary.TERMS]
    assert not missing, missing


def test_every_entry_is_one_plain_line():
    for name, line in glossary.TERMS.items():
        assert name == name.lower() and name.strip() == name, name
        assert "\n" not in line and line.strip() == line, name
        assert 20 <= len(line) <= 160, (name, len(line))
        assert line[0].isalnum() and line.endswith((".", ")")), name  # a sentence or a formula


def test_the_terms_a_beginner_meets_are_explained():
    assert not [t for t in MUST_HAVE if t not in glossary.TERMS]


def test_tip_formats_terms_and_refuses_unknown_ones():
    text = glossary.tip("epoch", "batch", before="Rows per step.")
    assert text.startswith("Rows per step.\n\n**epoch**: ") and "**batch**: " in text
    with pytest.raises(KeyError):
        glossary.tip("quantum foam")


def test_home_lists_every_term():
    md = glossary.as_markdown()
    assert md.count("\n- ") + 1 == len(glossary.TERMS)
    assert all(f"**{t}**" in md for t in glossary.TERMS)
