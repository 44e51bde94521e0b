"""The audit log: every write records who did what, in the same transaction as the write, so
a write and its record stand or fall together."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atrisk.store.schema import AuditEntry, User


def record(s: Session, actor: User | None, action: str, entity: str, entity_id: object,
           **detail: Any) -> None:
    """Add an audit entry to the session's transaction."""
    s.add(AuditEntry(at=datetime.now(UTC), user_id=actor.id if actor else None, action=action,
                     entity=entity, entity_id=str(entity_id),
                     detail=json.loads(json.dumps(detail, default=str))))


def entries(s: Session, entity: str | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return list(s.scalars(query))
