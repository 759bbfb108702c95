"""The `tripwire` command."""

from __future__ import annotations

from typing import Annotated

import typer

import tripwire
from tripwire.cli import (
    action_items_cmd,
    config_cmd,
    data_cmd,
    deadletter_cmd,
    evals_cmd,
    evaluate_cmd,
    incidents_cmd,
    learn_cmd,
    oncall_cmd,
    statuspage_cmd,
    tokens,
    usercomms_cmd,
)
from tripwire.cli.demo_cmd import demo
from tripwire.cli.detect_cmd import detect_series
from tripwire.cli.flags_cmd import app as flags_app
from tripwire.cli.replay import replay_command
from tripwire.cli.serve import serve
from tripwire.cli.worker_cmd import worker

app = typer.Typer(
    name="tripwire",
    help="Incident management for AI products.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.command("serve")(serve)
app.command("worker")(worker)
app.command("replay")(replay_command)
app.command("demo")(demo)
app.command("detect-series")(detect_series)
app.add_typer(tokens.app, name="tokens")
app.add_typer(config_cmd.app, name="config")
app.add_typer(deadletter_cmd.app, name="deadletter")
usercomms_cmd.register(incidents_cmd.app)
app.add_typer(incidents_cmd.app, name="incidents")
app.add_typer(oncall_cmd.app, name="oncall")
app.add_typer(statuspage_cmd.app, name="status-page")
app.command("classify-tickets")(evaluate_cmd.classify_tickets)
app.add_typer(evaluate_cmd.tickets_app, name="tickets")
app.add_typer(flags_app, name="flags")
app.add_typer(learn_cmd.postmortem_app, name="postmortem")
app.add_typer(evals_cmd.evals_app, name="evals")  # learn_cmd's export, with run and gate
app.command("readiness")(learn_cmd.readiness)
app.add_typer(action_items_cmd.app, name="action-items")
app.add_typer(data_cmd.app, name="data")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tripwire {tripwire.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = None,
) -> None:
    """Incident management for AI products."""


def run() -> None:
    app()
