"""What API routes share: one store transaction per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from atrisk.store.db import session
from atrisk.web.lookup import country_or_404

__all__ = ["Id", "Offset", "SessionDep", "country_or_404"]

#: The largest id or offset a store holds (a signed 32-bit integer on every backend): a
#: larger number is refused with a 422 before it reaches the database.
LARGEST = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=LARGEST)]
Offset = Annotated[int, Query(ge=0, le=LARGEST)]


def _db(request: Request) -> Iterator[Session]:
    """One transaction per request against the app's store."""
    with session(request.app.state.database_url) as s:
        yield s


#: ``scope="function"``: the transaction commits when the route returns, before the response
#: is sent, so a client never sees a success for a write that is not yet durable (with the
#: default, FastAPI runs the exit code after the response; the crash test caught that).
SessionDep = Annotated[Session, Depends(_db, scope="function")]
