"""What a shared server needs: the price of a request and its budget check (price), per-field caps
(caps), the fair training queue (queue), result caches (cache, memory). ``check`` is the one check."""

from core.serve.price import check, check_study

__all__ = ["check", "check_study"]
