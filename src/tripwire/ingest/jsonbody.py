"""Parsing JSON that strangers send, with a nesting limit checked before any recursion.

Python's json module (and anything built on it) recurses once per level: a body nested 10,000
deep raises RecursionError, which escapes every `except ValueError`. The depth is measured here
without recursion, in C-speed passes (strings removed by a regular expression, brackets counted
by numpy), so a deep body is refused with a clear message before it is parsed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

MAX_DEPTH = 64
"""How deep a request body may nest objects and arrays (the events' own `attributes` allow 16)."""

# Escapes first (valid JSON has backslashes only inside strings), then strings, which hold no
# quote once escapes are gone: two linear passes, whatever the input.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*+"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1


class JsonBodyError(ValueError):
    """The bytes are not JSON Tripwire accepts; the message says why and what to do."""


def nesting_depth(raw: bytes) -> int:
    """How deeply `raw` nests arrays and objects (brackets inside strings do not count)."""
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", raw)).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    steps = _STEP[np.frombuffer(brackets, dtype=np.uint8)].astype(np.int32)
    return int(np.cumsum(steps).max())


def check_depth(raw: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonBodyError when `raw` nests deeper than `max_depth`."""
    if raw.count(b"[") + raw.count(b"{") > max_depth and nesting_depth(raw) > max_depth:
        raise JsonBodyError(f"JSON nested more than {max_depth} levels deep; flatten it")


def _no_constant(name: str) -> Any:
    raise JsonBodyError(f"body is not valid JSON: {name} is not a JSON number; send finite numbers")


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `raw` as strict JSON (no NaN or Infinity), refusing deep nesting first."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    check_depth(data, max_depth)
    try:
        return json.loads(data, parse_constant=_no_constant)
    except JsonBodyError:
        raise
    except UnicodeDecodeError:
        raise JsonBodyError("body is not valid JSON: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise JsonBodyError(f"body is not valid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise JsonBodyError(f"body is not valid JSON: {exc}") from None
