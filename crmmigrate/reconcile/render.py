"""Renderers of a reconciliation: JSON for tools, HTML for people, Markdown for a pull request.

The HTML is one self-contained file. It escapes every value and holds counts only: no names,
emails or other personal data of any customer ever reach it.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from ..errors import InputError
from .charts import bar_chart
from .model import Reconciliation


def to_json(rec: Reconciliation) -> str:
    return json.dumps(rec.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def load_json(path: str | Path) -> Reconciliation:
    """Read `reconciliation.json` back (what `crmmigrate reconcile --out DIR` prints)."""
    path = Path(path)
    try:
        return Reconciliation.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), hint="run `crmmigrate run` first") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a reconciliation report ({exc})", file=str(path)) from None


def _or_na(value: object) -> str:
    return "n/a" if value is None else str(value)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


# -- Markdown ----------------------------------------------------------------------------------


def _md(text: object) -> str:
    """Text safe inside a Markdown table cell (and free of HTML)."""
    return escape(str(text)).replace("|", "\\|").replace("\n", " ")


def to_markdown(rec: Reconciliation) -> str:
    verdict = "✅ balanced" if rec.balanced else "❌ NOT balanced"
    pilot = f" (PILOT: a sample of {_md(rec.extra['sample'])})" if rec.extra.get("sample") else ""
    lines = [
        f"### Reconciliation `{_md(rec.run_id)}`{pilot}: {verdict}",
        "",
        "| source | read | rejected | staged |",
        "|---|---:|---:|---:|",
    ]
    for name, c in rec.sources.items():
        files = f" ({len(c.files)} files)" if c.files else ""
        lines.append(f"| {_md(name)}{files} | {c.read} | {c.rejected} | {c.staged} |")
    lines += [
        "",
        f"Golden records: **{rec.golden_records}** from {rec.golden_members} rows "
        f"({rec.merged_clusters} merged clusters, merge rate {_pct(rec.merge_rate)}).",
    ]
    if rec.load:
        c = rec.load["tables"].get("customers", {})
        verb = "would insert" if rec.load.get("dry_run") else "inserted"
        lines.append(
            f"Store: {verb} {c.get('inserts', 0)}, updated {c.get('updates', 0)}, "
            f"unchanged {c.get('unchanged', 0)}; holds {_or_na(rec.store_customers)}."
        )
    run = rec.extra.get("run")
    if isinstance(run, dict):
        lines.append(
            f"Run started {_md(run.get('started', '?'))}, {_md(run.get('seconds', '?'))} s to the report, "
            f"crmmigrate {_md(run.get('tool_version', '?'))}, config sha256 "
            f"`{_md(str(run.get('config_sha256') or 'n/a')[:12])}`."
        )
    validation = rec.extra.get("validation")
    if isinstance(validation, dict):
        lines.append(f"Validation: {_validation_counts(validation)}")
    failed = [c for c in rec.checks if not c.passed]
    lines.append("")
    lines += [f"- ❌ {_md(c.name)}: {_md(c.detail)}" for c in failed] or [
        f"All {len(rec.checks)} checks pass."
    ]
    return "\n".join(lines) + "\n"


# -- HTML --------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:60rem;
color:#1d232a;padding:0 1rem}
h1{font-size:1.4rem}.verdict{font-size:2.6rem;font-weight:700;padding:.6rem 1rem;border-radius:.4rem}
.ok{background:#e3f6e8;color:#14532d}.bad{background:#fde8e8;color:#7f1d1d}
table{border-collapse:collapse;margin:1rem 0}th,td{border-bottom:1px solid #d0d7de;padding:.3rem .7rem}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{text-align:left;background:#f6f8fa}
li.pass::marker{content:"✔ ";color:#15803d}li.fail::marker{content:"✘ ";color:#b91c1c}
svg text{font-size:12px;fill:#1d232a}svg .track{fill:#eef1f4}svg .bar{fill:#3b82f6}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}.muted{color:#57606a}
"""


