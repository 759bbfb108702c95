"""`tripwire config validate`."""

from __future__ import annotations

import typer

from tripwire.cli.common import ConfigOption, config_or_exit, settings_or_exit
from tripwire.config.file import config_path

app = typer.Typer(help="Check tripwire.yaml.")


@app.command("validate")
def validate(config: ConfigOption = None) -> None:
    """Validate the config file and print every error with its path."""
    settings = settings_or_exit()
    path = config_path(settings, config)
    config_or_exit(settings, path)
    typer.echo(f"{path or 'no tripwire.yaml found; the defaults'} OK")
