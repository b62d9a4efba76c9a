"""What every loss chart shows, decided once: the y range, its label, whole-number ticks, the best checkpoint.

The terminal report (plotext), the TUI's triage screen (textual-plotext) and
the record's Mermaid chart all draw from :func:`plan`, so they agree:

* **Scale to where the information is.** The first logged losses are often far
  above the rest (14.8, then a run living between 0.4 and 0.8), which on a
  linear axis from the first point turns the whole run into a flat line at the
  bottom. When the highest value is more than twice the top of the rest of the
  run (the values after the first 10% of steps), the axis stops just above the
  rest and the chart says so: ``y axis clipped at 0.83: the first 3 points
  (up to 14.8) are above it``. Otherwise the axis spans the data.
* **Whole-number step ticks**: 4 to 6 round numbers (1, 2, 5 x 10^k apart).
* **The best checkpoint** is marked with a vertical line and labelled
  ``best: step N, eval loss X``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

CLIP_RATIO = 2.0
HEAD_SHARE = 0.10


@dataclass
class ChartPlan:
    """The decisions every chart of one report shares."""

    y_lo: float
    y_hi: float
    clipped: Optional[str]
    """Words for the clip (None when the axis spans the data)."""
    x_ticks: list[int]
    x_label: str
    best_step: Optional[float]
    best_label: Optional[str]

    @property
    def title(self) -> str:
        return f"loss by {self.x_label}" + (f" (y axis clipped at {_g(self.y_hi)})" if self.clipped else "")


def _g(x: float) -> str:
    return f"{x:.4g}"


def nice_ticks(lo: float, hi: float, want: int = 5) -> list[int]:
    """Whole-number ticks between ``lo`` and ``hi``, 1/2/5 x 10^k apart, as close to ``want`` ticks as can be."""
    lo_i, hi_i = math.ceil(lo), math.floor(hi)
    if hi_i <= lo_i:
        return [lo_i]
    best: list[int] = [lo_i, hi_i]
    for k in range(0, 16):
        for m in (1, 2, 5):
            step = m * 10 ** k
            first = -(-lo_i // step) * step
            ticks = list(range(first, hi_i + 1, step))
            if ticks and abs(len(ticks) - want) < abs(len(best) - want):
                best = ticks
            if len(ticks) <= 1:
                return best
    return best


def plan(report: dict[str, Any], kinds: tuple[str, ...] = ("train", "eval")) -> Optional[ChartPlan]:
    """The chart decisions for a triage JSON object, or None without two plottable points."""
    pts: list[tuple[float, float]] = []
    for c in report.get("curves") or []:
        if c.get("kind") in kinds:
            pts += [(float(s), float(v)) for s, v in c.get("points") or [] if v is not None and math.isfinite(v)]
    if len(pts) < 2:
        return None
    xs = [p[0] for p in pts]
    x0, x1 = min(xs), max(xs)
    ys = [p[1] for p in pts]
    lo, hi = min(ys), max(ys)
    cut = x0 + HEAD_SHARE * (x1 - x0)
    rest = [y for x, y in pts if x > cut]
    clipped = None
    if rest:
        top = max(rest)
        if hi > CLIP_RATIO * top and top > lo:
            over = sorted({x for x, y in pts if y > top * 1.05})
            hi = top
            clipped = (f"y axis clipped at {_g(top * 1.05)}: {len(over)} early point(s), up to {_g(max(ys))}, "
                       "are above it")
    pad = (hi - lo) * 0.05 or abs(hi) * 0.05 or 0.1
    inputs = report.get("inputs") or {}
    x_label = ((inputs.get("log") or {}).get("x_label")) or "step"
    best = report.get("best_checkpoint")
    label = None
    if best:
        label = f"best: {x_label} {_g(best['step'])}, {best.get('eval_set', 'eval')} loss {_g(best['eval_loss'])}"
    return ChartPlan(y_lo=max(0.0, lo - pad) if lo >= 0 else lo - pad, y_hi=hi + pad if not clipped else hi * 1.05,
                     clipped=clipped, x_ticks=nice_ticks(x0, x1), x_label=x_label,
                     best_step=float(best["step"]) if best else None, best_label=label)


def draw_plotext(plt, report: dict[str, Any], *, markers: tuple[str, ...] = ("braille", "x", "o", "+", "*")) -> bool:
    """Draw the train and eval curves of ``report`` on a plotext module/object following :func:`plan`.

    Returns False when there is nothing to draw. Used by the terminal report and
    the TUI (textual-plotext exposes the same plotext API).
    """
    p = plan(report)
    if p is None:
        return False
    drawn = 0
    for i, c in enumerate(x for x in report.get("curves") or [] if x.get("kind") in ("train", "eval")):
        pts = [(s, v) for s, v in c.get("points") or [] if v is not None]
        if len(pts) < 2:
            continue
        plt.plot([q[0] for q in pts], [min(q[1], p.y_hi) for q in pts], label=c["name"].replace("_", " "),
                 marker=markers[min(i, len(markers) - 1)])
        drawn += 1
    if not drawn:
        return False
    plt.ylim(p.y_lo, p.y_hi)
    plt.xticks(p.x_ticks, [str(t) for t in p.x_ticks])
    plt.xlabel(p.x_label)
    plt.title(p.title)
    if p.best_step is not None:
        plt.vline(p.best_step)
        plt.text(p.best_label, p.best_step, p.y_hi, alignment="right" if p.best_step > p.x_ticks[-1] * 0.6 else "left")
    return True
