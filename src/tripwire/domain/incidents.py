"""Incident vocabulary (CONTRACT section 1). The status machine and rules live beside it."""

from __future__ import annotations

from typing import Literal

IncidentType = Literal["quality_regression", "safety", "hallucination", "availability"]
INCIDENT_TYPES: tuple[IncidentType, ...] = (
    "quality_regression",
    "safety",
    "hallucination",
    "availability",
)

Severity = Literal["P0", "P1", "P2", "P3"]
SEVERITIES: tuple[Severity, ...] = ("P0", "P1", "P2", "P3")  # most severe first

Status = Literal["triggered", "acknowledged", "mitigated", "resolved", "closed"]
STATUSES: tuple[Status, ...] = ("triggered", "acknowledged", "mitigated", "resolved", "closed")
