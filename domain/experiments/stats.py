"""Proportions and their comparison: Wilson score intervals, Newcombe's hybrid score interval for a
difference, and the (pooled) two-proportion z-test. Every observation is taken as independent."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class Comparison:
    """``p1 - p2`` with its interval and the two-sided p-value of "no difference"."""

    difference: float
    low: float
    high: float
    p_value: float


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))


def _check(successes: int, trials: int) -> None:
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes / trials``; None without trials."""
    _check(successes, trials)
    if trials == 0:
        return None
    z, p = _z(confidence), successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval (his method 10) of ``x1/n1 - x2/n2``, from the two Wilson
    intervals; None when either side has no trials."""
    first, second = wilson_interval(x1, n1, confidence), wilson_interval(x2, n2, confidence)
    if first is None or second is None:
        return None
    (l1, u1), (l2, u2) = first, second
    p1, p2 = x1 / n1, x2 / n2
    difference = p1 - p2
    return (difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test of ``x1/n1 == x2/n2`` (the same as
    Pearson's chi-squared test of the 2x2 table without continuity correction); None when either
    side has no trials."""
    _check(x1, n1)
    _check(x2, n2)
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:  # both all successes or all failures: no evidence of a difference
        return 1.0
    z = (x1 / n1 - x2 / n2) / spread
    return float(2 * norm.sf(abs(z)))


def compare(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Comparison | None:
    """``x1/n1`` against ``x2/n2``: the difference, its Newcombe interval and the z-test's p-value;
    None when either side has no trials."""
    interval = newcombe_interval(x1, n1, x2, n2, confidence)
    if interval is None:
        return None
    return Comparison(x1 / n1 - x2 / n2, *interval, two_proportion_p_value(x1, n1, x2, n2))
