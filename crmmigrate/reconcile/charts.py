"""Inline SVG bar charts for the HTML report: no scripts, no external assets, every label escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 150
BAR_WIDTH = 360


def bar_chart(title: str, bars: Sequence[tuple[str, float, str]], *, maximum: float | None = None) -> str:
    """Horizontal bars: (label, value, text shown after the bar). Values scale to `maximum`."""
    if not bars:
        return ""
    top = maximum if maximum else max((v for _, v, _ in bars), default=0) or 1
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for i, (label, value, shown) in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = max(0.0, min(1.0, value / top)) * BAR_WIDTH
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 5}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" class="track"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" class="bar"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + BAR_HEIGHT - 5}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return f"<figure><figcaption>{escape(title)}</figcaption>{''.join(parts)}</figure>"
