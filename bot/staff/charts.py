"""Small server-drawn SVG charts for the reports page: readable at a glance, no JavaScript library.

Labels and values are escaped (markupsafe) like every other piece of text.
"""
from __future__ import annotations

from markupsafe import Markup, escape

#: The drawing's size in its own units; it is scaled to its card, so a narrower drawing keeps the
#: text readable (13 units is about 12 px in a half-width card).
WIDTH, HEIGHT, PAD_BOTTOM, PAD_TOP = 560, 220, 36, 14
CHAR = 7.6  # the width of one axis character, for a left margin that fits the longest label


def _ticks(top: float) -> list[float]:
    return [top * i / 4 for i in range(5)]


def _nice(value: float) -> float:
    """A round ceiling for the axis: 7 -> 10, 430 -> 500, 1234 -> 1500."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _count(value: float) -> str:
    return f"{value:g}"


def _left(top: float, fmt) -> float:
    """The left margin the y-axis labels need ("€150.00" is wider than "2")."""
    return 14 + CHAR * max(len(fmt(tick)) for tick in _ticks(top))


def _frame(labels: list[str], top: float, fmt, title: str, left: float) -> list[str]:
    inner_w, inner_h = WIDTH - left - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">']
    for tick in _ticks(top):
        y = PAD_TOP + inner_h - inner_h * tick / top
        parts.append(f'<line x1="{left:.1f}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                     f'{escape(fmt(tick))}</text>')
    every = max(1, -(-len(labels) // 8))  # at most eight dates along the bottom
    step = inner_w / max(1, len(labels))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + step * (i + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 14}" class="axis" text-anchor="middle">'
                         f'{escape(label)}</text>')
    return parts


def bars(labels: list[str], values: list[float], fmt=str, title: str = "") -> Markup:
    """One bar per label (revenue per day)."""
    top = _nice(max(values, default=0))
    left = _left(top, fmt)
    parts = _frame(labels, top, fmt, title, left)
    inner_w, inner_h = WIDTH - left - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, len(labels))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = inner_h * value / top
        x, y = left + step * i + step * 0.15, PAD_TOP + inner_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" class="bar">'
                     f'<title>{escape(label)}: {escape(fmt(value))}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(labels: list[str], series: dict[str, list[float]], title: str = "") -> Markup:
    """One line per series (conversations and orders per day), with a legend."""
    top = _nice(max((v for values in series.values() for v in values), default=0))
    left = _left(top, _count)
    parts = _frame(labels, top, _count, title, left)
    inner_w, inner_h = WIDTH - left - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, len(labels))
    for n, (name, values) in enumerate(series.items()):
        points = " ".join(f"{left + step * (i + 0.5):.1f},{PAD_TOP + inner_h - inner_h * v / top:.1f}"
                          for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" class="line s{n}"/>')
        parts.append(f'<rect x="{left + 10 + n * 170:.1f}" y="3" width="14" height="5" class="key s{n}"/>'
                     f'<text x="{left + 30 + n * 170:.1f}" y="11" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
