"""The detectors' plain-Python array operations give what numpy gives, bit for bit (numpy is the oracle)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from advisor.core.triage import numeric as nm

LENGTHS = (1, 2, 3, 5, 7, 8, 9, 16, 17, 127, 128, 129, 257, 1000, 8191, 8193, 18000)


def _series(rng: random.Random, n: int) -> list[float]:
    scale = rng.choice([1e-3, 1.0, 1e3])
    y = [rng.gauss(1.0, 0.3) * scale for _ in range(n)]
    return [round(v, 2) for v in y] if rng.random() < 0.3 else y  # rounded values repeat, as logged losses do


@pytest.mark.parametrize("n", LENGTHS)
def test_sums_means_medians_argmin_match_numpy(n):
    rng = random.Random(n)
    for _ in range(5):
        y = _series(rng, n)
        a = np.array(y)
        assert nm.fsum_np(y) == a.sum()
        assert nm.mean(y) == a.mean()
        assert nm.median(y) == np.median(a)
        assert nm.argmin(y) == int(np.argmin(a))
        assert list(nm.diff(y)) == list(np.diff(a))


@pytest.mark.parametrize(("n", "k"), [(5, 5), (8, 5), (8, 7)] + [(n, k) for n in (21, 22, 300, 4001) for k in (5, 7, 21)])
def test_running_and_trailing_medians_match_numpy(n, k):
    y = _series(random.Random(n * k), n)
    a = np.array(y)
    h = k // 2
    want = np.empty(n)
    want[h:n - h] = np.median(np.lib.stride_tricks.sliding_window_view(a, k), axis=1)
    for i in list(range(min(h, n))) + list(range(max(h, n - h), n)):
        want[i] = np.median(a[max(0, i - h): i + h + 1])
    assert list(nm.running_median(y, k)) == list(want)
    trail = np.full(n, np.nan)
    if n > k:
        trail[k:] = np.median(np.lib.stride_tricks.sliding_window_view(a, k)[:-1], axis=1)
    got = nm.trailing_median(y, k)
    assert [math.isnan(v) for v in got] == [bool(v) for v in np.isnan(trail)]
    assert [v for v in got if not math.isnan(v)] == [float(v) for v in trail if not np.isnan(v)]
    assert [nm.median_before(y, i, k) for i in range(k, n)] == [float(v) for v in trail[k:]]


@pytest.mark.parametrize("n", [1, 2, 4, 5, 6, 9, 40, 1000])
def test_interp_matches_numpy_sorted_unsorted_and_repeated_steps(n):
    rng = random.Random(100 + n)
    fp = _series(rng, n)
    layouts = [sorted(rng.uniform(0, 100) for _ in range(n)),
               sorted(float(rng.randint(0, 30)) for _ in range(n)),    # repeated steps
               [float(rng.randint(0, 30)) for _ in range(n)]]          # a resumed run: not sorted
    for xp in layouts:
        for _ in range(40):
            x = rng.choice([rng.uniform(-5, 105), float(rng.randint(-2, 32)), xp[rng.randrange(n)]])
            assert nm.interp(x, xp, fp) == float(np.interp(x, np.array(xp), np.array(fp))), (xp, x)
