"""Paired statistics for base-vs-candidate scores, deterministic and small-sample safe.

What decides a verdict, and why (docs/probe.md, "How a difference is judged"):

* :func:`sign_test` - the exact two-sided sign test on the paired differences
  (for pass/fail scores this *is* the exact McNemar test on the discordant
  pairs). With few discordant pairs only an exact test tells the truth:
  3 wins and 0 losses out of 4 cases is p = 0.25, not an improvement.
* :func:`exact_paired_ci` - for pass/fail pairs, the interval of the mean
  difference that agrees with that test (Clopper-Pearson on the wins among the
  discordant pairs, scaled by their share).
* :func:`paired_bootstrap_ci` - the percentile (cluster) bootstrap interval,
  kept for scores that are not pass/fail and for the shift suite's copies of
  one input; a verdict then needs the exact test as well.
* :func:`adjusted_lower_bound` - the one-sided lower bound used for
  non-inferiority (Agresti and Min's added half-counts, so zero observed
  discordance on a tiny run does not prove anything).
* :func:`achieved_mde`, :func:`required_cases` - power for a paired pass/fail
  comparison (Connor's formula for McNemar's test).
* :func:`holm` - Holm-Bonferroni adjusted p-values across one run's comparisons.
* :func:`wilson_ci`, :func:`exact_ci` - single-arm pass-rate intervals (never Wald).

scipy is imported inside the functions that need it (exact binomial tests
and intervals), so rendering a record never pays for it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Optional

ALPHA = 0.05
POWER = 0.80
#: The exact two-sided sign test cannot reach p < 0.05 with fewer than this many
#: discordant pairs, even when every one of them goes the same way (2 * 0.5**5 = 0.0625).
MIN_DISCORDANT = 6


def mean(xs: Sequence[float]) -> Optional[float]:
    """Arithmetic mean, None for no values."""
    return sum(xs) / len(xs) if xs else None


def std(xs: Sequence[float]) -> Optional[float]:
    """Sample standard deviation (n-1), 0.0 for one value, None for none."""
    if not xs:
        return None
    if len(xs) == 1:
        return 0.0
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def z(q: float) -> float:
    """The standard normal quantile."""
    return NormalDist().inv_cdf(q)


# ----------------------------------------------------------------- single-arm rates


def wilson_ci(k: int, n: int, level: float = 0.95) -> Optional[tuple[float, float]]:
    """Wilson score interval of a pass rate ``k / n`` (scipy), None for n = 0."""
    if n <= 0:
        return None
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return (float(ci.low), float(ci.high))


def exact_ci(k: int, n: int, level: float = 0.95) -> Optional[tuple[float, float]]:
    """Clopper-Pearson (exact) interval of a pass rate ``k / n`` (scipy), None for n = 0."""
    if n <= 0:
        return None
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return (float(ci.low), float(ci.high))


# ----------------------------------------------------------------- paired tests


def sign_test(diffs: Sequence[float]) -> float:
    """Exact two-sided sign test of paired differences (zeros dropped); 1.0 with no non-zero difference.

    For pass/fail scores the non-zero differences are the discordant pairs,
    so this equals the exact McNemar test.
    """
    up = sum(1 for d in diffs if d > 0)
    down = sum(1 for d in diffs if d < 0)
    return mcnemar_exact(down, up)


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value (scipy's binomial test on the discordant pairs).

    Args:
        b: pairs where base passed and candidate failed.
        c: pairs where base failed and candidate passed.

    Returns:
        ``min(1, 2 * P(X <= min(b, c)))`` for ``X ~ Binomial(b + c, 1/2)``; 1.0 with no discordant pairs.
    """
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(c, b + c, 0.5, alternative="two-sided").pvalue)


def exact_paired_ci(b: int, c: int, n: int, level: float = 0.95) -> Optional[tuple[float, float]]:
    """Interval of the mean paired difference ``(c - b) / n`` for pass/fail pairs, matching the exact test.

    Conditional on the ``m = b + c`` discordant pairs, the candidate's wins
    are Binomial(m, theta) and the difference is ``m/n * (2 theta - 1)``; the
    Clopper-Pearson interval of theta gives the interval. It excludes zero
    exactly when the exact McNemar test rejects at ``1 - level``.

    Returns:
        (low, high); (0, 0) with no discordant pair; None for n = 0.
    """
    if n <= 0:
        return None
    m = b + c
    if m == 0:
        return (0.0, 0.0)
    lo, hi = exact_ci(c, m, level)  # type: ignore[misc]
    return (m / n * (2 * lo - 1), m / n * (2 * hi - 1))


