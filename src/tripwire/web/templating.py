"""The Jinja2 environment: autoescaping on for every template, never `|safe` on user text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tripwire import __version__
from tripwire.domain.clock import isoformat_z

HERE = Path(__file__).parent
STATIC = HERE / "static"


def _when(value: datetime | None) -> str:
    """A readable UTC second, e.g. `2026-01-31 22:05:09 UTC`."""
    if value is None:
        return ""
    return isoformat_z(value.replace(microsecond=0)).replace("T", " ").replace("Z", " UTC")


def _utc(value: datetime | str | None) -> str:
    """A readable UTC minute, e.g. `2026-01-31 22:05 UTC` (no seconds, no microseconds)."""
    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return isoformat_z(when)[:16].replace("T", " ") + " UTC"


def _iso(value: datetime | None) -> str:
    return "" if value is None else isoformat_z(value)


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["iso"] = _iso
    env.filters["utc"] = _utc
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


templates = make_templates()