def _table(headers: list[str], rows: list[list[object]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(str(v))}</td>' if i >= numeric_from else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sources(rec: Reconciliation) -> str:
    rows = []
    for name, c in rec.sources.items():
        reasons = ", ".join(f"{k}: {v}" for k, v in c.rejected_by_reason.items()) or "—"
        unmapped = ", ".join(c.unmapped_columns) or "—"
        rows.append([name, c.read, c.rejected, c.staged, reasons, unmapped])
    return _table(["source", "read", "rejected", "staged", "rejected by reason", "unmapped columns"], rows)


def _files(rec: Reconciliation) -> str:
    """The files of glob and directory sources, each with its rows (`source_row`) and counts."""
    rows = [
        [
            name,
            f.file,
            f"{f.first_row}–{f.first_row + f.read - 1}" if f.read else "—",
            f.read,
            f.rejected,
            f.staged,
        ]
        for name, c in rec.sources.items()
        for f in c.files
    ]
    if not rows:
        return ""
    table = _table(["source", "file", "source rows", "read", "rejected", "staged"], rows, numeric_from=3)
    return f"<h3>Files</h3>{table}"


def _checks(rec: Reconciliation) -> str:
    items = "".join(
        f'<li class="{"pass" if c.passed else "fail"}"><strong>{escape(c.name)}</strong> '
        f'<span class="muted">{escape(c.detail)}</span></li>'
        for c in rec.checks
    )
    return f"<ul>{items}</ul>"


def _store(rec: Reconciliation) -> str:
    if not rec.load:
        return '<p class="muted">Nothing was loaded in this run.</p>'
    rows = [[t, c["inserts"], c["updates"], c["unchanged"]] for t, c in rec.load.get("tables", {}).items()]
    note = " (dry run: nothing was written)" if rec.load.get("dry_run") else ""
    store = escape(str(rec.load.get("store", "")))
    return (
        f"<p>Store {store}{escape(note)}; it holds {escape(_or_na(rec.store_customers))} customers. "
        f"Checksums: golden <code>{escape(rec.golden_checksum[:16])}</code>, store "
        f"<code>{escape((rec.store_checksum or 'n/a')[:16])}</code>.</p>"
        + _table(["table", "inserts", "updates", "unchanged"], rows)
    )


def _charts(rec: Reconciliation) -> str:
    parts = []
    golden_fill = [(f, r.get("golden") or 0.0, _pct(r.get("golden"))) for f, r in rec.fill_rates.items()]
    parts.append(bar_chart("Field fill rate in the golden set", golden_fill, maximum=1.0))
    clean_fill = [
        (f, r["clean"], _pct(r["clean"])) for f, r in rec.fill_rates.items() if r.get("clean") is not None
    ]
    parts.append(bar_chart("Field fill rate after standardising (before dedupe)", clean_fill, maximum=1.0))
    sizes = [(f"{k} rows", float(v), str(v)) for k, v in rec.cluster_sizes.items()]
    parts.append(bar_chart("Golden records by cluster size", sizes))
    scores = [(f"{lo:.1f}–{hi:.1f}", float(n), str(n)) for lo, hi, n in rec.match_scores]
    parts.append(bar_chart("Match scores of the cross-reference", scores))
    return "".join(parts)


def _standardisation(rec: Reconciliation) -> str:
    if not rec.standardisation:
        return '<p class="muted">No standardisation outcomes were recorded.</p>'
    statuses = sorted({s for counts in rec.standardisation.values() for s in counts})
    rows = [[f, *(counts.get(s, 0) for s in statuses)] for f, counts in rec.standardisation.items()]
    return _table(["field", *statuses], rows)


def _run(rec: Reconciliation) -> str:
    run = rec.extra.get("run")
    if not isinstance(run, dict):
        return ""
    facts = (
        f"Started {run.get('started', '?')}; {run.get('seconds', '?')} s up to this report; "
        f"crmmigrate {run.get('tool_version', '?')}; config sha256 {run.get('config_sha256') or 'n/a'}"
        + ("; a dry run" if rec.extra.get("dry_run") else "")
        + ("; loaded with --force despite validation errors" if rec.extra.get("forced") else "")
        + (f"; a pilot sample of {rec.extra['sample']}" if rec.extra.get("sample") else "")
        + "."
    )
    stages = [
        [s.get("stage", "?"), "ok" if s.get("ok", True) else "blocked", s.get("seconds", "")]
        for s in run.get("stages", [])
    ]
    return f"<h2>Run</h2><p>{escape(facts)}</p>" + _table(
        ["stage", "outcome", "seconds"], stages, numeric_from=2
    )


def _validation_counts(validation: dict) -> str:
    return (
        f"{validation.get('rules', 0)} rules, {validation.get('errors', 0)} errors, "
        f"{validation.get('warnings', 0)} warnings."
    )


def _validation(rec: Reconciliation) -> str:
    validation = rec.extra.get("validation")
    if not isinstance(validation, dict):
        return ""
    said = _validation_counts(validation)
    failed = [[f["name"], f["severity"], f["failing_rows"]] for f in validation.get("failed", [])]
    table = _table(["failed rule", "severity", "failing rows"], failed, numeric_from=2) if failed else ""
    return f"<h2>Validation</h2><p>{escape(said)} Details: validation.json.</p>{table}"


def to_html(rec: Reconciliation) -> str:
    ok = rec.balanced
    verdict = "BALANCED" if ok else "NOT BALANCED"
    failed = sum(not c.passed for c in rec.checks)
    summary = (
        f"{rec.golden_records} golden records from {rec.golden_members} source rows; "
        f"{rec.merged_clusters} merged clusters (merge rate {_pct(rec.merge_rate)}); "
        f"{len(rec.checks) - failed} of {len(rec.checks)} checks pass."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Reconciliation {escape(rec.run_id)}</title><style>{CSS}</style></head><body>"
        f"<h1>Reconciliation of run <code>{escape(rec.run_id)}</code>"
        + (f" — PILOT, a sample of {escape(str(rec.extra['sample']))}" if rec.extra.get("sample") else "")
        + "</h1>"
        f'<p class="verdict {"ok" if ok else "bad"}">{verdict}</p><p>{escape(summary)}</p>'
        f"{_run(rec)}"
        f"<h2>Sources</h2>{_sources(rec)}{_files(rec)}"
        f"<h2>Checks</h2>{_checks(rec)}"
        f"{_validation(rec)}"
        f"<h2>Store</h2>{_store(rec)}"
        f"<h2>Charts</h2>{_charts(rec)}"
        f"<h2>Standardisation outcomes</h2>{_standardisation(rec)}"
        '<p class="muted">Counts only: this report holds no customer data.</p>'
        "</body></html>\n"
    )
