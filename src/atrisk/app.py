"""The web application: the JSON API (``atrisk.api``) and the dashboard's pages
(``atrisk.web``) over the plumbing they share (``atrisk.http``); ``atrisk serve`` runs it."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from atrisk import __version__
from atrisk.api import (
    decision_routes,
    forecast_routes,
    response_routes,
    subnational_routes,
    watch_routes,
)
from atrisk.http import errors
from atrisk.http.cache import RunCache
from atrisk.http.guards import BodyLimit, SecurityHeaders
from atrisk.settings import Settings, get_settings
from atrisk.store import accounts
from atrisk.store.db import migrate
from atrisk.web import account_pages, pages, response_pages, watch_pages

#: How long a signed-in session lasts without signing in again (seconds).
SESSION_SECONDS = int(accounts.SESSION_LENGTH.total_seconds())


def create_app_from_env() -> FastAPI:
    """The app over the settings in the environment (``atrisk serve``'s worker factory)."""
    return create_app(get_settings())


def create_app(settings: Settings) -> FastAPI:
    """The API and pages over the store at ``settings.database`` (migrated on start)."""
    settings.check_production()
    migrate(settings.database)
    app = FastAPI(title="atrisk", version=__version__,
                  description="Mass-atrocity early warning: published forecasts and countries.",
                  responses=errors.ERRORS,
                  docs_url=None, redoc_url=None)  # /docs is served locally by the pages
    app.state.settings = settings
    app.state.database_url = settings.database
    app.state.public_forecasts = settings.public_forecasts
    app.state.cache = RunCache(settings.database)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="atrisk_session", max_age=SESSION_SECONDS,
                       same_site="lax", https_only=settings.environment == "production")
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, production=settings.environment == "production")
    errors.install(app)
    for router in (pages.router, account_pages.router, response_pages.router,
                   watch_pages.router, response_routes.router, forecast_routes.router,
                   decision_routes.router, watch_routes.router, subnational_routes.router):
        app.include_router(router)
    return app
