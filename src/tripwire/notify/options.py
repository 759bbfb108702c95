"""Validating a channel's options with its own pydantic model and a readable error."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def parse_options(model: type[M], options: dict[str, Any]) -> M:
    """`model` validated from `options`; ValueError lists each bad option by name."""
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '(options)'}: {e['msg']}" for e in exc.errors()
        ]
        raise ValueError("; ".join(problems)) from None
