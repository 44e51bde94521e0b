"""Who is asking, and may they? Browsers sign in with a session cookie (signed by Starlette's
SessionMiddleware); programs send ``Authorization: Bearer <API token>``. Every form carries a
CSRF token tied to the session; token-authenticated requests carry no cookie to forge."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from atrisk.http.cache import Body
from atrisk.store import accounts
from atrisk.store.db import session
from atrisk.store.schema import User

_UNSET = object()

#: The cookie's entry holding the session key (``accounts.start_session``).
SESSION_KEY = "sid"

#: Raised as the detail of a 401 so pages can send the browser to the login form instead.
SIGN_IN = "sign in first"


def current_user(request: Request) -> User | None:
    """The signed-in user (session cookie or API token), looked up once per request."""
    seen = getattr(request.state, "user", _UNSET)
    if seen is not _UNSET:
        return seen  # type: ignore[return-value]
    user = None
    header = request.headers.get("authorization", "")
    url = request.app.state.database_url
    if header.lower().startswith("bearer "):
        with session(url) as s:
            user = accounts.user_by_token(s, header[7:].strip())
        if user is None:
            raise HTTPException(401, "invalid or revoked API token")
    elif request.session.get(SESSION_KEY) is not None:
        with session(url) as s:
            user = accounts.session_user(s, str(request.session[SESSION_KEY]))
        if user is None:  # signed out elsewhere, expired, or deactivated
            request.session.clear()
    request.state.user = user
    return user


def require(role: str) -> Callable[[Request], User]:
    """A dependency: the current user, who must hold ``role`` (401 if signed out, 403 if
    the role is too low)."""
    def dependency(request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise HTTPException(401, SIGN_IN)
        if not accounts.allows(user.role, role):
            raise HTTPException(403, f"this needs the {role} role (you are {user.role})")
        return user
    return dependency


def writer(role: str) -> Callable[[Request], User]:
    """A dependency for API writes: ``role`` or above; a browser session must also send its
    CSRF token in ``X-CSRF-Token`` (an API token needs none: no cookie can be forged)."""
    def dependency(request: Request) -> User:
        user = require(role)(request)
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            check_csrf(request, request.headers.get("x-csrf-token", ""))
        return user
    return dependency


async def reader(request: Request) -> User | None:
    """A dependency for published forecasts: anyone when they are public, else viewers.
    (Async, so public reads never wait for a worker thread.)"""
    if request.app.state.public_forecasts:
        return None
    return await run_in_threadpool(require("viewer"), request)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form sends it back."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, sent: str) -> None:
    expected = request.session.get("csrf")
    if not expected or not secrets.compare_digest(str(expected), sent or ""):
        raise HTTPException(403, "the form expired or did not come from this site: reload "
                                 "the page and try again")


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user``, kept on the server (a new CSRF token: nothing
    carries over)."""
    request.session.clear()
    with session(request.app.state.database_url) as s:
        request.session[SESSION_KEY] = accounts.start_session(s, user)
    request.state.user = user
    csrf_token(request)


def sign_out(request: Request) -> None:
    """End the session on the server, then in the browser: a copy of the cookie is dead."""
    key = request.session.get(SESSION_KEY)
    if key is not None:
        with session(request.app.state.database_url) as s:
            accounts.end_session(s, str(key))
    request.session.clear()


def signed_in(request: Request) -> bool:
    """Whether the request claims a session (cheap: no store look-up)."""
    return request.session.get(SESSION_KEY) is not None


def template_context(request: Request) -> dict[str, Any]:
    """What every page's template gets: the user, and ``csrf()`` for the token of its forms
    (made only when a form asks, so an anonymous page sets no cookie and can be cached)."""
    try:
        user = current_user(request)
    except HTTPException:
        user = None
    return {"user": user, "csrf": lambda: csrf_token(request)}


async def shared_page(request: Request, key: tuple[Any, ...],
                      render: Callable[[], Response]) -> Response:
    """A page every anonymous reader sees alike is rendered once per ``key`` (the runs and
    build it shows) and served from memory; a signed-in user's page is rendered for them."""
    if signed_in(request) or "authorization" in request.headers:
        return await run_in_threadpool(render)
    cache = request.app.state.cache
    body = await cache.body(key, lambda: Body.of(bytes(render().body),
                                                 "text/html; charset=utf-8"))
    return body.response(request)
