"""Paired statistics for base-vs-candidate scores (pure Python, deterministic).

* :func:`paired_bootstrap_ci`: percentile bootstrap of the mean paired
  difference, seeded, so the same scores always give the same interval;
  optionally resampling whole groups (the shift suite's copies of one input).
* :func:`mcnemar_exact`: exact two-sided McNemar test (a binomial test on the
  discordant pairs) for pass/fail scores.
* :func:`verdict`: a direction only when the interval excludes zero.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Optional


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


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value.

    Args:
        b: pairs where base passed and candidate failed.
        c: pairs where base failed and candidate passed.

    Returns:
        ``min(1, 2 * P(X <= min(b, c)))`` for ``X ~ Binomial(b + c, 1/2)``; 1.0 with no discordant pairs.
    """
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def verdict(ci: Optional[tuple[float, float]]) -> str:
    """``improvement`` if the interval is above zero, ``regression`` if below, else ``no_difference``."""
    if ci is None:
        return "no_difference"
    lo, hi = ci
    if lo > 0:
        return "improvement"
    if hi < 0:
        return "regression"
    return "no_difference"


def is_binary(xs: Sequence[float]) -> bool:
    """True when every score is exactly 0 or 1 (then McNemar applies)."""
    return all(x in (0.0, 1.0) for x in xs)
