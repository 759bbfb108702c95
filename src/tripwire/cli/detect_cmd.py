"""`tripwire detect-series FILE.csv --out SCORES.csv`: the generic anomaly detector."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tripwire.cli.common import err, fail
from tripwire.detect.series_csv import SeriesInputError, read_series, score_series, write_scores


def detect_series(
    file: Annotated[Path, typer.Argument(help="CSV with header timestamp,value")],
    out: Annotated[
        Path, typer.Option("--out", help="where to write timestamp,value,anomaly_score")
    ],
) -> None:
    """Score every row of a metric series for anomalies (0 normal .. 1 anomalous), streaming:
    each score uses only the rows at or before it."""
    if not file.is_file():
        fail(f"{file}: no such file")
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            rows = read_series(handle)
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    except SeriesInputError as exc:
        fail(f"{file} cannot be scored:\n  " + "\n  ".join(exc.problems))
    scores = score_series(v for _, _, v in rows)
    try:
        out.write_text(write_scores(rows, scores), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    err.print(f"scored {len(rows)} rows into {out}")
