"""The evaluation as a self-contained HTML page: precision and recall by threshold (inline SVG),
the threshold table and the pairs the model gets most wrong, field by field. No scripts, no
external assets; every value escaped, personal values masked unless asked otherwise."""

from __future__ import annotations

from html import escape

from .evaluate import Evaluation
from .explain import PairExplanation, shown

WIDTH, HEIGHT, PAD = 560, 300, 44
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.best{background:#eef6ee}
.pos{color:#1a7f37}.neg{color:#b42318}svg text{font-size:12px}
.axis{stroke:#888}.grid{stroke:#eee}.p{stroke:#1f6feb;fill:none;stroke-width:2}
.r{stroke:#d4760a;fill:none;stroke-width:2}.f{stroke:#1a7f37;fill:none;stroke-width:2;stroke-dasharray:5 3}
.mark{stroke:#555;stroke-dasharray:2 3}
"""


def _x(threshold: float) -> float:
    return PAD + threshold * (WIDTH - 2 * PAD)


def _y(value: float) -> float:
    return HEIGHT - PAD - value * (HEIGHT - 2 * PAD)


def chart(evaluation: Evaluation) -> str:
    """Precision, recall and F1 against the threshold, with the recommended and the run's
    thresholds marked."""
    curve = evaluation.curve
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}"><title>Precision and recall by threshold</title>'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line class="grid" x1="{PAD}" x2="{WIDTH - PAD}" y1="{_y(tick):.1f}" y2="{_y(tick):.1f}"/>'
        )
        parts.append(f'<text x="{PAD - 6}" y="{_y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
        parts.append(f'<text x="{_x(tick):.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle">{tick:g}</text>')
    parts.append(f'<line class="axis" x1="{PAD}" x2="{WIDTH - PAD}" y1="{_y(0)}" y2="{_y(0)}"/>')
    parts.append(f'<line class="axis" x1="{PAD}" x2="{PAD}" y1="{_y(0)}" y2="{_y(1)}"/>')
    for column, css in (("precision", "p"), ("recall", "r"), ("f1", "f")):
        points = " ".join(
            f"{_x(t):.1f},{_y(v):.1f}" for t, v in zip(curve["threshold"], curve[column], strict=True)
        )
        parts.append(f'<polyline class="{css}" points="{points}"><title>{column}</title></polyline>')
    for threshold, label in ((evaluation.recommended, "recommended"), (evaluation.run_threshold, "this run")):
        x = _x(threshold)
        parts.append(f'<line class="mark" x1="{x:.1f}" x2="{x:.1f}" y1="{_y(0)}" y2="{_y(1)}"/>')
        parts.append(f'<text x="{x + 3:.1f}" y="{_y(1) - 4:.1f}">{escape(label)} {threshold:g}</text>')
    parts.append(
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 6}" text-anchor="middle">match probability threshold</text>'
        '<text x="14" y="30" class="pos">— precision</text>'
        '<text x="100" y="30" fill="#d4760a">— recall</text><text x="170" y="30" class="pos">- - F1</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _pair(pair: PairExplanation, show_pii: bool) -> str:
    rows = []
    for row in pair.rows.itertuples(index=False):
        css = "pos" if row.weight > 0 else "neg" if row.weight < 0 else ""
        left, right = (escape(shown(v, row.comparison, show_pii)) for v in (row.left, row.right))
        rows.append(
            f"<tr><td>{escape(row.comparison)}</td><td>{left}</td><td>{right}</td>"
            f'<td>{escape(row.level)}</td><td class="n {css}">{row.weight:+.2f}</td></tr>'
        )
    note = " (names conflict: what a household shares not counted)" if pair.household_conflict else ""
    return (
        f"<h3>{escape(pair.left)} · {escape(pair.right)}</h3>"
        "<table><tr><th>comparison</th><th>left</th><th>right</th><th>level</th><th>bits</th></tr>"
        + "".join(rows)
        + f'<tr><td>prior</td><td></td><td></td><td></td><td class="n">{pair.prior_weight:+.2f}</td></tr>'
        f'<tr><th>total</th><td></td><td></td><td></td><th class="n">{pair.total:+.2f}</th></tr></table>'
        f"<p>match probability {pair.probability:.4f}{escape(note)}</p>"
    )


def to_html(evaluation: Evaluation, *, show_pii: bool = False) -> str:
    curve_rows = []
    for row in evaluation.curve.itertuples(index=False):
        css = ' class="best"' if abs(row.threshold - evaluation.recommended) < 1e-9 else ""
        cells = (
            f"{row.threshold:g}",
            row.tp,
            row.fp,
            row.fn,
            f"{row.precision:.3f}",
            f"{row.recall:.3f}",
            f"{row.f1:.3f}",
        )
        curve_rows.append(f"<tr{css}>" + "".join(f"<td class='n'>{c}</td>" for c in cells) + "</tr>")
    clusters = ""
    if evaluation.clusters:
        c = evaluation.clusters
        clusters = (
            f"<p>The run's clusters (same customer_id) on these labels: precision {c['precision']:.3f}, "
            f"recall {c['recall']:.3f}, F1 {c['f1']:.3f}.</p>"
        )
    at_run = evaluation.at(evaluation.run_threshold)
    worst = [
        ("Worst false positives (labelled different, scored alike)", evaluation.worst_false_positives),
        ("Worst false negatives (labelled the same, scored apart)", evaluation.worst_false_negatives),
    ]
    sections = "".join(
        f"<h2>{escape(title)}</h2>" + ("".join(_pair(p, show_pii) for p in pairs) or "<p>None.</p>")
        for title, pairs in worst
    )
    masked = "" if show_pii else "<p>Personal values are masked (evaluate --show-pii shows them).</p>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>crmmigrate evaluation</title><style>{_STYLE}</style></head><body>"
        "<h1>Matching evaluation</h1>"
        f"<p>{evaluation.labelled} labelled pairs ({evaluation.matches} matches); "
        f"{evaluation.not_found} labelled pairs name records this run does not hold.</p>"
        f"<p><strong>Recommended threshold: {evaluation.recommended:g}</strong> (best F1 "
        f"{evaluation.at(evaluation.recommended)['f1']:.3f}). "
        f"At this run's threshold {evaluation.run_threshold:g}: "
        f"precision {at_run['precision']:.3f}, recall {at_run['recall']:.3f}, F1 {at_run['f1']:.3f}.</p>"
        f"{clusters}<figure>{chart(evaluation)}</figure>"
        "<h2>By threshold</h2><table><tr><th>threshold</th><th>true pos.</th><th>false pos.</th>"
        "<th>false neg.</th><th>precision</th><th>recall</th><th>F1</th></tr>"
        + "".join(curve_rows)
        + f"</table>{masked}{sections}</body></html>"
    )
