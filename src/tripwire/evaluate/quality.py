"""`quality`: the shapes regressions take in practice, caught without a model.

Refusals where the use case should answer, empty or truncated answers, repetition loops, the
wrong language, a broken required format and lengths far off the use case's running typical.
Each problem found caps the score; the lowest cap wins and names the label.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from tripwire.evaluate.protocol import EvalInput, EvalResult
from tripwire.evaluate.text import detect_language, lower_words

REFUSAL = re.compile(
    r"\b(?:i'?m|i am|we'?re|we are) (?:really |very |so )?(?:sorry|afraid)\b[^.!?\n]{0,40}?"
    r"\b(?:can(?:no|'|\u2019)?t|cannot|unable|not able|won'?t|not allowed|not permitted)\b"
    r"|\b(?:i|we) (?:can(?:no|'|\u2019)?t|cannot|won'?t|will not|am unable to|are unable to|"
    r"am not able to|must decline to|do not|don'?t) (?:help(?! but)|assist|provide|answer|do that|"
    r"comply|share|fulfil+|support|respond|discuss|give|offer|generate|create|complete)\b"
    r"|\bas an ai(?: language model| assistant| model)?\b[^.!?\n]{0,60}?\b(?:can(?:no|')?t|cannot|"
    r"unable|not able|don'?t have)\b"
    r"|\bi must (?:respectfully )?decline\b|\bunable to (?:help|assist) with (?:that|this)\b"
    r"|\bthat(?:'s| is) (?:not something|outside (?:of )?what) i can\b"
    r"|\bi(?:'m| am) not (?:able|allowed|permitted) to (?:help|assist|answer|provide|discuss)\b",
    re.IGNORECASE,
)
_DANGLING_TEXT = """and or but the a an of to with for in on at by that which because so as if
    than from into is are was were be this these their our your my then when while including
    such like will can should would could has have had not its it"""
_DANGLING = frozenset(_DANGLING_TEXT.split())
_LOOP_TOKEN = re.compile(r"\b(\w+)\b(?:\W+\1\b){7,}", re.IGNORECASE)
_FENCE = re.compile(r"^```[\w-]*\s*|\s*```\s*$")


@dataclass
class _Typical:
    """Exponentially weighted mean and variance of log(length): a running typical length."""

    n: int = 0
    mean: float = 0.0
    var: float = 0.0

    def update(self, length: int, alpha: float = 0.02) -> None:
        x = math.log1p(length)
        self.n += 1
        if self.n == 1:
            self.mean = x
            return
        a = max(alpha, 1.0 / self.n)
        delta = x - self.mean
        self.mean += a * delta
        self.var = (1 - a) * (self.var + a * delta * delta)

    @property
    def length(self) -> float:
        return math.expm1(self.mean)


class QualityEvaluator:
    """Returns `quality` in [0, 1] with the main problem as label (`ok` when none)."""

    name = "quality"
    warmup = 30

    def __init__(self) -> None:
        self._typical: dict[str, _Typical] = {}

    def evaluate(self, item: EvalInput) -> EvalResult:
        issues = self._issues(item)
        text = item.output.strip()
        if text and not any(label in ("empty", "refusal") for _, label, _ in issues):
            self._typical.setdefault(item.use_case, _Typical()).update(len(text))
        if not issues:
            return EvalResult(self.name, 1.0, "ok", None)
        issues.sort(key=lambda i: i[0])
        score, label, _ = issues[0]
        return EvalResult(self.name, score, label, "; ".join(why for _, _, why in issues))

    def _issues(self, item: EvalInput) -> list[tuple[float, str, str]]:
        text = item.output.strip()
        if not text:
            return [(0.0, "empty", "the answer is empty")]
        cfg = item.settings.quality
        found: list[tuple[float, str, str]] = []
        checks = (
            _refusal(text) if cfg.should_answer else None,
            _json(text) if cfg.expected_format == "json" else _truncated(text),
            _repetition(text),
            _language(text, item.input, cfg.language),
            self._length(text, item),
        )
        found.extend(c for c in checks if c is not None)
        return found

    def _length(self, text: str, item: EvalInput) -> tuple[float, str, str] | None:
        cfg = item.settings.quality
        n = len(text)
        if cfg.min_chars is not None and n < cfg.min_chars:
            return (0.5, "too_short", f"{n} characters, below the minimum of {cfg.min_chars}")
        if cfg.max_chars is not None and n > cfg.max_chars:
            return (0.6, "too_long", f"{n} characters, above the maximum of {cfg.max_chars}")
        typical = self._typical.get(item.use_case)
        if typical is None or typical.n < self.warmup:
            return None
        usual = typical.length
        spread = math.exp(2.5 * math.sqrt(typical.var))
        factor = max(cfg.length_tolerance, spread)
        if n * factor < usual:
            return (0.5, "too_short", f"{n} characters where about {usual:.0f} is typical")
        if n > usual * factor and n > 200:
            return (0.7, "too_long", f"{n} characters where about {usual:.0f} is typical")
        return None


def _refusal(text: str) -> tuple[float, str, str] | None:
    head = text[:300]
    if not REFUSAL.search(head):
        return None
    if len(text) < 700:
        return (0.1, "refusal", "the answer refuses a request this use case should answer")
    return (0.6, "partial_refusal", "the answer opens with a refusal")


def _json(text: str) -> tuple[float, str, str] | None:
    body = _FENCE.sub("", text)
    try:
        json.loads(body)
    except ValueError as exc:
        return (0.0, "invalid_format", f"the use case expects JSON; it does not parse ({exc})")
    return None


def _truncated(text: str) -> tuple[float, str, str] | None:
    if text.count("```") % 2 == 1:
        return (0.3, "truncated", "a code block is opened and never closed")
    if len(text) < 40:
        return None
    if text[-1] in ",:;([{-\u2013" or (text[-1].isalpha() and _last_word(text) in _DANGLING):
        return (0.3, "truncated", "the answer stops mid-sentence")
    return None


def _last_word(text: str) -> str:
    tail = lower_words(text[-40:])
    return tail[-1] if tail else ""


def _repetition(text: str) -> tuple[float, str, str] | None:
    if _LOOP_TOKEN.search(text):
        return (0.1, "repetition", "the same word repeats in a loop")
    tokens = lower_words(text)
    if len(tokens) >= 24:
        grams = list(zip(tokens, tokens[1:], tokens[2:], strict=False))
        ratio = len(set(grams)) / len(grams)
        if ratio < 0.45:
            return (0.15, "repetition", f"only {ratio:.0%} of word triples are distinct")
    lines = [ln.strip().lower() for ln in text.splitlines() if len(ln.strip()) > 12]
    if len(lines) >= 4:
        most = max(lines.count(ln) for ln in set(lines))
        if most >= 3 and most / len(lines) > 0.3:
            return (0.2, "repetition", f"one line repeats {most} times")
    return None


def _language(text: str, prompt: str, expected: str | None) -> tuple[float, str, str] | None:
    want = expected or detect_language(prompt)
    if want is None:
        return None
    got = detect_language(text)
    if got is None or got == want:
        return None
    return (0.3, "wrong_language", f"the answer reads as {got!r} where {want!r} is expected")
