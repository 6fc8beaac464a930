"""Dedupe: find the same customer across and within sources, and build golden records.

The pipeline calls `dedupe(clean, settings, survivorship, known_ids=..., decisions=...)`.
"""

from __future__ import annotations

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
