"""Log and setting detectors: numbers in, :class:`Finding` objects out.

Noise handling, shared by the curve detectors:

* A series of 8 or more points is smoothed with a centred running **median**
  (window ``k`` = n/8, odd, 5..21). Medians ignore single spikes, so one bad
  batch never moves a verdict.
* The noise of one point, ``sigma``, is estimated from the point-to-point
  differences with the median absolute deviation (x 1.4826 / sqrt 2, the
  normal-consistent MAD of a difference), which a smooth trend and outliers
  barely move.
* A rise from the minimum is called real only if it exceeds ``z`` standard
  errors of the difference of two smoothed levels (``1.25 * sigma * sqrt(2/k)``;
  1.25 because a median is noisier than a mean), with ``z = 2.5 + sqrt(2 ln(n/k))``
  because the minimum of ``n/k`` noisy levels is itself biased low (see
  :func:`_z_for`), *and* a small relative floor (2%). So a
  noisy per-step validation series that trends down never has its smoothed
  minimum far from its end, and a rise that stays inside the series' own noise
  does not clear the bar.
* Short series (under 8 points, typically one eval per epoch) cannot estimate
  their noise; they are taken as whole-set averages and judged on a relative
  floor (3%) plus every later point staying above the minimum.
"""

from __future__ import annotations

import math
from array import array
from typing import Optional

from advisor.core.triage import numeric as nm
from advisor.core.triage.logs import Point, Series, TrainingLog, _fmt_step
from advisor.core.triage.logs.base import PointList
from advisor.core.triage.models import BestCheckpoint, Curve, Finding
from advisor.core.triage.runbook import Thresholds


# Detector constants (docs/triage.md states each trigger; tests pin both sides of each).
DIVERGENCE_SIGMAS = 4.0
DIVERGENCE_REL = 0.25
SPIKE_SIGMAS = 6.0
SPIKE_REL = 0.5
GRAD_SPIKE_X = 10.0
GRAD_BASELINE = 5
# Findings from the curves that show the run was unstable; without any of them a learning rate
# above the rule-of-thumb range is a note, not a diagnosis.
INSTABILITY = ("loss_divergence", "loss_spike", "grad_norm_spike", "non_finite_loss", "eval_loss_rising")


running_median = nm.running_median
trailing_median = nm.trailing_median


_SMOOTH_CACHE: dict = {}


def smooth(points: list[Point]) -> "Smooth":
    """:class:`Smooth` of a point list, computed once per list (detectors share the training curve's)."""
    key = (id(points), len(points))
    got = _SMOOTH_CACHE.get(key)
    if got is None or got.points is not points:
        if len(_SMOOTH_CACHE) > 64:
            _SMOOTH_CACHE.clear()
        got = _SMOOTH_CACHE[key] = Smooth(points)
    return got


