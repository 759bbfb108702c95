"""Reading request bodies with the size limit enforced while reading, not after."""

from __future__ import annotations

import zlib
from typing import Any

from fastapi import Request

from tripwire.api.errors import ApiError
from tripwire.ingest import jsonbody


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body, decompressed when gzip- or deflate-encoded; 413 as soon as it passes
    `limit` bytes (counted after decompression)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    encoding = request.headers.get("content-encoding", "identity").lower()
    if encoding not in ("identity", "gzip", "deflate"):
        raise ApiError(415, f"unsupported Content-Encoding {encoding!r}; use gzip, deflate or none")
    # 32 + MAX_WBITS accepts both gzip and zlib ("deflate" in HTTP) framing.
    inflater = zlib.decompressobj(32 + zlib.MAX_WBITS) if encoding != "identity" else None
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        if inflater is not None:
            try:
                # Bounded output so a small "zip bomb" cannot expand past the limit in memory.
                chunk = inflater.decompress(chunk, limit + 1 - size)
            except zlib.error:
                raise ApiError(400, f"body is not valid {encoding}") from None
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


async def read_json(request: Request, limit: int) -> Any:
    """The body parsed as strict JSON: 413 past `limit`, 400 when it is not JSON, holds NaN or
    nests deeper than `jsonbody.MAX_DEPTH`."""
    return parse_json(await read_limited(request, limit))


async def read_optional_json(request: Request, limit: int) -> Any:
    """Like `read_json`, but an empty body is an empty object (the body is optional)."""
    raw = await read_limited(request, limit)
    return parse_json(raw) if raw.strip() else {}


def parse_json(raw: bytes) -> Any:
    try:
        return jsonbody.loads(raw)
    except jsonbody.JsonBodyError as exc:
        raise ApiError(400, str(exc)) from None


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"body larger than {limit} bytes; send smaller batches")
