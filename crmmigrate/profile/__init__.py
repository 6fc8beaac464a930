"""Profile an unknown export and draft its mapping.

`profile_file(path) -> Profile` (frozen), `suggest_mapping(profile) -> MappingSpec`, and the
renderers `profile_table` (rich) and `draft_yaml`.
"""

from __future__ import annotations

from .profiler import ColumnProfile, Profile, profile_file, profile_frame
from .render import draft_yaml, profile_table
from .suggest import Suggestion, suggest, suggest_mapping

__all__ = [
    "ColumnProfile",
    "Profile",
    "Suggestion",
    "draft_yaml",
    "profile_file",
    "profile_frame",
    "profile_table",
    "suggest",
    "suggest_mapping",
]
