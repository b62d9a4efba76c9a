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
    assert stats.verdict(None) is None  # nothing to compare: an error, never a verdict
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


# ---------------------------------------------------------------- verdicts need the evidence (exact tests)


def _pairs(wins: int, losses: int, ties_pass: int, ties_fail: int = 0):
    """Pass/fail pairs: ``wins`` base 0 -> candidate 1, ``losses`` 1 -> 0, ties both 1 (or both 0)."""
    base = [0.0] * wins + [1.0] * losses + [1.0] * ties_pass + [0.0] * ties_fail
    cand = [1.0] * wins + [0.0] * losses + [1.0] * ties_pass + [0.0] * ties_fail
    return base, cand


@pytest.mark.parametrize("wins,n,p", [(3, 4, 0.25), (5, 30, 0.0625)])
def test_few_one_sided_wins_are_not_an_improvement(wins, n, p):
    # The two defects seen in real runs: a percentile bootstrap called these improvements.
    base, cand = _pairs(wins, 0, n - wins)
    assert stats.paired_bootstrap_ci(base, cand, seed=0)[0] > 0  # the bootstrap alone is fooled
    assert stats.mcnemar_exact(0, wins) == pytest.approx(p)  # 2 * 0.5**wins
    ci = stats.exact_paired_ci(0, wins, n)
    assert ci[0] < 0 < ci[1]  # the exact interval agrees with the exact test
    assert stats.verdict(ci, stats.mcnemar_exact(0, wins)) == "no_difference"


def test_six_one_sided_wins_are_the_fewest_the_exact_test_accepts():
    assert stats.mcnemar_exact(0, 6) == pytest.approx(2 / 64)  # 0.03125 < 0.05
    ci = stats.exact_paired_ci(0, 6, 60)
    assert ci[0] > 0 and stats.verdict(ci, 2 / 64) == "improvement"


def test_exact_paired_ci_is_clopper_pearson_scaled_by_the_discordant_share():
    # 9 wins, 2 losses of 40 pairs. Clopper-Pearson bounds for 9 of 11 solve
    # P(X >= 9 | 11, lo) = 0.025 and P(X <= 9 | 11, hi) = 0.025 (checked here by the binomial sums).
    lo, hi = stats.exact_ci(9, 11)
    tail_hi = sum(math.comb(11, i) * lo**i * (1 - lo) ** (11 - i) for i in range(9, 12))
    tail_lo = sum(math.comb(11, i) * hi**i * (1 - hi) ** (11 - i) for i in range(0, 10))
    assert tail_hi == pytest.approx(0.025, abs=1e-6) and tail_lo == pytest.approx(0.025, abs=1e-6)
    ci = stats.exact_paired_ci(2, 9, 40)
    assert ci == pytest.approx((11 / 40 * (2 * lo - 1), 11 / 40 * (2 * hi - 1)))
    assert stats.exact_paired_ci(0, 0, 10) == (0.0, 0.0) and stats.exact_paired_ci(0, 0, 0) is None


def test_wilson_interval_matches_the_closed_form():
    # Wilson: (k + z^2/2 +- z sqrt(k(n-k)/n + z^2/4)) / (n + z^2)
    k, n, zz = 7, 20, 1.959963984540054
    half = zz * math.sqrt(k * (n - k) / n + zz * zz / 4)
    expected = ((k + zz * zz / 2 - half) / (n + zz * zz), (k + zz * zz / 2 + half) / (n + zz * zz))
    assert stats.wilson_ci(k, n) == pytest.approx(expected, abs=1e-9)
    assert stats.wilson_ci(0, 0) is None and stats.wilson_ci(0, 10)[0] == pytest.approx(0.0, abs=1e-12)
    # never Wald: 0 of 10 still has an upper bound well above 0
    assert stats.wilson_ci(0, 10)[1] > 0.2


def test_empty_comparison_has_no_verdict():
    assert stats.verdict(None) is None
    assert stats.adjusted_lower_bound([]) is None and stats.achieved_mde(0) is None


def test_required_cases_by_connors_formula():
    # delta 0.05, discordance 0.15: (1.95996 * sqrt(.15) + 0.84162 * sqrt(.15 - .0025))^2 / .0025 = 468.6
    za, zb = 1.959963984540054, 0.8416212335729143
    n = (za * math.sqrt(0.15) + zb * math.sqrt(0.15 - 0.0025)) ** 2 / 0.0025
    assert 468 < n < 469
    assert stats.required_cases(0.05, 0.15) == 469
    # discordance below delta is impossible: it is raised to delta
    assert stats.required_cases(0.2, 0.0) == stats.required_cases(0.2, 0.2)
    # the exact test's floor: at least 6 one-sided discordant pairs
    assert stats.required_cases(1.0, 1.0) == 6


