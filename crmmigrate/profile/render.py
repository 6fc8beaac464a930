"""Renderers of a profile: a rich table for the terminal and the draft mapping as YAML."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from ..mappings import mapping_yaml
from .patterns import mask
from .profiler import Profile
from .suggest import Suggestion


def profile_table(profile: Profile, *, show_values: bool = False) -> Table:
    where = f"{profile.rows:,} records"
    if profile.truncated:
        where += " (the first ones only)"
    if profile.rejected:
        where += f", {profile.rejected:,} unreadable"
    details = [profile.format]
    if profile.files:
        details.append(f"{profile.files} file{'s' if profile.files != 1 else ''}")
    if profile.encoding:
        details.append(profile.encoding)
    if profile.delimiter:
        details.append({"\t": "tab"}.get(profile.delimiter, repr(profile.delimiter)))
    if profile.header_row:
        details.append(f"header on line {profile.header_row}: header_row: {profile.header_row}")
    table = Table(title=escape(f"{profile.path}: {where} ({', '.join(details)})"), title_justify="left")
    for heading in ("column", "filled", "distinct", "kind", "patterns", "top values"):
        table.add_column(
            heading, overflow="fold", justify="right" if heading in ("filled", "distinct") else "left"
        )
    for col in profile.columns:
        hide = col.personal and not show_values
        top = ", ".join(f"{mask(v) if hide else v} ({n})" for v, n in col.top_values[:3])
        shapes = ", ".join(p for p, _ in col.patterns[:3])
        kind = col.kind + (f" {col.date_format}" if col.date_format else "")
        table.add_row(
            escape(col.name),
            f"{col.fill_rate:.0%}",
            f"{col.distinct:,}",
            escape(kind),
            escape(shapes),
            escape(top),
        )
    return table


def draft_yaml(suggestion: Suggestion) -> str:
    """The draft mapping with the reason for each line and the columns left out, ready to edit."""
    head = "# Draft mapping written by `crmmigrate profile`: check every line before use.\n"
    body = mapping_yaml(suggestion.spec, comments=suggestion.notes)
    tail = ""
    if suggestion.unmapped:
        listed = ", ".join(suggestion.unmapped)
        tail = f"# Not mapped (add them under keep: to carry them as custom fields): {listed}\n"
    return head + body + tail
