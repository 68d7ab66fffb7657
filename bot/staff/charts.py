"""Small server-drawn SVG charts for the reports page: readable at a glance, no JavaScript library.

Labels and values are escaped (markupsafe) like every other piece of text.
"""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 48, 36, 12


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


def _frame(labels: list[str], top: float, fmt, title: str) -> list[str]:
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">']
    for tick in _ticks(top):
        y = PAD_TOP + inner_h - inner_h * tick / top
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                     f'{escape(fmt(tick))}</text>')
    every = max(1, len(labels) // 10)
    step = inner_w / max(1, len(labels))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = PAD_LEFT + step * (i + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 14}" class="axis" text-anchor="middle">'
                         f'{escape(label)}</text>')
    return parts


def bars(labels: list[str], values: list[float], fmt=str, title: str = "") -> Markup:
    """One bar per label (revenue per day)."""
    top = _nice(max(values, default=0))
    parts = _frame(labels, top, fmt, title)
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, len(labels))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = inner_h * value / top
        x, y = PAD_LEFT + step * i + step * 0.15, PAD_TOP + inner_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" class="bar">'
                     f'<title>{escape(label)}: {escape(fmt(value))}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(labels: list[str], series: dict[str, list[float]], title: str = "") -> Markup:
    """One line per series (conversations and orders per day), with a legend."""
    top = _nice(max((v for values in series.values() for v in values), default=0))
    parts = _frame(labels, top, lambda v: f"{v:g}", title)
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, len(labels))
    for n, (name, values) in enumerate(series.items()):
        points = " ".join(f"{PAD_LEFT + step * (i + 0.5):.1f},{PAD_TOP + inner_h - inner_h * v / top:.1f}"
                          for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" class="line s{n}"/>')
        parts.append(f'<rect x="{PAD_LEFT + 10 + n * 150}" y="2" width="12" height="4" class="key s{n}"/>'
                     f'<text x="{PAD_LEFT + 28 + n * 150}" y="9" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
