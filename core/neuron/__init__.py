"""One neuron, the tutorial's start: inputs, weights and a bias summed, then an activation from the engine's
registry (config: no torch at import, so Home's first chart stays fast; jobs, charts and claims import it)."""

from core.neuron.config import CHOICES, NeuronConfig  # noqa: F401
