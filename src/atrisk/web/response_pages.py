"""Forms through which analysts write: risk-factor assessments (more to come: plans, alerts).
Every form needs its role and its CSRF token; every write is one transaction with its audit
entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from atrisk.response import assessments
from atrisk.store import queries
from atrisk.store.db import session
from atrisk.store.schema import User
from atrisk.web.auth import check_csrf, require


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.post("/countries/{iso3}/assessments")
    def assess(request: Request, iso3: str, csrf: Annotated[str, Form()],
               user: Annotated[User, Depends(require("analyst"))],
               factor: Annotated[int, Form()], level: Annotated[int, Form()],
               trend: Annotated[str, Form()], confidence: Annotated[str, Form()],
               evidence: Annotated[str, Form()], source_title: Annotated[str, Form()] = "",
               source_url: Annotated[str, Form()] = "") -> RedirectResponse:
        check_csrf(request, csrf)
        sources = ([{"title": source_title or source_url, "url": source_url}]
                   if source_url else [])
        try:
            entry = assessments.AssessmentIn(factor=factor, level=level, trend=trend,  # type: ignore[arg-type]
                                             confidence=confidence, evidence=evidence,  # type: ignore[arg-type]
                                             sources=sources)  # type: ignore[arg-type]
        except ValidationError as exc:
            first = exc.errors()[0]
            raise HTTPException(422, f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
                                ) from exc
        with session(request.app.state.database_url) as s:
            found = queries.country(s, iso3.upper())
            if found is None:
                raise HTTPException(404, f"no country with ISO3 code {iso3!r}")
            assessments.record(s, user, found.iso3, entry)
        return RedirectResponse(f"/countries/{found.iso3}#assessment", status_code=303)

    return pages
