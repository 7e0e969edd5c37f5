"""Geometry of the server-rendered SVG charts (no Flask, no database): the templates draw it.

The ranking chart: one horizontal bar per project (composite on the 0–5 scale), in the order
given, with a whisker for the disagreement (composite ± disagreement, clamped to the scale).
Coordinates are in the SVG's own units (viewBox); the page scales it to its width.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SCALE_MAX = 5.0
# Narrow on purpose: on a 360 px phone the SVG is drawn at about 0.8 of its size, so text stays legible.
WIDTH = 440
LABEL_WIDTH = 72  # project codes, e.g. "TET-07"
VALUE_WIDTH = 46  # the composite written after the bar
TOP = 24  # room for the axis labels
BAR_HEIGHT = 22
GAP = 10
BOTTOM = 8


@dataclass(frozen=True)
class ChartItem:
    """What one bar shows."""

    label: str
    value: float
    spread: float = 0.0
    contested: bool = False


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    spread: float
    contested: bool
    x: float
    y: float
    width: float
    height: float
    cy: float  # vertical middle of the bar (label, whisker, value)
    whisker_x1: float
    whisker_x2: float
    label_x: float  # right edge of the label column (text-anchor end, the SVG runs left to right)
    value_x: float  # where the written value starts


@dataclass(frozen=True)
class Tick:
    value: float
    x: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_x0: float
    plot_x1: float
    plot_y0: float
    plot_y1: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def bar_chart(items: Iterable[ChartItem], *, scale_max: float = SCALE_MAX, width: int = WIDTH) -> BarChart:
    """Bars in the order given; values and whiskers clamped to [0, scale_max]."""
    items = tuple(items)
    x0 = float(LABEL_WIDTH)
    x1 = float(width - VALUE_WIDTH)
    span = x1 - x0

    def x_of(value: float) -> float:
        return x0 + span * _clamp(value, 0.0, scale_max) / scale_max

    bars = []
    for index, item in enumerate(items):
        y = TOP + index * (BAR_HEIGHT + GAP)
        value = _clamp(float(item.value), 0.0, scale_max)
        spread = max(0.0, float(item.spread))
        bars.append(Bar(
            label=item.label, value=float(item.value), spread=spread, contested=item.contested,
            x=x0, y=y, width=x_of(value) - x0, height=BAR_HEIGHT, cy=y + BAR_HEIGHT / 2,
            whisker_x1=x_of(value - spread), whisker_x2=x_of(value + spread),
            label_x=x0 - 8, value_x=max(x_of(value), x_of(value + spread)) + 6))
    height = TOP + len(items) * (BAR_HEIGHT + GAP) + BOTTOM
    ticks = tuple(Tick(value=float(v), x=x_of(v)) for v in range(int(scale_max) + 1))
    return BarChart(width=width, height=height, plot_x0=x0, plot_x1=x1, plot_y0=TOP - 6,
                    plot_y1=height - BOTTOM, bars=tuple(bars), ticks=ticks)
