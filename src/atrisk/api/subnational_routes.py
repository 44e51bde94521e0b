"""The API's sub-national route: a country's latest forecast by PRIO-GRID cell or region."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from atrisk.api import schemas
from atrisk.http import subnational_data
from atrisk.http.auth import reader
from atrisk.http.deps import SettingsDep

router = APIRouter()

COLUMNS = ("unit", "region", "lat", "lon", "south", "west", "north", "east", "expected",
           "p_ge_25", "last_12_months")


@router.get("/api/forecasts/subnational/{iso3}", response_model=schemas.Subnational,
            operation_id="subnational_forecast", dependencies=[Depends(reader)],
            responses={200: {"content": {"text/csv": {}}}})
def subnational_forecast(
    settings: SettingsDep,
    iso3: Annotated[str, Path(min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")],
    level: Annotated[Literal["cell", "region"], Query()] = "cell",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> schemas.Subnational | Response:
    """Each cell (or first-level region) of the country, most expected civilian deaths first:
    the deaths expected over the outlook's months, the chance of at least 25, and the last
    12 months of the event history. 404 says why a country has none (no complete event
    history, or no run yet)."""
    view = subnational_data.latest(settings, iso3, level)
    rows = view.places.rename(columns={"p_ge_serious": "p_ge_25"})
    rows = rows.reindex(columns=list(COLUMNS))
    if format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        writer.writerows(rows.itertuples(index=False))
        return Response(buf.getvalue(), media_type="text/csv")
    items = [schemas.SubnationalPlace.model_validate(
        {k: (None if v != v else v) for k, v in r.items()})  # NaN: a region has no bounds
        for r in rows.to_dict("records")]
    return schemas.Subnational(run=view.meta, data_note=view.meta.data_note, items=items)
