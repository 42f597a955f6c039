"""Server-rendered SVG charts: one series per source, no script, no external service.

:func:`line_chart` draws figures over time (x: the start of the reference period as a
fractional year; y: the value) with one coloured series per primary source, so that two
sources disagreeing on the same thing show as two marks at the same x. Every mark is a link to
its observation and has a ``<title>`` (the browser's tooltip) with source, period and value as
published. All text is escaped (:func:`markupsafe.escape`); the output is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape

__all__ = ["Point", "Series", "line_chart", "nice_ticks", "compact_number", "PALETTE"]

#: Colour-blind-safe palette (Okabe-Ito), assigned to series in order.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
_MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True)
class Point:
    x: float  # fractional year of the period's start
    y: float
    text: str  # tooltip: value as published, period, source
    href: str | None = None


@dataclass
class Series:
    name: str
    points: list[Point] = field(default_factory=list)


def compact_number(value: float) -> str:
    """Axis labels: 20 592 571 -> "20.6M", 0.5 -> "0.5"."""
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    if magnitude == 0:
        return "0"
    return f"{value:.3g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 x 10^k)."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while len(ticks) < 50:
        ticks.append(round(value, 10))
        if value >= high - step * 1e-9:
            break
        value += step
    return ticks


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if kind == "diamond":
        return (
            f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5:.1f}'
            f'L{x - 5:.1f} {y:.1f}Z" fill="{colour}"/>'
        )
    if kind == "triangle":
        return (
            f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 4:.1f}L{x - 5:.1f} {y + 4:.1f}Z"'
            f' fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}"/>'


def line_chart(
    series: list[Series],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 300,
    chart_id: str = "chart",
) -> Markup:
    """An SVG line chart, one series per source; empty Markup when there is nothing to draw."""
    drawn = [s for s in series if s.points]
    if not drawn:
        return Markup("")
    left, right, top = 64, 16, 28
    legend_rows = len(drawn)
    bottom = 34 + 18 * legend_rows
    total_height = height + 18 * legend_rows
    plot_w, plot_h = width - left - right, total_height - top - bottom
    xs = [p.x for s in drawn for p in s.points]
    ys = [p.y for s in drawn for p in s.points]
    x_low, x_high = min(xs), max(xs)
    if x_high - x_low < 1:
        x_low, x_high = math.floor(x_low) - 1, math.floor(x_high) + 2
    else:
        pad = (x_high - x_low) * 0.04
        x_low, x_high = x_low - pad, x_high + pad
    y_low, y_high = min(0.0, min(ys)), max(ys)
    y_ticks = nice_ticks(y_low, y_high if y_high > y_low else y_low + 1)
    y_low, y_high = y_ticks[0], y_ticks[-1]

    def sx(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y - y_low) / ((y_high - y_low) or 1) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {total_height}" width="{width}" height="{total_height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<text x="{left}" y="16" class="chart-title" font-size="13" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    for tick in y_ticks:
        y = sy(tick)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(compact_number(tick))}</text>"
        )
    for tick in nice_ticks(x_low, x_high, 6):
        if tick < x_low - 1e-9 or tick > x_high + 1e-9 or tick != int(tick):
            continue
        x = sx(tick)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
            f'stroke="#555"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="11">{int(tick)}</text>'
        )
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#555"/>')
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}" stroke="#555"/>'
    )
    if unit:
        out.append(
            f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" '
            f'transform="rotate(-90 12 {top + plot_h / 2:.1f})" text-anchor="middle">'
            f"{escape(unit)}</text>"
        )
    for index, item in enumerate(drawn):
        colour = PALETTE[index % len(PALETTE)]
        marker = _MARKERS[index % len(_MARKERS)]
        points = sorted(item.points, key=lambda p: (p.x, p.y))
        out.append(f'<g class="series" data-series="{escape(item.name)}">')
        if len(points) > 1:
            path = " ".join(f"{sx(p.x):.1f},{sy(p.y):.1f}" for p in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for point in points:
            mark = _marker(marker, sx(point.x), sy(point.y), colour)
            tip = f"<title>{escape(point.text)}</title>"
            if point.href:
                out.append(f'<a href="{escape(point.href)}">{tip}{mark}</a>')
            else:
                out.append(f"<g>{tip}{mark}</g>")
        out.append("</g>")
        legend_y = top + plot_h + 34 + 18 * index
        out.append(
            f'<g class="legend">{_marker(marker, left + 6, legend_y - 4, colour)}'
            f'<text x="{left + 18}" y="{legend_y}" font-size="12">{escape(item.name)}'
            f" ({len(points)})</text></g>"
        )
    out.append("</svg>")
    return Markup("".join(out))
