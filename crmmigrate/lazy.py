"""Names a package exports but imports on first use, so that importing it (and the CLI's start)
stays fast: `__getattr__ = lazy_names(__name__, {"name": ".module", ...})`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(package: str, modules: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `name` from its module in `package` when first asked."""

    def __getattr__(name: str) -> Any:
        if name in modules:
            return getattr(importlib.import_module(modules[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
