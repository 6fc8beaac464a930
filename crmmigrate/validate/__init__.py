"""Data-quality rules (our short YAML format) compiled to and run on Great Expectations.

```python
from crmmigrate.validate import validate, to_junit
report = validate(golden_df, ["golden", "rules/extra.yml"])
report.passed, report.errors, report.failures  # failures: one row per failing row per rule
```
"""

from __future__ import annotations

from .render import render_table, to_html, to_json, to_junit
from .report import FAILURE_COLUMNS, RuleResult, ValidationReport
from .rules import KINDS, Rule, load_rules
from .runner import run_rules, validate, validate_file
from .store import audit_store

__all__ = [
    "FAILURE_COLUMNS",
    "KINDS",
    "Rule",
    "RuleResult",
    "ValidationReport",
    "audit_store",
    "load_rules",
    "render_table",
    "run_rules",
    "to_html",
    "to_json",
    "to_junit",
    "validate",
    "validate_file",
]
