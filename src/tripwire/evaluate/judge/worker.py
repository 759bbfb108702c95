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
        with ThreadPoolExecutor(max_workers=self.config.max_concurrency) as pool:
            outcomes = list(pool.map(lambda w: self._judge(w[0], w[1]), work))
        events = [o.event for o in outcomes if o.event is not None]
        if events:
            store_events(self.db, events, self.clock)
        self._settle(outcomes, {seq: attempts for seq, _, attempts in work})
        return len(work) == self.config.batch and not any(o.deferred for o in outcomes)

    def _judge(self, seq: int, payload: dict[str, Any]) -> _Outcome:
        rubric: Rubric = payload["rubric"]
        output = payload["output"]
        spec = RUBRICS[rubric]
        messages = build_messages(rubric, output, self.config.max_chars)
        key = cache_key(self.config.model, messages)
        verdict: Verdict | None = None
        if self.config.cache:
            with self.db.session() as session:
                verdict = cached(session, key)
        if verdict is None:
            with self.db.session() as session:
                if not within_budget(session, self.config, self.clock.now()):
                    return _Outcome(seq, deferred=True)
            try:
                judgement = self.client.judge(messages, spec.labels)
            except JudgeError as exc:
                return _Outcome(seq, error=str(exc), permanent=exc.permanent)
            verdict = judgement.verdict
            with self.db.session() as session:
                record_spend(session, self.config, judgement.usage, self.clock.now())
                if self.config.cache:
                    remember(session, key, self.config.model, verdict, self.clock.now())
        result = EvalResult(spec.score_name, verdict.score, verdict.label, verdict.explanation)
        payload_json = score_payload(output, result, f"{EVALUATOR}.{rubric}")
        payload_json["source"] = f"tripwire:{EVALUATOR}"
        return _Outcome(seq, event=EVENT_ADAPTER.validate_python(payload_json))

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
