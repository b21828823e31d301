"""The caps' check, under the name two page scripts (architectures, hyperparameters) still call
(``hosted.enforce``); everything else imports :mod:`core.serve.caps`, :mod:`core.serve.queue` and
:mod:`core.serve.price` directly. Delete this module once those pages check through ``ui.widgets``."""

from core.serve.caps import LimitError, enforce

__all__ = ["LimitError", "enforce"]
