"""The command-line face: Typer commands, thin, no business rules."""
