"""Names of a package that load their module on first use (PEP 562).

Keeps `import esrl.a2c` (and the CLI, which reads configs) free of torch's
seconds-long import until a name that needs it is used.
"""

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `where[name]` and returns its `name`."""

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
