"""What every command shares: loading settings and config, and failing with exit status 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from tripwire.config.file import ConfigError, TripwireConfig, config_path, load_config
from tripwire.config.settings import Settings, load_settings
from tripwire.notify.registry import check_channels
from tripwire.runtime.wiring import Runtime

err = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="path of tripwire.yaml (default: ./tripwire.yaml)"),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print what went wrong and what to do, then exit (2: bad usage or input)."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        lines = [
            f"TRIPWIRE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        ]
        fail("bad environment settings:\n  " + "\n  ".join(lines))
    except OSError as exc:
        fail(f"cannot read a *_FILE secret: {exc}")


def config_or_exit(settings: Settings, explicit: Path | None) -> TripwireConfig:
    path = config_path(settings, explicit)
    try:
        config = load_config(path)
    except ConfigError as exc:
        fail(f"{exc.source} is not valid:\n  " + "\n  ".join(exc.problems))
    problems = check_channels(config.respond, settings)
    if problems:
        fail(f"{path or 'the configuration'} is not valid:\n  " + "\n  ".join(problems))
    return config


def open_runtime(explicit_config: Path | None, *, workers: bool | None = None) -> Runtime:
    """The process's runtime; `workers` overrides TRIPWIRE_WORKERS when given."""
    settings = settings_or_exit()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    config = config_or_exit(settings, explicit_config)
    try:
        return Runtime.open(settings, config)
    except Exception as exc:  # a database that cannot be opened is an input problem for the user
        fail(f"cannot open the database {settings.database_url!r}: {exc}")
