"""Post-mortems, their action items, and the evaluation test cases incidents add."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime


class PostmortemRow(Base):
    """One blameless post-mortem per incident; `status` draft | done."""

    __tablename__ = "postmortems"

    incident: Mapped[int] = mapped_column(ForeignKey("incidents.number"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    sections: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    author: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ActionItemRow(Base):
    """Something to change so the incident does not happen again; `kind` prevent | detect |
    mitigate | process; `status` open | in_progress | done | wont_do. An unfinished item past
    `due_at` reminds its owner (`reminded_at` is the last reminder)."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey("incidents.number"))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(256))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_action_items_incident", "incident"),
        Index("ix_action_items_due", "status", "due_at"),
    )


class EvalCaseRow(Base):
    """A regression test an incident adds to the evaluation suite: the input, the output that
    went wrong, and the assertions a good answer must pass."""

    __tablename__ = "eval_cases"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey("incidents.number"))
    description: Mapped[str] = mapped_column(Text)
    source_output_id: Mapped[str | None] = mapped_column(String(128))
    input: Mapped[str] = mapped_column(Text)
    bad_output: Mapped[str] = mapped_column(Text)
    expected_output: Mapped[str | None] = mapped_column(Text)
    context: Mapped[list[str]] = mapped_column(JSONType, default=list)
    assertions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(256))

    __table_args__ = (Index("ix_eval_cases_incident", "incident"),)
