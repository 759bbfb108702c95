"""The rows `tripwire detect-series` writes: an excursion's echoes are damped."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tripwire.detect.series import SeriesDetector
from tripwire.detect.series_csv import score_series
from tripwire.detect.series_echo import ECHO_ROWS, ECHO_SHARE, damp_echoes


def test_an_excursion_keeps_its_first_and_stronger_rows_and_halves_its_echoes() -> None:
    raw = [0.1, 0.6, 0.5, 0.55, 0.7, 0.65, 0.2]
    assert list(damp_echoes(raw)) == [0.1, 0.6, 0.25, 0.275, 0.7, 0.325, 0.1]


def test_a_row_is_news_again_once_the_excursion_is_out_of_sight() -> None:
    raw = [0.6] + [0.0] * ECHO_ROWS + [0.5]
    assert list(damp_echoes(raw))[-1] == 0.5
    raw = [0.6] + [0.0] * (ECHO_ROWS - 1) + [0.5]
    assert list(damp_echoes(raw))[-1] == ECHO_SHARE * 0.5


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=60))
def test_damping_keeps_the_range_and_never_raises_a_score(raw: list[float]) -> None:
    damped = list(damp_echoes(raw))
    assert len(damped) == len(raw)
    assert all(0.0 <= d <= r for d, r in zip(damped, raw, strict=True))


def test_the_written_scores_are_the_detectors_with_its_echoes_damped() -> None:
    rng = np.random.default_rng(3)
    x = list(10 + rng.normal(0, 1, 800))
    x[600:620] = [x[599]] * 20  # a stuck run: a climb, then its echoes
    x[700] += 9.0
    det = SeriesDetector()
    raw = [det.score(v) for v in x]
    written = score_series(x)
    assert written == list(damp_echoes(raw))
    assert written[700] == raw[700] > 0.3  # the spike is news
    assert max(written[600:620]) == max(raw[600:620])  # the run's strongest row is kept
