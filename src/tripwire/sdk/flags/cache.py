"""The flags' last-known values on disk, so a restart with the server down still serves them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tripwire.sdk._util import logger, now_rfc3339

FORMAT = 1


def default_cache_path(base_url: str) -> Path | None:
    """`$XDG_CACHE_HOME/tripwire/flags-<hash of url>.json` (or ~/.cache/...), None if no home."""
    root = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(root) if root else Path.home() / ".cache"
    except RuntimeError:
        return None
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:16]
    return base / "tripwire" / f"flags-{digest}.json"


def load(path: Path, base_url: str) -> tuple[dict[str, Any], str | None, float | None] | None:
    """The cached `{"flags": [...]}` payload, its ETag and when it was saved (Unix seconds), or
    None (missing, unreadable, or written for another server)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("tripwire: ignoring the flags cache %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("url") != base_url:
        return None
    etag, saved = data.get("etag"), data.get("saved_unix")
    return (
        {"flags": data.get("flags")},
        etag if isinstance(etag, str) else None,
        float(saved) if isinstance(saved, int | float) and not isinstance(saved, bool) else None,
    )


def save(path: Path, base_url: str, flags: list[dict[str, Any]], etag: str | None) -> bool:
    """Write the cache atomically (temporary file, fsync, rename); False, logged, on failure."""
    body = json.dumps(
        {
            "format": FORMAT,
            "url": base_url,
            "etag": etag,
            "saved_at": now_rfc3339(),
            "saved_unix": time.time(),
            "flags": flags,
        }
    )
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".flags-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return True
    except OSError as exc:
        logger.warning("tripwire: could not write the flags cache %s: %s", path, exc)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
