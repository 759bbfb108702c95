"""Where a candidate answer comes from: an OpenAI-compatible chat endpoint or a local command.

`openai:BASE_URL[#MODEL]` posts to BASE_URL/chat/completions (the key from OPENAI_API_KEY or
TRIPWIRE_EVAL_API_KEY); `cmd:COMMAND` runs COMMAND once per case with the prompt on stdin and
takes stdout as the answer (no shell: wrap pipes in `sh -c '...'`).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

MAX_ANSWER = 200_000  # characters kept of an answer; a runaway target cannot exhaust memory
DEFAULT_MODEL = "gpt-4o-mini"
KEY_VARIABLES = ("TRIPWIRE_EVAL_API_KEY", "OPENAI_API_KEY")
SYSTEM = "Answer the user's question. Rest every claim on the context when one is given."


class TargetError(Exception):
    """The target could not answer; the message says why (the case fails with it)."""


class BadTarget(ValueError):
    """The --target text is not usable; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a case asks: the user's input and the grounding documents."""

    input: str
    context: tuple[str, ...] = ()

    def as_text(self) -> str:
        """The single-string form a command reads on stdin."""
        if not self.context:
            return self.input
        docs = "\n\n".join(self.context)
        return f"Context:\n{docs}\n\nQuestion: {self.input}"


class Target(Protocol):
    @property
    def label(self) -> str: ...

    def answer(self, prompt: Prompt) -> str: ...


@dataclass(frozen=True, slots=True)
class OpenAITarget:
    base_url: str
    model: str
    api_key: str | None
    timeout: float

    @property
    def label(self) -> str:
        return f"openai:{self.base_url}#{self.model}"

    def answer(self, prompt: Prompt) -> str:
        messages = [{"role": "system", "content": SYSTEM}]
        if prompt.context:
            messages.append(
                {"role": "system", "content": "Context:\n" + "\n\n".join(prompt.context)}
            )
        messages.append({"role": "user", "content": prompt.input})
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "messages": messages, "temperature": 0}
        try:
            r = httpx.post(
                self.base_url.rstrip("/") + "/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise TargetError(f"cannot reach {self.base_url}: {exc}") from None
        if r.status_code != 200:
            raise TargetError(f"{self.base_url} answered HTTP {r.status_code}: {r.text[:200]}")
        return _content(r)


def _content(r: httpx.Response) -> str:
    try:
        content = r.json()["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError):
        raise TargetError("the answer is not an OpenAI chat completion") from None
    if not isinstance(content, str):
        raise TargetError("the completion has no text content")
    return content[:MAX_ANSWER]


@dataclass(frozen=True, slots=True)
class CommandTarget:
    argv: tuple[str, ...]
    timeout: float

    @property
    def label(self) -> str:
        return "cmd:" + shlex.join(self.argv)

    def answer(self, prompt: Prompt) -> str:
        # The structured form is there too, for commands that build their own messages.
        env = {
            **os.environ,
            "TRIPWIRE_EVAL_INPUT": prompt.input,
            "TRIPWIRE_EVAL_CONTEXT": json.dumps(list(prompt.context)),
        }
        try:
            done = subprocess.run(
                self.argv,
                input=prompt.as_text(),
                capture_output=True,
                text=True,
                timeout=self.timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise TargetError(f"{self.label} took longer than {self.timeout:g} s") from None
        except OSError as exc:
            raise TargetError(f"cannot run {self.label}: {exc}") from None
        if done.returncode != 0:
            tail = done.stderr.strip()[-300:]
            raise TargetError(f"{self.label} exited {done.returncode}: {tail}")
        return done.stdout[:MAX_ANSWER].strip()


def parse_target(spec: str, env: Mapping[str, str], timeout: float = 60.0) -> Target:
    """`openai:BASE_URL[#MODEL]` or `cmd:COMMAND`; raises BadTarget with how to write it."""
    kind, _, rest = spec.partition(":")
    rest = rest.strip()
    if kind == "openai" and rest:
        base, _, model = rest.partition("#")
        if not base.startswith(("http://", "https://")):
            raise BadTarget(
                "openai target: give a URL, e.g. openai:https://api.openai.com/v1#gpt-4o"
            )
        key = next((env[k] for k in KEY_VARIABLES if env.get(k)), None)
        return OpenAITarget(base, model or DEFAULT_MODEL, key, timeout)
    if kind == "cmd" and rest:
        try:
            argv = tuple(shlex.split(rest))
        except ValueError as exc:
            raise BadTarget(f"cmd target: {exc}") from None
        if argv:
            return CommandTarget(argv, timeout)
    raise BadTarget(
        f"--target {spec[:80]!r}: use openai:BASE_URL[#MODEL] (key from OPENAI_API_KEY) "
        'or cmd:"COMMAND" (prompt on stdin, answer on stdout)'
    )
