"""The from-scratch network's maths, one block per function of :mod:`core.scratch.net`: a title, its LaTeX
and the function whose source the page shows beside it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from core.scratch import net


@dataclass(frozen=True)
class Block:
    """One step of the network: what it is, its equations (LaTeX lines), the functions that compute it."""

    title: str
    latex: tuple[str, ...]
    functions: tuple[Callable, ...]

    def source(self) -> str:
        """The functions' actual source, as the page and the script run them."""
        return "\n\n".join(inspect.getsource(f) for f in self.functions)


BLOCKS = (
    Block("Forward: layer by layer",
          (r"a^{(0)} = X \quad [N \times 64]",
           r"z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)}",
           r"a^{(l)} = f\big(z^{(l)}\big), \quad l < L",
           r"\text{logits} = z^{(L)} \quad [N \times 10]"),
          (net.forward,)),
    Block("Activation and its slope",
          (r"\mathrm{ReLU}(z) = \max(0, z)",
           r"\mathrm{ReLU}'(z) = [z > 0]",
           r"\tanh'(z) = 1 - \tanh^2 z",
           r"\sigma(z) = 1 / (1 + e^{-z})",
           r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))"),
          (net.activate, net.slope)),
    Block("Softmax and cross-entropy",
          (r"p_{nk} = \frac{e^{z_{nk}}}{\sum_j e^{z_{nj}}}",
           r"L = -\frac{1}{N} \sum_n \log p_{n, y_n}",
           r"\phantom{L} = \frac{1}{N} \sum_n \Big(\log \sum_j e^{z_{nj}} - z_{n, y_n}\Big)"),
          (net.softmax, net.cross_entropy)),
    Block("Backward: the chain rule, from the output back",
          (r"\delta^{(l)} = \partial L / \partial z^{(l)}",
           r"\delta^{(L)} = \frac{1}{N}\big(P - Y_{\text{one-hot}}\big)",
           r"\frac{\partial L}{\partial W^{(l)}} = a^{(l-1)\top} \delta^{(l)}",
           r"\frac{\partial L}{\partial b^{(l)}} = \sum_n \delta^{(l)}_n",
           r"\delta^{(l-1)} = \big(\delta^{(l)} W^{(l)\top}\big)",
           r"\qquad\quad \odot f'\big(z^{(l-1)}\big)"),
          (net.backward,)),
    Block("Update, first weights and the training loop",
          (r"W^{(l)} \leftarrow W^{(l)} - \eta\, \partial L / \partial W^{(l)}",
           r"b^{(l)} \leftarrow b^{(l)} - \eta\, \partial L / \partial b^{(l)}",
           r"W^{(l)}_{ij} \sim \mathcal{N}\big(0,\, 2 / n_{\text{in}}\big)",
           r"b^{(l)} = 0 \text{ at the start}"),
          (net.sgd_step, net.init, net.train)),
)
