"""Statistics against hand-computable cases."""

from __future__ import annotations

import math
import random

import pytest

from advisor.core.probe import stats


def test_mean_and_sample_std():
    assert stats.mean([1, 0, 1, 1]) == 0.75
    # sample std of [2, 4, 4, 4, 5, 5, 7, 9]: sum of squares 32, n-1 = 7
    assert stats.std([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(math.sqrt(32 / 7))
    assert stats.mean([]) is None and stats.std([]) is None and stats.std([3]) == 0.0


@pytest.mark.parametrize("b,c", [(2, 9), (0, 5), (7, 7), (1, 12), (10, 3)])
def test_mcnemar_exact_matches_the_binomial_formula(b, c):
    n = b + c
    k = min(b, c)
    # P(X <= k) for X ~ Binomial(n, 1/2), doubled for two sides
    expected = min(1.0, 2 * sum(math.factorial(n) / (math.factorial(i) * math.factorial(n - i)) for i in range(k + 1)) / 2 ** n)
    assert stats.mcnemar_exact(b, c) == pytest.approx(expected)
    assert stats.mcnemar_exact(c, b) == pytest.approx(expected)  # symmetric


def test_mcnemar_known_values():
    assert stats.mcnemar_exact(0, 0) == 1.0
    assert stats.mcnemar_exact(0, 5) == pytest.approx(2 / 32)  # 2 * 0.5**5
    assert stats.mcnemar_exact(2, 9) == pytest.approx(2 * (1 + 11 + 55) / 2048)


def test_bootstrap_ci_contains_the_true_delta_and_is_deterministic():
    rng = random.Random(1)
    base = [1.0 if rng.random() < 0.6 else 0.0 for _ in range(200)]
    # candidate fixes exactly 40 of the base failures: true mean delta 40/200 = 0.2
    cand = list(base)
    fixed = 0
    for i, v in enumerate(base):
        if v == 0.0 and fixed < 40:
            cand[i] = 1.0
            fixed += 1
    assert fixed == 40
    ci = stats.paired_bootstrap_ci(base, cand, resamples=2000, seed=3)
    assert ci[0] < 0.2 < ci[1]
    assert ci[0] > 0  # 40 wins, no losses: clearly an improvement
    assert stats.verdict(ci) == "improvement"
    assert stats.paired_bootstrap_ci(base, cand, resamples=2000, seed=3) == ci


def test_bootstrap_regression_and_no_difference():
    base = [1.0] * 30 + [0.0] * 30
    worse = [0.0] * 30 + [0.0] * 30
    assert stats.verdict(stats.paired_bootstrap_ci(base, worse, seed=0)) == "regression"
    # half the pairs win, half lose: mean delta 0, the interval straddles it
    a = [1.0, 0.0] * 30
    b = [0.0, 1.0] * 30
    ci = stats.paired_bootstrap_ci(a, b, seed=0)
    assert ci[0] < 0 < ci[1]
    assert stats.verdict(ci) == "no_difference"


def test_bootstrap_degenerate_cases():
    assert stats.paired_bootstrap_ci([], []) is None
    assert stats.paired_bootstrap_ci([1, 1], [1, 1]) == (0, 0)
    assert stats.verdict((0.0, 0.0)) == "no_difference"
    assert stats.verdict(None) == "no_difference"
    with pytest.raises(ValueError):
        stats.paired_bootstrap_ci([1], [1, 0])


def test_cluster_bootstrap_is_wider_than_treating_copies_as_independent():
    # 10 inputs, 5 copies each; the candidate wins on 7 inputs (all copies) and loses on 3.
    base, cand, groups = [], [], []
    for g in range(10):
        for _ in range(5):
            base.append(0.0 if g < 7 else 1.0)
            cand.append(1.0 if g < 7 else 0.0)
            groups.append(f"g{g}")
    naive = stats.paired_bootstrap_ci(base, cand, seed=0)
    clustered = stats.paired_bootstrap_ci(base, cand, seed=0, groups=groups)
    assert naive[0] > 0  # 50 "independent" pairs would claim an improvement
    assert clustered[0] < 0 < clustered[1]  # 10 inputs do not
    assert stats.verdict(clustered) == "no_difference"
    assert stats.paired_bootstrap_ci(base, cand, seed=0, groups=groups) == clustered  # deterministic
    with pytest.raises(ValueError):
        stats.paired_bootstrap_ci([1.0], [0.0], groups=["a", "b"])
