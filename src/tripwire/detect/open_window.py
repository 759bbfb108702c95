"""The open window's counts as JSON, so a pipeline partition can commit them with its cursor:
whoever owns the partition next resumes the minute exactly where the last step left it."""

from __future__ import annotations

from typing import Any

from tripwire.detect.cells import Cell, CellKey


def dump_cells(cells: dict[CellKey, Cell]) -> list[list[Any]]:
    """[[use_case, info or null, counts...], ...]: JSON has no tuple keys."""
    return [
        [
            use_case,
            None if info is None else list(info),
            [c.outputs, c.bad, c.feedback, c.negative, c.checks, c.triggered],
            [[k, v] for k, v in c.latency.items()],
            [[name, source, acc] for (name, source), acc in c.scores.items()],
            c.tickets,
            c.metrics,
        ]
        for (use_case, info), c in cells.items()
    ]


def load_cells(data: list[list[Any]]) -> dict[CellKey, Cell]:
    """The inverse of `dump_cells`."""
    cells: dict[CellKey, Cell] = {}
    for use_case, info, counts, latency, scores, tickets, metrics in data:
        key: CellKey = (str(use_case), None if info is None else (info[0], info[1], info[2]))
        outputs, bad, feedback, negative, checks, triggered = (float(x) for x in counts)
        cells[key] = Cell(
            outputs,
            bad,
            feedback,
            negative,
            checks,
            triggered,
            latency={int(k): float(v) for k, v in latency},
            scores={(str(n), str(s)): [float(x) for x in acc] for n, s, acc in scores},
            tickets={str(k): float(v) for k, v in tickets.items()},
            metrics={str(k): [float(x) for x in v] for k, v in metrics.items()},
        )
    return cells
