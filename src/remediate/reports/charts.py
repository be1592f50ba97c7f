"""Inline SVG charts for the HTML audit: no script, no external file, every text escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from remediate.reports.audit import PostmortemAudit

COLORS = {"done": "#2f7d32", "not_doing": "#9e9e9e", "open": "#e08a00", "overdue": "#c62828"}
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def completion_bars(postmortems: Sequence[PostmortemAudit], width: int = 760) -> Markup:
    """One stacked bar per postmortem: done, not doing, open (overdue part in red), and percent complete."""
    label_w, pct_w, row_h = 260, 60, 24
    bar_w = width - label_w - pct_w
    height = row_h * max(1, len(postmortems)) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="completion-title" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" {_FONT}>',
        '<title id="completion-title">Completion per postmortem</title>',
    ]
    for n, pm in enumerate(postmortems):
        c = pm.completion
        y = n * row_h
        label = escape(_clip(pm.title or pm.id, 40))
        parts.append(f'<text x="0" y="{y + 16}">{label}</text>')
        x = float(label_w)
        segments = (("done", c.done), ("not_doing", c.not_doing), ("open", c.open - c.overdue), ("overdue", c.overdue))
        for name, count in segments:
            if not c.items or not count:
                continue
            w = bar_w * count / c.items
            tip = escape(f"{pm.title or pm.id}: {count} {name.replace('_', ' ')}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{COLORS[name]}"><title>{tip}</title></rect>'
            )
            x += w
        pct = "-" if c.percent_complete is None else f"{c.percent_complete:g}%"
        parts.append(f'<text x="{width - pct_w + 8}" y="{y + 16}">{pct}</text>')
    legend_y = height - 8
    for n, name in enumerate(("done", "not_doing", "open", "overdue")):
        lx = label_w + n * 110
        parts.append(
            f'<rect x="{lx}" y="{legend_y - 10}" width="10" height="10" fill="{COLORS[name]}"/>'
            f'<text x="{lx + 14}" y="{legend_y}">{name.replace("_", " ")}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def open_line(points: Sequence[tuple[date, int]], width: int = 760, height: int = 220) -> Markup:
    """Open items over time as a line, with the first and last dates and the peak labelled."""
    if not points:
        return Markup('<p class="empty">No history recorded yet.</p>')
    left, right, top, bottom = 40, 10, 10, 30
    peak = max(n for _, n in points) or 1
    span = max(1, (points[-1][0] - points[0][0]).days)

    def xy(day: date, n: int) -> tuple[float, float]:
        x = left + (width - left - right) * (day - points[0][0]).days / span
        y = top + (height - top - bottom) * (1 - n / peak)
        return x, y

    coords = [xy(d, n) for d, n in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="open-title" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" {_FONT}>',
        '<title id="open-title">Open action items over time</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>',
        f'<text x="{left}" y="{height - 10}">{points[0][0].isoformat()}</text>',
        f'<text x="{width - right}" y="{height - 10}" text-anchor="end">{points[-1][0].isoformat()}</text>',
        f'<polyline points="{line}" fill="none" stroke="{COLORS["open"]}" stroke-width="2"/>',
    ]
    for (day, n), (x, y) in zip(points, coords, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS["open"]}">'
            f"<title>{day.isoformat()}: {n} open</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
