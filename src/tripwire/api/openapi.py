"""Make `/openapi.json` say what the API really does.

FastAPI documents a route's success answer and its own request-validation error. Every route
here can also answer the error shape (`{"error": ...}`) for auth (401, 403), a missing resource
(404), a body too large or malformed (400, 413), a busy database (503) and an internal error
(500), and some answer with other media types (Prometheus text, YAML, HTML, protobuf). This
module adds those answers to every operation, declares the bodies the routes read themselves,
and replaces FastAPI's `HTTPValidationError` with the error shape the API really sends. A
generated-request fuzzer (tests/integration/hardening/test_fuzz_openapi.py) holds it to that.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from tripwire.runtime.access import POLICY_ATTR

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "what went wrong and what to do"},
        "request_id": {"type": "string", "description": "quote it to the operator (500, 503)"},
        "invalid": {"type": "array", "items": {"type": "object"}},
        "details": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}
OFREP_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OfrepError",
    "type": "object",
    "properties": {
        "key": {"type": "string"},
        "errorCode": {"type": "string"},
        "errorDetails": {"type": "string"},
    },
    "additionalProperties": True,
}
# OFREP providers send `null` (or nothing) when they have no evaluation context.
OFREP_BODY: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {"context": {"type": ["object", "null"]}},
}
_JSON_ERROR = {"application/json": {"schema": ERROR_REF}}
_DESCRIPTIONS = {
    "400": "The body is not what its Content-Type says (bad JSON, nested too deeply, NaN)",
    "401": "No token, or an unknown or revoked one (`WWW-Authenticate: Bearer`)",
    "403": "The token lacks the scope this route needs",
    "404": "Nothing is found under this name",
    "413": "The body is larger than this route accepts",
    "429": "Ingest is saturated; retry after `Retry-After` seconds",
    "503": "The database stayed busy; nothing changed, retry after `Retry-After` seconds",
    "default": "Any other failure (409 conflict, 415, 422 invalid input, 500 with a request id)",
}
# Bodies the routes read themselves (streamed, size- and depth-limited), declared here because
# FastAPI cannot see them. Third-party formats are referenced, not restated.
RAW_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/events"): {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["events"],
                "properties": {"events": {"type": "array", "items": {"type": "object"}}},
                "description": "a batch of events (docs/events.md), at most 10,000",
            }
        }
    },
    ("post", "/v1/otlp/traces"): {
        "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "object", "description": "OTLP/JSON"}},
    },
    ("post", "/v1/otlp/logs"): {
        "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "object", "description": "OTLP/JSON"}},
    },
    ("post", "/v1/alerts/alertmanager"): {
        "application/json": {
            "schema": {"type": "object", "description": "an Alertmanager webhook (version 4)"}
        }
    },
    ("post", "/v1/alerts/pagerduty"): {
        "application/json": {
            "schema": {"type": "object", "description": "a PagerDuty Events API v2 event"}
        }
    },
    ("put", "/v1/flags/{key}"): {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "the flag (docs/flags.md), plus `reason` and `incident_id`",
            }
        }
    },
    ("post", "/v1/flags/{key}/kill"): {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["reason"],
                "properties": {
                    "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "incident_id": {"type": "string", "pattern": "^INC-[0-9]{1,9}$"},
                },
                "additionalProperties": False,
            }
        }
    },
    ("post", "/v1/rollbacks/{rollback_id}/revert"): {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"reason": {"type": "string", "maxLength": 2000}},
                "additionalProperties": False,
            }
        }
    },
    ("post", "/ofrep/v1/evaluate/flags/{key}"): {"application/json": {"schema": OFREP_BODY}},
    ("post", "/ofrep/v1/evaluate/flags"): {"application/json": {"schema": OFREP_BODY}},
}
OPTIONAL_BODIES = {
    ("post", "/v1/rollbacks/{rollback_id}/revert"),
    ("post", "/ofrep/v1/evaluate/flags/{key}"),
    ("post", "/ofrep/v1/evaluate/flags"),
}
OTHER_MEDIA: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/metrics"): {"text/plain": {"schema": {"type": "string"}}},
    ("get", "/v1/evals/export"): {
        "application/yaml": {"schema": {"type": "array", "items": {"type": "object"}}},
        "application/json": {"schema": {}},
    },
}


# An instant as documented for bodies: RFC 3339 with an offset in the years 1970 to 2199 (days
# up to the 28th, so that every string the pattern allows is a real date; the API accepts every
# real date in those years).
INSTANT_PATTERN = (
    r"^(19[7-9][0-9]|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$"
)


def instant_schema(schema: dict[str, Any]) -> None:
    """`json_schema_extra` for a datetime field: the pattern above instead of a bare
    `date-time` (which allows years 1 to 9999, refused here)."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("format") == "date-time":
            del branch["format"]
            branch["pattern"] = INSTANT_PATTERN


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with one that completes FastAPI's document (built once)."""
    plain = app.openapi

    def complete() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(plain(), _policies(app))
        return app.openapi_schema

    app.openapi = complete  # type: ignore[method-assign]


def _policies(app: FastAPI) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        policy = next(
            (
                str(getattr(d.call, POLICY_ATTR))
                for d in route.dependant.dependencies
                if hasattr(d.call, POLICY_ATTR)
            ),
            "public",
        )
        for method in route.methods or ():
            found[(method.lower(), route.path_format)] = policy
    return found


def complete_document(doc: dict[str, Any], policies: dict[tuple[str, str], str]) -> dict[str, Any]:
    """`doc` with every answer each operation can give (see the module docstring)."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["OfrepError"] = OFREP_ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            key = (method, path)
            _declare_body(key, operation)
            _errors(key, path, operation, policies.get(key, "public"))
            if key in OTHER_MEDIA:
                operation["responses"][_success(operation)]["content"] = OTHER_MEDIA[key]
    return doc


def _declare_body(key: tuple[str, str], operation: dict[str, Any]) -> None:
    if key in RAW_BODIES and "requestBody" not in operation:
        operation["requestBody"] = {
            "required": key not in OPTIONAL_BODIES,
            "content": RAW_BODIES[key],
        }


def _success(operation: dict[str, Any]) -> str:
    return next(str(code) for code in operation["responses"] if str(code).startswith("2"))


def _errors(key: tuple[str, str], path: str, operation: dict[str, Any], policy: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    content = _error_content(path)
    codes = ["503", "default"]
    if policy != "public":
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    if "requestBody" in operation:
        codes += ["400", "413"]
    if policy == "ingest" and key[0] == "post" and "/alerts/" not in path:
        codes.append("429")
    for code in codes:
        responses.setdefault(code, {"description": _DESCRIPTIONS[code], "content": content})
    if "422" in responses:
        responses["422"] = {
            "description": "The request is readable but invalid; `details` name each field",
            "content": content,
        }


def _error_content(path: str) -> dict[str, Any]:
    if path.startswith("/ack/"):
        return {"text/html": {"schema": {"type": "string"}}, **_JSON_ERROR}
    if path.startswith("/ofrep/"):
        either = {"anyOf": [ERROR_REF, {"$ref": "#/components/schemas/OfrepError"}]}
        return {"application/json": {"schema": either}}
    return _JSON_ERROR
