"""The few array operations the curve detectors need, in plain Python, rounding as numpy does.

A log of a few thousand points is smoothed and tested in a few milliseconds
this way, while importing numpy alone costs a quarter of a second on a small
machine (docs/triage.md, "Speed"). Each function gives bit for bit what the
numpy expression named in its docstring gives for float64 data, so the
verdicts and every number in a report stay the same;
``tests/triage/test_numeric.py`` compares them with numpy on random series.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, insort
from collections.abc import Sequence

_BLOCK = 128  # numpy's PW_BLOCKSIZE


def fsum_np(a: Sequence[float]) -> float:
    """``np.sum(a)``: numpy's pairwise summation (8 accumulators in blocks of up to 128, halves above)."""
    return _pairwise(a, 0, len(a)) if len(a) else 0.0


def _pairwise(a: Sequence[float], lo: int, n: int) -> float:
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= _BLOCK:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[lo:lo + 8]
        end = lo + n - n % 8
        for i in range(lo + 8, end, 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(end, lo + n):
            res += a[i]
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a, lo, n2) + _pairwise(a, lo + n2, n - n2)


def mean(a: Sequence[float]) -> float:
    """``np.mean(a)``."""
    return fsum_np(a) / len(a)


def median(a: Sequence[float]) -> float:
    """``np.median(a)`` of finite values: the middle value, or the mean of the two middle ones."""
    s = sorted(a)
    n = len(s)
    h = n // 2
    return s[h] if n % 2 else (s[h - 1] + s[h]) / 2


def _median_sorted(s: list[float]) -> float:
    n = len(s)
    h = n // 2
    return s[h] if n % 2 else (s[h - 1] + s[h]) / 2


def running_median(y: Sequence[float], k: int) -> array:
    """Centred running median of odd window ``k``; the window shrinks at both ends.

    numpy: the median of each ``sliding_window_view(y, k)`` in the middle, and
    ``np.median(y[max(0, i - h): i + h + 1])`` for the ``h = k // 2`` points at each end.
    """
    n, h = len(y), k // 2
    out = array("d", bytes(8 * n))  # 8 bytes a value: a million-step log stays small
    if n >= k:
        win = sorted(y[:k])
        out[h] = win[h]
        for i in range(h + 1, n - h):
            del win[bisect_left(win, y[i - h - 1])]
            insort(win, y[i + h])
            out[i] = win[h]
    for i in list(range(min(h, n))) + list(range(max(h, n - h), n)):
        out[i] = _median_sorted(sorted(y[max(0, i - h): i + h + 1]))
    return out


def trailing_median(y: Sequence[float], k: int) -> array:
    """``out[i]`` = median of the ``k`` points before ``i``, NaN for the first ``k`` (numpy: sliding windows)."""
    n = len(y)
    out = array("d", [math.nan]) * n
    if n > k:
        win = sorted(y[:k])
        out[k] = _median_sorted(win)
        for i in range(k + 1, n):
            del win[bisect_left(win, y[i - k - 1])]
            insort(win, y[i - 1])
            out[i] = _median_sorted(win)
    return out


def median_before(y: Sequence[float], i: int, k: int) -> float:
    """Median of the ``k`` points before ``i`` (``i >= k``): :func:`trailing_median` at ``i``, alone."""
    return _median_sorted(sorted(y[i - k:i]))


def argmin(a: Sequence[float]) -> int:
    """``np.argmin(a)`` of finite values: the first index of the smallest."""
    return min(range(len(a)), key=a.__getitem__)


def diff(a: Sequence[float]) -> array:
    """``np.diff(a)``."""
    return array("d", [a[i + 1] - a[i] for i in range(len(a) - 1)])


_IN_CACHE = 8  # numpy's LIKELY_IN_CACHE_SIZE


def _search(key: float, arr: Sequence[float], guess: int) -> int:
    """numpy's ``binary_search_with_guess``: the index ``j`` with ``arr[j] <= key < arr[j + 1]`` (-1, len outside).

    The same probes in the same order, so a log whose steps are not sorted
    (a resumed run) interpolates exactly as before too.
    """
    n = len(arr)
    imin, imax = 0, n
    if key > arr[n - 1]:
        return n
    if key < arr[0]:
        return -1
    if n <= 4:
        i = 1
        while i < n and key >= arr[i]:
            i += 1
        return i - 1
    guess = min(max(guess, 1), n - 3)
    if key < arr[guess]:
        if key < arr[guess - 1]:
            imax = guess - 1
            if guess > _IN_CACHE and key >= arr[guess - _IN_CACHE]:
                imin = guess - _IN_CACHE
        else:
            return guess - 1
    else:
        if key < arr[guess + 1]:
            return guess
        if key < arr[guess + 2]:
            return guess + 1
        imin = guess + 2
        if guess < n - _IN_CACHE - 1 and key < arr[guess + _IN_CACHE]:
            imax = guess + _IN_CACHE
    while imin < imax:
        imid = imin + ((imax - imin) >> 1)
        if key >= arr[imid]:
            imin = imid + 1
        else:
            imax = imid
    return imin - 1


def interp(x: float, xp: Sequence[float], fp: Sequence[float]) -> float:
    """``np.interp(x, xp, fp)`` for one finite ``x`` (ends held flat)."""
    n = len(xp)
    if n == 1:
        return fp[0] if x == xp[0] else (fp[0] if x < xp[0] else fp[-1])
    j = _search(x, xp, 0)
    if j == -1:
        return fp[0]
    if j == n:
        return fp[-1]
    if j == n - 1 or xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    res = slope * (x - xp[j]) + fp[j]
    if math.isnan(res):
        res = slope * (x - xp[j + 1]) + fp[j + 1]
        if math.isnan(res) and fp[j] == fp[j + 1]:
            res = fp[j]
    return res
