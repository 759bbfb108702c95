"""CSV input of `tripwire detect-series`: header `timestamp,value`, one sample per row.

Rows are scored in file order; timestamps are carried through as written (any format), since
the detector only relies on the order of the samples.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable

MAX_PROBLEMS = 20


class SeriesInputError(Exception):
    """The CSV cannot be scored; `problems` say where and what to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_series(lines: Iterable[str]) -> list[tuple[str, str, float]]:
    """Rows as (timestamp text, value text, value). Raises SeriesInputError naming each bad
    line (up to 20) when the header or any row is not usable."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise SeriesInputError(["the file is empty: expected a header `timestamp,value`"])
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    if names != ["timestamp", "value"]:
        raise SeriesInputError(
            [f"line 1: header must be `timestamp,value`, found {','.join(header)!r}"]
        )
    rows: list[tuple[str, str, float]] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        problem = _check(row)
        if problem:
            problems.append(f"line {number}: {problem}")
            if len(problems) >= MAX_PROBLEMS:
                problems.append("... stopping after 20 problems")
                break
            continue
        stamp, raw = row[0].strip(), row[1].strip()
        rows.append((stamp, raw, float(raw)))
    if problems:
        raise SeriesInputError(problems)
    if not rows:
        raise SeriesInputError(["no data rows after the header"])
    return rows


def _check(row: list[str]) -> str | None:
    if len(row) != 2:
        return f"expected 2 columns (timestamp,value), found {len(row)}"
    stamp, raw = row[0].strip(), row[1].strip()
    if not stamp:
        return "the timestamp is empty"
    try:
        value = float(raw)
    except ValueError:
        return f"value {raw[:40]!r} is not a number"
    if not math.isfinite(value):
        return f"value {raw[:40]!r} must be finite"
    return None


def write_scores(rows: list[tuple[str, str, float]], scores: list[float]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["timestamp", "value", "anomaly_score"])
    for (stamp, raw, _), score in zip(rows, scores, strict=True):
        writer.writerow([stamp, raw, f"{min(1.0, max(0.0, score)):.6f}"])
    return out.getvalue()


def score_series(values: Iterable[float]) -> list[float]:
    """Anomaly scores in [0,1], in order; each depends only on the values up to it. The rows
    of an excursion after its first are written damped (`series_echo`)."""
    from tripwire.detect.series import SeriesDetector
    from tripwire.detect.series_echo import damp_echoes

    detector = SeriesDetector()
    return list(damp_echoes(detector.score(v) for v in values))