def test_zero_discordance_does_not_make_a_tiny_run_look_powered():
    assert stats.achieved_mde(4, 0.0) == 1.0  # 4 cases detect nothing
    mde60 = stats.achieved_mde(60, 0.0)
    assert 0.1 < mde60 < 1.0
    assert stats.required_cases(mde60, 0.0) <= 60 < stats.required_cases(mde60 * 0.98, 0.0)
    # more discordance, larger MDE at the same n
    assert stats.achieved_mde(200, 0.4) > stats.achieved_mde(200, 0.1)


def test_adjusted_lower_bound_is_agresti_min():
    # 10 wins, 10 losses, 380 ties of 400: add half a win, half a loss, one tie -> n' = 402,
    # mean 0, var = 21/402 / 402, bound = -1.6449 * sqrt(var)
    diffs = [1.0] * 10 + [-1.0] * 10 + [0.0] * 380
    expected = -1.6448536269514722 * math.sqrt((21 / 402) / 402)
    assert stats.adjusted_lower_bound(diffs) == pytest.approx(expected)
    # no discordant pair on 4 cases proves nothing; on 400 it shows a drop under 1 point is all there can be
    assert stats.adjusted_lower_bound([0.0] * 4) < -0.2
    assert -0.01 < stats.adjusted_lower_bound([0.0] * 400) < 0


def test_holm_step_down():
    # p sorted 0.01, 0.02, 0.04 of 3: 0.03, max(0.03, 0.04), max(0.04, 0.04)
    adj = stats.holm({"a": 0.04, "b": 0.01, "c": 0.02})
    assert adj == pytest.approx({"b": 0.03, "c": 0.04, "a": 0.04})
    assert stats.holm({"x": 0.6, "y": 0.5}) == pytest.approx({"y": 1.0, "x": 1.0})


def test_sign_test_equals_mcnemar_on_pass_fail_and_correlation():
    base, cand = _pairs(9, 2, 20, 9)
    diffs = [c - b for b, c in zip(base, cand)]
    assert stats.sign_test(diffs) == pytest.approx(stats.mcnemar_exact(2, 9))
    assert stats.paired_se(diffs) == pytest.approx(stats.std(diffs) / math.sqrt(40))
    # ties on both sides make the arms correlate; the correlation is Pearson's phi here
    a, b, c, d = 20, 2, 9, 9  # both pass, base only, candidate only, both fail
    phi = (a * d - b * c) / math.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    assert stats.correlation(base, cand) == pytest.approx(phi)
    assert stats.correlation([1, 1, 1], [0, 1, 0]) is None


# ---------------------------------------------------------------- pinned where mutation testing found gaps
# (docs/mutation.md): each expectation below comes from the method's definition, not from a run.

ZA, ZB = 1.959963984540054, 0.8416212335729143  # z(0.975), z(0.80)


def test_single_arm_intervals_at_the_edges_and_at_another_level():
    # Clopper-Pearson for n of n passes: the lower bound solves p**n = alpha/2
    assert stats.exact_ci(1, 1) == pytest.approx((0.025, 1.0))
    assert stats.exact_ci(3, 3, level=0.90) == pytest.approx((0.05 ** (1 / 3), 1.0))
    assert stats.exact_ci(0, 0) is None
    # Wilson at 90%: the closed form with z(0.95)
    k, n, zz = 1, 1, 1.6448536269514722
    half = zz * math.sqrt(k * (n - k) / n + zz * zz / 4)
    assert stats.wilson_ci(1, 1, level=0.90) == pytest.approx(
        ((k + zz * zz / 2 - half) / (n + zz * zz), (k + zz * zz / 2 + half) / (n + zz * zz)))


def test_exact_paired_ci_of_one_pair_and_at_another_level():
    # one case, fixed: theta's interval is (alpha/2, 1), so the difference runs from 2 * alpha/2 - 1 to 1
    assert stats.exact_paired_ci(0, 1, 1) == pytest.approx((-0.95, 1.0))
    assert stats.exact_paired_ci(0, 1, 1, level=0.90) == pytest.approx((-0.90, 1.0))


