"""Standardisation: one module per kind of value (phone, country, address, name, email, date), and
the stage that composes them (`stage.standardise`).

Names are imported on first use: the config needs only `StandardiseOptions`, and loading every
standardiser's reference data would slow down each command's start (`crmmigrate --help` too).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .options import StandardiseOptions
    from .stage import standardise

__all__ = ["StandardiseOptions", "standardise"]

_LAZY = {"StandardiseOptions": ".options", "standardise": ".stage"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
