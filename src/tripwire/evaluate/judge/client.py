"""One judgement over an OpenAI-compatible chat-completions endpoint (httpx), with timeouts,
retries for transient failures and for replies that are not a valid verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from tripwire.config.evaluate import JudgeConfig
from tripwire.evaluate.judge.verdict import Verdict, VerdictError, parse_verdict


class JudgeError(Exception):
    """A judgement failed. `permanent` failures (bad key, bad request) are not retried."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Usage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    has_tokens: bool = False

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.requests + other.requests,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.has_tokens or other.has_tokens,
        )


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    usage: Usage


class JudgeClient:
    """Thread-safe: one httpx.Client shared by the worker's threads."""

    def __init__(self, config: JudgeConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        headers = {"Content-Type": "application/json"}
        key = config.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(config.timeout_s),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def judge(self, messages: list[dict[str, str]], labels: tuple[str, ...]) -> Judgement:
        """Ask until a valid verdict arrives or retries run out; raises JudgeError."""
        usage = Usage()
        conversation = list(messages)
        last = "no attempt made"
        for attempt in range(self.config.max_retries + 1):
            if attempt:
                time.sleep(min(0.2 * 2**attempt, 2.0))
            try:
                reply, used = self._complete(conversation)
            except JudgeError as exc:
                if exc.permanent:
                    raise
                last = str(exc)
                continue
            usage = usage + used
            try:
                return Judgement(parse_verdict(reply, labels), usage)
            except VerdictError as exc:
                last = f"invalid verdict: {exc}"
                conversation = [
                    *messages,
                    {"role": "assistant", "content": reply[:2000]},
                    {
                        "role": "user",
                        "content": f"That was not usable: {exc}. Reply with the JSON object only.",
                    },
                ]
        raise JudgeError(f"no valid verdict after {self.config.max_retries + 1} tries: {last}")

    def _complete(self, messages: list[dict[str, str]]) -> tuple[str, Usage]:
        body = {"model": self.config.model, "messages": messages, "temperature": 0}
        try:
            response = self.http.post(self.config.url, json=body)
        except httpx.TimeoutException:
            raise JudgeError(f"the judge did not answer within {self.config.timeout_s} s") from None
        except httpx.HTTPError as exc:
            raise JudgeError(f"cannot reach the judge: {exc}") from None
        if response.status_code in (400, 401, 403, 404):
            raise JudgeError(f"the judge refused the request ({response.status_code})", True)
        if response.status_code != 200:
            raise JudgeError(f"the judge answered HTTP {response.status_code}")
        try:
            data = response.json()
            reply = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise JudgeError("the judge's response is not a chat completion") from None
        return str(reply or ""), _usage(data.get("usage"))


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage(requests=1)
    prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return Usage(requests=1)
    return Usage(1, max(prompt, 0), max(completion, 0), True)
