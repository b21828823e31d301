"""Every glossary term a page shows is explained where a student first meets it.

Each page opens at its defaults (AppTest); its text elements are read in the order a student reads
them (titles, paragraphs, captions, widget and metric labels, boxes, expander labels). For every glossary
term that appears (whole word, case-insensitive, plural allowed), the element where it first appears, or
the one right after it (a tab or expander label cannot carry a tooltip; its first element can), must carry
a tooltip (``help=tip(...)``) that explains that term. A tip given earlier on the page counts too, and so
does an element that defines the term in its own text as ``**term**: ...`` (Home's glossary list).
Links to other steps (page links, "Try next" buttons) are not read: their labels name a page or a tab
(Activation Explorer, Hyperparameter Effects), and the page they open explains its own terms.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_home import app_pages
from ui.glossary import TERMS

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TEXT_ATTRS = ("value", "label", "body")
# text the page shows that is code or data, not prose a student reads as a sentence
SKIP_TYPES = {"Code", "Json", "Table", "Dataframe", "UnknownElement", "Exception"}
# navigation labels: the name of the page or tab they open, not a sentence using a term
NAV_TYPES = {"PageLink"}
NAV_PREFIX = "Try next"


def _pattern(term: str) -> re.Pattern[str]:
    words = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", term))
    return re.compile(rf"(?<![\w-]){words}(s|es)?(?![\w-])", re.IGNORECASE)


PATTERNS = {t: _pattern(t) for t in TERMS}
# a longer term that holds a shorter one ("gradient boosting" holds "gradient"): where the longer one is
# written, the shorter one is not met on its own
LONGER = {t: [PATTERNS[u] for u in TERMS if u != t and PATTERNS[t].search(u)] for t in TERMS}


def shows(term: str, text: str) -> bool:
    """Whether ``text`` shows ``term`` on its own (not only inside a longer glossary term)."""
    for longer in LONGER[term]:
        text = longer.sub(" ", text)
    return bool(PATTERNS[term].search(text))


def reading_order(node) -> list[tuple[str, str, str]]:
    """(element type, its text, its tooltip) for each element under ``node``, in document order."""
    out = []
    typ = type(node).__name__
    text = ""
    for attr in TEXT_ATTRS:
        v = getattr(node, attr, None)
        if isinstance(v, str):
            text = v
            break
    text = re.sub(r"\]\([^)]*\)", "]", text)  # a link's address is not text a student reads
    nav = typ in NAV_TYPES or (typ == "Button" and text.startswith(NAV_PREFIX))
    if typ not in SKIP_TYPES and not nav and (text or typ in ("Tab", "Expander")):
        out.append((typ, text, getattr(node, "help", None) or ""))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for c in children.values():
            out += reading_order(c)
    return out


def untipped(elements: list[tuple[str, str, str]]) -> list[str]:
    """The glossary terms whose first appearance (or the element after it) carries no tooltip for them."""
    missing = []
    for term in PATTERNS:
        first = next((i for i, (_, text, _h) in enumerate(elements) if shows(term, text)), None)
        if first is None:
            continue
        tipped = any(f"**{term}**" in h.lower() or f"**{term}**:" in t.lower() for _, t, h in elements[: first + 2])
        if not tipped:
            missing.append(f"{term!r} first in {elements[first][0]}: {elements[first][1][:70]!r}")
    return missing


def open_page(file: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    if file != "app_pages/home.py":
        at.switch_page(file)
        at.run()
    return at


@pytest.mark.parametrize("file", [f for f, _ in app_pages()])
def test_every_glossary_term_is_tipped_where_the_page_first_shows_it(file: str) -> None:
    at = open_page(file)
    assert not at.exception
    missing = untipped(reading_order(at.main))
    assert not missing, f"{file}: {len(missing)} terms shown without a tooltip at first sight:\n" + "\n".join(missing)


def test_a_term_inside_a_longer_term_is_not_met_on_its_own() -> None:
    assert not shows("gradient", "Gradient boosting won here.") and shows("gradient boosting", "Gradient boosting won")
    assert shows("gradient", "Gradient boosting follows the gradient of the loss.")
    assert not shows("weight", "Weight decay shrinks them.") and shows("weight", "Each weight moves.")


def test_the_check_sees_a_term_shown_without_its_tip() -> None:
    shown = [("Markdown", "One epoch is a pass over the data.", ""), ("Caption", "More text", "")]
    assert any("'epoch'" in m for m in untipped(shown))
    tipped = [("Markdown", "One epoch is a pass over the data.", "**epoch**: One full pass.")]
    assert not any("'epoch'" in m for m in untipped(tipped))
    late = shown + [("Caption", "x", "**epoch**: One full pass.")]
    assert any("'epoch'" in m for m in untipped(late))
    defined = [("Markdown", "- **batch**: a group.\n- **epoch**: One full pass over the data.", "")]
    assert not any("'epoch'" in m for m in untipped(defined))
    bold_only = [("Markdown", "One **epoch** is a pass over the data.", "")]  # bold is not a definition
    assert any("'epoch'" in m for m in untipped(bold_only))


def _node(typ: str, label: str = "", children: tuple = ()) -> object:
    """A stand-in for an AppTest element of type ``typ``: its label, no tooltip, its children."""
    return type(typ, (), {"label": label, "help": "", "children": dict(enumerate(children))})()


def test_the_check_skips_links_to_other_steps_but_reads_other_buttons() -> None:
    page = _node("Main", children=(
        _node("PageLink", "Try next: **Activation Explorer ① Shapes**"),
        _node("Button", "Try next: **Activation Explorer ② Softmax**"),
        _node("Button", "Train one epoch"),
    ))
    order = reading_order(page)
    assert [t for _, t, _h in order] == ["Train one epoch"]
    missing = untipped(order)
    assert any("'epoch'" in m for m in missing)
    assert not any("'activation'" in m or "'softmax'" in m for m in missing)
