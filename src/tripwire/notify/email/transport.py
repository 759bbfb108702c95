"""E-mail over SMTP (smtplib): plain text, one message per notification id."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tripwire.config.settings import Settings
from tripwire.notify.channel import DeliveryError, Notification
from tripwire.notify.options import parse_options


class EmailOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = Field(alias="from")
    to: list[str] = Field(default_factory=list, description="recipients besides the paged one")
    timeout: float = Field(30.0, gt=0, le=120)


def _header(text: str) -> str:
    # Hostile text must not add headers: drop line breaks, keep subjects short.
    return " ".join(text.split())[:200]


def compose(options: EmailOptions, note: Notification) -> EmailMessage:
    payload = note.payload
    recipients = list(options.to)
    person = payload.get("recipient") or {}
    if person.get("email"):
        recipients.insert(0, str(person["email"]))
    if not recipients:
        raise DeliveryError(
            "no recipient: the person has no e-mail and `to` is empty", permanent=True
        )
    message = EmailMessage()
    message["From"] = options.sender
    message["To"] = ", ".join(_header(r) for r in recipients)
    message["Subject"] = _header(str(payload.get("subject") or payload.get("text", "Tripwire")))
    message["Message-ID"] = f"<{note.id}@tripwire>"
    body = str(payload.get("text", ""))
    if payload.get("ack_url"):
        body += f"\n\nAcknowledge: {payload['ack_url']}"
    if payload.get("incident", {}).get("url"):
        body += f"\nIncident: {payload['incident']['url']}"
    message.set_content(body + "\n")
    return message


class EmailChannel:
    def __init__(self, options: EmailOptions) -> None:
        self.options = options

    def send(self, note: Notification) -> None:
        message = compose(self.options, note)
        opts = self.options
        try:
            smtp_class = smtplib.SMTP_SSL if opts.security == "tls" else smtplib.SMTP
            with smtp_class(opts.host, opts.port, timeout=opts.timeout) as smtp:
                if opts.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if opts.username and opts.password:
                    smtp.login(opts.username, opts.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipients refused: {exc.recipients}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP failed: {type(exc).__name__}: {exc}") from None


def build(name: str, options: dict[str, Any], settings: Settings) -> EmailChannel:
    return EmailChannel(parse_options(EmailOptions, options))
