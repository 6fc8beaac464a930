"""The rule format: short YAML that reads like a checklist and compiles to GX expectations.

```yaml
rules:
  - name: customer id present
    column: customer_id
    check: not_null
  - {name: one record per email, column: email, check: unique}
  - {name: not stale, column: updated_at, check: not_older_than, months: 24, severity: warning}
```

Every file is checked completely before anything runs, and every problem (YAML syntax, unknown
check or key with the nearest valid one, missing or ill-typed option, duplicate name) is reported
in one ConfigError with its file and line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "rules"
SEVERITIES = ("error", "warning")
COMMON_KEYS = ("name", "check", "severity", "description", "mostly", "personal")


@dataclass(frozen=True)
class KindSpec:
    """What a check accepts: its target (one column, several, or the table) and its options."""

    target: str  # "column", "columns", "column_or_columns", "table"
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()  # at least one of these options must be given
    summary: str = ""

    def allowed_keys(self) -> tuple[str, ...]:
        target = {"column": ("column",), "columns": ("columns",), "table": ()}.get(
            self.target, ("column", "columns")
        )
        return COMMON_KEYS + target + self.required + self.optional + self.one_of


KINDS: dict[str, KindSpec] = {
    "not_null": KindSpec("column", summary="every row has a value"),
    "unique": KindSpec("column_or_columns", summary="no value (or combination) appears twice"),
    "in_set": KindSpec("column", required=("values",), summary="values are among `values`"),
    "regex": KindSpec("column", required=("pattern",), summary="the whole value matches `pattern`"),
    "between": KindSpec("column", one_of=("min", "max"), summary="numbers between `min` and `max`"),
    "length": KindSpec("column", one_of=("min", "max"), summary="text length between `min` and `max`"),
    "email": KindSpec("column", summary="a well-formed e-mail address"),
    "e164": KindSpec("column", summary="a phone number in E.164 form (+4930123456)"),
    "iso_country": KindSpec("column", summary="an ISO 3166-1 alpha-2 country code"),
    "postal_code": KindSpec(
        "column", optional=("country_column",), summary="a postal code of the row's country"
    ),
    "date_not_in_future": KindSpec("column", summary="a date that is not after today"),
    "not_older_than": KindSpec("column", one_of=("months", "days"), summary="updated recently enough"),
    "status_is": KindSpec("column", optional=("values",), summary="a status column equals `valid`"),
    "any_not_null": KindSpec("columns", summary="at least one of `columns` has a value"),
    "row_count_between": KindSpec("table", one_of=("min", "max"), summary="the number of rows"),
    "xref_points_to_golden": KindSpec(
        "table",
        optional=("column", "related"),
        summary="every cross-reference row's customer_id is a golden record",
    ),
}


@dataclass(frozen=True)
class Rule:
    """One parsed rule. `options` holds the check's own keys (values, pattern, min, ...)."""

    name: str
    check: str
    columns: tuple[str, ...] = ()
    severity: str = "error"
    description: str = ""
    mostly: float | None = None
    personal: bool | None = None  # override of the built-in list of personal columns
    options: Mapping[str, Any] = field(default_factory=dict)
    rule_set: str = ""  # the file stem (`golden`), used to group results
    file: str = ""
    line: int | None = None

    @property
    def column(self) -> str | None:
        return self.columns[0] if len(self.columns) == 1 else None

    @property
    def column_label(self) -> str:
        return ", ".join(self.columns)