class Smooth:
    """A smoothed view of one series with its noise estimate (see the module docstring)."""

    def __init__(self, points: list[Point]) -> None:
        self.points = points
        self.x, self.y = _xy(points)
        n = len(points)
        self.n = n
        if n < 8:
            self.k = 1
            self.s = array("d", self.y)
            self.sigma = 0.0
        else:
            k = max(5, min(21, (n // 8) | 1))
            self.k = k
            self.s = running_median(self.y, k)
            # Noise from first differences: a smooth trend barely moves them, and unlike
            # residuals around a short median they are not shrunk toward zero.
            d = nm.diff(self.y)
            md = nm.median(d)
            self.sigma = float(1.4826 * nm.median([abs(v - md) for v in d]) / math.sqrt(2.0))

    @property
    def short(self) -> bool:
        return self.n < 8

    def level_noise(self) -> float:
        """Standard error of a smoothed level (a median of ``k`` points); 0 for a short series (sigma 0)."""
        return 1.25 * self.sigma / math.sqrt(self.k)

    def end_level(self) -> float:
        """Where the series ended: median of the last ``k`` raw points (the last point when short)."""
        return float(nm.median(self.y[-self.k:]))

    def start_level(self) -> float:
        return float(nm.median(self.y[: self.k]))

    def at(self, step: float) -> float:
        """The smoothed value interpolated at ``step``."""
        return float(nm.interp(float(step), self.x, self.s))


def _xy(points) -> tuple[array, array]:
    """Steps and values of a point sequence as float arrays (copied from a :class:`PointList`'s own)."""
    if isinstance(points, PointList):
        return array("d", points.steps), array("d", points.values)
    return array("d", [p.step for p in points]), array("d", [p.value for p in points])


def _values(points):
    """The values of a point sequence, indexable (a :class:`PointList`'s own array, not copied)."""
    return points.values if isinstance(points, PointList) else [p.value for p in points]


def _z_for(sm: Smooth) -> float:
    """How many standard errors a rise from the minimum must clear.

    The minimum of a smoothed noisy curve is itself biased low: it is the
    lowest of about ``n/k`` independent window levels, whose expected extreme
    is ``sqrt(2 ln m)`` standard errors. So the bar is 2.5 standard errors
    *beyond* that selection effect, not 3 from a fixed point.
    """
    m = max(2.0, sm.n / sm.k)
    return 2.5 + math.sqrt(2.0 * math.log(m))


def _pct(a: float, b: float) -> float:
    """Relative change from ``b`` to ``a`` in percent."""
    return 100.0 * (a - b) / abs(b) if b else float("inf") if a > b else 0.0


def _g(x: float) -> str:
    return f"{x:.4g}"


def _rise_after_best(series: Series, *, flip: bool = False, min_rel_dense: float = 0.02,
                     min_rel_short: float = 0.03) -> Optional[dict]:
    """Did a lower-is-better series rise significantly after its (smoothed) minimum?

    Args:
        series: the series; non-finite points are ignored.
        flip: the series is higher-is-better (accuracy): judge its negation.
        min_rel_dense: relative floor for series of 8+ points.
        min_rel_short: relative floor for short series.

    Returns:
        The numbers of the rise, or None when there is no real rise.
    """
    pts = series.finite()
    if len(pts) < 3:
        return None
    sm = smooth(pts)
    sign = -1.0 if flip else 1.0
    s = [sign * v for v in sm.s]
    y = [sign * v for v in sm.y]
    b = nm.argmin(s)
    after = sm.n - 1 - b
    best = float(s[b])
    if sm.short:
        if after < 1 or not all(v > best for v in y[b + 1:]):
            return None
        end = float(y[-1])
        tol = min_rel_short * abs(best)
    else:
        if after < max(2, sm.k // 2):
            return None
        end = sign * sm.end_level()
        tol = max(_z_for(sm) * sm.level_noise() * math.sqrt(2.0), min_rel_dense * abs(best))
    rise = end - best
    if rise <= tol:
        return None
    onset = next((i for i in range(b + 1, sm.n) if (s[i] if not sm.short else y[i]) > best + tol), sm.n - 1)
    # Report the logged point (the checkpoint one would keep): the raw best inside the
    # smoothing window around the smoothed minimum. The rise is measured on smoothed levels.
    h = sm.k // 2
    lo_i = max(0, b - h)
    raw_b = lo_i + nm.argmin(y[lo_i: b + h + 1])
    return {
        "best_point": pts[raw_b], "best": sign * float(y[raw_b]), "end": sign * end,
        "rise_pct": round(abs(_pct(end, best)), 1), "onset_point": pts[onset], "last_point": pts[-1],
        "noise_sigma": round(sm.sigma, 5), "smoothing_window": sm.k,
    }


def detect_log(log: TrainingLog, th: Thresholds) -> list[Finding]:
    """Run every log detector; see each ``_d_*`` function for its rule."""
    out: list[Finding] = []
    out += _d_non_finite(log)
    degenerate = _d_degenerate(log, th)
    out += degenerate
    out += _d_divergence(log)
    rising = _d_eval_rising(log)
    out += rising
    out += _d_metric_worsening(log)
    if not any(f.id == "degenerate_loss" for f in degenerate):  # a flat zero is not a "plateau"
        out += _d_trend(log, log.train_loss)
    ev = log.primary_eval()
    if ev is not None:
        rising_sets = {f.evidence.get("eval_set") for f in rising}
        out += _d_trend(log, ev, rising_sets=rising_sets)
    else:
        out.append(Finding(
            id="no_eval_loss", severity="warning", where=log.file,
            detail=f"The log ({log.format}) has no eval/validation loss, so overfitting cannot be seen and "
                   "no best checkpoint can be picked: hold out an eval set and log its loss every few hundred steps.",
            evidence={"format": log.format, "train_points": len(log.train_loss.points)},
        ))
    out += _d_eval_below_train(log, th)
    return out


def _d_non_finite(log: TrainingLog) -> list[Finding]:
    """NaN/Inf in the training loss, any eval loss or the gradient norm (error)."""
    groups = [("train loss", log.train_loss), ("grad norm", log.grad_norm)]
    groups += [(f"{s.name.replace('_', ' ')}", s) for s in log.eval_loss.values()]
    parts, first, ev = [], None, {}
    for label, s in groups:
        vals = _values(s.points)
        bad = [s.points[i] for i in range(len(vals)) if not math.isfinite(vals[i])] \
            if not all(map(math.isfinite, vals)) else []
        if not bad:
            continue
        kinds = sorted({"NaN" if math.isnan(p.value) else "Inf" for p in bad})
        parts.append(f"{label} is {'/'.join(kinds)} at {len(bad)} of {len(s.points)} logged steps, "
                     f"first at step {_fmt_step(bad[0].step)} ({log.where(bad[0])})")
        ev[s.name] = {"count": len(bad), "of": len(s.points), "first_step": bad[0].step, "first_line": bad[0].line}
        if first is None or bad[0].step < first.step:
            first = bad[0]
    if first is None:
        return []
    lr = _peak(log.learning_rate)
    tail = f" Peak learning rate in the log: {_g(lr.value)}." if lr else ""
    return [Finding(id="non_finite_loss", severity="error", where=log.where(first),
                    detail="; ".join(parts) + ". Weights are corrupted from there on: lower the learning rate, "
                    "add gradient clipping, check for bf16/fp16 overflow." + tail, evidence=ev)]


def _d_degenerate(log: TrainingLog, th: Thresholds) -> list[Finding]:
    """Training loss exactly 0, constant, or near 0 (memorised)."""
    pts = log.train_loss.finite()
    if not pts:
        return []
    vals = _values(pts)
    zeros = [pts[i] for i in range(len(vals)) if vals[i] == 0.0] if 0.0 in vals else []
    # A loss of exactly 0.0 is not a value training reaches: every label was masked. Even one
    # such point is degenerate when it is all the run logged, or where the run ended.
    if zeros and (len(zeros) >= 3 or vals[-1] == 0.0 or len(zeros) == len(pts)):
        return [Finding(id="degenerate_loss", severity="error", where=log.where(zeros[0]),
                        detail=f"Training loss is exactly 0 at {len(zeros)} of {len(pts)} logged steps from step "
                               f"{_fmt_step(zeros[0].step)}: usually every label token is masked (-100) or the loss "
                               "is computed on an empty target, so nothing is learned.",
                        evidence={"zero_points": len(zeros), "points": len(pts), "first_zero_step": zeros[0].step,
                                  "kind": "zero"})]
    if len(pts) < 3:
        return []
    if len(pts) >= 5 and max(vals) - min(vals) <= 1e-9 * max(1.0, abs(vals[0])):
        return [Finding(id="degenerate_loss", severity="error", where=log.where(pts[0]),
                        detail=f"Training loss is constant at {_g(vals[0])} over all {len(pts)} logged steps: the "
                               "weights are not updating (learning rate 0, frozen parameters, or every label masked).",
                        evidence={"value": vals[0], "points": len(pts), "kind": "constant"})]
    end = smooth(pts).end_level()
    if 0 < end < th.near_zero_train_loss:
        return [Finding(id="train_loss_near_zero", severity="warning", where=log.where(pts[-1]),
                        detail=f"Training loss ended at {_g(end)} (below {th.near_zero_train_loss}): the model "
                               "reproduces its training examples almost token for token, i.e. it memorised them.",
                        evidence={"final_train_loss": end, "threshold": th.near_zero_train_loss})]
    return []


def _d_divergence(log: TrainingLog) -> list[Finding]:
    """Training loss climbing well above its minimum (error), or isolated spikes (warning)."""
    pts = log.train_loss.finite()
    if len(pts) < 5:
        return []
    sm = smooth(pts)
    out: list[Finding] = []
    m = nm.argmin(sm.s)
    low = float(sm.s[m])
    end, start = sm.end_level(), sm.start_level()
    tol = max(DIVERGENCE_SIGMAS * sm.level_noise() * math.sqrt(2.0), DIVERGENCE_REL * abs(low))
    if m < sm.n - 1 and end - low > tol:
        onset = next((i for i in range(m + 1, sm.n) if sm.s[i] - low > tol), sm.n - 1)
        worse = " - above where it started" if end > start else ""
        out.append(Finding(
            id="loss_divergence", severity="error", where=log.where(pts[onset]),
            detail=f"Training loss fell to {_g(low)} at step {_fmt_step(pts[m].step)}, then climbed to "
                   f"{_g(end)} (+{abs(_pct(end, low)):.0f}%){worse}; the climb passes the noise band "
                   f"at step {_fmt_step(pts[onset].step)}. Training diverged: the learning rate is too high "
                   "for this model and method.",
            evidence={"min_step": pts[m].step, "min_loss": low, "final_loss": end, "start_loss": start,
                      "tolerance": round(tol, 6),
                      "rise_pct": round(abs(_pct(end, low)), 1), "onset_step": pts[onset].step},
        ))
        return out
    warm = _warmup_end(log)
    if sm.k > 1:
        # A spike needs a baseline before it: at least one smoothing window of earlier points, whose
        # median it clears too, and not inside the learning-rate warm-up. The first logged point (the
        # loss before learning starts) is the start of the curve, not a spike.
        k = sm.k
        floor = SPIKE_SIGMAS * sm.sigma
        y, sm_s, x = sm.y, sm.s, sm.x
        before = nm.median_before
        # The first k points have no baseline and are never spikes; the baseline (median of the k
        # points before) is computed only where the point already clears the running median.
        idx = [i for i, (yi, si) in enumerate(zip(y, sm_s)) if i >= k
               and yi - si > floor and yi - si > SPIKE_REL * abs(si) and x[i] > warm
               and y[i] - (b := before(y, i, k)) > max(floor, SPIKE_REL * abs(b))]
        if idx:
            steps = ", ".join(_fmt_step(pts[i].step) for i in idx[:5])
            out.append(Finding(
                id="loss_spike", severity="warning", where=log.where(pts[idx[0]]),
                detail=f"{len(idx)} training-loss spike(s) more than 50% and 6 noise units above both the running "
                       f"median and the {k} points before (steps {steps}): a sign of an unstable learning rate "
                       "or bad batches.",
                evidence={"count": len(idx), "steps": [pts[i].step for i in idx[:20]], "noise_sigma": sm.sigma,
                          "baseline_points": k},
            ))
    g = log.grad_norm.finite()
    if len(g) >= 5:
        gx, gv = _xy(g)
        med = float(nm.median(gv))
        before = nm.median_before
        spikes = [g[i] for i in range(GRAD_BASELINE, len(g))
                  if gv[i] > GRAD_SPIKE_X * med and gx[i] > warm
                  and gv[i] > GRAD_SPIKE_X * before(gv, i, GRAD_BASELINE)] if med > 0 else []
        if spikes:
            out.append(Finding(
                id="grad_norm_spike", severity="warning", where=log.where(spikes[0]),
                detail=f"Gradient norm jumped above 10x its median ({_g(med)}) and 10x the {GRAD_BASELINE} "
                       f"steps before at {len(spikes)} step(s) after warm-up, peaking at "
                       f"{_g(max(p.value for p in spikes))}: lower the learning rate or clip gradients.",
                evidence={"median": med, "count": len(spikes), "max": max(p.value for p in spikes),
                          "steps": [p.step for p in spikes[:20]], "warmup_end_step": warm if warm > -math.inf else None},
            ))
    return out


def _warmup_end(log: TrainingLog) -> float:
    """Step where the learning-rate warm-up ends (its peak), or -inf when the log shows no warm-up."""
    lr = log.learning_rate.finite()
    if len(lr) < 3:
        return -math.inf
    i = max(range(len(lr)), key=_values(lr).__getitem__)
    # max() keeps the first of equal peaks, so a peak after the first point is above it: a warm-up
    return lr[i].step if i > 0 else -math.inf


def _d_eval_rising(log: TrainingLog) -> list[Finding]:
    """Eval loss rising past its minimum by more than its own noise (overfitting)."""
    out = []
    for set_name, series in log.eval_loss.items():
        r = _rise_after_best(series)
        if r is None:
            continue
        bp, op, lp = r["best_point"], r["onset_point"], r["last_point"]
        ev = {"eval_set": set_name, "best_step": bp.step, "best_eval_loss": round(r["best"], 5),
              "onset_step": op.step, "final_eval_loss": round(lp.value, 5), "end_level": round(r["end"], 5),
              "rise_pct": r["rise_pct"],
              "noise_sigma": r["noise_sigma"], "smoothing_window": r["smoothing_window"]}
        train = log.train_loss.finite()
        train_txt = ""
        if len(train) >= 3:
            tsm = smooth(train)
            t_best, t_end = tsm.at(bp.step), tsm.end_level()
            fell = t_end < t_best * 0.98
            ev.update({"train_loss_at_best": round(t_best, 5), "train_loss_final": round(t_end, 5),
                       "train_kept_falling": bool(fell)})
            train_txt = (f" Meanwhile training loss kept falling ({_g(t_best)} -> {_g(t_end)}): the model is "
                         "memorising the training set." if fell else
                         f" Training loss did not keep falling ({_g(t_best)} -> {_g(t_end)}).")
        noise = f"noise sigma {_g(r['noise_sigma'])}, median window {r['smoothing_window']}" if r["smoothing_window"] > 1 \
            else "one eval per point, no smoothing"
        label = "Eval loss" if set_name == "eval" else f"Eval loss on '{set_name}'"  # the set's name as logged
        out.append(Finding(
            id="eval_loss_rising", severity="error" if r["rise_pct"] >= 10 else "warning", where=log.where(op),
            detail=f"{label} was lowest ({_g(r['best'])}) at step {_fmt_step(bp.step)} and ended at "
                   f"{_g(lp.value)} at step {_fmt_step(lp.step)}: a {r['rise_pct']}% rise of the smoothed level, clearly "
                   f"above the minimum from step {_fmt_step(op.step)} ({noise}).{train_txt}",
            evidence=ev,
        ))
    return out


def _d_metric_worsening(log: TrainingLog) -> list[Finding]:
    """Other eval metrics (accuracy, WER...) getting worse after their best, by their own direction."""
    out = []
    for name, series in log.metrics.items():
        if series.higher_is_better is None or loss_transform_of(log, name, series) is not None:
            continue  # perplexity = exp(loss): judged once, by the loss it is computed from
        r = _rise_after_best(series, flip=series.higher_is_better)
        if r is None:
            continue
        bp = r["best_point"]
        word = "fell" if series.higher_is_better else "rose"
        out.append(Finding(
            id="eval_metric_worsening", severity="warning", where=log.where(r["onset_point"]),
            detail=f"{name} ({'higher' if series.higher_is_better else 'lower'} is better) was best "
                   f"({_g(r['best'])}) at step {_fmt_step(bp.step)} and {word} {r['rise_pct']}% to {_g(r['end'])} "
                   f"by step {_fmt_step(r['last_point'].step)}.",
            evidence={"metric": name, "higher_is_better": series.higher_is_better, "best_step": bp.step,
                      "best": r["best"], "final": r["end"], "change_pct": r["rise_pct"]},
        ))
    return out


_TRANSFORM_PARTS = {"perplexity", "ppl"}


def loss_transform_of(log: TrainingLog, name: str, series: Series) -> Optional[str]:
    """The eval set whose loss this metric is a transform of (perplexity = exp(loss)), else None.

    By name (``eval_perplexity``, ``eval_ppl``) or by value: at every step both are logged,
    the metric is ``exp`` of that set's loss within 0.1%.
    """
    import re

    parts = set(re.split(r"[_/\-.]+", name.lower()))
    pts = {p.step: p.value for p in series.finite()}
    for set_name, ev in log.eval_loss.items():
        pairs = [(pts[p.step], p.value) for p in ev.finite() if p.step in pts]
        if len(pairs) >= 2 and all(v > 0 and abs(math.log(v) - loss) <= 1e-3 * max(1.0, abs(loss))
                                   for v, loss in pairs if loss < 700):
            return set_name
    ev = log.primary_eval()
    if parts & _TRANSFORM_PARTS and ev is not None:
        return next(k for k, s in log.eval_loss.items() if s is ev)
    return None  # no eval loss logged: the perplexity is the only eval signal, judged on its own


def _slope_t(x: list[float], y: list[float]) -> tuple[float, float]:
    """Least-squares slope and its t statistic."""
    n = len(x)
    xm, ym = nm.mean(x), nm.mean(y)
    dx = [v - xm for v in x]
    sxx = float(nm.fsum_np([d * d for d in dx]))
    if sxx == 0 or n < 3:
        return 0.0, 0.0
    slope = float(nm.fsum_np([d * (v - ym) for d, v in zip(dx, y)]) / sxx)
    resid = [v - (ym + slope * d) for d, v in zip(dx, y)]
    se = math.sqrt(float(nm.fsum_np([r * r for r in resid])) / (n - 2) / sxx) if n > 2 else 0.0
    if se == 0:
        return slope, math.copysign(math.inf, slope) if slope else 0.0
    return slope, slope / se


def _d_trend(log: TrainingLog, series: Series, *, rising_sets: frozenset | set = frozenset()) -> list[Finding]:
    """The last quarter of a curve: still falling (``still_improving``) or flat (``plateau``).

    Dense series: least-squares slope over the last quarter; still improving
    if the fitted drop is at least 1% with t < -3, a plateau if the fitted
    change is under 0.5% after at least a 5% fall overall. Short
    series: the last three points, strictly falling by 1%+, or all within 0.5%.
    """
    pts = series.finite()
    name = series.name
    set_name = next((k for k, s in log.eval_loss.items() if s is series), None)
    if len(pts) < 3 or (set_name is not None and set_name in rising_sets):
        return []
    x, y = _xy(pts)
    if len(pts) >= 8:
        tail = max(4, len(pts) // 4)
        slope, t = _slope_t(x[-tail:], y[-tail:])
        level = float(nm.median(y[-tail:]))
        change = slope * (x[-1] - x[-tail])
        rel = 100.0 * change / abs(level) if level else 0.0
        improving = rel <= -1.0 and t < -3
        flat = abs(rel) < 0.5  # practically flat, however significant a tiny slope is
    else:
        tail = 3
        yt = y[-3:]
        level = float(yt[-1])
        rel = _pct(float(yt[-1]), float(yt[0]))
        improving = all(d < 0 for d in nm.diff(yt)) and rel <= -1.0
        flat = float(max(yt) - min(yt)) <= 0.005 * abs(level)
    overall = _pct(float(nm.median(y[-min(3, len(y)):])), float(nm.median(y[: min(3, len(y))])))
    label = name.replace("_", " ")
    label = label[:1].upper() + label[1:]  # not capitalize(): a set named 'MedQA' keeps its capitals
    kind = "eval" if set_name is not None else "train"
    if improving:
        return [Finding(
            id="still_improving", severity="info", where=log.where(pts[-1]),
            detail=f"{label} was still falling at the end ({rel:+.1f}% over the last {tail} logged "
                   f"points, down to {_g(y[-1])}): "
                   + ("the run stopped before converging; more steps may help before overfitting sets in."
                      if kind == "eval" else
                      "the run had not converged on its training set (a falling training loss alone does not "
                      "say more steps would help; the eval curve does)."),
            evidence={"series": name, "kind": kind, "tail_change_pct": round(rel, 2), "tail_points": tail,
                      "final": float(y[-1])},
        )]
    if flat and overall <= -5.0:
        return [Finding(
            id="plateau", severity="info", where=log.where(pts[-len(y[-tail:])]),
            detail=f"{label} flattened over the last {tail} logged points ({rel:+.2f}%, at "
                   f"{_g(level)}) after falling {abs(overall):.0f}% overall: further epochs add little and "
                   "risk overtraining; stop at the plateau.",
            evidence={"series": name, "kind": kind, "tail_change_pct": round(rel, 3), "overall_change_pct": round(overall, 1),
                      "level": level},
        )]
    return []


def _d_eval_below_train(log: TrainingLog, th: Thresholds) -> list[Finding]:
    """Eval loss clearly below train loss through the second half: a leakage or too-easy-eval hint."""
    ev, tr = log.primary_eval(), log.train_loss.finite()
    if ev is None or len(tr) < 3:
        return []
    epts = ev.finite()
    if len(epts) < 2:
        return []
    mid = (tr[0].step + tr[-1].step) / 2
    late = [p for p in epts if p.step >= mid] or epts[-1:]
    tsm = smooth(tr)
    ratios = [p.value / tsm.at(p.step) for p in late if tsm.at(p.step) > 0]
    if not ratios:
        return []
    med = float(nm.median(ratios))
    if med < 1.0 - th.eval_below_train_pct / 100 and max(ratios) < 1.0:
        return [Finding(
            id="eval_below_train", severity="info", where=log.where(late[0]),
            detail=f"Eval loss stayed {100 * (1 - med):.0f}% below training loss over the second half of the run "
                   f"({len(ratios)} eval points): the eval set may overlap the training data or be easier than it; "
                   "check for train/eval leakage before trusting eval gains (alone, with no leakage found, this is a note: "
                   "dropout and augmentation during training also lift the training loss).",
            evidence={"median_ratio": round(med, 3), "points": len(ratios)},
        )]
    return []


def _peak(series: Series) -> Optional[Point]:
    pts = series.finite()
    return pts[max(range(len(pts)), key=_values(pts).__getitem__)] if pts else None


def detect_settings(log: Optional[TrainingLog], *, lr: Optional[float], epochs: Optional[float],
                    method: Optional[str], th: Thresholds,
                    log_findings: Optional[list[Finding]] = None) -> list[Finding]:
    """Learning rate against the method's range, and the epoch count.

    Both ranges are rules of thumb (priors). When the run's own curves were read
    and show no instability (no divergence, spike, NaN or rising eval loss), a
    learning rate above the range is a note (``info``), not a diagnosis; and
    when an eval curve never rose, neither are many epochs.

    Args:
        log: the training log, if any (its peak learning rate and last epoch).
        lr: ``--lr``; wins over the log's value.
        epochs: ``--epochs``; wins over the log's last epoch.
        method: ``full`` or ``lora`` (None: judged against the LoRA ceiling, the higher of the two).
        th: the runbook's thresholds.
        log_findings: what :func:`detect_log` found in ``log`` (the curves' verdict).
    """
    out: list[Finding] = []
    found = {f.id for f in log_findings or []}
    has_curve = log is not None and len(log.train_loss.finite()) >= 5
    calm = has_curve and not (found & set(INSTABILITY))
    eval_calm = log is not None and log.primary_eval() is not None and "eval_loss_rising" not in found \
        and "eval_metric_worsening" not in found
    peak = _peak(log.learning_rate) if log else None
    if lr is not None:
        lr_val, where, origin = lr, "--lr", "--lr"
    elif peak is not None:
        lr_val, where, origin = peak.value, log.where(peak), "the log's peak learning_rate"
    else:
        lr_val = None
    if lr_val is not None:
        top = th.full_lr_max if method == "full" else th.lora_lr_max
        who = "full fine-tuning" if method == "full" else "LoRA" if method == "lora" else "LoRA (method not given; full fine-tuning needs lower still)"
        if lr_val > top:
            sev = "error" if lr_val > 10 * top else "warning"
            why = "high rates overwrite what the base model knew."
            if calm:
                sev = "info"
                why = ("a rule of thumb only: this run's curves show no instability (no divergence, spike, NaN or "
                       "rising eval loss), so the rate did no visible harm here.")
            out.append(Finding(
                id="lr_high_for_method", severity=sev, where=where,
                detail=f"Learning rate {_g(lr_val)} ({origin}) is above {_g(top)}, the top of the range for {who} "
                       f"(LoRA {_g(th.lora_lr_min)}..{_g(th.lora_lr_max)}; full fine-tuning at most {_g(th.full_lr_max)}): "
                       + why,
                evidence={"lr": lr_val, "method": method, "max_for_method": top, "from": origin,
                          "curves_show_instability": None if not has_curve else not calm},
            ))
    ep, ewhere = None, None
    if epochs is not None:
        ep, ewhere = float(epochs), "--epochs"
    elif log is not None and log.max_epoch is not None:
        # Lightning counts epochs from 0; the others log fractional progress (3.0 = three epochs done).
        ep = float(log.max_epoch + 1) if log.format == "lightning_csv" else float(math.ceil(log.max_epoch - 1e-6))
        ewhere = f"{log.file}:{log.last_line}" if log.last_line else log.file
    if ep is not None and ep > th.max_epochs:
        tail = "past a few passes the model fits its examples rather than the task; stop when validation loss stops falling."
        if eval_calm:
            tail = ("a rule of thumb only: this run's eval loss never rose beyond its noise, so the extra passes did "
                    "no visible harm.")
        out.append(Finding(
            id="many_epochs", severity="info" if eval_calm else "warning", where=ewhere,
            detail=f"{_g(ep)} epochs, more than {th.max_epochs}: " + tail,
            evidence={"epochs": ep, "max_recommended": th.max_epochs, "eval_curve_rose": None if log is None or
                      log.primary_eval() is None else not eval_calm},
        ))
    return out


def best_checkpoint(log: Optional[TrainingLog]) -> Optional[BestCheckpoint]:
    """The logged step with the lowest primary eval loss (None without eval loss)."""
    if log is None:
        return None
    ev = log.primary_eval()
    if ev is None:
        return None
    pts = ev.finite()
    if not pts:
        return None
    p = min(pts, key=lambda q: q.value)
    set_name = next(k for k, s in log.eval_loss.items() if s is ev)
    return BestCheckpoint(step=p.step, epoch=p.epoch, eval_loss=p.value, eval_set=set_name, where=log.where(p))


def curves(log: Optional[TrainingLog], max_points: int = 1000) -> list[Curve]:
    """The series to plot, thinned to ``max_points`` each; NaN/Inf become None."""
    if log is None:
        return []
    out = []
    items = [(log.train_loss, "train")] + [(s, "eval") for s in log.eval_loss.values()] \
        + [(s, "metric") for s in log.metrics.values()]
    for s, kind in items:
        if not s.points:
            continue
        pts = s.points
        if len(pts) > max_points:
            stride = math.ceil(len(pts) / max_points)
            pts = pts[::stride] + ([pts[-1]] if (len(pts) - 1) % stride else [])
        out.append(Curve(name=s.name, kind=kind,
                         points=[(p.step, p.value if math.isfinite(p.value) else None) for p in pts]))
    return out
