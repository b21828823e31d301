"""What a shared server needs: what a request trains (workload), its cost (cost) and the budget check
(price), per-field caps (caps), the fair training queue (queue), result caches (cache, memory).
``check`` is the one check; it imports no page package."""

from core.serve.price import check, check_study

__all__ = ["check", "check_study"]
