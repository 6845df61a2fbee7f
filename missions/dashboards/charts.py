"""SVG geometry for the dashboard's charts, computed on the server.

Templates (``templates/dashboards/_charts.html``) draw the shapes with CSS classes only (the
CSP forbids inline styles and scripts) and put a table with the same numbers beside each chart.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import format_percent

from diaspora import maps
from diaspora.i18n import figure

from .indicators import HostFacility

LABEL_CHARACTERS = 30
LABELLED_HOSTS = 100  # host dots with a hover label on the map


def percent(value) -> str:
    """A share (0 to 1) as a percentage in the viewer's locale, "—" when there is none."""
    return "—" if value is None else format_percent(value, format="#,##0%")


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARACTERS else label[:LABEL_CHARACTERS - 1] + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str      # the value as shown
    y: float
    length: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]


def bar_chart(values: Mapping, labels: Mapping | None = None, *, width: int = 480,
              label_width: int = 190, bar_height: int = 18, gap: int = 8) -> BarChart:
    """Horizontal bars for ``values`` (code → number), labelled by ``labels`` (code → label)."""
    labels = labels or {}
    rows = [(labels.get(code, code), value or 0) for code, value in values.items()]
    top = max((value for _, value in rows), default=0)
    room = width - label_width - 70          # space after each bar for its value
    bars = [Bar(_short(label), value, figure(value, 0 if float(value).is_integer() else 1),
                index * (bar_height + gap), room * value / top if top else 0)
            for index, (label, value) in enumerate(rows)]
    height = max(bar_height, len(rows) * (bar_height + gap) - gap)
    return BarChart(width, height, label_width, bar_height, bars)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int          # x of the value axis
    baseline: float    # y of the time axis
    top_value: float
    points: list[Point]
    ticks: list[Point]  # the points whose label is written under the axis

    @property
    def path(self) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(self.points))


def line_chart(values: Mapping, *, width: int = 480, height: int = 180, left: int = 40,
               bottom: int = 24, top: int = 12, right: int = 28, most_ticks: int = 6) -> LineChart:
    """A time series for ``values`` (label → number, in time order)."""
    rows = list(values.items())
    top_value = max((value for _, value in rows), default=0) or 1
    baseline = height - bottom
    step = (width - left - right) / max(1, len(rows) - 1)
    points = [Point(round(left + i * step, 1),
                    round(baseline - (baseline - top) * value / top_value, 1), str(label), value)
              for i, (label, value) in enumerate(rows)]
    every = max(1, math.ceil(len(points) / most_ticks))
    last = len(points) - 1
    # every n-th label and the last one, dropping a regular label that would touch the last
    ticks = [p for i, p in enumerate(points) if i == last or (i % every == 0 and last - i >= every / 2)]
    return LineChart(width, height, left, baseline, top_value, points, ticks)


def host_map(hosts: list[HostFacility], *, width: int = 480) -> maps.SvgMap | None:
    """The host facilities with coordinates on their countries' outlines, each dot sized by its
    number of missions; None when no host has coordinates."""
    located = [h for h in hosts if h.latitude is not None and h.longitude is not None]
    if not located:
        return None
    most = max(h.missions for h in located)
    # ``hosts`` come most missions first: those carry a hover label; the long tail is drawn
    # as one path of plain dots, so a programme with a thousand hosts stays a light page.
    points = [maps.MapPoint(h.latitude, h.longitude,
                            f"{h.name}: {h.missions}" if rank < LABELLED_HOSTS else "",
                            size=round(2 + 6 * math.sqrt(h.missions / most), 1))
              for rank, h in enumerate(located)]
    return maps.draw(sorted({h.country for h in located}), points, width=width)
