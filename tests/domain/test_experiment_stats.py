"""Wilson and Newcombe intervals against published values, the z-test against scipy, and the
coverage of the 95% intervals over simulated experiments with known rates."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from domain.experiments.stats import compare, newcombe_interval, two_proportion_p_value, wilson_interval

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat Med 17:857,
# Table I, method 3 (score interval without continuity correction).
WILSON = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]
# Newcombe (1998), "Interval estimation for the difference between independent proportions",
# Stat Med 17:873, Table II, method 10 (hybrid score interval without continuity correction).
NEWCOMBE = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0)),
    ((10, 10, 0, 10), (0.6075, 1.0)),
]


@pytest.mark.parametrize(("counts", "expected"), WILSON)
def test_wilson_interval_matches_newcombes_table(counts, expected):
    assert wilson_interval(*counts) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE)
def test_difference_interval_matches_newcombes_table(counts, expected):
    assert newcombe_interval(*counts) == pytest.approx(expected, abs=5e-5)


def test_wilson_interval_by_hand_and_at_the_edges():
    # 7 of 20 at 95%: z = 1.959964, centre (0.35 + z²/40) / (1 + z²/20), half-width by the same formula
    z = 1.959963984540054
    centre = (0.35 + z * z / 40) / (1 + z * z / 20)
    half = z / (1 + z * z / 20) * np.sqrt(0.35 * 0.65 / 20 + z * z / 1600)
    assert wilson_interval(7, 20) == pytest.approx((centre - half, centre + half))
    low, high = wilson_interval(0, 50)
    assert low == 0 and 0 < high < 0.08
    low, high = wilson_interval(50, 50)
    assert high == 1 and 0.92 < low < 1
    assert wilson_interval(0, 0) is None
    narrow, wide = wilson_interval(30, 100, 0.90), wilson_interval(30, 100, 0.99)
    assert wide[0] < narrow[0] < 0.3 < narrow[1] < wide[1]
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(-1, 4)


def test_no_trials_gives_no_comparison():
    assert newcombe_interval(3, 10, 0, 0) is None
    assert two_proportion_p_value(0, 0, 3, 10) is None
    assert compare(3, 10, 0, 0) is None


@pytest.mark.parametrize("counts", [(30, 100, 15, 100), (56, 70, 48, 80), (5, 56, 0, 29), (120, 400, 131, 410),
                                    (1, 1000, 9, 1000)])
def test_p_value_equals_scipys_chi_squared_test_of_the_table(counts):
    x1, n1, x2, n2 = counts
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    _, expected, _, _ = chi2_contingency(table, correction=False)
    assert two_proportion_p_value(*counts) == pytest.approx(expected, rel=1e-9)


def test_identical_all_or_nothing_arms_show_no_difference():
    assert two_proportion_p_value(0, 10, 0, 20) == 1.0
    assert two_proportion_p_value(10, 10, 20, 20) == 1.0


def test_compare_bundles_difference_interval_and_p_value():
    result = compare(30, 100, 15, 100)
    assert result.difference == pytest.approx(0.15)
    assert (result.low, result.high) == newcombe_interval(30, 100, 15, 100)
    assert result.low < 0.15 < result.high
    assert result.p_value == two_proportion_p_value(30, 100, 15, 100) < 0.05


def test_95_percent_intervals_cover_known_rates_about_95_percent_of_the_time():
    rng = np.random.default_rng(20261204)
    repetitions, (n1, p1), (n2, p2) = 1000, (200, 0.30), (300, 0.15)
    x1, x2 = rng.binomial(n1, p1, repetitions), rng.binomial(n2, p2, repetitions)
    null = rng.binomial(n2, p2, repetitions)
    covered_rate = covered_difference = rejected_null = 0
    for a, b, c in zip(x1.tolist(), x2.tolist(), null.tolist(), strict=True):
        low, high = wilson_interval(a, n1)
        covered_rate += low <= p1 <= high
        low, high = newcombe_interval(a, n1, b, n2)
        covered_difference += low <= p1 - p2 <= high
        rejected_null += two_proportion_p_value(c, n2, b, n2) < 0.05  # both arms at p2
    assert 0.92 <= covered_rate / repetitions <= 0.98
    assert 0.92 <= covered_difference / repetitions <= 0.98
    assert 0.02 <= rejected_null / repetitions <= 0.08
