"""Personal data and secrets in text: e-mails, phone numbers, card numbers (Luhn-checked),
US social security numbers and API keys. Pure functions; never returns the matched text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_EMAIL = re.compile(
    r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,}\b"
)
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d\s)(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]\d{3,4}[\s.-]\d{3,4}"
    r"(?![\w-])(?!\s\d)"
    r"|(?<![\w+])\+\d{10,14}\b"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_SECRET = re.compile(
    r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b"
    r"|\bxox[abpr]-[A-Za-z0-9-]{10,}"
    r"|\bAIza[0-9A-Za-z_-]{35}\b"
    r"|\b[rs]k_live_[0-9A-Za-z]{20,}\b"
    r"|-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"
)


@dataclass(frozen=True, slots=True)
class PiiHit:
    """One kind of personal data found, and how many distinct values (never the values)."""

    kind: str
    count: int


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _cards(text: str) -> list[str]:
    found = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits):
            found.append(digits)
    return found


def _phones(text: str) -> list[str]:
    # A card number's digit groups look like a phone number: mask cards first.
    masked = _CARD.sub(lambda m: " " if _is_card(m.group(0)) else m.group(0), text)
    found = []
    for m in _PHONE.finditer(masked):
        digits = re.sub(r"\D", "", m.group(0))
        if 9 <= len(digits) <= 15:
            found.append(digits)
    return found


def _is_card(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


_FINDERS: dict[str, Callable[[str], list[str]]] = {
    "email": lambda t: [m.lower() for m in _EMAIL.findall(t)],
    "card_number": _cards,
    "ssn": lambda t: _SSN.findall(t),
    "phone": _phones,
    "secret": lambda t: _SECRET.findall(t),
}


def find_pii(text: str, known: str = "") -> list[PiiHit]:
    """PII in `text` that is not already in `known` (what the user gave or the context held).

    Secrets count even when the user supplied them: repeating a key is a leak in itself.
    """
    hits = []
    has_digits = sum(map(text.count, "0123456789")) >= 9
    for kind, finder in _FINDERS.items():
        if not _may_hold(kind, text, has_digits):
            continue
        values = set(finder(text))
        if not values:
            continue
        if kind != "secret" and known:
            values = {v for v in values if v not in known and v not in _digits_of(known)}
        if values:
            hits.append(PiiHit(kind, len(values)))
    return hits


_SECRET_HINTS = ("sk-", "AKIA", "gh", "xox", "AIza", "_live_", "PRIVATE KEY")


def _may_hold(kind: str, text: str, has_digits: bool) -> bool:
    """Cheap necessary conditions, so the regular expressions run only where they can match."""
    if kind == "email":
        return "@" in text
    if kind == "secret":
        return any(hint in text for hint in _SECRET_HINTS)
    return has_digits


def _digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)