def test_a_p_value_at_alpha_is_not_significant():
    assert stats.verdict((0.1, 0.2), p=0.05) == "no_difference"  # "p below 0.05", not "at most"
    assert stats.verdict((0.1, 0.2), p=0.0499) == "improvement"
    assert stats.verdict((-0.2, -0.1), p=0.05) == "no_difference"


def test_holm_caps_every_adjusted_p_at_one():
    assert stats.holm({"a": 0.7, "b": 0.9}) == pytest.approx({"a": 1.0, "b": 1.0})  # 2 * 0.7 is not a p


def test_pass_fail_scores_are_exactly_zero_and_one():
    assert stats.is_binary([0, 1, 1.0, 0.0]) and stats.is_binary([1, 1]) and stats.is_binary([0.0])
    assert not stats.is_binary([0.5, 1.0]) and not stats.is_binary([2.0]) and not stats.is_binary([1, -1])


def test_standard_error_and_correlation_at_their_smallest_sizes():
    assert stats.paired_se([0.0, 1.0]) == pytest.approx(math.sqrt(0.5) / math.sqrt(2))  # sd of 0, 1 is sqrt(1/2)
    assert stats.paired_se([1.0]) is None
    assert stats.paired_se([0.2] * 4) == 0.0  # no spread, no error
    # two pairs already have a correlation; arms of different lengths have none
    assert stats.correlation([0.0, 1.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert stats.correlation([0.0, 1.0], [1.0, 0.0]) == pytest.approx(-1.0)
    assert stats.correlation([1.0], [1.0]) is None
    assert stats.correlation([0.0, 1.0, 1.0], [0.0, 1.0]) is None


def test_adjusted_lower_bound_with_a_difference():
    # 30 wins, 70 ties: with half a win, half a loss and one tie added there are 102 pairs,
    # mean (30.5 - 0.5) / 102, mean square (30.5 + 0.5) / 102; the Wald bound of that
    diffs = [1.0] * 30 + [0.0] * 70
    m = 30 / 102
    var = 31 / 102 - m * m
    assert stats.adjusted_lower_bound(diffs) == pytest.approx(m - 1.6448536269514722 * math.sqrt(var / 102))


def test_required_cases_refuses_a_difference_outside_zero_to_one():
    for delta in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"delta must be in \(0, 1\]"):
            stats.required_cases(delta, 0.5)


def test_the_exact_tests_floor_binds_on_large_differences():
    # 90 points at 90% discordance: Connor's formula says 6 (5.5 rounded up), but the exact
    # test needs 6 one-sided discordant pairs, which at a share of 0.9 means 6 / 0.9 -> 7 cases
    n = (ZA * math.sqrt(0.9) + ZB * math.sqrt(0.9 - 0.81)) ** 2 / 0.81
    assert 5 < n < 6
    assert stats.required_cases(0.9, 0.9) == 7


def test_a_whole_number_of_cases_is_not_rounded_up_by_float_noise():
    # find the discordance at which Connor's formula gives exactly 500 cases for a 5-point difference
    delta, target = 0.05, 500

    def connor(psi):
        return (ZA * math.sqrt(psi) + ZB * math.sqrt(psi - delta * delta)) ** 2 / (delta * delta)

    lo, hi = delta, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if connor(mid) < target else (lo, mid)
    assert connor(lo) == pytest.approx(target, abs=1e-9)
    assert stats.required_cases(delta, lo) == target


def test_achieved_mde_is_the_smallest_difference_that_fits_at_any_alpha_and_power():
    assert stats.achieved_mde(1, 0.0) == 1.0  # one case detects nothing (None is for no cases)
    for kw in ({}, {"alpha": 0.01}, {"power": 0.9}):
        mde = stats.achieved_mde(200, 0.2, **kw)
        assert stats.required_cases(mde, 0.2, **kw) <= 200 < stats.required_cases(mde * (1 - 1e-6), 0.2, **kw), kw
    assert stats.achieved_mde(200, 0.2, alpha=0.01) > stats.achieved_mde(200, 0.2)
    assert stats.achieved_mde(200, 0.2, power=0.9) > stats.achieved_mde(200, 0.2)


def test_achieved_mde_of_differences_that_are_not_pass_fail():
    # (z(0.975) + z(0.8)) * sd / sqrt(n), sd with Agresti and Min's added half-counts (docs/probe.md)
    diffs = [1.0] * 30 + [0.0] * 70
    m = 30 / 102
    sd = math.sqrt(31 / 102 - m * m)
    assert stats.achieved_mde_continuous(diffs) == pytest.approx((ZA + ZB) * sd / 10)
    assert stats.achieved_mde_continuous(diffs, alpha=0.01) == pytest.approx(
        (2.5758293035489 + ZB) * sd / 10)
    assert stats.achieved_mde_continuous(diffs, power=0.9) == pytest.approx((ZA + 1.2815515655446004) * sd / 10)
    # identical differences do not make a run look powered: sd sqrt(1/52) from the added half-counts
    assert stats.achieved_mde_continuous([0.0] * 50) == pytest.approx((ZA + ZB) * math.sqrt(1 / 52) / math.sqrt(50))
    assert stats.achieved_mde_continuous([0.0, 0.0]) == pytest.approx((ZA + ZB) * 0.5 / math.sqrt(2))
    assert stats.achieved_mde_continuous([0.0]) == 1.0  # 1.6 by the formula: nothing is detectable
    assert stats.achieved_mde_continuous([]) is None


def test_cluster_means_in_first_seen_order():
    assert stats.cluster_means([0.5, 1.0, 0.0, -1.0, 0.25], ["b", "a", "b", "c", "a"]) == pytest.approx(
        [0.25, 0.625, -1.0])
    assert stats.cluster_means([], []) == []


def test_percentile_interpolates_like_numpy():
    import numpy

    rng = random.Random(5)
    for xs in ([7.0], [0.0, 10.0], [0.0, 10.0, 20.0], sorted(rng.random() for _ in range(9))):
        for q in (0.0, 0.1, 0.25, 0.5, 0.9, 0.975, 1.0):
            assert stats._percentile(xs, q) == pytest.approx(float(numpy.percentile(xs, 100 * q))), (xs, q)


def test_bootstrap_edges():
    assert stats.paired_bootstrap_ci([0.0], [1.0]) == (1.0, 1.0)  # one pair: its difference
    # no spread: the difference itself, exactly (not a mean of copies with rounding in it)
    assert stats.paired_bootstrap_ci([0.0] * 3, [0.1] * 3) == (0.1, 0.1)
    # the library's defaults are the config's (stats.resamples, stats.seed), so a call and a run agree
    from advisor.core.probe.config import StatsSpec

    spec = StatsSpec()
    a, b = [1.0, 0.0] * 20, [1.0, 1.0, 0.0, 1.0] * 10
    assert stats.paired_bootstrap_ci(a, b) == stats.paired_bootstrap_ci(a, b, resamples=spec.resamples, seed=spec.seed)
    with pytest.raises(ValueError, match="same length"):
        stats.paired_bootstrap_ci([1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="label every pair"):
        stats.paired_bootstrap_ci([1.0], [0.0], groups=["a", "b"])


def test_bootstrap_interval_has_the_asked_coverage():
    # 100 continuous differences: the bootstrap mean is close to normal (mean, sd/sqrt(n)), so the
    # 95% interval is mean -+ 1.96 se and the 80% one mean -+ 1.28 se (to a few hundredths of an se)
    rng = random.Random(11)
    diffs = [rng.gauss(0.1, 1.0) for _ in range(100)]
    m = sum(diffs) / 100
    se = math.sqrt(sum((d - m) ** 2 for d in diffs) / 100) / 10
    for level, zq in ((0.95, ZA), (0.80, 1.2815515655446004)):
        lo, hi = stats.paired_bootstrap_ci([0.0] * 100, diffs, resamples=5000, seed=2, level=level)
        assert (m - lo) / se == pytest.approx(zq, abs=0.08) and (hi - m) / se == pytest.approx(zq, abs=0.08), level


def test_cluster_bootstrap_weighs_cases_not_clusters():
    # Two inputs: a (2 copies, both +1) and b (4 copies, three 0 and one -1). A resample draws two
    # inputs; a quarter of them draw a twice (mean 1) and a quarter b twice (mean -1/4), so the 95%
    # interval runs from b's mean to a's; a mixed draw is the mean over its 6 cases, (2 - 1) / 6.
    base = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    cand = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    groups = ["a", "a", "b", "b", "b", "b"]
    assert stats.paired_bootstrap_ci(base, cand, groups=groups, seed=0) == (-0.25, 1.0)
    lo, hi = stats.paired_bootstrap_ci(base, cand, groups=groups, seed=0, level=0.4)
    assert lo == pytest.approx(1 / 6) and hi == pytest.approx(1 / 6)  # the middle half is the mixed draws
