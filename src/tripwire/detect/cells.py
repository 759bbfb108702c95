"""Per-event counting: one cell per (use case, model, model version, prompt version) per window.

Each event costs one dict lookup and a couple of increments; monitors and segments are worked
out once per cell when the window closes, not once per event.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from tripwire.config.costs import CostsConfig
from tripwire.config.monitors import COST_PER_HOUR, TOKENS_PER_OUTPUT
from tripwire.detect.baseline import BINS, score_bin
from tripwire.detect.latency import latency_bin
from tripwire.domain.events import is_negative_rating

Info = tuple[str, str, str]  # model, model_version, prompt_version ("" when unknown)
CellKey = tuple[str, Info | None]
# Outputs remembered for joining feedback, checks and scores, per process: a worker holding 64
# partitions has 64 counters, and a budget per counter let its memory grow 64-fold
# (benchmarks/scale_live.py: 136 -> 251 MB in ten minutes).
OUTPUT_MEMORY = 200_000
# Distinct (model, version, prompt) combinations kept as one shared tuple each; past this many
# (a sender stamping a new version on every output) the table starts again.
_MAX_INFOS = 10_000
PRODUCT = "product"


@dataclass(slots=True)
class Cell:
    """Counts of one window for one use case and version combination."""

    outputs: float = 0.0
    bad: float = 0.0
    feedback: float = 0.0
    negative: float = 0.0
    checks: float = 0.0
    triggered: float = 0.0
    latency: dict[int, float] = field(default_factory=dict)
    scores: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    tickets: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, list[float]] = field(default_factory=dict)


class OutputMemory:
    """The versions of recent outputs, shared by every counter of a process under one budget:
    past `limit` outputs in all, the oldest is forgotten, whichever counter remembered it.

    Each counter sees only what it remembered itself (its `owner` number is part of the key),
    so two engines in one process (tests, a partition dropped and rebuilt) never read each
    other's outputs; a dropped counter's entries are simply the first to age out.
    """

    def __init__(self, limit: int = OUTPUT_MEMORY) -> None:
        if limit < 1:
            raise ValueError(f"an output memory needs room for at least one output, not {limit}")
        self.limit = limit
        # OrderedDict, not dict: dropping a plain dict's oldest key with next(iter(d)) scans
        # past every slot deleted since the last resize, which made each output O(memory).
        self._versions: OrderedDict[tuple[int, str], Info] = OrderedDict()
        self._infos: dict[Info, Info] = {}
        self._owners = itertools.count()

    def __len__(self) -> int:
        return len(self._versions)

    def new_owner(self) -> int:
        """A number for one more counter sharing this memory."""
        return next(self._owners)

    def remember(self, owner: int, output_id: str, info: Info) -> None:
        # One tuple per distinct combination, not one per output: most of an entry's weight.
        shared = self._infos.get(info)
        if shared is None:
            if len(self._infos) >= _MAX_INFOS:
                self._infos.clear()
            shared = self._infos[info] = info
        versions = self._versions
        versions[(owner, output_id)] = shared
        # No lock: each call is a few C-level operations under the GIL, and two threads racing
        # here can at worst forget one output too many.
        if len(versions) > self.limit:
            versions.popitem(last=False)

    def get(self, owner: int, output_id: str) -> Info | None:
        return self._versions.get((owner, output_id))


PROCESS_OUTPUTS = OutputMemory()
"""The memory every counter of this process shares unless given its own."""


class Counter:
    """Counts events into the open window's cells and remembers recent outputs' versions (in
    `memory`, shared by the process's counters by default). With `costs`, outputs that carry
    token counts also add to the cost per hour."""

    def __init__(
        self, costs: CostsConfig | None = None, memory: OutputMemory | None = None
    ) -> None:
        self.costs = costs
        self.cells: dict[CellKey, Cell] = {}
        self.memory = PROCESS_OUTPUTS if memory is None else memory
        self._owner = self.memory.new_owner()

    def take(self) -> dict[CellKey, Cell]:
        cells, self.cells = self.cells, {}
        return cells

    def _cell(self, use_case: str, info: Info | None) -> Cell:
        key = (use_case, info)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Cell()
        return cell

    def _info(self, output_id: Any) -> Info | None:
        return self.memory.get(self._owner, output_id) if isinstance(output_id, str) else None

    def observe(
        self, etype: str, use_case: str | None, p: dict[str, Any], topic: str | None
    ) -> None:
        """Count one event (its normalised JSON `p`)."""
        if use_case is None:
            return
        if etype == "output":
            self._output(use_case, p)
        elif etype == "feedback":
            cell = self._cell(use_case, self._info(p.get("output_id")))
            cell.feedback += 1.0
            if is_negative_rating(p["rating"]):
                cell.negative += 1.0
        elif etype == "safety":
            cell = self._cell(use_case, self._info(p.get("output_id")))
            cell.checks += 1.0
            if p["triggered"]:
                cell.triggered += 1.0
        elif etype == "score":
            cell = self._cell(use_case, self._info(p.get("output_id")))
            _score(cell, p["name"], p.get("source") or PRODUCT, p["value"])
        elif etype == "ticket":
            chosen = p.get("topic") or topic
            if chosen:
                tickets = self._cell(use_case, None).tickets
                tickets[chosen] = tickets.get(chosen, 0.0) + 1.0
        elif etype == "metric":
            metrics = self._cell(use_case, None).metrics
            acc = metrics.get(p["name"])
            if acc is None:
                acc = metrics[p["name"]] = [0.0, 0.0]
            acc[0] += 1.0
            acc[1] += p["value"]

    def _output(self, use_case: str, p: dict[str, Any]) -> None:
        info = (p.get("model", ""), p.get("model_version", ""), p.get("prompt_version", ""))
        self.memory.remember(self._owner, p["id"], info)
        cell = self._cell(use_case, info)
        cell.outputs += 1.0
        if p.get("status", "ok") != "ok":
            cell.bad += 1.0
        latency = p.get("latency_ms")
        if latency is not None:
            index = latency_bin(latency)
            cell.latency[index] = cell.latency.get(index, 0.0) + 1.0
        scores = p.get("scores")
        if scores:
            for name, value in scores.items():
                _score(cell, name, PRODUCT, value)
        if "output_tokens" in p or "input_tokens" in p:
            self._usage(use_case, p)

    def _usage(self, use_case: str, p: dict[str, Any]) -> None:
        metrics = self._cell(use_case, None).metrics
        tokens = p.get("output_tokens")
        if tokens is not None:
            acc = metrics.get(TOKENS_PER_OUTPUT)
            if acc is None:
                acc = metrics[TOKENS_PER_OUTPUT] = [0.0, 0.0]
            acc[0] += 1.0
            acc[1] += tokens
        cost = self.costs.cost(p["model"], p.get("input_tokens"), tokens) if self.costs else None
        if cost is not None:
            # A rate, not a mean: one sample per minute window whose value is the window's
            # spend scaled to an hour (the metric detector divides the total by the count).
            acc = metrics.get(COST_PER_HOUR)
            if acc is None:
                acc = metrics[COST_PER_HOUR] = [1.0, 0.0]
            acc[1] += cost * 60.0


def _score(cell: Cell, name: str, source: str, value: float) -> None:
    # [count, sum, sum of squares, histogram...]: the histogram lets the mean detector test
    # skewed scores at their nominal false-alarm rate (tripwire.detect.mean).
    acc = cell.scores.get((name, source))
    if acc is None:
        acc = cell.scores[(name, source)] = [0.0] * (3 + BINS)
    acc[0] += 1.0
    acc[1] += value
    acc[2] += value * value
    acc[3 + score_bin(value)] += 1.0