def adjusted_lower_bound(diffs: Sequence[float], alpha: float = ALPHA) -> Optional[float]:
    """One-sided ``1 - alpha`` lower bound of the mean paired difference, for non-inferiority.

    Agresti and Min's adjustment for matched proportions: half a win, half a
    loss and one tie are added before the Wald bound is taken, which for
    pass/fail pairs is their interval and for other differences its analogue.
    Without it, a run with no discordant pair has a zero-width interval and
    "proves" non-inferiority on four cases.
    """
    n = len(diffs)
    if n == 0:
        return None
    n2 = n + 2
    m = sum(diffs) / n2
    var = (sum(d * d for d in diffs) + 1.0) / n2 - m * m
    return m - z(1 - alpha) * math.sqrt(max(var, 0.0) / n2)


def paired_se(diffs: Sequence[float]) -> Optional[float]:
    """Standard error of the mean paired difference (sample sd / sqrt(n)); None below two pairs."""
    if len(diffs) < 2:
        return None
    return (std(diffs) or 0.0) / math.sqrt(len(diffs))


def correlation(xs: Sequence[float], ys: Sequence[float]) -> Optional[float]:
    """Pearson correlation of the two arms' per-case scores; None when either arm is constant.

    A high correlation is why pairing pays: the variance of the difference is
    ``var(x) + var(y) - 2 cov(x, y)``.
    """
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    return sxy / math.sqrt(sxx * syy)


# ----------------------------------------------------------------- power


def required_cases(delta: float, discordance: float, *, alpha: float = ALPHA, power: float = POWER) -> int:
    """Paired pass/fail cases needed to detect a difference ``delta`` (two-sided ``alpha``, ``power``).

    Connor (1987), the sample size for McNemar's test::

        n = (z(1 - alpha/2) * sqrt(psi) + z(power) * sqrt(psi - delta**2))**2 / delta**2

    where ``psi`` is the share of discordant pairs. ``psi`` is raised to
    ``delta`` when smaller (a difference of ``delta`` needs at least that
    many discordant pairs), and the result to ``MIN_DISCORDANT / delta`` (the
    exact test needs that many one-sided discordant pairs to reach p < 0.05).
    """
    if not 0 < delta <= 1:
        raise ValueError("delta must be in (0, 1]")
    psi = min(1.0, max(discordance, delta))
    za, zb = z(1 - alpha / 2), z(power)
    n = (za * math.sqrt(psi) + zb * math.sqrt(max(psi - delta * delta, 0.0))) ** 2 / (delta * delta)
    return max(math.ceil(n - 1e-9), math.ceil(MIN_DISCORDANT / delta - 1e-9))


def achieved_mde(n: int, discordance: Optional[float] = None, *, alpha: float = ALPHA,
                 power: float = POWER) -> Optional[float]:
    """The smallest difference a paired pass/fail run of ``n`` cases detects with ``power``.

    The inverse of :func:`required_cases` at the observed discordance (which
    is raised to the difference itself, so zero observed discordance does not
    make a tiny run look powered). 1.0 means no difference is detectable;
    None for n = 0.
    """
    if n <= 0:
        return None
    psi = discordance or 0.0
    if required_cases(1.0, psi, alpha=alpha, power=power) > n:
        return 1.0
    lo, hi = 1e-6, 1.0  # required_cases falls as delta grows: bisect for the smallest delta that fits
    for _ in range(60):
        mid = (lo + hi) / 2
        if required_cases(mid, psi, alpha=alpha, power=power) <= n:
            hi = mid
        else:
            lo = mid
    return hi


def achieved_mde_continuous(diffs: Sequence[float], *, alpha: float = ALPHA, power: float = POWER) -> Optional[float]:
    """MDE for differences that are not pass/fail (e.g. per-input means): ``(z_a + z_b) * sd / sqrt(n)``.

    The sd is taken with Agresti and Min's added half-counts (see
    :func:`adjusted_lower_bound`), so identical differences do not give 0.
    """
    n = len(diffs)
    if n == 0:
        return None
    n2 = n + 2
    m = sum(diffs) / n2
    sd = math.sqrt(max((sum(d * d for d in diffs) + 1.0) / n2 - m * m, 0.0))
    return min(1.0, (z(1 - alpha / 2) + z(power)) * sd / math.sqrt(n))


