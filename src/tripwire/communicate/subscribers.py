"""Subscribers of the status page: by e-mail (confirmed through a link) and by signed webhook.
Every public update and maintenance window is written to the outbox for each of them.

Confirm and unsubscribe links carry `<id>.<HMAC of id and nonce>` under the installation key,
so no token is stored, and a webhook subscriber's signing secret is derived the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select

from tripwire.communicate.context import Conflict, Invalid, PageContext
from tripwire.communicate.statuspage import display_name
from tripwire.domain.clock import isoformat_z
from tripwire.notify.guard import literal_problem
from tripwire.notify.outbox import Outgoing, enqueue, enqueue_many
from tripwire.notify.webhook.subscribers import CHANNEL, subscriber_secret
from tripwire.store.tables.statuspage import MaintenanceRow, PublicIncidentRow, PublicUpdateRow
from tripwire.store.tables.statuspage import SubscriberRow as Sub

EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
MAX_URL = 2048
BATCH = 1000
RESEND = timedelta(hours=1)


def token(key: bytes, sub: Sub | Following, purpose: str) -> str:
    mac = hmac.new(key, f"statuspage:{purpose}:{sub.id}:{sub.nonce}".encode(), hashlib.sha256)
    return f"{sub.id}.{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')}"


def _by_token(ctx: PageContext, value: str, purpose: str) -> Sub | None:
    ident, _, _ = value.partition(".")
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 18 or len(value) > 200:
        return None
    sub = ctx.session.get(Sub, int(ident))
    expected = token(ctx.key, sub, purpose).encode() if sub is not None else b""
    # Bytes: compare_digest refuses non-ASCII str, and `value` is whatever the link carried.
    if sub is None or not hmac.compare_digest(expected, value.encode("utf-8", "replace")):
        return None
    return sub


def _room(ctx: PageContext) -> None:
    count = ctx.session.scalar(select(func.count()).select_from(Sub)) or 0
    if count >= ctx.config.subscribers.max_subscribers:
        raise Invalid("this page accepts no more subscribers")


def _new(ctx: PageContext, kind: str, target: str, confirmed: bool) -> Sub:
    sub = Sub(
        kind=kind,
        target=target,
        nonce=secrets.token_urlsafe(24),
        created_at=ctx.now,
        confirmed_at=ctx.now if confirmed else None,
    )
    ctx.session.add(sub)
    ctx.session.flush()
    return sub


def subscribe_email(ctx: PageContext, address: str) -> None:
    """Send a confirmation link; says nothing about whether the address was already there."""
    channel = ctx.config.subscribers.email_channel
    if channel is None:
        raise Invalid("e-mail subscriptions are not enabled on this page")
    address = address.strip()
    if len(address) > 254 or not EMAIL.match(address):
        raise Invalid("that is not an e-mail address")
    sub = ctx.session.scalar(select(Sub).where(Sub.kind == "email", Sub.target == address))
    if sub is not None and (sub.confirmed_at is not None or ctx.now - sub.created_at < RESEND):
        return  # confirmed, or a link went out within the hour: no mail-bombing an address
    if sub is not None:
        sub.created_at = ctx.now
    else:
        _room(ctx)
        sub = _new(ctx, "email", address, confirmed=False)
    link = f"{_base(ctx)}/status/subscribers/confirm?token={token(ctx.key, sub, 'confirm')}"
    name = ctx.config.name
    text = (
        f"Someone (hopefully you) asked to receive updates from {name}.\n\n"
        f"Confirm: {link}\n\nIf it was not you, ignore this message: nothing will be sent."
    )
    payload = {"subject": f"Confirm your subscription to {name}", "text": text,
               "recipient": {"email": address}, "at": isoformat_z(ctx.now)}  # fmt: skip
    enqueue(ctx.session, channel=channel, event="statuspage.confirm", payload=payload,
            ordering_key=f"status-sub-{sub.id}", now=ctx.now)  # fmt: skip


def subscribe_webhook(ctx: PageContext, url: str, allow_private: bool) -> dict[str, Any]:
    """A webhook subscriber, active at once; the answer holds its signing secret (only now)."""
    if not ctx.config.subscribers.webhooks:
        raise Invalid("webhook subscriptions are not enabled on this page")
    url = url.strip()
    problem = "URL too long" if len(url) > MAX_URL else literal_problem(url)
    if problem and not (allow_private and url.startswith(("http://", "https://"))):
        raise Invalid(f"webhook URL refused: {problem}")
    if ctx.session.scalar(select(Sub).where(Sub.kind == "webhook", Sub.target == url)):
        raise Conflict("this URL is already subscribed")
    _room(ctx)
    sub = _new(ctx, "webhook", url, confirmed=True)
    return {
        "id": sub.id,
        "url": url,
        "secret": subscriber_secret(ctx.key, sub.id, url),
        "unsubscribe_url": unsubscribe_link(ctx, sub),
    }


def confirm(ctx: PageContext, value: str) -> bool:
    sub = _by_token(ctx, value, "confirm")
    if sub is None:
        return False
    sub.confirmed_at = sub.confirmed_at or ctx.now
    return True


def unsubscribe(ctx: PageContext, value: str) -> bool:
    sub = _by_token(ctx, value, "unsubscribe")
    if sub is None:
        return False
    ctx.session.delete(sub)
    return True


def unsubscribe_link(ctx: PageContext, sub: Sub | Following) -> str:
    return f"{_base(ctx)}/status/subscribers/unsubscribe?token={token(ctx.key, sub, 'unsubscribe')}"


def _base(ctx: PageContext) -> str:
    return ctx.public_url.rstrip("/")


class Following(NamedTuple):
    id: int
    kind: str
    target: str
    nonce: str


def _confirmed(ctx: PageContext) -> list[Following]:
    """Every confirmed subscriber, read at once as plain rows (the fan-out then inserts)."""
    query = select(Sub.id, Sub.kind, Sub.target, Sub.nonce).where(Sub.confirmed_at.is_not(None))
    return [Following(*row) for row in ctx.session.execute(query.order_by(Sub.id))]


def announce_incident(ctx: PageContext, row: PublicIncidentRow, update: PublicUpdateRow) -> None:
    names = [display_name(ctx.config, c) for c in update.components]
    subject = f"[{ctx.config.name}] {row.title}: {update.status}"
    text = f"{update.status.capitalize()}: {update.body}"
    if names:
        text += "\n\nAffects: " + ", ".join(names)
    data = {
        "incident": {"id": str(row.id), "name": row.title, "status": row.status,
                     "created_at": isoformat_z(row.created_at)},
        "update": {"id": str(update.id), "status": update.status, "body": update.body,
                   "created_at": isoformat_z(update.created_at),
                   "components": dict(update.components or {})},
    }  # fmt: skip
    _fan_out(ctx, "statuspage.incident_update", subject, text, data)


def announce_maintenance(ctx: PageContext, row: MaintenanceRow) -> None:
    subject = f"[{ctx.config.name}] Scheduled maintenance: {row.title}"
    text = (
        f"From {isoformat_z(row.starts_at)} to {isoformat_z(row.ends_at)}: {row.body}\n\n"
        "Affects: " + ", ".join(display_name(ctx.config, c) for c in row.components)
    )
    data = {
        "maintenance": {"id": str(row.id), "name": row.title, "body": row.body,
                        "scheduled_for": isoformat_z(row.starts_at),
                        "scheduled_until": isoformat_z(row.ends_at),
                        "components": list(row.components)},
    }  # fmt: skip
    _fan_out(ctx, "statuspage.maintenance", subject, text, data)


def _fan_out(ctx: PageContext, event: str, subject: str, text: str, data: dict[str, Any]) -> None:
    """One outbox row per confirmed subscriber, in the transaction that made the change."""
    page = {"name": ctx.config.name, "url": ctx.config.url or f"{_base(ctx)}/status"}
    at = isoformat_z(ctx.now)
    email_channel = ctx.config.subscribers.email_channel
    batch: list[Outgoing] = []
    for sub in _confirmed(ctx):
        leave = unsubscribe_link(ctx, sub)
        order = f"status-sub-{sub.id}"
        if sub.kind == "webhook":
            payload = {**data, "at": at, "page": page, "unsubscribe_url": leave,
                       "subscriber": {"id": sub.id, "url": sub.target}}  # fmt: skip
            batch.append(Outgoing(CHANNEL, event, payload, order))
        elif email_channel is not None:
            body = f"{text}\n\n{page['url']}\n\nUnsubscribe: {leave}"
            payload = {"subject": subject, "text": body, "at": at,
                       "recipient": {"email": sub.target}}  # fmt: skip
            batch.append(Outgoing(email_channel, event, payload, order))
        if len(batch) >= BATCH:
            enqueue_many(ctx.session, batch, ctx.now)
            batch = []
    enqueue_many(ctx.session, batch, ctx.now)
