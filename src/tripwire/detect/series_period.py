"""The period of a series for the generic series detector, and the detrending its per-phase
profile is learned from."""

from __future__ import annotations

import math

import numpy as np

LAYER_GAIN = 0.5  # a multiple of the period is adopted when it folds at most this widely
MULTIPLES = 7  # the longest multiple looked for: a week of days


def detect_period(values: np.ndarray, max_period: int | None = None) -> int:
    """The dominant period of `values` (0 when none): the highest autocorrelation peak above
    0.3 among lags that fit at least three times into the data, or a multiple of it that
    folds the data much tighter (`_multiple`)."""
    n = len(values)
    if n < 24:
        return 0
    t = np.arange(n, dtype=np.float64)
    slope, intercept = np.polyfit(t, values, 1)
    x = values - (slope * t + intercept)
    # Clip outliers so one spike cannot dominate the autocorrelation.
    mad = float(np.median(np.abs(x - np.median(x)))) * 1.4826 + 1e-12
    x = np.clip(x - np.median(x), -4 * mad, 4 * mad)
    x = x - x.mean()
    denom = float(np.dot(x, x)) / n
    if denom <= 1e-12:
        return 0
    size = 1 << (2 * n - 1).bit_length()
    spec = np.fft.rfft(x, size)
    # Unbiased: divide each lag by its own number of pairs, so longer lags are not penalised.
    acf = np.fft.irfft(spec * np.conj(spec), size)[:n] / (denom * (n - np.arange(n)))
    top = min(n // 3, max_period or n)
    # A real period shows as a peak after a dip; a slowly decaying ACF (trend, level shift)
    # has only noise wiggles on its way down.
    running_min = np.minimum.accumulate(acf[:top])
    peaks = [
        (lag, float(acf[lag]))
        for lag in range(2, top)
        if acf[lag] > 0.3
        and acf[lag] >= acf[lag - 1]
        and acf[lag] >= acf[lag + 1]
        and acf[lag] - running_min[lag] > 0.3
    ]
    if not peaks:
        return 0
    strongest = max(a for _, a in peaks)
    # Multiples of the true period correlate as well; the shortest strong one is the period.
    lag = next(lag for lag, a in peaks if a >= 0.85 * strongest)
    # A broad peak in noisy data (counts) has wiggles on its flank: take the top of the hill.
    # Smoothing over a few lags first keeps the top from being one noisy lag.
    reach, width = max(1, lag // 8), 1 + 2 * (lag // 24)
    smooth = np.convolve(acf[:top], np.ones(width) / width, mode="same")
    low = max(2, lag - reach)
    hill = low + int(np.argmax(smooth[low : min(top, lag + reach + 1)]))
    return _multiple(x, _fold(x, hill, lag // 24 + 1), max_period or n)


def _fold(x: np.ndarray, guess: int, reach: int) -> int:
    """The period within `reach` of `guess` that folds `x` tightest: the least variance of the
    values around their phase's mean, per degree of freedom (phase dispersion minimisation).
    The autocorrelation's hill can top a few lags off the period (a weekly modulation, a
    clipped wave); folding reads every period at once, and a period a few rows off would smear
    the profile a little more each period."""
    n = len(x)
    best, best_spread = guess, math.inf
    for period in range(max(2, guess - reach), min(n // 3, guess + reach) + 1):
        spread = _spread(x, period)
        if spread < best_spread:
            best, best_spread = period, spread
    return best


def _multiple(x: np.ndarray, period: int, most: int) -> int:
    """`period`, or the shortest multiple of it (up to 7, within half the data and at most
    `most`) that folds `x` at most LAYER_GAIN as widely: a daily pattern whose weekend differs
    is a weekly one. The autocorrelation prefers the short period (each day correlates with
    the next nearly as well as with the same day a week before), so the weekend's difference
    was left to the level trackers, which chased it and paged on it."""
    base = _spread(x, period)
    for k in range(2, MULTIPLES + 1):
        if 2 * k * period > len(x) or k * period > most:
            break
        if _spread(x, k * period) < LAYER_GAIN * base:
            return k * period
    return period


def _spread(x: np.ndarray, period: int) -> float:
    """The variance of `x` around its phase means at `period`, per degree of freedom."""
    n = len(x)
    phases = np.arange(n) % period
    count = np.bincount(phases, minlength=period)
    total = np.bincount(phases, weights=x, minlength=period)
    squares = np.bincount(phases, weights=x * x, minlength=period)
    return float(np.sum(squares - total * total / np.maximum(count, 1))) / max(n - period, 1)


def detrend(data: np.ndarray, period: int) -> np.ndarray:
    """`data` less its moving average over one period; NaN where that average would reach
    past either end of the data. Padding there (half a period at each end) put the level
    itself into the profile: with the three to four periods a period is first found on, two
    of a phase's four values could be such edges and its median was off by up to the level
    (a noiseless sine of amplitude 0.5 at level 18 was learned with a profile 50 % too wide
    and shifted)."""
    smooth = np.convolve(data, np.ones(period) / period, mode="same")
    detrended = data - smooth
    detrended[: period // 2] = np.nan
    detrended[len(data) - (period - 1) // 2 :] = np.nan
    return detrended
