"""The command's help reads as written: square brackets are text, docstring lines reflow."""

from __future__ import annotations

from typer.testing import CliRunner

from tripwire.cli.main import app


def test_square_brackets_in_help_are_shown_not_eaten_as_markup() -> None:
    result = CliRunner().invoke(app, ["evals", "gate", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "openai:BASE_URL[#MODEL]" in result.output


def test_a_docstring_wrapped_in_the_source_reflows_in_the_command_list() -> None:
    result = CliRunner().invoke(app, ["deadletter", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "runs them through the stage that failed" in result.output
