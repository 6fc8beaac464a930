"""Dedupe: find the same customer across and within sources, and build golden records.

The pipeline calls `dedupe(clean, settings, survivorship, known_ids=..., decisions=...)`.

Names are imported on first use: the config needs only the settings, and the matching machinery
(scipy, the comparisons' tables) would slow down every command's start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names

if TYPE_CHECKING:
    from .decisions import load_decisions
    from .explain import Explanation, PairExplanation, explain_cluster, explain_pair
    from .model import MatchModel
    from .result import DedupeResult, save_model
    from .settings import DedupeSettings, SurvivorshipSettings
    from .stage import dedupe

__all__ = [
    "DedupeResult",
    "DedupeSettings",
    "Explanation",
    "MatchModel",
    "PairExplanation",
    "SurvivorshipSettings",
    "dedupe",
    "explain_cluster",
    "explain_pair",
    "load_decisions",
    "save_model",
]

_LAZY = {
    "load_decisions": ".decisions",
    "Explanation": ".explain",
    "PairExplanation": ".explain",
    "explain_cluster": ".explain",
    "explain_pair": ".explain",
    "MatchModel": ".model",
    "DedupeResult": ".result",
    "save_model": ".result",
    "DedupeSettings": ".settings",
    "SurvivorshipSettings": ".settings",
    "dedupe": ".stage",
}


__getattr__ = lazy_names(__name__, _LAZY)
