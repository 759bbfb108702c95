"""`groundedness`: is each claim in the answer supported by the grounding context?

Sentence by sentence: lexical overlap of content words with the context, every number stated
must appear in the context, capitalised names should, and a claim must not flip the negation of
the context sentence it matches. An answer stating a number or contradicting the context scores
low however well the rest overlaps. Outputs without `context` are not scored (None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tripwire.evaluate.protocol import EvalInput, EvalResult
from tripwire.evaluate.quality import REFUSAL
from tripwire.evaluate.text import ALL_STOPWORDS, WORD, numbers, sentences, term, words

MAX_CONTEXT_CHARS = 50_000
MAX_CONTEXT_SENTENCES = 400
FULL_SUPPORT = 0.7  # share of a sentence's content words found in the context that counts as full
HARD_CAP = 0.3

_LIST_MARK = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[-*\u2022>#]+)[ \t]+", re.MULTILINE)
_NEGATIONS = frozenset(
    ["not", "no", "never", "none", "cannot", "without", "neither", "nor", "nothing", "nobody"]
)
_DIGIT = re.compile(r"\d")
_CHATTER = re.compile(
    r"let me know|hope (?:this|that) helps|feel free|happy to help|anything else|"
    r"great question|based on the (?:context|documents?|information)|here(?:'s| is) (?:a|the) "
    r"summary|i hope|glad to|thanks? (?:you )?for",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Context:
    terms: frozenset[str]
    numbers: frozenset[str]
    lower: str
    sentences: tuple[tuple[frozenset[str], bool], ...]


@dataclass(frozen=True, slots=True)
class _Claim:
    weight: int
    support: float
    missing_numbers: tuple[str, ...]
    contradiction: bool
    missing_names: tuple[str, ...]


class GroundednessEvaluator:
    """Returns `groundedness` in [0, 1] (`grounded`, `partially_grounded`, `ungrounded`,
    `no_claims`), or None when the output has no context to check against."""

    name = "groundedness"

    def evaluate(self, item: EvalInput) -> EvalResult | None:
        if not item.context or not item.output.strip():
            return None
        ctx = _context(item.context_text[:MAX_CONTEXT_CHARS])
        answer = _LIST_MARK.sub("", item.output)
        # Whole-answer checks first, so the per-sentence ones run only where they can match.
        skippers = [p for p in (_CHATTER, REFUSAL) if p.search(answer)]
        claims = []
        for sentence in sentences(answer):
            if sentence.endswith("?") or any(p.search(sentence) for p in skippers):
                continue
            claim = _claim(sentence, ctx)
            if claim is not None:
                claims.append(claim)
        if not claims:
            return EvalResult(self.name, 1.0, "no_claims", "the answer makes no factual claim")
        total = sum(c.weight for c in claims)
        score = sum(c.support * c.weight for c in claims) / total
        hard = [c for c in claims if c.missing_numbers or c.contradiction]
        if hard:
            score = min(score, HARD_CAP * (1 - len(hard) / (len(claims) + 1)) + 0.05)
        return EvalResult(self.name, round(score, 4), _label(score), _explain(claims))


def _analyse(sentence: str) -> tuple[frozenset[str], bool]:
    """A sentence's content terms, and whether it is negated."""
    lowered = sentence.lower()
    tokens = WORD.findall(lowered)
    negated = not _NEGATIONS.isdisjoint(tokens) or "n't" in lowered or "n\u2019t" in lowered
    return frozenset(filter(None, map(term, tokens))), negated


@lru_cache(maxsize=256)  # retrieval often hands many answers the same documents
def _context(text: str) -> _Context:
    sents = tuple(_analyse(s) for s in sentences(text)[:MAX_CONTEXT_SENTENCES])
    terms: frozenset[str] = frozenset().union(*(t for t, _ in sents)) if sents else frozenset()
    return _Context(terms, frozenset(numbers(text)), text.lower(), sents)


def _claim(sentence: str, ctx: _Context) -> _Claim | None:
    terms, negated = _analyse(sentence)
    nums = numbers(sentence) if _DIGIT.search(sentence) else set()
    if len(terms) < 3 and not nums:
        return None
    overlap = len(terms & ctx.terms) / len(terms) if terms else 1.0
    support = min(1.0, overlap / FULL_SUPPORT)
    missing_numbers = tuple(sorted(n for n in nums if n not in ctx.numbers))
    names = _names(sentence)
    missing_names = tuple(n for n in names if n.lower() not in ctx.lower)
    if missing_names:
        support *= 1 - 0.5 * len(missing_names) / len(names)
    contradiction = _contradicts(terms, negated, ctx)
    if missing_numbers or contradiction:
        support = min(support, 0.1)
    return _Claim(max(len(terms), 1), support, missing_numbers, contradiction, missing_names)


def _names(sentence: str) -> list[str]:
    """Capitalised words past the first word: a cheap stand-in for named entities."""
    tokens = words(sentence)[1:]
    return [
        t
        for t in tokens
        if len(t) > 1 and t[0].isupper() and t.lower() not in ALL_STOPWORDS and not t.isupper()
    ]


def _contradicts(terms: frozenset[str], negated: bool, ctx: _Context) -> bool:
    """A context sentence that the claim restates almost word for word, with the negation
    flipped (one says "not", the other does not)."""
    if len(terms) < 2:
        return False
    for ctx_terms, ctx_negated in ctx.sentences:
        if ctx_negated == negated or len(ctx_terms) < 2:
            continue
        shared = len(terms & ctx_terms)
        if shared >= 2 and shared >= 0.75 * len(ctx_terms) and shared >= 0.4 * len(terms):
            return True
    return False


def _label(score: float) -> str:
    if score >= 0.7:
        return "grounded"
    return "partially_grounded" if score >= 0.4 else "ungrounded"


def _explain(claims: list[_Claim]) -> str:
    weak = [c for c in claims if c.support < 0.5]
    parts = [f"{len(claims) - len(weak)} of {len(claims)} claims supported by the context"]
    nums = sorted({n for c in claims for n in c.missing_numbers})
    if nums:
        parts.append("numbers not in the context: " + ", ".join(nums[:5]))
    if any(c.contradiction for c in claims):
        parts.append("a claim negates what the context says")
    names = sorted({n for c in claims for n in c.missing_names})
    if names:
        parts.append("names not in the context: " + ", ".join(names[:5]))
    return "; ".join(parts)
