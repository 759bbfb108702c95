"""`tripwire serve`, `--version` and `tokens` as a user runs them: real processes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from click.testing import Result
from typer.testing import CliRunner

import tripwire
from tests.serve_proc import Serve, clean_env
from tests.serve_proc import tripwire as run
from tripwire.cli.main import app

runner = CliRunner()


def cli(*args: str, env: dict[str, str]) -> Result:
    """The command in-process (faster than a subprocess) with `env` as its environment."""
    return runner.invoke(app, list(args), env=env)


def test_serve_on_loopback_without_tokens_prints_an_admin_token_once(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "t.db")
    server = Serve(env)
    try:
        lines = [line.strip() for line in server.stderr if line.strip().startswith("tw_")]
        assert len(lines) == 1, server.stderr
        token = lines[0]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{server.url}/v1/stats", headers=headers).status_code == 200
        assert httpx.get(f"{server.url}/v1/stats").status_code == 401
        assert any(f"the web UI is {server.url}/ui" in line for line in server.stderr)
    finally:
        server.stop()
    again = Serve(env)
    try:
        assert not any(line.strip().startswith("tw_") for line in again.stderr), again.stderr
        assert httpx.get(f"{again.url}/v1/stats", headers=headers).status_code == 200
    finally:
        again.stop()


def test_serve_refuses_a_public_address_without_auth(tmp_path: Path) -> None:
    result = run("serve", "--host", "0.0.0.0", "--port", "0", env=clean_env(tmp_path / "t.db"))
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 with no API token" in result.stderr
    assert "tripwire tokens create --scope admin" in result.stderr
    assert "tw_" not in result.stdout + result.stderr


def test_serve_with_the_environment_token_prints_no_token(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "t.db", TRIPWIRE_ADMIN_TOKEN="tw_env-token-abcdef")
    server = Serve(env)
    try:
        assert not any("tw_" in line for line in server.stderr)
        headers = {"Authorization": "Bearer tw_env-token-abcdef"}
        assert httpx.get(f"{server.url}/v1/stats", headers=headers).status_code == 200
    finally:
        server.stop()


def test_serve_explains_a_port_it_cannot_use(tmp_path: Path) -> None:
    result = run("serve", "--port", "70000", env=clean_env(tmp_path / "t.db"))
    assert result.returncode == 2
    assert "cannot listen on 127.0.0.1:70000" in result.stderr


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    result = run("--version", env=clean_env(tmp_path / "t.db"))
    assert result.returncode == 0
    assert result.stdout.strip() == f"tripwire {tripwire.__version__}"


def test_tokens_can_be_created_listed_used_and_revoked(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "t.db")
    created = cli("tokens", "create", "--scope", "ingest", "-s", "read", "--name", "ci", env=env)
    assert created.exit_code == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("tw_")
    assert "\n" not in secret
    assert "not shown again" in created.stderr

    listed = json.loads(cli("tokens", "list", "--json", env=env).stdout)
    assert [(t["name"], t["scopes"], t["revoked_at"]) for t in listed] == [
        ("ci", ["ingest", "read"], None)
    ]
    assert secret not in cli("tokens", "list", env=env).stdout

    server = Serve(env)
    try:
        headers = {"Authorization": f"Bearer {secret}"}
        assert httpx.get(f"{server.url}/v1/stats", headers=headers).status_code == 200
        revoked = cli("tokens", "revoke", listed[0]["id"], env=env)
        assert revoked.exit_code == 0, revoked.stderr
        assert httpx.get(f"{server.url}/v1/stats", headers=headers).status_code == 401
    finally:
        server.stop()
    assert "revoked" in cli("tokens", "list", env=env).stdout


def test_tokens_explain_bad_input(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "t.db")
    bad_scope = cli("tokens", "create", "--scope", "root", env=env)
    assert bad_scope.exit_code == 2
    assert "unknown scope 'root'" in bad_scope.stderr
    unknown = cli("tokens", "revoke", "nope", env=env)
    assert unknown.exit_code == 2
    assert "no active token with id 'nope'" in unknown.stderr
    # Respond tells what Tripwire did by itself by this actor name (an auto-resolve it may
    # reopen): a token that took it would pass a person's resolve off as Tripwire's.
    reserved = cli("tokens", "create", "--scope", "respond", "--name", "Tripwire", env=env)
    assert reserved.exit_code == 2
    assert "the name Tripwire acts under" in reserved.stderr
