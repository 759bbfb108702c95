"""The judge worker: drains the `judge` jobs with bounded concurrency and writes `score` events
through ingest, so the pipeline follower feeds them to detection like product scores."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from tripwire.config.evaluate import JudgeConfig, Rubric
from tripwire.domain.clock import Clock
from tripwire.domain.events import EVENT_ADAPTER, Event
from tripwire.evaluate.judge import jobs
from tripwire.evaluate.judge.budget import hour_of, record_spend, within_budget
from tripwire.evaluate.judge.cache import cache_key, cached, remember
from tripwire.evaluate.judge.client import JudgeClient, JudgeError
from tripwire.evaluate.judge.rubrics import RUBRICS, build_messages
from tripwire.evaluate.judge.verdict import Verdict
from tripwire.evaluate.protocol import EvalResult
from tripwire.evaluate.scores import score_payload
from tripwire.ingest.writer import store_events
from tripwire.store.db import Database

log = logging.getLogger("tripwire.evaluate")

EVALUATOR = "llm_judge"
LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _Outcome:
    seq: int
    event: Event | None = None
    error: str | None = None
    permanent: bool = False
    deferred: bool = False


@dataclass(frozen=True, slots=True)
class _Prepared:
    seq: int
    rubric: Rubric
    output: dict[str, Any]
    messages: list[dict[str, str]]
    key: str


class JudgeWorker:
    """`run_once()` claims at most `batch` due jobs, judges them `max_concurrency` at a time and
    returns True when more may be waiting (the background loop then calls again at once)."""

    def __init__(
        self,
        db: Database,
        config: JudgeConfig,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.transport = transport
        self._client: JudgeClient | None = None

    @property
    def client(self) -> JudgeClient:
        if self._client is None:  # created on first use: a disabled judge opens no connections
            self._client = JudgeClient(self.config, self.transport)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def run_once(self) -> bool:
        if not self.config.enabled:
            return False
        now = self.clock.now()
        with self.db.session() as session:
            if not within_budget(session, self.config, now):
                return False
            claimed = jobs.claim_jobs(session, self.config.batch, now, LEASE)
            work = [(job.seq, dict(job.payload), job.attempts) for job in claimed]
        if not work:
            return False
        prepared = [self._prepare(seq, payload) for seq, payload, _ in work]
        # Identical questions in one batch are asked once (the cache covers later batches).
        unique = {p.key: p for p in prepared}
        with ThreadPoolExecutor(max_workers=self.config.max_concurrency) as pool:
            answers = dict(zip(unique, pool.map(self._verdict, unique.values()), strict=True))
        outcomes = [self._outcome(p, answers[p.key]) for p in prepared]
        events = [o.event for o in outcomes if o.event is not None]
        if events:
            store_events(self.db, events, self.clock)
        self._settle(outcomes, {seq: attempts for seq, _, attempts in work})
        return len(work) == self.config.batch and not any(o.deferred for o in outcomes)

    def _prepare(self, seq: int, payload: dict[str, Any]) -> _Prepared:
        rubric: Rubric = payload["rubric"]
        messages = build_messages(rubric, payload["output"], self.config.max_chars)
        key = cache_key(self.config.model, messages)
        return _Prepared(seq, rubric, payload["output"], messages, key)

    def _verdict(self, job: _Prepared) -> Verdict | _Outcome:
        """The verdict (cached or asked for), or a failed/deferred outcome to settle."""
        if self.config.cache:
            with self.db.session() as session:
                hit = cached(session, job.key)
            if hit is not None:
                return hit
        with self.db.session() as session:
            if not within_budget(session, self.config, self.clock.now()):
                return _Outcome(job.seq, deferred=True)
        try:
            judgement = self.client.judge(job.messages, RUBRICS[job.rubric].labels)
        except JudgeError as exc:
            return _Outcome(job.seq, error=str(exc), permanent=exc.permanent)
        with self.db.session() as session:
            record_spend(session, self.config, judgement.usage, self.clock.now())
            if self.config.cache:
                remember(session, job.key, self.config.model, judgement.verdict, self.clock.now())
        return judgement.verdict

    def _outcome(self, job: _Prepared, answer: Verdict | _Outcome) -> _Outcome:
        if isinstance(answer, _Outcome):
            return _Outcome(job.seq, None, answer.error, answer.permanent, answer.deferred)
        spec = RUBRICS[job.rubric]
        result = EvalResult(spec.score_name, answer.score, answer.label, answer.explanation)
        payload = score_payload(job.output, result, f"{EVALUATOR}.{job.rubric}")
        payload["source"] = f"tripwire:{EVALUATOR}"
        return _Outcome(job.seq, event=EVENT_ADAPTER.validate_python(payload))

    def _settle(self, outcomes: list[_Outcome], attempts: dict[int, int]) -> None:
        now = self.clock.now()
        with self.db.session() as session:
            for o in outcomes:
                if o.event is not None:
                    jobs.finish(session, o.seq)
                elif o.deferred:
                    jobs.release(session, o.seq, hour_of(now) + timedelta(hours=1))
                else:
                    tries = attempts[o.seq]
                    give_up = o.permanent or tries >= self.config.max_attempts
                    backoff = timedelta(seconds=min(30 * 2 ** (tries - 1), 3600))
                    jobs.retry_later(session, o.seq, o.error or "failed", now + backoff, give_up)
                    if give_up:
                        log.warning("judge job %s given up: %s", o.seq, o.error)
