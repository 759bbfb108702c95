"""Parsing JSON that strangers send, with a nesting limit checked before any recursion.

Python's json module (and anything built on it) recurses once per level: a body nested 10,000
deep raises RecursionError, which escapes every `except ValueError`. The depth is measured here
without recursion, in C-speed passes (strings removed by a regular expression, brackets counted
by numpy), so a deep body is refused with a clear message before it is parsed.

It also accepts, by default, what is not data: `NaN` and `Infinity`, numbers too big for a float
(`1e999` becomes infinity) and lone UTF-16 surrogates (`"\\ud800"`, or the raw bytes of one),
which no database driver can encode (a 500 at the first write). `loads` refuses all three;
`check_strict` refuses them in a body another parser will read.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pydantic_core

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
# A candidate only (an emoji is a pair of escaped surrogates): the slower parser then decides.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class JsonBodyError(ValueError):
    """The bytes are not JSON Tripwire accepts; the message says why and what to do."""


def _outside_strings(raw: bytes) -> bytes:
    return _STRING.sub(b"", _ESCAPE.sub(b"", raw))


def nesting_depth(raw: bytes) -> int:
    """How deeply `raw` nests arrays and objects (brackets inside strings do not count)."""
    brackets = _outside_strings(raw).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    steps = _STEP[np.frombuffer(brackets, dtype=np.uint8)].astype(np.int32)
    return int(np.cumsum(steps).max())


def check_depth(raw: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonBodyError when `raw` nests deeper than `max_depth`."""
    if raw.count(b"[") + raw.count(b"{") > max_depth and nesting_depth(raw) > max_depth:
        raise JsonBodyError(f"JSON nested more than {max_depth} levels deep; flatten it")


def check_strict(raw: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonBodyError when `raw` is not JSON `loads` accepts: for a body another parser
    (FastAPI's) will read, which would let NaN, overflow and lone surrogates through. Nor may
    its text hold a NUL: PostgreSQL stores none (a 500 at the write) while SQLite does."""
    value = loads(raw, max_depth)
    # Strict JSON holds a NUL only escaped: the bytes are a candidate, the parsed text decides.
    if b"\\u0000" in raw and _holds_nul(value):
        raise JsonBodyError("body holds a NUL character (\\u0000), which no database stores")


def _holds_nul(value: Any) -> bool:
    """Whether a text in `value` (keys too) holds a NUL (walked without recursion)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _may_hold_surrogates(raw: bytes) -> bool:
    return b"\xed" in raw or _SURROGATE_ESCAPE.search(raw) is not None


def _no_constant(name: str) -> Any:
    raise JsonBodyError(f"body is not valid JSON: {name} is not a JSON number; send finite numbers")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonBodyError(f"body is not valid JSON: {text[:40]} does not fit in a float")
    return number


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `raw` as strict JSON (no NaN, Infinity, float overflow or lone surrogates),
    refusing deep nesting first."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    check_depth(data, max_depth)
    if json.detect_encoding(data) not in ("utf-8", "utf-8-sig"):
        # json.loads would read UTF-16 and UTF-32 too, whose escapes the byte scans here miss.
        raise JsonBodyError("body is not valid JSON: not UTF-8 text")
    try:
        if _may_hold_surrogates(data):
            # json.loads passes a lone surrogate through (escaped, or as raw bytes, which it
            # decodes with "surrogatepass"); pydantic-core's parser refuses it.
            value = pydantic_core.from_json(data, allow_inf_nan=False)
            return _finite_values(value)
        return json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except JsonBodyError:
        raise
    except UnicodeDecodeError:
        raise JsonBodyError("body is not valid JSON: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise JsonBodyError(f"body is not valid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits, a lone surrogate
        raise JsonBodyError(
            f"body is not valid JSON: {exc}; send finite numbers and UTF-8 text"
        ) from None


def _finite_values(value: Any) -> Any:
    """`value`, once no float in it is infinite (walked without recursion)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise JsonBodyError("body is not valid JSON: a number does not fit in a float")
    return value
