"""Finding what a URL names, or answering 404 (shared by pages and API)."""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy.orm import Session

from atrisk.store import queries
from atrisk.store.schema import Country


def country_or_404(s: Session, iso3: str) -> Country:
    found = queries.country(s, iso3.upper())
    if found is None:
        raise HTTPException(404, f"no country with ISO3 code {iso3!r}")
    return found
