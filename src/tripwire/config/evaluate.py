"""The `evaluate:` section of tripwire.yaml: sampling, built-in evaluators, the LLM judge and the
ticket classifier."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Rubric = Literal["quality", "hallucination", "safety"]
ALL_RUBRICS: tuple[Rubric, ...] = ("quality", "hallucination", "safety")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QualitySettings(_Section):
    """What a good answer looks like for one use case (the `quality` evaluator)."""

    should_answer: bool = Field(True, description="a refusal counts against quality")
    expected_format: Literal["text", "json"] = "text"
    language: str | None = Field(
        None, description="ISO 639-1 code the answer must be in; default: the input's language"
    )
    min_chars: int | None = Field(None, ge=0, description="shorter answers are too short")
    max_chars: int | None = Field(None, ge=1, description="longer answers are too long")
    length_tolerance: float = Field(
        6.0, gt=1.0, description="how many times off the running typical length is too far"
    )


class UseCaseEvaluate(_Section):
    """Per use case overrides."""

    sample_rate: float | None = Field(None, ge=0.0, le=1.0)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    judge_sample_rate: float | None = Field(None, ge=0.0, le=1.0)


class Prices(_Section):
    """Dollars per 1,000 tokens (from the endpoint's `usage`), and per request without usage."""

    input_per_1k: float = Field(0.0, ge=0.0)
    output_per_1k: float = Field(0.0, ge=0.0)
    per_request: float = Field(0.0, ge=0.0)


class JudgeConfig(_Section):
    """LLM-as-judge over an OpenAI-compatible chat-completions endpoint; off unless enabled."""

    enabled: bool = False
    url: str = Field(
        "http://127.0.0.1:11434/v1/chat/completions",
        pattern=r"^https?://",
        description="full chat-completions URL",
    )
    model: str = "gpt-4o-mini"
    api_key_env: str | None = Field(
        None, description="name of the environment variable that holds the API key"
    )
    rubrics: list[Rubric] = Field(default_factory=lambda: list(ALL_RUBRICS))
    sample_rate: float = Field(0.05, ge=0.0, le=1.0, description="share of sampled outputs judged")
    timeout_s: float = Field(30.0, gt=0.0)
    max_retries: int = Field(2, ge=0, le=10)
    max_attempts: int = Field(5, ge=1, le=50, description="job attempts before it is given up")
    max_concurrency: int = Field(4, ge=1, le=64)
    max_queue: int = Field(10_000, ge=1, description="pending jobs beyond this are not enqueued")
    batch: int = Field(16, ge=1, le=1000, description="jobs claimed per worker round")
    max_cost_per_hour: float | None = Field(None, ge=0.0, description="dollars")
    max_requests_per_hour: int | None = Field(None, ge=0)
    prices: Prices = Field(default_factory=Prices)
    cache: bool = True
    replay: bool = Field(False, description="also enqueue judge jobs on event time (replay)")
    max_chars: int = Field(12_000, ge=100, description="longest text sent per field")

    def api_key(self) -> str | None:
        """The key from the named environment variable (configuration names it, never holds it)."""
        if not self.api_key_env:
            return None
        return os.environ.get(self.api_key_env) or None


class TicketsConfig(_Section):
    """The support-ticket classifier."""

    enabled: bool = True
    model: Path | None = Field(
        None, description="a model written by `tripwire tickets train`; default: the built-in one"
    )


class EvaluateConfig(_Section):
    """`evaluate:` in tripwire.yaml. Every key has a working default."""

    enabled: bool = True
    evaluators: list[str] = Field(
        default_factory=lambda: ["quality", "groundedness", "safety"],
        description="registered evaluator names run inline on sampled outputs",
    )
    sample_rate: float = Field(0.1, ge=0.0, le=1.0, description="share of outputs scored")
    min_per_segment: int = Field(
        60, ge=0, description="each model/prompt version segment gets at least this many per hour"
    )
    use_cases: dict[str, UseCaseEvaluate] = Field(default_factory=dict)
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    tickets: TicketsConfig = Field(default_factory=TicketsConfig)

    @model_validator(mode="after")
    def _unique_evaluators(self) -> EvaluateConfig:
        if len(set(self.evaluators)) != len(self.evaluators):
            raise ValueError("evaluators: each name may appear once")
        return self

    def for_use_case(self, use_case: str | None) -> UseCaseEvaluate:
        found = self.use_cases.get(use_case or "")
        return found if found is not None else _DEFAULT_USE_CASE


_DEFAULT_USE_CASE = UseCaseEvaluate()
