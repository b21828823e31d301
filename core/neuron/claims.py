"""Home's neuron lessons: the perceptron is this neuron with Step, and its weights decide which gate it computes."""

from __future__ import annotations

from core.claims import Said, claim, said
from core.neuron.config import NeuronConfig
from core.neuron.jobs import gate_scores, truth_table

PAGE, TAB = "Home", "One neuron"


@claim("neuron.perceptron_gate", page=PAGE, tab=TAB,
       condition="with Step, these weights and bias get every row of the AND or the OR truth table right",
       defaults=lambda: perceptron_gate(NeuronConfig()))
def perceptron_gate(cfg: NeuronConfig) -> Said:
    """Which gate (AND, OR) the perceptron computes with these weights and bias, from its truth table."""
    scores = gate_scores(truth_table(cfg))
    rows = 2 ** cfg.inputs
    done = [g for g, s in scores.items() if s == rows]
    tried = ", ".join(f"{g} {s} of {rows}" for g, s in scores.items())
    return said(bool(done),
                f"As a perceptron (Step), these weights and bias compute {done[0] if done else ''}: right on all "
                f"{rows} rows of its truth table. Only the weights and the bias make it that gate.",
                f"As a perceptron (Step), these weights and bias compute neither AND nor OR (rows right: {tried}). "
                "The XOR Lab's perceptron finds weights for AND by its learning rule; no weights give XOR.",
                **{f"{g.lower()}_right": s for g, s in scores.items()}, rows=rows)
