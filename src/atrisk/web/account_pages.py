"""Signing in and out, one's own API tokens, and (for admins) the users and their roles.
Every form posts its CSRF token; every change is one transaction."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from atrisk.domain.errors import ConfigError, NotFoundError, SignInLocked, SignInThrottled
from atrisk.http.auth import check_csrf, require, sign_in, sign_out
from atrisk.store import accounts
from atrisk.store.db import session
from atrisk.store.schema import User
from atrisk.web.render import TEMPLATES

Csrf = Annotated[str, Form(alias="csrf")]


#: The one answer to a refused sign-in, whether the e-mail is unknown, the password wrong or
#: the account locked: any difference would tell a stranger which e-mails have accounts.
WRONG = (f"Wrong e-mail or password. After {accounts.LOCK_AFTER} wrong passwords for an "
         f"account, this address must wait {accounts.WINDOW.seconds // 60} minutes before "
         "trying it again.")


router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "login.html",
                                      {"next": _local(next), "error": None})


@router.post("/login", response_model=None)
def login(request: Request, csrf: Csrf, email: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
          ) -> Response:
    check_csrf(request, csrf)
    client = request.client.host if request.client else "unknown"
    try:
        with session(request.app.state.database_url) as s:
            user = accounts.authenticate(s, email, password, client=client)
    except SignInThrottled as exc:
        return TEMPLATES.TemplateResponse(
            request, "login.html", {"next": _local(next), "error": (
                f"Too many failed sign-ins from your address: try again after "
                f"{exc.until:%H:%M} UTC.")}, status_code=429)
    except SignInLocked:
        user = None  # answered as a wrong password: a lock would tell that the account exists
    if user is None:
        return TEMPLATES.TemplateResponse(
            request, "login.html", {"next": _local(next), "error": WRONG}, status_code=401)
    sign_in(request, user)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Csrf) -> RedirectResponse:
    check_csrf(request, csrf)
    sign_out(request)
    return RedirectResponse("/", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: Annotated[User, Depends(require("viewer"))]
            ) -> HTMLResponse:
    with session(request.app.state.database_url) as s:
        mine = accounts.tokens(s, user)
    return TEMPLATES.TemplateResponse(request, "account.html", {
        "tokens": mine, "new_token": request.session.pop("new_token", None)})


@router.post("/account/tokens")
def create_token(request: Request, csrf: Csrf,
                 user: Annotated[User, Depends(require("viewer"))],
                 name: Annotated[str, Form()] = "") -> RedirectResponse:
    check_csrf(request, csrf)
    with session(request.app.state.database_url) as s:
        request.session["new_token"] = accounts.new_token(s, user, name)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(request: Request, token_id: int, csrf: Csrf,
           user: Annotated[User, Depends(require("viewer"))]) -> RedirectResponse:
    check_csrf(request, csrf)
    with session(request.app.state.database_url) as s:
        if not accounts.revoke_token(s, user, token_id):
            raise NotFoundError(f"you have no active token {token_id}")
    return RedirectResponse("/account", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, _: Annotated[User, Depends(require("admin"))]
                ) -> HTMLResponse:
    return _users_page(request, None)


@router.post("/admin/users", response_model=None)
def add_user(request: Request, csrf: Csrf,
             admin: Annotated[User, Depends(require("admin"))],
             email: Annotated[str, Form()], password: Annotated[str, Form()],
             role: Annotated[str, Form()], name: Annotated[str, Form()] = ""
             ) -> Response:
    check_csrf(request, csrf)
    try:
        with session(request.app.state.database_url) as s:
            accounts.add_user(s, email, password, role, name, actor=admin)
    except ConfigError as exc:
        return _users_page(request, str(exc), status=422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/teams", response_model=None)
def join_team(request: Request, csrf: Csrf,
              admin: Annotated[User, Depends(require("admin"))],
              email: Annotated[str, Form()], team: Annotated[str, Form()]) -> Response:
    check_csrf(request, csrf)
    try:
        with session(request.app.state.database_url) as s:
            member = accounts.user_by_email(s, email)
            if member is None:
                raise ConfigError(f"no user {email}")
            accounts.join_team(s, member, team, actor=admin)
    except ConfigError as exc:
        return _users_page(request, str(exc), status=422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}", response_model=None)
def change_user(request: Request, user_id: int, csrf: Csrf,
                admin: Annotated[User, Depends(require("admin"))],
                role: Annotated[str, Form()], active: Annotated[bool, Form()] = False
                ) -> Response:
    check_csrf(request, csrf)
    if user_id == admin.id and (role != "admin" or not active):
        return _users_page(request, "You cannot demote or deactivate yourself.", 422)
    try:
        with session(request.app.state.database_url) as s:
            target = s.get(User, user_id)
            if target is None:
                raise NotFoundError(f"no user {user_id}")
            accounts.update_user(s, target, role, active, actor=admin)
    except ConfigError as exc:
        return _users_page(request, str(exc), status=422)
    return RedirectResponse("/admin/users", status_code=303)


def _users_page(request: Request, error: str | None, status: int = 200) -> HTMLResponse:
    with session(request.app.state.database_url) as s:
        everyone = accounts.users(s)
        teams = {u.id: ", ".join(t.name for t in accounts.teams_of(s, u)) for u in everyone}
    return TEMPLATES.TemplateResponse(request, "admin_users.html", {
        "users": everyone, "roles": accounts.ROLES, "error": error, "teams": teams},
        status_code=status)


def _local(target: str) -> str:
    """Only redirect within this site (no open redirect through ``next``)."""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
