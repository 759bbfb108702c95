"""Writing simulated events as JSON Lines, the input of `tripwire replay`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_jsonl(events: Iterable[dict[str, Any]], path: Path) -> int:
    """Write one compact JSON object per line; returns how many were written."""
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(dumps(event))
            handle.write("\n")
            count += 1
    return count
