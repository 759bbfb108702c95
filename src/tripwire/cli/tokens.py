"""`tripwire tokens ...`: issue, list and revoke API tokens."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.domain.clock import isoformat_z
from tripwire.domain.tokens import SCOPES, parse_scopes
from tripwire.store import tokens as store

app = typer.Typer(help="Manage API tokens (stored hashed; a secret is shown once).")


@app.command("create")
def create(
    scope: Annotated[
        list[str], typer.Option("--scope", "-s", help=f"repeatable: {', '.join(SCOPES)}")
    ],
    name: Annotated[str, typer.Option(help="what the token is for")] = "unnamed",
    config: ConfigOption = None,
) -> None:
    """Create a token; prints its secret once on stdout."""
    try:
        scopes = parse_scopes(scope)
    except ValueError as exc:
        fail(str(exc))
    runtime = open_runtime(config)
    try:
        with runtime.db.session() as session:
            info, secret = store.create_token(session, name, scopes, runtime.clock.now())
    except ValueError as exc:
        fail(str(exc))
    typer.echo(
        f"created token {info.id} ({' '.join(scopes)}); keep the secret, it is not shown again:",
        err=True,
    )
    typer.echo(secret)


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    config: ConfigOption = None,
) -> None:
    """List tokens (never their secrets)."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        infos = store.list_tokens(session)
    rows: list[dict[str, Any]] = [
        {
            "id": i.id,
            "name": i.name,
            "scopes": sorted(i.scopes),
            "created_at": isoformat_z(i.created_at),
            "revoked_at": isoformat_z(i.revoked_at) if i.revoked_at else None,
        }
        for i in infos
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "revoked" if row["revoked_at"] else "active"
        typer.echo(f"{row['id']}  {state:8} {' '.join(row['scopes']):28} {row['name']}")


@app.command("revoke")
def revoke(token_id: str, config: ConfigOption = None) -> None:
    """Revoke a token by id; it stops working at once."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        if not store.revoke(session, token_id, runtime.clock.now()):
            fail(f"no active token with id {token_id!r}; see `tripwire tokens list`")
    typer.echo(f"revoked {token_id}")
