"""PRIO-GRID arithmetic: the 0.5-degree global grid that UCDP's GED and ViEWS use.

Tollefsen, Strand & Buhaug (2012), PRIO-GRID: A unified spatial data structure, Journal of
Peace Research 49(2). The grid has 360 rows and 720 columns; cell ids (``gid``) run from 1 at
the south-west corner (-180, -90) eastwards along each row, then northwards:
``gid = row * 720 + col + 1``. Every cell's id, bounds and neighbours follow from that
definition, so no shapefile is needed.
"""

from __future__ import annotations

import numpy as np

#: Cell size in degrees, and the grid's shape.
SIZE = 0.5
ROWS = 360
COLUMNS = 720


def cell_of(lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
    """The id of the cell holding each point (a point on a cell's south or west edge belongs
    to that cell; the north pole and the antimeridian to the last row or column)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180) or np.any(np.isnan(lat + lon)):
        raise ValueError("coordinates must be within -90..90 (lat) and -180..180 (lon)")
    row = np.minimum(np.floor((lat + 90) / SIZE), ROWS - 1).astype(np.int64)
    col = np.minimum(np.floor((lon + 180) / SIZE), COLUMNS - 1).astype(np.int64)
    return row * COLUMNS + col + 1


def row_col(gid: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Zero-based row (from the south) and column (from the west) of each cell."""
    index = np.asarray(gid, dtype=np.int64) - 1
    if np.any(index < 0) or np.any(index >= ROWS * COLUMNS):
        raise ValueError(f"PRIO-GRID ids run from 1 to {ROWS * COLUMNS}")
    return index // COLUMNS, index % COLUMNS


def centre(gid: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude of each cell's centre."""
    row, col = row_col(gid)
    return -90 + (row + 0.5) * SIZE, -180 + (col + 0.5) * SIZE


def bounds(gid: np.ndarray | int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """South, west, north and east edges of each cell, in degrees."""
    lat, lon = centre(gid)
    half = SIZE / 2
    return lat - half, lon - half, lat + half, lon + half


def neighbours(gid: np.ndarray | int) -> np.ndarray:
    """The eight cells around each cell (rows x 8; -1 beyond the poles; columns wrap around
    the antimeridian, as the Earth does)."""
    row, col = row_col(np.atleast_1d(gid))
    out = []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            r, c = row + dr, (col + dc) % COLUMNS
            out.append(np.where((r >= 0) & (r < ROWS), r * COLUMNS + c + 1, -1))
    return np.column_stack(out)


def distance_km(lat1: np.ndarray | float, lon1: np.ndarray | float,
                lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    """Great-circle distance (haversine, Earth radius 6,371 km)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1))))
