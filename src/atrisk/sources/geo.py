"""World map: TopoJSON from the npm package world-atlas 2.0.2 (ISC licence; Natural Earth
4.1.0, public domain). Feature ids are ISO 3166 numeric codes; a few territories (Kosovo,
Northern Cyprus, Somaliland) have none and are known by name only."""

from __future__ import annotations

import json
from typing import Any

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources.base import Source, locate

WORLD_110M = Source(
    name="world_atlas_110m",
    path="geo/countries-110m.json",
    url="https://registry.npmjs.org/world-atlas/-/world-atlas-2.0.2.tgz",
    version="world-atlas 2.0.2 (Natural Earth 4.1.0)",
    licence="ISC (world-atlas); public domain (Natural Earth)",
    citation="Bostock, M. world-atlas 2.0.2; Natural Earth 4.1.0",
    producer="Mike Bostock / Natural Earth",
)


def world_110m(settings: Settings | None = None) -> dict[str, Any]:
    """The validated TopoJSON topology (objects ``countries`` and ``land``)."""
    path = locate(WORLD_110M, settings)
    try:
        topology: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceError(str(path), f"not readable JSON ({exc})") from exc
    if topology.get("type") != "Topology" or "countries" not in topology.get("objects", {}):
        raise SourceError(str(path), "expected a TopoJSON Topology with an object 'countries'")
    geometries = topology["objects"]["countries"].get("geometries", [])
    if len(geometries) < 150:
        raise SourceError(str(path), f"only {len(geometries)} countries (truncated?)")
    return topology
