"""The claims registry itself: a claim says its sentence only when its condition holds, is stamped with its
name, pickles with its outcome, and a check needs both sides."""

import pickle

import pytest

from core.claims import REGISTRY, Said, claim, is_claim, observing, said
from tests.claimcheck import both_sides


def _bigger(a: float, b: float) -> Said:
    return said(a > b, f"{a} is bigger than {b}.", f"{a} is not bigger than {b}.", a=a, b=b)


bigger = _bigger  # registered only while a test runs (the registry's other tests count the pages' claims)


@pytest.fixture(autouse=True)
def registered():
    global bigger
    bigger = claim("test.bigger", page="Home", tab="-", condition="a > b", defaults=lambda: bigger(2, 1))(_bigger)
    yield
    REGISTRY.pop("test.bigger", None)
    bigger = _bigger


def test_a_claim_says_what_its_numbers_hold():
    yes, no = bigger(2, 1), bigger(1, 2)
    assert (yes, yes.holds, yes.claim) == ("2 is bigger than 1.", True, "test.bigger")
    assert (no, no.holds, no.numbers) == ("1 is not bigger than 2.", False, {"a": 1, "b": 2})
    assert is_claim(yes) and not is_claim("2 is bigger than 1.") and not is_claim(Said("x", True))
    assert said(False, "never shown") == "" and not said(False, "never shown")


def test_a_claim_pickles_with_its_outcome():
    back = pickle.loads(pickle.dumps(bigger(3, 1)))
    assert isinstance(back, Said) and (back, back.holds, back.claim, back.numbers) == \
        ("3 is bigger than 1.", True, "test.bigger", {"a": 3, "b": 1})


def test_a_claim_must_return_said_and_names_are_unique():
    @claim("test.bad", page="Home", tab="-", condition="-")
    def bad() -> Said:
        return "plain text"  # type: ignore[return-value]
    with pytest.raises(TypeError):
        bad()
    REGISTRY.pop("test.bad")
    with pytest.raises(ValueError, match="twice"):
        @claim("test.bigger", page="Home", tab="-", condition="-")
        def other() -> Said:
            return said(True, "x")


def test_observing_and_both_sides():
    with observing() as log:
        bigger(1, 2)
    assert log == [("test.bigger", False)]
    with both_sides("test.bigger"):
        bigger(2, 1), bigger(1, 2)
    with pytest.raises(AssertionError, match="both sides"), both_sides("test.bigger"):
        bigger(2, 1)


def test_a_page_cannot_show_a_lesson_no_claim_returned():
    from ui import say

    with pytest.raises(TypeError, match="registered claim"):
        say.lesson("Dropout always helps.")
    with pytest.raises(TypeError):
        say.lesson(Said("Unregistered.", True))
