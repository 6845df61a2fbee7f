"""Offline maps drawn as SVG on the server: country outlines plus points.

Outlines come from ``data/africa-50m.json`` (Natural Earth, see tools/build_map_data.py);
no tile server and no script are needed, so maps work without internet and under a strict CSP.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class MapPoint:
    latitude: float
    longitude: float
    label: str = ""
    size: float = 3.0
    highlight: bool = False
    url: str | None = None


@dataclass
class SvgMap:
    width: int
    height: int
    outlines: list[str]          # SVG path data, one per country ring set
    points: list[dict]           # x, y, r, label, highlight, url
    source: str
    dots: str = ""               # plain background points, drawn as one path (cheap to send)


@lru_cache(maxsize=1)
def _outlines() -> dict:
    text = resources.files("diaspora").joinpath("data/africa-50m.json").read_text(encoding="utf-8")
    return json.loads(text)


def outline_source() -> str:
    return _outlines()["source"]


def country_rings(country: str) -> list[list[list[float]]]:
    return _outlines()["countries"].get(country.upper(), [])


def _frame(countries: list[str], points: list[MapPoint]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for country in countries:
        for ring in country_rings(country):
            xs.extend(p[0] for p in ring)
            ys.extend(p[1] for p in ring)
    xs.extend(p.longitude for p in points)
    ys.extend(p.latitude for p in points)
    if not xs:
        return (-20.0, -35.0, 52.0, 38.0)  # sub-Saharan Africa
    pad_x = max(0.5, (max(xs) - min(xs)) * 0.04)
    pad_y = max(0.5, (max(ys) - min(ys)) * 0.04)
    return min(xs) - pad_x, min(ys) - pad_y, max(xs) + pad_x, max(ys) + pad_y


def _projection(frame: tuple[float, float, float, float], width: int):
    """(project(lon, lat) -> (x, y), height): equirectangular, true at mid-latitude."""
    west, south, east, north = frame
    stretch = math.cos(math.radians((north + south) / 2))
    scale = width / ((east - west) * stretch)
    height = max(120, int((north - south) * scale))

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - west) * stretch * scale, 1), round((north - lat) * scale, 1)

    return project, height


def _outline_paths(countries: list[str], project) -> list[str]:
    outlines = []
    for country in countries:
        parts = []
        for ring in country_rings(country):
            coords = [project(lon, lat) for lon, lat in ring]
            parts.append("M" + " L".join(f"{x},{y}" for x, y in coords) + " Z")
        if parts:
            outlines.append(" ".join(parts))
    return outlines


def _place(points: list[MapPoint], project) -> tuple[list[dict], str]:
    drawn, dots = [], []
    for point in points:
        x, y = project(point.longitude, point.latitude)
        if point.label or point.url or point.highlight:
            drawn.append({"x": x, "y": y, "r": point.size, "label": point.label,
                          "highlight": point.highlight, "url": point.url})
        else:  # a small square; thousands of them stay one element
            side = round(point.size * 1.6, 1)
            dots.append(f"M{x - side / 2:.1f},{y - side / 2:.1f}h{side}v{side}h-{side}z")
    drawn.sort(key=lambda p: p["highlight"])  # highlighted points on top
    return drawn, "".join(dots)


def draw(countries: list[str], points: list[MapPoint], *, width: int = 480) -> SvgMap:
    """Project outlines and points into a ``width``-wide SVG (equirectangular, true at mid-latitude)."""
    project, height = _projection(_frame(countries, points), width)
    drawn, dots = _place(points, project)
    return SvgMap(width, height, _outline_paths(countries, project), drawn, outline_source(), dots)


@lru_cache(maxsize=64)
def _country_outline(country: str, width: int) -> tuple[tuple[float, float, float, float], tuple[str, ...]]:
    """A country's frame and projected outline for a ``width``-wide map, computed once per
    process: the outline has thousands of vertices, a page needs only the path."""
    frame = _frame([country], [])
    project, _height = _projection(frame, width)
    return frame, tuple(_outline_paths([country], project))


def draw_country(country: str, points: list[MapPoint], *, width: int = 480) -> SvgMap:
    """``draw([country], points)``, its outline from the per-process cache whenever every point
    lies within the country's frame (else drawn afresh, framing them all)."""
    frame, outlines = _country_outline(country.upper(), width)
    west, south, east, north = frame
    if not outlines or not all(west <= p.longitude <= east and south <= p.latitude <= north
                               for p in points):
        return draw([country], points, width=width)
    project, height = _projection(frame, width)
    drawn, dots = _place(points, project)
    return SvgMap(width, height, list(outlines), drawn, outline_source(), dots)
