"""Renderers of a ValidationReport: JSON, JUnit XML, a self-contained HTML page, a rich table,
and the failing rows as `validation_failures.csv`. Each takes the frozen report and nothing else.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from rich.table import Table

from .report import RuleResult, ValidationReport


def _rule_dict(r: RuleResult) -> dict[str, Any]:
    return {
        "name": r.name,
        "rule_set": r.rule_set,
        "kind": r.kind,
        "columns": list(r.columns),
        "severity": r.severity,
        "description": r.description,
        "success": r.success,
        "element_count": r.element_count,
        "unexpected_count": r.unexpected_count,
        "unexpected_percent": round(r.unexpected_percent, 4),
        "mostly": r.mostly,
        "sample": list(r.sample),
        "where": list(r.where),
        "message": r.message,
    }


def to_json(report: ValidationReport) -> str:
    """Every rule with its counts; `passed` is the gate (no failed error rule)."""
    data = {
        "passed": report.passed,
        "rows": report.rows,
        "counts": report.counts,
        "failed_rules": [r.name for r in report.results if not r.success],
        "rules": [_rule_dict(r) for r in report.results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _system_out(r: RuleResult) -> str:
    sample = f"\nsample (masked): {', '.join(r.sample)}" if r.sample else ""
    where = f"\nfirst failing rows: {', '.join(r.where)} (column {r.column})" if r.where else ""
    return f"{r.severity.upper()}: {r.name}: {r.message}{where}{sample}"


def to_junit(report: ValidationReport) -> str:
    """One testcase per rule, grouped in one testsuite per rule set.

    A failed `error` rule is a <failure> (it fails the gate, so CI shows it red). A failed
    `warning` rule is a PASSING testcase whose <system-out> starts with "WARNING:": Jenkins,
    GitLab and GitHub test reporters show system-out on the test's page, while the build's
    failure count matches the gate exactly. <skipped> was rejected: it tells readers the rule
    did not run, which is false and hides real findings among genuinely skipped tests.
    """
    root = ET.Element("testsuites", name="crmmigrate validate")
    suites: dict[str, list[RuleResult]] = {}
    for r in report.results:
        suites.setdefault(r.rule_set or "rules", []).append(r)
    for suite_name, results in suites.items():
        failed = [r for r in results if not r.success and r.severity == "error"]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=suite_name,
            tests=str(len(results)),
            failures=str(len(failed)),
            errors="0",
            skipped="0",
        )
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=f"crmmigrate.rules.{suite_name}", name=r.name)
            if r.success:
                continue
            if r.severity == "error":
                failure = ET.SubElement(
                    case, "failure", message=f"{r.name}: {r.unexpected_count} failing rows", type=r.kind
                )
                failure.text = _system_out(r)
            else:
                ET.SubElement(case, "system-out").text = _system_out(r)
    root.set("tests", str(len(report.results)))
    root.set("failures", str(len(report.errors)))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + NOT_XML.sub(_escaped, text) + "\n"


#: Characters XML 1.0 cannot hold, even escaped (a failing value may carry them from a legacy file).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f4f4f4}.ok{color:#17692e}.error{color:#b00020;font-weight:bold}
.warning{color:#8a5a00;font-weight:bold}code{font-size:90%}"""


def _status(r: RuleResult) -> tuple[str, str]:
    if r.success:
        return "ok", "passed"
    return r.severity, "failed" if r.severity == "error" else "warning"


def to_html(report: ValidationReport) -> str:
    """A self-contained page (inline CSS, no scripts); every value is HTML-escaped."""
    e = html.escape
    rows = []
    for r in report.results:
        css, label = _status(r)
        sample = ", ".join(f"<code>{e(v)}</code>" for v in r.sample)
        rows.append(
            f"<tr><td class='{css}'>{e(label)}</td><td>{e(r.name)}</td><td>{e(r.severity)}</td>"
            f"<td>{e(r.column)}</td><td>{e(r.kind)}</td><td>{r.unexpected_count}</td>"
            f"<td>{r.unexpected_percent:.2f}%</td><td>{sample}</td><td>{e(r.message)}</td></tr>"
        )
    verdict = "passed" if report.passed else "FAILED"
    c = report.counts
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>crmmigrate validation: {verdict}</title><style>{_CSS}</style></head><body>"
        f"<h1>Validation {e(verdict)}</h1><p>{report.rows} rows, {c['rules']} rules: {c['passed']} passed, "
        f"{c['errors']} failed errors, {c['warnings']} warnings. Personal values are masked.</p>"
        "<table><thead><tr><th>status</th><th>rule</th><th>severity</th><th>column</th><th>check</th>"
        "<th>failing rows</th><th>%</th><th>sample</th><th>message</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )


def render_table(report: ValidationReport) -> Table:
    """The terminal view: one line per rule, failed ones first."""
    from rich.markup import escape

    ordered = sorted(report.results, key=lambda r: (r.success, r.severity != "error"))
    verdict = "[green]passed[/]" if report.passed else "[bold red]FAILED[/]"
    table = Table(title=f"Validation {verdict}: {report.rows} rows", title_justify="left")
    for name in ("rule", "severity", "column", "failed rows", "%", "sample (masked)"):
        right = name in ("failed rows", "%")
        table.add_column(name, justify="right" if right else "left", overflow="fold")
    for r in ordered:
        style = "green" if r.success else ("red" if r.severity == "error" else "yellow")
        mark = "✓" if r.success else "✗"
        sample = ", ".join(r.sample) if r.sample else ("" if r.success else r.message)
        table.add_row(
            f"[{style}]{mark}[/] {escape(r.name)}",
            r.severity,
            escape(r.column),
            str(r.unexpected_count),
            f"{r.unexpected_percent:.2f}",
            escape(sample),
        )
    return table


def _md(text: object) -> str:
    """Text safe inside a Markdown table cell (and free of HTML)."""
    return html.escape(str(text)).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: ValidationReport) -> str:
    """A short summary for a pull request (or `$GITHUB_STEP_SUMMARY`): the verdict and the failed
    rules with their first failing rows; values are never shown."""
    c = report.counts
    verdict = "✅ passed" if report.passed else "❌ failed"
    lines = [
        f"### Data-quality gate: {verdict}",
        "",
        f"{c['rules']} rules on {report.rows} rows: {c['errors']} errors, {c['warnings']} warnings.",
    ]
    failed = [r for r in report.results if not r.success]
    if failed:
        lines += [
            "",
            "| rule | severity | column | failing rows | first failing rows |",
            "|---|---|---|---:|---|",
        ]
        lines += [
            f"| {_md(r.name)} | {r.severity} | {_md(r.column)} | {r.unexpected_count} | "
            f"{_md(', '.join(r.where)) or '—'} |"
            for r in failed
        ]
    return "\n".join(lines) + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: ValidationReport) -> str:
    """GitHub Actions workflow commands: an `::error` (or `::warning`) annotation per failed rule,
    on its first failing row's file and line where the rows come from a file."""
    lines = []
    for r in report.results:
        if r.success:
            continue
        level = "error" if r.severity == "error" else "warning"
        props = [f"title={_gh_property(r.name)}"]
        if r.where and ":" in r.where[0]:
            file, _, line = r.where[0].rpartition(":")
            if line.isdigit():
                props = [f"file={_gh_property(file)}", f"line={line}", *props]
        message = f"column {r.column}: {r.message}" + (f" (rows {', '.join(r.where)})" if r.where else "")
        lines.append(f"::{level} {','.join(props)}::{_gh_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
