"""OpenFeature Remote Evaluation Protocol (OFREP) bodies. No I/O.

Tripwire's flags have no targeting rules: every context gets the value served now, so the
reason is `STATIC` and the result may be cached until the flag's version changes.
"""

from __future__ import annotations

from typing import Any

from tripwire.flags.model import Flag

SUPPORTED_TYPES = ["boolean", "string"]


class OfrepError(Exception):
    """An OFREP failure: `status` and the spec's `errorCode` / `errorDetails`."""

    def __init__(self, status: int, code: str, details: str) -> None:
        super().__init__(details)
        self.status = status
        self.code = code
        self.details = details

    def body(self, key: str | None) -> dict[str, Any]:
        data: dict[str, Any] = {"errorCode": self.code, "errorDetails": self.details}
        if key is not None:
            data = {"key": key, **data}
        return data


def check_request(raw: Any) -> dict[str, Any]:
    """The evaluation context of a request body. Raises OfrepError (400) on a bad body."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise OfrepError(400, "PARSE_ERROR", 'the body must be a JSON object {"context": {...}}')
    context = raw.get("context", {})
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise OfrepError(400, "INVALID_CONTEXT", "`context` must be a JSON object")
    return context


def variant_of(flag: Flag) -> str:
    if isinstance(flag.value, bool):
        return "on" if flag.value else "off"
    return flag.value


def evaluate(flag: Flag) -> dict[str, Any]:
    """A success body: the value served now, its variant and what version it comes from."""
    metadata: dict[str, Any] = {"version": flag.version, "killed": flag.killed}
    if flag.use_case is not None:
        metadata["use_case"] = flag.use_case
    return {
        "key": flag.key,
        "value": flag.value,
        "reason": "STATIC",
        "variant": variant_of(flag),
        "metadata": metadata,
    }


def not_found(key: str) -> OfrepError:
    return OfrepError(404, "FLAG_NOT_FOUND", f"no flag {key!r}; create it with PUT /v1/flags/{key}")


def configuration(name: str, min_polling_interval_ms: int) -> dict[str, Any]:
    return {
        "name": name,
        "capabilities": {
            "cacheInvalidation": {
                "polling": {"enabled": True, "minPollingIntervalMs": min_polling_interval_ms}
            },
            "flagEvaluation": {"supportedTypes": SUPPORTED_TYPES},
        },
    }
