"""Built-in mapping templates for known legacy exports, and their loader.

A template is a YAML file beside this module (`salesforce-contact.yml` ...) holding a
`MappingSpec`. A source's `mapping:` is a template name, a path to a YAML file (relative to the
config file), or an inline mapping.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from ..errors import MappingError
from .spec import ColumnRule, MappingSpec

if TYPE_CHECKING:
    from ..config import RunConfig, SourceConfig

__all__ = [
    "ColumnRule",
    "MappingSpec",
    "list_templates",
    "load_mapping_file",
    "load_template",
    "mapping_yaml",
    "parse_mapping",
    "resolve_mapping",
    "template_names",
]

YAML_SUFFIXES = (".yml", ".yaml")


def _template_files() -> dict[str, Any]:
    root = resources.files(__package__)
    return {
        entry.name.rsplit(".", 1)[0]: entry for entry in root.iterdir() if entry.name.endswith(YAML_SUFFIXES)
    }


def template_names() -> list[str]:
    return sorted(_template_files())


def parse_mapping(data: Any, *, file: str | None = None) -> MappingSpec:
    """A MappingSpec from parsed YAML; accepts the spec itself or `{mapping: {...}}` around it."""
    if isinstance(data, dict) and set(data) == {"mapping"}:
        data = data["mapping"]
    if not isinstance(data, dict):
        raise MappingError("a mapping must be a YAML mapping with `columns:`", file=file)
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        problems = sorted({f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()})
        raise MappingError(
            "invalid mapping:\n  " + "\n  ".join(problems),
            file=file,
            hint="see `crmmigrate mappings show salesforce-contact` for an example",
        ) from None


@lru_cache(maxsize=64)
def _load_template_cached(name: str) -> MappingSpec:
    entry = _template_files()[name]
    spec = parse_mapping(yaml.safe_load(entry.read_text(encoding="utf-8")), file=entry.name)
    return spec if spec.name else spec.model_copy(update={"name": name})


def load_template(name: str) -> MappingSpec:
    """A built-in template; an unknown name raises MappingError naming the nearest ones."""
    if name not in _template_files():
        names = template_names()
        near = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(near)}?" if near else f"built-in templates: {', '.join(names)}"
        raise MappingError(f"unknown mapping template {name!r}", hint=hint + " (`crmmigrate mappings list`)")
    return _load_template_cached(name).model_copy(deep=True)


def list_templates() -> list[tuple[str, str]]:
    """(name, description) of every built-in template, sorted by name."""
    return [(name, _load_template_cached(name).description or "") for name in template_names()]


def load_mapping_file(path: str | Path) -> MappingSpec:
    path = Path(path)
    if not path.exists():
        raise MappingError("mapping file not found", file=str(path), hint="check the path in `mapping:`")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        raise MappingError(f"YAML syntax error: {exc}", file=str(path)) from None
    return parse_mapping(data, file=str(path))


def looks_like_path(ref: str) -> bool:
    return ref.lower().endswith(YAML_SUFFIXES) or "/" in ref or "\\" in ref


def resolve_mapping(source: SourceConfig, config: RunConfig | None = None) -> MappingSpec:
    """The source's mapping: inline, a YAML file (relative to the config), or a template name."""
    ref = source.mapping
    if isinstance(ref, MappingSpec):
        return ref
    if looks_like_path(ref):
        return load_mapping_file(config.resolve(ref) if config is not None else Path(ref))
    try:
        return load_template(ref)
    except MappingError as exc:
        exc.message = f"source {source.name!r}: {exc.message}"
        raise


def _rule_data(rule: ColumnRule) -> str | dict[str, Any]:
    data = rule.model_dump(exclude_defaults=True)
    return data["column"] if set(data) == {"column"} else data


def mapping_yaml(spec: MappingSpec, *, comments: dict[str, str] | None = None) -> str:
    """A mapping as YAML in the short form people write by hand; `comments` go after a target."""
    data: dict[str, Any] = {}
    for name in ("name", "description", "key"):
        if getattr(spec, name):
            data[name] = getattr(spec, name)
    lines = [yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000).rstrip()] if data else []
    lines.append("columns:")
    for target, rule in spec.columns.items():
        data_rule = _rule_data(rule)
        if isinstance(data_rule, dict):
            flow = yaml.safe_dump(data_rule, default_flow_style=True, allow_unicode=True, width=1000).strip()
            value = f"{target}: {flow}"
        else:
            value = yaml.safe_dump({target: data_rule}, allow_unicode=True, width=1000).strip()
        note = (comments or {}).get(target)
        lines.append("  " + value + (f"  # {note}" if note else ""))
    if spec.keep:
        lines.append(yaml.safe_dump({"keep": spec.keep}, allow_unicode=True, default_flow_style=None).strip())
    return "\n".join(lines) + "\n"
