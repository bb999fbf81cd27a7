"""The audit trail (DESIGN.md rule 6): every change says when, who and what."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlmodel import Session

from app import models

SYSTEM = "system"
CLIENT = "client"
IMPORT = "import"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def record(session: Session, *, at: datetime, actor: str, entity: str, entity_id: int | None,
           action: str, changes: Mapping[str, Any] | None = None) -> None:
    session.add(models.AuditEvent(at=at, actor=actor, entity=entity, entity_id=entity_id,
                                  action=action,
                                  changes=json.dumps(_plain(changes or {}), ensure_ascii=False,
                                                     sort_keys=True)))


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that differ."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
