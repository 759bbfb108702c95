"""The public status page: public incidents and their updates, scheduled maintenance and
subscribers. Kept apart from `incidents` so the internal title never reaches the public."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime


class PublicIncidentRow(Base):
    """One published incident; `components` maps a component id to its public impact
    (degraded_performance | partial_outage | major_outage) while it is unresolved."""

    __tablename__ = "public_incidents"
    __table_args__ = (Index("ix_public_incidents_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int | None] = mapped_column(ForeignKey("incidents.number"), unique=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16))
    components: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PublicUpdateRow(Base):
    """One public update; `status` investigating | identified | monitoring | resolved."""

    __tablename__ = "public_updates"
    __table_args__ = (Index("ix_public_updates_public_incident", "public_incident"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    public_incident: Mapped[int] = mapped_column(ForeignKey("public_incidents.id"))
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    components: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MaintenanceRow(Base):
    """A scheduled maintenance window announced on the page."""

    __tablename__ = "public_maintenance"
    __table_args__ = (Index("ix_public_maintenance_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    components: Mapped[list[str]] = mapped_column(JSONType, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubscriberRow(Base):
    """Someone following the page: `kind` email | webhook, `target` the address or URL.
    `nonce` goes into its confirm and unsubscribe links (derived from the installation key);
    e-mail subscribers get updates only once `confirmed_at` is set."""

    __tablename__ = "public_subscribers"
    __table_args__ = (Index("ix_public_subscribers_kind_target", "kind", "target", unique=True),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))
    nonce: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
