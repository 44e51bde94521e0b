"""The one error shape every route answers with, and the handlers that produce it: each
``AtriskError`` carries its HTTP status, so no route writes its own try block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from atrisk.domain.errors import AtriskError


class Error(BaseModel):
    ok: bool = False
    error: str
    status: int


#: What any operation may answer besides its success, all in the one error shape.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Error, "description": why} for status, why in (
        (400, "The body is not valid JSON"),
        (401, "Not signed in (no session or API token)"),
        (403, "Signed in, but the role does not allow it"),
        (404, "No such country, run or record"),
        (405, "Method not allowed (the Allow header lists those that are)"),
        (409, "The change conflicts with what is stored (e.g. a due date before the start)"),
        (413, "Request body over the size limit"),
        (422, "Invalid input: the message names the field"),
        (429, "Too many attempts from this client; try again later"),
        (503, "The store does not answer, or no data build yet"))}


def install(app: FastAPI) -> None:
    """Answer every error in the one shape; a browser that must sign in goes to the form."""

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 401 and _wants_page(request):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(_allowed(app, request.url.path))
        return error(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(AtriskError)
    async def _atrisk_error(_: Request, exc: AtriskError) -> JSONResponse:
        return error(exc.status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error(422, f"{where}: {first.get('msg', 'invalid request')}")


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The one error shape (a 405 keeps its ``Allow`` header)."""
    return JSONResponse(Error(error=message, status=status).model_dump(),
                        status_code=status, headers=dict(headers or {}))


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (sent to the login form) rather than a program (JSON)."""
    path = request.url.path
    return (not path.startswith(("/api/", "/healthz", "/openapi", "/docs"))
            and "text/html" in request.headers.get("accept", ""))


def _allowed(app: FastAPI, path: str) -> list[str]:
    """The methods the routes at ``path`` answer (HEAD goes with GET; not listed)."""
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute | Route) and route.path_regex.match(path):
            methods |= set(route.methods or ())
    return sorted(methods - {"HEAD"})
