"""Loss curves of one or more training runs as one inline SVG figure (no plotting library).

Each run has a colour; its training loss is a solid line and its validation loss a dashed one
with dots, so two runs overlaid read apart at a glance. The SVG scales with the page (viewBox)
and uses presentation attributes only, which the app's style-src CSP allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

#: Run colours (colour-blind safe: Okabe-Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
WIDTH, HEIGHT = 900, 420
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 20, 86


@dataclass(frozen=True)
class Curve:
    """One line: ``(step, value)`` points of one metric of one run."""

    label: str
    colour: str
    dashed: bool
    points: list[tuple[float, float]]


def curves_of(label: str, colour: str, records: list[dict[str, Any]]) -> list[Curve]:
    """The training (``loss``) and validation (``eval_loss``) curves in a run's metric records."""
    found = []
    for key, name, dashed in (("loss", "training loss", False),
                              ("eval_loss", "validation loss", True)):
        points = [(float(r["step"]), float(r[key])) for r in records
                  if _number(r.get(key)) and _number(r.get("step"))]
        if points:
            found.append(Curve(f"{label}: {name}", colour, dashed, points))
    return found


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]``."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step) + 1)]


def loss_chart_svg(curves: list[Curve], *, title: str) -> str:
    """The SVG markup of ``curves`` on shared axes (step, loss), with a legend below."""
    points = [p for c in curves for p in c.points]
    if not points:
        return ""
    x_low, x_high = min(p[0] for p in points), max(p[0] for p in points)
    y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
    x_high = x_high if x_high > x_low else x_low + 1
    pad = (y_high - y_low) * 0.05 or 0.5
    y_low, y_high = max(0.0, y_low - pad), y_high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(v: float) -> float:
        return LEFT + (v - x_low) / (x_high - x_low) * plot_w

    def y(v: float) -> float:
        return TOP + (1 - (v - y_low) / (y_high - y_low)) * plot_h

    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{escape(title)}</title>",
           f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
           f'stroke="#d9dee6"/>']
    for tick in _ticks(y_low, y_high):
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                   f'stroke="#eef0f3"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
                   f'text-anchor="end" font-size="12" fill="#5b6575">{tick:g}</text>')
    for tick in _ticks(x_low, x_high):
        out.append(f'<text x="{x(tick):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" '
                   f'font-size="12" fill="#5b6575">{tick:g}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h + 34}" text-anchor="middle" '
               f'font-size="13" fill="#1d2430">training step</text>')
    out.append(f'<text x="16" y="{TOP + plot_h / 2}" text-anchor="middle" font-size="13" '
               f'fill="#1d2430" transform="rotate(-90 16 {TOP + plot_h / 2})">loss</text>')
    for curve in curves:
        path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in curve.points)
        dash = ' stroke-dasharray="6 4"' if curve.dashed else ""
        out.append(f'<polyline class="curve" data-label="{escape(curve.label)}" points="{path}" '
                   f'fill="none" stroke="{curve.colour}" stroke-width="2"{dash}/>')
        if curve.dashed:
            out.extend(f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="3" fill="{curve.colour}"/>'
                       for a, b in curve.points)
    for i, curve in enumerate(curves):
        column, row = i % 2, i // 2
        lx, ly = LEFT + column * plot_w / 2, TOP + plot_h + 54 + row * 18
        dash = ' stroke-dasharray="6 4"' if curve.dashed else ""
        out.append(f'<line x1="{lx:.1f}" x2="{lx + 28:.1f}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{curve.colour}" stroke-width="2"{dash}/>'
                   f'<text x="{lx + 34:.1f}" y="{ly}" font-size="12" fill="#1d2430">'
                   f"{escape(curve.label)}</text>")
    out.append("</svg>")
    return "".join(out)
