"""Per-installation secrets, generated once and kept in the database."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tripwire.store.tables.runtime import InstanceSecretRow


def instance_secret(session: Session, name: str, now: datetime) -> str:
    """The secret called `name`, created on first use; concurrent first uses agree on one."""
    row = session.get(InstanceSecretRow, name)
    if row is not None:
        return row.value
    try:
        with session.begin_nested():
            session.add(
                InstanceSecretRow(name=name, value=secrets.token_urlsafe(48), created_at=now)
            )
    except IntegrityError:
        pass
    row = session.get(InstanceSecretRow, name)
    assert row is not None
    return row.value
