"""'Predict, then run' exercises along the path: definitions (defs) and their verdicts (claims)."""

from core.exercises.claims import JUDGES, judge  # noqa: F401
from core.exercises.defs import EXERCISES, Exercise, on  # noqa: F401
