"""World map: TopoJSON from the npm package world-atlas 2.0.2 (ISC licence; Natural Earth
4.1.0, public domain). Feature ids are ISO 3166 numeric codes; a few territories (Kosovo,
Northern Cyprus, Somaliland) have none and are known by name only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources.base import Source, locate


def _world_atlas(scale: str, version: str) -> Source:
    """One of world-atlas 2.0.2's country maps (both ship in the same npm package)."""
    return Source(
        name=f"world_atlas_{scale}", path=f"geo/countries-{scale}.json",
        url="https://registry.npmjs.org/world-atlas/-/world-atlas-2.0.2.tgz", version=version,
        licence="ISC (world-atlas); public domain (Natural Earth)",
        citation="Bostock, M. world-atlas 2.0.2; Natural Earth 4.1.0",
        producer="Mike Bostock / Natural Earth")


WORLD_110M = _world_atlas("110m", "world-atlas 2.0.2 (Natural Earth 4.1.0)")


def world_110m(settings: Settings | None = None) -> dict[str, Any]:
    """The validated TopoJSON topology (objects ``countries`` and ``land``)."""
    return _topology(locate(WORLD_110M, settings), min_countries=150)


#: The finer world map: country outlines for placing PRIO-GRID cells in countries.
WORLD_50M = _world_atlas("50m", "world-atlas 2.0.2 (Natural Earth 4.1.0, 1:50m)")


def world_50m(settings: Settings | None = None) -> dict[str, Any]:
    """The validated 1:50m TopoJSON topology."""
    return _topology(locate(WORLD_50M, settings), min_countries=200)


def country_outline(topology: dict[str, Any], key: str) -> MultiPolygon:
    """A country's outline (longitude, latitude) from a TopoJSON topology, by world-atlas
    feature key (ISO numeric code, or name where it has none). TopoJSON stores shared borders
    once as arcs, quantised and delta-encoded (Bostock's specification, section 2.2)."""
    found = [g for g in topology["objects"]["countries"]["geometries"]
             if g.get("id") == key or g.get("properties", {}).get("name") == key]
    if not found:
        raise SourceError("world map", f"no country with id or name {key!r}")
    arcs = _decoded_arcs(topology)
    geometry = found[0]
    polygons = (geometry["arcs"] if geometry["type"] == "MultiPolygon"
                else [geometry["arcs"]] if geometry["type"] == "Polygon" else [])
    shapes = []
    for rings in polygons:
        coords = [_ring(arcs, ring) for ring in rings]
        shapes.append(Polygon(coords[0], coords[1:]))
    return MultiPolygon(shapes)


def _topology(path: Path, min_countries: int) -> dict[str, Any]:
    try:
        topology: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceError(str(path), f"not readable JSON ({exc})") from exc
    if topology.get("type") != "Topology" or "countries" not in topology.get("objects", {}):
        raise SourceError(str(path), "expected a TopoJSON Topology with an object 'countries'")
    geometries = topology["objects"]["countries"].get("geometries", [])
    if len(geometries) < min_countries:
        raise SourceError(str(path), f"only {len(geometries)} countries (truncated?)")
    return topology


def _decoded_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Every arc as absolute longitude/latitude points."""
    transform = topology.get("transform")
    decoded = []
    for arc in topology["arcs"]:
        points = np.asarray(arc, dtype=float)
        if transform:
            points = np.cumsum(points, axis=0) * transform["scale"] + transform["translate"]
        decoded.append(points)
    return decoded


def _ring(arcs: list[np.ndarray], indices: list[int]) -> np.ndarray:
    """A closed ring from arc indices (``~i`` is arc ``i`` reversed); each arc after the
    first repeats the previous arc's last point, which is dropped."""
    parts = []
    for k, index in enumerate(indices):
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(points if k == 0 else points[1:])
    return np.vstack(parts)
