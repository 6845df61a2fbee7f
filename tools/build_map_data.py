"""Build ``diaspora/data/africa-50m.json`` (country outlines for offline maps).

Source: Natural Earth 1:50m admin-0 countries (public domain), as TopoJSON in the npm package
``world-atlas`` 2.0.2 (ISC). Run once by a developer, output committed:

    npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz
    python tools/build_map_data.py package/countries-50m.json

Keeps every country that reaches into the Africa frame (lon -26..64, lat -40..40), with
coordinates rounded to 0.01 degrees (about 1 km), as {alpha2: [[[lon, lat], ...], ...]}.
"""
import json
import sys

import pycountry

FRAME = (-26.0, -40.0, 64.0, 40.0)


def decode_arcs(topology):
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((round(x * scale_x + shift_x, 2), round(y * scale_y + shift_y, 2)))
        arcs.append(points)
    return arcs


def ring(arcs, indexes):
    points = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    deduped = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    return deduped


def main(path):
    topology = json.load(open(path))
    arcs = decode_arcs(topology)
    out = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        country = pycountry.countries.get(numeric=geometry.get("id", ""))
        if country is None:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [ring(arcs, polygon[0]) for polygon in polygons]  # outer rings only
        rings = [r for r in rings if len(r) >= 4]
        inside = any(FRAME[0] <= x <= FRAME[2] and FRAME[1] <= y <= FRAME[3]
                     for r in rings for x, y in r)
        if inside:
            out[country.alpha_2] = rings
    json.dump({"source": "Natural Earth 1:50m admin-0 (public domain) via world-atlas 2.0.2",
               "countries": out}, open("diaspora/data/africa-50m.json", "w"),
              separators=(",", ":"))
    print(len(out), "countries")


if __name__ == "__main__":
    main(sys.argv[1])
