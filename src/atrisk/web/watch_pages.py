"""The Watch page: every country whose news or reported deaths signal an escalation on the
latest day of the event build, with its days drawn against its baseline and the news behind
it."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from atrisk.http import charts, watch_data
from atrisk.http.auth import reader, shared_page
from atrisk.http.deps import CacheDep, SettingsDep
from atrisk.settings import Settings
from atrisk.store import queries
from atrisk.store.db import session
from atrisk.web.render import TEMPLATES

router = APIRouter(include_in_schema=False)


@router.get("/watch", response_class=HTMLResponse, dependencies=[Depends(reader)])
async def watch_page(request: Request, cache: CacheDep, settings: SettingsDep) -> Response:
    key = ("watch", watch_data.stamp(settings))
    return await shared_page(request, key, lambda: _watch(request, settings))


def _watch(request: Request, settings: Settings) -> HTMLResponse:
    data = watch_data.load(settings) if watch_data.stamp(settings) is not None else None
    with session(settings.database) as s:
        names = {c.iso3: c.name for c in queries.countries(s)}
    rows = [{"unit": r, "name": names.get(r.iso3, r.iso3),
             "spec": json.dumps(charts.watch_days(r.days))}
            for r in (data.raised if data else [])]
    return TEMPLATES.TemplateResponse(request, "watch.html", {"data": data, "rows": rows})
