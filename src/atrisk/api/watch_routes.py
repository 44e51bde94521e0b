"""The API's watch route: the latest day's escalation signals of every country."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from atrisk.api import schemas
from atrisk.http import watch_data
from atrisk.http.auth import reader
from atrisk.http.cache import Body
from atrisk.http.deps import CacheDep, SettingsDep

router = APIRouter()


@router.get("/api/signals/latest", response_model=schemas.SignalsLatest,
            operation_id="latest_signals", dependencies=[Depends(reader)])
async def latest_signals(request: Request, cache: CacheDep, settings: SettingsDep
                         ) -> Response:
    """Every signal of every country on the latest day of the event tables, highest level
    first (503 before the first `atrisk events build`)."""
    key = ("api-signals", watch_data.stamp(settings))

    def render() -> Body:
        data = watch_data.load(settings)
        page = schemas.SignalsLatest(as_of=data.as_of, signals=[
            schemas.Signal.model_validate(row) for row in watch_data.records(data.latest)])
        return Body.of(page.model_dump_json().encode(), "application/json")

    body = await cache.body(key, render)
    return body.response(request)