def _nearest(word: str, choices: Sequence[str]) -> str:
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_option_types(kind: str, raw: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for key in ("min", "max", "months", "days"):
        if key in raw and raw[key] is not None and not _is_number(raw[key]):
            problems.append(f"{key!r} must be a number, got {raw[key]!r}")
    for key in ("months", "days"):
        if key in raw and _is_number(raw[key]) and raw[key] <= 0:
            problems.append(f"{key!r} must be positive")
    if "values" in raw and (not isinstance(raw["values"], list) or not raw["values"]):
        problems.append("'values' must be a non-empty list")
    if kind == "regex" and "pattern" in raw:
        try:
            re.compile(str(raw["pattern"]))
        except re.error as exc:
            problems.append(f"'pattern' is not a valid regular expression ({exc})")
    if "mostly" in raw and not (_is_number(raw["mostly"]) and 0 <= raw["mostly"] <= 1):
        problems.append(f"'mostly' must be a share between 0 and 1, got {raw['mostly']!r}")
    if raw.get("severity", "error") not in SEVERITIES:
        problems.append(f"'severity' must be one of {', '.join(SEVERITIES)}, got {raw['severity']!r}")
    if "personal" in raw and not isinstance(raw["personal"], bool):
        problems.append("'personal' must be true or false")
    return problems


def _targets(spec: KindSpec, raw: Mapping[str, Any]) -> tuple[tuple[str, ...], list[str]]:
    """The columns a rule is about, and the problems with how they were given."""
    if spec.target == "table":
        column = raw.get("column")
        return ((str(column),) if column else ()), []
    column, columns = raw.get("column"), raw.get("columns")
    if column is not None and columns is not None:
        return (), ["give either 'column' or 'columns', not both"]
    if spec.target in ("column", "column_or_columns") and isinstance(column, str) and column:
        return (column,), []
    if spec.target in ("columns", "column_or_columns") and columns is not None:
        if isinstance(columns, list) and columns and all(isinstance(c, str) and c for c in columns):
            return tuple(columns), []
        return (), ["'columns' must be a non-empty list of column names"]
    wanted = {"column": "'column'", "columns": "'columns' (a list)"}.get(spec.target, "'column' or 'columns'")
    return (), [f"needs {wanted}"]


def parse_rule(
    raw: Any, *, rule_set: str = "", file: str = "", line: int | None = None
) -> tuple[Rule | None, list[str]]:
    """A Rule from one YAML mapping, or None and the list of problems found in it."""
    if not isinstance(raw, dict):
        return None, ["a rule must be a mapping with at least 'name' and 'check'"]
    problems: list[str] = []
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("needs a 'name'")
    kind = raw.get("check")
    if kind not in KINDS:
        got = "missing" if kind is None else f"unknown check {kind!r}{_nearest(str(kind), list(KINDS))}"
        problems.append(f"'check' {got}; known checks: {', '.join(KINDS)}")
        return None, problems
    spec = KINDS[kind]
    allowed = spec.allowed_keys()
    for key in raw:
        if key not in allowed:
            problems.append(f"unknown key {key!r} for check {kind!r}{_nearest(str(key), allowed)}")
    problems += [f"needs {key!r}" for key in spec.required if key not in raw]
    if spec.one_of and not any(raw.get(k) is not None for k in spec.one_of):
        problems.append(f"needs at least one of {', '.join(repr(k) for k in spec.one_of)}")
    columns, target_problems = _targets(spec, raw)
    problems += target_problems + _check_option_types(kind, raw)
    if problems:
        return None, problems
    options = {k: v for k, v in raw.items() if k not in COMMON_KEYS + ("column", "columns")}
    rule = Rule(
        name=name.strip(),
        check=kind,
        columns=columns,
        severity=raw.get("severity", "error"),
        description=str(raw.get("description") or KINDS[kind].summary),
        mostly=float(raw["mostly"]) if raw.get("mostly") is not None else None,
        personal=raw.get("personal"),
        options=options,
        rule_set=rule_set,
        file=file,
        line=line,
    )
    return rule, []


def _rule_lines(text: str) -> list[int | None]:
    """1-based line of each rule in the file (for messages), from the YAML node tree."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    node = root
    if isinstance(root, yaml.MappingNode):
        node = next((v for k, v in root.value if getattr(k, "value", None) == "rules"), None)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def parse_rules_text(text: str, *, file: str = "", rule_set: str = "") -> tuple[list[Rule], list[str]]:
    """Rules from the text of one rules file, and every problem found, each prefixed by place."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}, line {mark.line + 1}" if mark is not None else file
        return [], [f"{where}: YAML syntax error: {getattr(exc, 'problem', None) or exc}"]
    items = data.get("rules") if isinstance(data, dict) else data
    if isinstance(data, dict):
        extra = [k for k in data if k != "rules"]
        if extra:
            return [], [f"{file}: unknown top-level key {extra[0]!r}{_nearest(str(extra[0]), ['rules'])}"]
    if not isinstance(items, list):
        return [], [f"{file}: expected a list of rules under 'rules:'"]
    lines = _rule_lines(text)
    rules: list[Rule] = []
    problems: list[str] = []
    for i, raw in enumerate(items):
        line = lines[i] if i < len(lines) else None
        rule, found = parse_rule(raw, rule_set=rule_set, file=file, line=line)
        label = raw.get("name") if isinstance(raw, dict) and raw.get("name") else f"#{i + 1}"
        where = f"{file}, line {line}" if line else file
        problems += [f"{where}: rule {label!r}: {p}" for p in found]
        if rule is not None:
            rules.append(rule)
    return rules, problems


def _qualify_shared_names(rules: list[Rule]) -> list[Rule]:
    """A name used in two different files becomes `<set>: <name>` in both, so combining a
    built-in set with your own file never clashes; a name twice in ONE file stays an error."""
    files_of: dict[str, set[str]] = {}
    for rule in rules:
        files_of.setdefault(rule.name, set()).add(rule.file)
    return [
        replace(rule, name=f"{rule.rule_set}: {rule.name}") if len(files_of[rule.name]) > 1 else rule
        for rule in rules
    ]


def builtin_sets() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yml"))


def resolve_ref(ref: str | Path, base_dir: Path | None = None) -> Path | None:
    """The file a rule reference names: a path (relative to base_dir, else CWD) or a built-in set."""
    path = Path(ref).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    if path.is_file():
        return path
    builtin = BUILTIN_DIR / f"{ref}.yml"
    if isinstance(ref, str) and re.fullmatch(r"[A-Za-z0-9_-]+", ref) and builtin.is_file():
        return builtin
    return None


def load_rules(refs: Sequence[str | Path], *, base_dir: Path | None = None) -> tuple[Rule, ...]:
    """Every rule of every referenced file; all problems in one ConfigError, before any run."""
    if isinstance(refs, (str, Path)):
        refs = [refs]
    rules: list[Rule] = []
    problems: list[str] = []
    if not refs:
        problems.append(f"no rules given: pass a rules file or a built-in set ({', '.join(builtin_sets())})")
    for ref in refs:
        path = resolve_ref(ref, base_dir)
        if path is None:
            hint = _nearest(str(ref), builtin_sets())
            problems.append(
                f"{ref}: rules file not found and not a built-in set{hint} "
                f"(built-in sets: {', '.join(builtin_sets())})"
            )
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read the rules file ({exc})")
            continue
        found, file_problems = parse_rules_text(text, file=str(ref), rule_set=path.stem)
        rules += found
        problems += file_problems
    rules = _qualify_shared_names(rules)
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.name in seen:
            problems.append(
                f"{rule.file}, line {rule.line}: rule name {rule.name!r} is already used "
                f"({seen[rule.name].file}, line {seen[rule.name].line}); names must be unique"
            )
        seen.setdefault(rule.name, rule)
    if problems:
        raise ConfigError(
            f"{len(problems)} problem(s) in the rules:\n  " + "\n  ".join(problems),
            hint="see the rule format in crmmigrate/validate/rules.py (checks: " + ", ".join(KINDS) + ")",
        )
    return tuple(rules)