def holm(pvalues: Mapping[str, float]) -> dict[str, float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    order = sorted(pvalues, key=lambda k: pvalues[k])
    m = len(order)
    out: dict[str, float] = {}
    running = 0.0
    for i, k in enumerate(order):
        running = max(running, min(1.0, (m - i) * pvalues[k]))
        out[k] = running
    return out


# ----------------------------------------------------------------- bootstrap (not pass/fail, clusters)


def _percentile(sorted_xs: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of sorted values (numpy's default method)."""
    if len(sorted_xs) == 1:
        return sorted_xs[0]
    pos = q * (len(sorted_xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def paired_bootstrap_ci(
    base: Sequence[float],
    candidate: Sequence[float],
    *,
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    groups: Optional[Sequence[str]] = None,
) -> Optional[tuple[float, float]]:
    """Percentile bootstrap interval of mean(candidate - base) over paired cases.

    Cases are resampled as pairs, so what one case makes hard for both models
    cancels out (the point of a paired design). With ``groups``, whole groups
    are resampled instead (a cluster bootstrap): the shift suite's perturbed
    copies of one input are not independent evidence, and resampling them one
    by one would give an interval that looks far more certain than it is.
    A percentile interval is too narrow on small samples: it never decides a
    verdict alone (see :func:`verdict`).

    Args:
        base: per-case scores of the base arm.
        candidate: per-case scores of the candidate arm, same order and length.
        resamples: bootstrap resamples.
        seed: seed of the resampling (deterministic output).
        level: coverage of the interval.
        groups: per-case group labels (e.g. the original case id), same length.

    Returns:
        (low, high), or None when there are no pairs.
    """
    if len(base) != len(candidate):
        raise ValueError("paired scores must have the same length")
    if groups is not None and len(groups) != len(base):
        raise ValueError("groups must label every pair")
    diffs = [c - b for b, c in zip(base, candidate)]
    n = len(diffs)
    if n == 0:
        return None
    if all(d == diffs[0] for d in diffs):
        return (diffs[0], diffs[0])  # no spread: every resample has the same mean
    rng = random.Random(seed)
    pick = rng.randrange
    alpha = (1 - level) / 2
    if groups is None:
        means = sorted(sum(diffs[pick(n)] for _ in range(n)) / n for _ in range(resamples))
        return (_percentile(means, alpha), _percentile(means, 1 - alpha))
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for g, d in zip(groups, diffs):
        sums[g] = sums.get(g, 0.0) + d
        counts[g] = counts.get(g, 0) + 1
    keys = list(sums)
    gs, gc = [sums[k] for k in keys], [counts[k] for k in keys]
    k = len(keys)
    means = []
    for _ in range(resamples):
        total = count = 0.0
        for _ in range(k):
            j = pick(k)
            total += gs[j]
            count += gc[j]
        means.append(total / count)
    means.sort()
    return (_percentile(means, alpha), _percentile(means, 1 - alpha))


def cluster_means(diffs: Sequence[float], groups: Sequence[str]) -> list[float]:
    """Mean difference per group, in first-seen order (one value per shifted input)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for g, d in zip(groups, diffs):
        sums[g] = sums.get(g, 0.0) + d
        counts[g] = counts.get(g, 0) + 1
    return [sums[g] / counts[g] for g in sums]


def verdict(ci: Optional[tuple[float, float]], p: Optional[float] = None, alpha: float = ALPHA) -> Optional[str]:
    """``improvement`` / ``regression`` when the interval excludes zero on that side *and* ``p < alpha``.

    ``no_difference`` otherwise; None when there is nothing to compare (an
    empty suite is an error, never a verdict). ``p`` is the exact test's
    (Holm-adjusted when several comparisons share a run); without it only
    the interval speaks, which is right only for an interval that matches an
    exact test (:func:`exact_paired_ci`).
    """
    if ci is None:
        return None
    lo, hi = ci
    significant = p is None or p < alpha
    if lo > 0 and significant:
        return "improvement"
    if hi < 0 and significant:
        return "regression"
    return "no_difference"


def is_binary(xs: Sequence[float]) -> bool:
    """True when every score is exactly 0 or 1 (then McNemar applies)."""
    return all(x in (0.0, 1.0) for x in xs)
