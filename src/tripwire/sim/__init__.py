"""The AI-product traffic simulator: `simulate(Scenario(...)) -> SimResult(events, truth)`.

Builds only on `tripwire.domain`; used by tests, `tripwire demo` and the benchmarks.
See docs/detect.md for the API.
"""

from tripwire.sim.generate import simulate
from tripwire.sim.jsonl import write_jsonl
from tripwire.sim.scenario import (
    MAGNITUDES,
    SIGNAL_TYPES,
    Deploy,
    EvaluatorGap,
    Injection,
    Scenario,
    Signal,
    Surge,
    UseCase,
)
from tripwire.sim.truth import SimResult, TruthIncident

__all__ = [
    "MAGNITUDES",
    "SIGNAL_TYPES",
    "Deploy",
    "EvaluatorGap",
    "Injection",
    "Scenario",
    "Signal",
    "SimResult",
    "Surge",
    "TruthIncident",
    "UseCase",
    "simulate",
    "write_jsonl",
]
