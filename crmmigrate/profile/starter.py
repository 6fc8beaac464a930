"""A starting run config from a set of exports (`crmmigrate init`): each file profiled, its draft
mapping written beside the config, and one `sources:` entry per file with what was detected
(encoding, delimiter, a header below a title)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import ConfigError
from ..tables import write_text
from .profiler import Profile, profile_file
from .render import draft_yaml
from .suggest import Suggestion, suggest


@dataclass(frozen=True)
class Started:
    """One export as the starter config takes it."""

    name: str
    path: Path
    mapping_path: Path
    profile: Profile
    suggestion: Suggestion


def source_name(path: Path, taken: set[str]) -> str:
    """A source name from the file name: lower case, words joined by `_`, unique in the config."""
    base = re.sub(r"[^0-9a-z]+", "_", path.stem.casefold()).strip("_") or "source"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _relative(path: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(path.resolve())


def start_config(
    files: list[Path], config_path: Path, *, mappings_dir: Path | None = None, overwrite: bool = False
) -> list[Started]:
    """Profile `files`, write a draft mapping for each and a run config naming them all. Nothing
    existing is overwritten unless `overwrite`."""
    if not files:
        raise ConfigError("name at least one export", hint="crmmigrate init exports/*.csv")
    mappings_dir = mappings_dir or config_path.parent / "mappings"
    taken: set[str] = set()
    started = []
    for path in files:
        name = source_name(path, taken)
        taken.add(name)
        profile = profile_file(path)
        started.append(Started(name, path, mappings_dir / f"{name}.yml", profile, suggest(profile)))
    targets = [config_path, *(s.mapping_path for s in started)]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not overwrite:
        raise ConfigError(
            f"would overwrite {', '.join(existing)}", hint="move them away, or give --force to replace them"
        )
    for s in started:
        write_text(s.mapping_path, draft_yaml(s.suggestion))
    write_text(config_path, config_text(started, config_path.parent))
    return started


def config_text(started: list[Started], base: Path) -> str:
    """The run config, with a comment above each source saying what was found."""
    lines = [
        "# Run config written by `crmmigrate init`: check the mappings it names, then",
        "#   crmmigrate run " + _relative(base / "crmmigrate.yml", Path.cwd()),
        "# Paths are relative to this file. See the README for every key.",
        "sources:",
    ]
    for s in started:
        p = s.profile
        found = f"{p.rows:,} records" + (f", {p.rejected:,} unreadable" if p.rejected else "")
        mapped = len(s.suggestion.spec.columns) + bool(s.suggestion.spec.key)
        lines.append(f"  # {found}; {mapped} columns mapped, {len(s.suggestion.unmapped)} left out")
        entry: dict[str, object] = {"name": s.name, "path": _relative(s.path, base)}
        if p.encoding and p.encoding.replace("_", "-").lower() not in ("utf-8", "utf8", "ascii"):
            entry["encoding"] = p.encoding
        if p.delimiter and p.delimiter != ",":
            entry["delimiter"] = p.delimiter
        if p.header_row:
            entry["header_row"] = p.header_row
        entry["mapping"] = _relative(s.mapping_path, base)
        block = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, default_flow_style=False)
        lines += ["  " + line for line in block.rstrip("\n").splitlines()]
    lines += [
        "# standardise: {default_country: DE}   # the country of national phone numbers without one",
        "rules: [golden]",
        "store: sqlite:///crm.db                 # or postgresql://user@host/db, mysql://user@host/db",
        "out: out",
        "",
    ]
    return "\n".join(lines)
