"""Where evaluations run. A backend maps tasks to results, in task order; nothing more.

Backends never touch the strategy, so a backend cannot change what a run computes.
"""

from esrl.es.backends.base import Backend, make_backend

__all__ = ["Backend", "make_backend"]
