"""What API routes share: one store transaction per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from atrisk.store import queries
from atrisk.store.db import session
from atrisk.store.schema import Country


def _db(request: Request) -> Iterator[Session]:
    """One transaction per request against the app's store."""
    with session(request.app.state.database_url) as s:
        yield s


#: ``scope="function"``: the transaction commits when the route returns, before the response
#: is sent, so a client never sees a success for a write that is not yet durable (with the
#: default, FastAPI runs the exit code after the response; the crash test caught that).
SessionDep = Annotated[Session, Depends(_db, scope="function")]


def country_or_404(s: Session, iso3: str) -> Country:
    found = queries.country(s, iso3.upper())
    if found is None:
        raise HTTPException(404, f"no country with ISO3 code {iso3!r}")
    return found
