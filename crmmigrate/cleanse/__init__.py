"""Standardisation: one module per kind of value (phone, country, address, name, email, date), and
the stage that composes them (`stage.standardise`).

Names are imported on first use: the config needs only `StandardiseOptions`, and loading every
standardiser's reference data would slow down each command's start (`crmmigrate --help` too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names

if TYPE_CHECKING:
    from .options import StandardiseOptions
    from .stage import standardise

__all__ = ["StandardiseOptions", "standardise"]

_LAZY = {"StandardiseOptions": ".options", "standardise": ".stage"}


__getattr__ = lazy_names(__name__, _LAZY)
