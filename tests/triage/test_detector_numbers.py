"""The numbers each curve detector reports, pinned from curves whose answer is known by construction.

``test_boundaries.py`` pins when each finding fires; these pin what it then says: the evidence
(steps, levels, percentages, windows), the wording that carries them, and the small statistics
underneath (the tail slope and its t, the z bar, the warm-up end). The curves are noise-free
straight pieces, so every expected number is arithmetic on the piece's ends, worked out here by
hand; the slope's t statistic is checked against scipy's least-squares fit, an independent oracle.
"""

from __future__ import annotations

import math

import pytest

from advisor.core.triage import detectors
from advisor.core.triage.logs import Point, Series, TrainingLog

from .test_boundaries import falling, ids, log_of


def one(findings, fid):
    got = [f for f in findings if f.id == fid]
    assert len(got) == 1, [f.id for f in findings]
    return got[0]


# --------------------------------------------------------------------------- the small statistics
def test_slope_and_t_agree_with_scipys_least_squares():
    from scipy import stats

    x = [float(i) for i in range(12)]
    y = [2.0 - 0.05 * i + (0.01 if i % 3 == 0 else -0.004 * (i % 2)) for i in range(12)]
    slope, t = detectors._slope_t(x, y)
    fit = stats.linregress(x, y)
    assert slope == pytest.approx(fit.slope, rel=1e-12)
    assert t == pytest.approx(fit.slope / fit.stderr, rel=1e-9)


def test_three_points_are_enough_for_a_slope_and_its_t():
    from scipy import stats

    slope, t = detectors._slope_t([0.0, 1.0, 2.0], [0.0, 1.0, 3.0])
    fit = stats.linregress([0.0, 1.0, 2.0], [0.0, 1.0, 3.0])
    assert (slope, t) == (pytest.approx(1.5), pytest.approx(fit.slope / fit.stderr))


def test_slope_edges_exact_line_flat_line_and_too_few_points():
    x = [0.0, 10.0, 20.0, 30.0]
    assert detectors._slope_t(x, [3.0, 2.5, 2.0, 1.5]) == (-0.05, -math.inf)  # no residual: certain
    assert detectors._slope_t(x, [1.0, 2.0, 3.0, 4.0]) == (0.1, math.inf)
    assert detectors._slope_t(x, [1.0, 1.0, 1.0, 1.0]) == (0.0, 0.0)
    assert detectors._slope_t([0.0, 1.0], [1.0, 0.0]) == (0.0, 0.0)  # two points: no t
    assert detectors._slope_t([5.0, 5.0, 5.0], [1.0, 2.0, 3.0]) == (0.0, 0.0)  # no spread in x


def test_percent_change_and_its_zero_base():
    assert detectors._pct(1.1, 1.0) == pytest.approx(10.0)
    assert detectors._pct(0.9, 1.0) == pytest.approx(-10.0)
    assert detectors._pct(-0.5, -1.0) == pytest.approx(50.0)  # relative to |b|: -1 -> -0.5 is up 50%
    assert detectors._pct(1.0, 0.0) == math.inf
    assert detectors._pct(-1.0, 0.0) == 0.0
    assert detectors._pct(0.0, 0.0) == 0.0


def test_the_z_bar_grows_with_the_number_of_window_levels():
    class S:
        def __init__(self, n, k):
            self.n, self.k = n, k

    assert detectors._z_for(S(40, 5)) == pytest.approx(2.5 + math.sqrt(2 * math.log(8)))
    assert detectors._z_for(S(200, 21)) == pytest.approx(2.5 + math.sqrt(2 * math.log(200 / 21)))
    # fewer than two levels: the selection effect of two
    assert detectors._z_for(S(5, 5)) == pytest.approx(2.5 + math.sqrt(2 * math.log(2)))


def test_smoothing_window_noise_and_levels():
    pts = [Point(float(i), 1.0 + (0.1 if i % 2 else -0.1)) for i in range(40)]  # alternating +-0.1
    sm = detectors.Smooth(pts)
    assert sm.k == 5  # 40 // 8 = 5, odd, within 5..21
    # differences are +-0.2 around a median of 0.2 or -0.2: MAD 0 or 0.4; here 20 of 39 are +0.2
    assert sm.sigma == pytest.approx(0.0)
    noisy = [Point(float(i), v) for i, v in enumerate([1.0, 1.2, 1.0, 1.2, 1.0, 1.0, 1.2, 1.2] * 3)]
    s2 = detectors.Smooth(noisy)
    assert s2.k == 5  # 24 // 8 = 3 -> at least 5
    assert s2.level_noise() == pytest.approx(1.25 * s2.sigma / math.sqrt(5))
    assert s2.sigma > 0
    short = detectors.Smooth([Point(1.0, 2.0), Point(2.0, 1.0), Point(3.0, 1.5)])
    assert (short.k, short.sigma, short.level_noise()) == (1, 0.0, 0.0)
    assert (short.start_level(), short.end_level()) == (2.0, 1.5)
    big = detectors.Smooth([Point(float(i), float(i)) for i in range(400)])
    assert big.k == 21  # capped
    assert (big.start_level(), big.end_level()) == (10.0, 389.0)  # medians of the first and last 21
    assert big.at(100.5) == pytest.approx(100.5)


def test_warmup_end_is_the_learning_rates_peak_after_a_rise():
    def lr_log(values):
        log = TrainingLog(file="w.jsonl", format="jsonl")
        log.learning_rate = Series("learning_rate", [Point(float(10 * (i + 1)), v) for i, v in enumerate(values)])
        return log

    assert detectors._warmup_end(lr_log([1e-5, 5e-5, 1e-4, 8e-5, 6e-5])) == 30.0
    assert detectors._warmup_end(lr_log([1e-4, 8e-5, 6e-5])) == -math.inf  # decays from the start
    assert detectors._warmup_end(lr_log([1e-4, 1e-4, 1e-4])) == -math.inf  # constant: no warm-up
    assert detectors._warmup_end(lr_log([1e-5, 1e-4])) == -math.inf  # too few points to tell
    assert detectors._warmup_end(lr_log([1e-5, 1e-4, 1e-4, 1e-4])) == 20.0  # the first step at the peak
    assert detectors._warmup_end(lr_log([1e-5, 1e-4, 5e-5])) == 20.0  # three points are enough


# --------------------------------------------------------------------------- the tail of a curve
def test_still_improving_reports_the_fitted_fall_of_the_last_quarter(thresholds):
    # 30 points from 2.0 to 1.0, then 10 falling in a straight line from 1.0 by 2% in all
    train = falling(30, 2.0, 1.0) + [1.0 - 0.03 * j / 9 for j in range(10)]
    f = one(detectors.detect_log(log_of(train), thresholds), "still_improving")
    # the last quarter is those 10 points: a fitted change of -0.03 on a median level of 0.985
    assert f.evidence == {"series": "train_loss", "kind": "train", "tail_change_pct": -3.05,  # -3.0457 to 2 places
                          "tail_points": 10, "final": pytest.approx(0.97)}
    assert f.where == "b.jsonl:41 (step 400)"
    assert "(-3.0% over the last 10 logged points, down to 0.97)" in f.detail
    assert "had not converged on its training set" in f.detail


def test_still_improving_on_an_eval_curve_says_more_steps_may_help(thresholds):
    evals = falling(30, 2.0, 1.0) + [1.0 - 0.02 * j / 9 for j in range(10)]
    f = one(detectors.detect_log(log_of([1.0] * 40, evals), thresholds), "still_improving")
    assert f.evidence["kind"] == "eval" and f.evidence["series"] == "eval_loss"
    assert f.detail.startswith("Eval loss was still falling at the end")
    assert "more steps may help" in f.detail


@pytest.mark.parametrize("n, tail", [(7, 3), (8, 4), (40, 10), (100, 25)])
def test_the_tail_is_a_quarter_of_the_curve_or_three_points_when_short(n, tail, thresholds):
    train = falling(n, 2.0, 1.0)  # falling to the end: still improving
    f = one(detectors.detect_log(log_of(train), thresholds), "still_improving")
    assert f.evidence["tail_points"] == tail
    assert f"over the last {tail} logged points" in f.detail


@pytest.mark.parametrize("values, fires", [
    ([2.0, 1.5, 1.2, 1.1, 1.09], True),      # strictly falling, -9% over the last three
    ([2.0, 1.5, 1.2, 1.1, 1.1], False),      # the last two equal: not strictly falling
    ([2.0, 1.5, 1.0, 0.995, 0.989], True),   # -1.1%
    ([2.0, 1.5, 1.0, 0.997, 0.994], False),  # -0.6%: falling, but by less than 1%
])
def test_short_curve_still_improving_needs_three_strictly_falling_points_and_1_percent(values, fires, thresholds):
    assert ("still_improving" in ids(detectors.detect_log(log_of(values), thresholds))) is fires


def test_plateau_reports_where_it_starts_its_level_and_the_fall_before(thresholds):
    train = falling(30, 2.0, 1.0) + [1.0] * 10
    f = one(detectors.detect_log(log_of(train), thresholds), "plateau")
    # overall: the median of the last three (1.0) against the median of the first three (2 - 1/29)
    overall = 100 * (1.0 - (2 - 1 / 29)) / (2 - 1 / 29)
    assert f.evidence == {"series": "train_loss", "kind": "train", "tail_change_pct": 0.0,
                          "overall_change_pct": round(overall, 1), "level": 1.0}
    assert f.where == "b.jsonl:32 (step 310)"  # the first of the 10 flat points
    assert "flattened over the last 10 logged points (+0.00%, at 1) after falling 49% overall" in f.detail


@pytest.mark.parametrize("last, fires", [(1.004371, True), (1.006, False)])
def test_short_curve_plateau_is_three_points_within_half_a_percent(last, fires, thresholds):
    f = detectors.detect_log(log_of([2.0, 1.5, 1.0, 1.0, last]), thresholds)
    assert ("plateau" in ids(f)) is fires
    if fires:
        ev = one(f, "plateau").evidence
        assert (ev["tail_change_pct"], ev["level"]) == (0.437, last)  # to 3 places; the level is the last point


def test_short_plateau_is_relative_to_its_level(thresholds):
    # 0.008 apart at a level of 2.008: 0.4%, flat; the same gap at a level of 1 would not be
    assert "plateau" in ids(detectors.detect_log(log_of([4.0, 3.0, 2.0, 2.0, 2.008]), thresholds))
    assert "plateau" not in ids(detectors.detect_log(log_of([2.0, 1.5, 1.0, 1.0, 1.008]), thresholds))


def test_overall_fall_compares_the_medians_of_the_first_and_last_three(thresholds):
    f = one(detectors.detect_log(log_of([2.0, 1.9, 1.0, 1.004, 1.0]), thresholds), "plateau")
    assert f.evidence["overall_change_pct"] == round(100 * (1.0 - 1.9) / 1.9, 1)  # -47.4


def test_a_three_point_curve_has_a_trend(thresholds):
    assert "still_improving" in ids(detectors.detect_log(log_of([2.0, 1.5, 1.2]), thresholds))


def test_a_tail_at_zero_is_flat_not_a_division_by_zero(thresholds):
    log = log_of(falling(30, 1.0, 0.0) + [0.0] * 10)
    f = one(detectors._d_trend(log, log.train_loss, rising_sets=set()), "plateau")
    assert f.evidence["tail_change_pct"] == 0.0


def _t_of_tail(values):
    from scipy import stats

    x = [10.0 * (i + 1) for i in range(len(values))]
    tail = max(4, len(values) // 4)
    fit = stats.linregress(x[-tail:], values[-tail:])
    return fit.slope / fit.stderr


@pytest.mark.parametrize("noise, lo, hi, fires", [(0.007, -4.0, -3.0, True), (0.008, -3.0, 0.0, False)])
def test_still_improving_needs_the_falls_t_below_minus_3(noise, lo, hi, fires, thresholds):
    # a 3% fall over the last 10 points, with +-noise alternating on it: the t of the fitted slope
    train = falling(30, 2.0, 1.0) + [1.0 - 0.03 * j / 9 + (noise if j % 2 else -noise) for j in range(10)]
    assert lo < _t_of_tail(train) < hi  # scipy's t, the oracle, puts the case where it is meant to be
    assert ("still_improving" in ids(detectors.detect_log(log_of(train), thresholds))) is fires


def test_no_trend_verdict_on_an_eval_set_that_rose(thresholds):
    log = log_of([1.0] * 40, falling(30, 2.0, 1.0) + [1.0] * 10)
    assert detectors._d_trend(log, log.eval_loss["eval"], rising_sets={"eval"}) == []
    assert ids(detectors._d_trend(log, log.eval_loss["eval"], rising_sets={"other"})) == ["plateau"]
    assert detectors._d_trend(log, Series("eval_loss", [Point(1.0, 2.0), Point(2.0, 1.0)]), rising_sets=set()) == []


# --------------------------------------------------------------------------- a rise after the best point
def test_dense_eval_rise_reports_best_onset_end_and_tolerance(thresholds):
    # 15 points down to 1.0 (step 150), 10 flat, a ramp of 0.04 a point to 1.2 (steps 260..300), 10 at 1.2
    evals = falling(15, 2.0, 1.0) + [1.0] * 10 + [1.0 + 0.04 * (i + 1) for i in range(5)] + [1.2] * 10
    f = one(detectors.detect_log(log_of(falling(40, 3.0, 0.5), evals), thresholds), "eval_loss_rising")
    ev = f.evidence
    assert ev["eval_set"] == "eval"
    assert (ev["best_step"], ev["best_eval_loss"]) == (150, 1.0)  # the first logged point at the minimum
    # the smoothed level (median of 5) first clears 1.0 + 2% at the first ramp point: step 260
    assert ev["onset_step"] == 260
    assert (ev["final_eval_loss"], ev["end_level"], ev["rise_pct"]) == (1.2, 1.2, 20.0)
    assert (ev["noise_sigma"], ev["smoothing_window"]) == (0.0, 5)
    assert f.severity == "error"  # 20% >= 10%
    # training loss kept falling: its smoothed level at step 150 against its last five points' median
    assert ev["train_kept_falling"] is True
    assert ev["train_loss_final"] == round(3.0 - 2.5 * 37 / 39, 5)
    assert ev["train_loss_at_best"] == round(3.0 - 2.5 * 14 / 39, 5)
    assert f.where == "b.jsonl (step 260)"
    assert ("Eval loss was lowest (1) at step 150 and ended at 1.2 at step 400: a 20.0% rise of the smoothed "
            "level, clearly above the minimum from step 260 (noise sigma 0, median window 5).") in f.detail
    assert "Meanwhile training loss kept falling" in f.detail


def test_short_eval_rise_reports_the_point_that_cleared_the_floor(thresholds):
    f = one(detectors.detect_log(log_of(falling(50, 3.0, 0.5), [1.5, 1.2, 1.0, 1.02, 1.05], eval_step=100),
                                 thresholds), "eval_loss_rising")
    ev = f.evidence
    assert (ev["best_step"], ev["onset_step"], ev["rise_pct"], ev["smoothing_window"]) == (300, 500, 5.0, 1)
    assert f.severity == "warning"
    assert "(one eval per point, no smoothing)" in f.detail


def test_a_short_curve_that_returns_to_its_minimum_has_not_risen(thresholds):
    found = ids(detectors.detect_log(log_of(falling(50, 3.0, 0.5), [1.5, 1.2, 1.0, 1.0, 1.05], eval_step=100),
                                     thresholds))
    assert "eval_loss_rising" not in found


def test_a_dense_minimum_in_the_last_points_is_not_a_rise_yet(thresholds):
    evals = falling(38, 2.0, 1.0) + [1.06, 1.1]  # best at the third-last point: two after it, too few
    assert "eval_loss_rising" not in ids(detectors.detect_log(log_of(falling(40, 3.0, 0.5), evals), thresholds))


def test_training_loss_that_stalled_is_said_so_beside_a_rising_eval(thresholds):
    evals = [1.5, 1.2, 1.0, 1.05, 1.2]
    f = one(detectors.detect_log(log_of([1.0] * 50, evals, eval_step=100), thresholds), "eval_loss_rising")
    assert f.evidence["train_kept_falling"] is False
    assert "Training loss did not keep falling (1 -> 1)." in f.detail


def test_a_named_eval_set_is_named_in_the_finding(thresholds):
    log = log_of(falling(50, 3.0, 0.5))
    log.eval_loss["medical"] = Series("eval_medical_loss", [Point(100.0 * (i + 1), v)
                                                            for i, v in enumerate([1.5, 1.2, 1.0, 1.05, 1.2])])
    f = one(detectors.detect_log(log, thresholds), "eval_loss_rising")
    assert f.evidence["eval_set"] == "medical"
    assert f.detail.startswith("Eval loss on 'medical' was lowest (1)")


def test_a_higher_is_better_metric_is_judged_by_its_fall(thresholds):
    log = log_of(falling(50, 3.0, 0.5))
    log.metrics["eval_accuracy"] = Series("eval_accuracy", [Point(100.0 * (i + 1), v) for i, v in
                                                            enumerate([0.5, 0.6, 0.7, 0.8, 0.7])],
                                          higher_is_better=True)
    log.metrics["eval_wer"] = Series("eval_wer", [Point(100.0 * (i + 1), v) for i, v in
                                                  enumerate([0.5, 0.4, 0.3, 0.2, 0.3])], higher_is_better=False)
    log.metrics["eval_runtime"] = Series("eval_runtime", [Point(100.0 * (i + 1), v) for i, v in
                                                          enumerate([1.0, 1.0, 1.0, 9.0, 9.0])],
                                         higher_is_better=None)  # no direction: never judged
    found = [f for f in detectors.detect_log(log, thresholds) if f.id == "eval_metric_worsening"]
    by = {f.evidence["metric"]: f for f in found}
    assert set(by) == {"eval_accuracy", "eval_wer"}
    acc = by["eval_accuracy"].evidence
    assert (acc["best_step"], acc["best"], acc["final"], acc["change_pct"]) == (400, 0.8, 0.7, 12.5)
    assert acc["higher_is_better"] is True
    assert "eval_accuracy (higher is better) was best (0.8) at step 400 and fell 12.5% to 0.7 by step 500." \
        in by["eval_accuracy"].detail
    wer = by["eval_wer"].evidence
    assert (wer["best"], wer["final"], wer["change_pct"]) == (0.2, 0.3, 50.0)
    assert "eval_wer (lower is better) was best (0.2) at step 400 and rose 50.0% to 0.3" in by["eval_wer"].detail
    assert by["eval_wer"].where == "b.jsonl (step 500)"


# --------------------------------------------------------------------------- metrics that are a loss in disguise
def _with_metric(name, values, evals=(2.0, 1.5, 1.2)):
    log = log_of([1.0] * 30, list(evals), eval_step=100)
    s = Series(name, [Point(100.0 * (i + 1), v) for i, v in enumerate(values)])
    log.metrics[name] = s
    return log, s


def test_a_metric_equal_to_exp_of_the_loss_is_its_transform_whatever_its_name():
    log, s = _with_metric("eval_score", [math.exp(v) for v in (2.0, 1.5, 1.2)])
    assert detectors.loss_transform_of(log, "eval_score", s) == "eval"
    off, s2 = _with_metric("eval_score", [math.exp(v) * 1.01 for v in (2.0, 1.5, 1.2)])  # 1% off: another metric
    assert detectors.loss_transform_of(off, "eval_score", s2) is None


def test_one_shared_step_is_not_enough_to_call_a_metric_a_transform():
    log, s = _with_metric("eval_score", [math.exp(2.0)])
    assert detectors.loss_transform_of(log, "eval_score", s) is None


def test_a_metric_named_perplexity_follows_the_primary_eval_loss():
    log, s = _with_metric("eval_ppl", [9.0, 5.0, 7.0])  # not exp of the loss, but named as one
    assert detectors.loss_transform_of(log, "eval_ppl", s) == "eval"
    log2, s2 = _with_metric("eval/perplexity", [9.0, 5.0, 7.0])
    assert detectors.loss_transform_of(log2, "eval/perplexity", s2) == "eval"
    alone = log_of([1.0] * 30)
    s3 = Series("eval_ppl", [Point(100.0, 9.0), Point(200.0, 5.0)])
    assert detectors.loss_transform_of(alone, "eval_ppl", s3) is None  # no loss to follow: judged alone


# --------------------------------------------------------------------------- settings
def _lr_log(peak=3e-4, n_train=40, evals=None):
    return log_of(falling(n_train), evals, eval_step=100 if evals else None,
                  lr=[peak * min(1.0, (i + 1) / 5) for i in range(n_train)])


def test_the_logs_peak_learning_rate_is_judged_and_located(thresholds):
    log = _lr_log(3e-4)
    found = detectors.detect_log(log, thresholds)  # a smooth fall: calm
    f = one(detectors.detect_settings(log, lr=None, epochs=None, method="lora", th=thresholds, log_findings=found),
            "lr_high_for_method")
    assert f.evidence == {"lr": pytest.approx(3e-4), "method": "lora", "max_for_method": thresholds.lora_lr_max,
                          "from": "the log's peak learning_rate", "curves_show_instability": False}
    assert f.where == "b.jsonl (step 50)"  # the first step at the peak, after the warm-up
    assert "(the log's peak learning_rate) is above 0.0001, the top of the range for LoRA " in f.detail


def test_lr_flag_wins_over_the_log_and_method_none_is_judged_as_lora(thresholds):
    log = _lr_log(3e-4)
    f = one(detectors.detect_settings(log, lr=5e-5, epochs=None, method=None, th=thresholds) +
            detectors.detect_settings(log, lr=2e-4, epochs=None, method=None, th=thresholds), "lr_high_for_method")
    assert (f.evidence["lr"], f.evidence["from"], f.where) == (2e-4, "--lr", "--lr")
    assert "LoRA (method not given; full fine-tuning needs lower still)" in f.detail
    full = one(detectors.detect_settings(None, lr=5e-5, epochs=None, method="full", th=thresholds),
               "lr_high_for_method")
    assert "the top of the range for full fine-tuning" in full.detail
    assert full.detail.endswith("high rates overwrite what the base model knew.")  # no curves to say otherwise
    assert full.evidence["curves_show_instability"] is None  # no curve read: the prior alone


def test_a_calm_run_makes_a_high_lr_a_note_that_says_why(thresholds):
    calm = _lr_log(3e-4, evals=[1.5, 1.3, 1.2, 1.1])
    found = detectors.detect_log(calm, thresholds)
    f = one(detectors.detect_settings(calm, lr=None, epochs=None, method="lora", th=thresholds, log_findings=found),
            "lr_high_for_method")
    assert f.severity == "info" and f.evidence["curves_show_instability"] is False
    assert "a rule of thumb only: this run's curves show no instability" in f.detail
    # four training points are too few to call the run calm
    few = log_of(falling(4), lr=[3e-4] * 4)
    f2 = one(detectors.detect_settings(few, lr=None, epochs=None, method="lora", th=thresholds,
                                       log_findings=detectors.detect_log(few, thresholds)), "lr_high_for_method")
    assert f2.severity == "warning" and f2.evidence["curves_show_instability"] is None


@pytest.mark.parametrize("last_epoch, fires", [(2.0, False), (3.0, True)])
def test_lightning_counts_epochs_from_zero(last_epoch, fires, thresholds):
    log = log_of(falling(40))
    log.format, log.max_epoch, log.last_line = "lightning_csv", last_epoch, 41
    f = detectors.detect_settings(log, lr=None, epochs=None, method=None, th=thresholds)
    assert ("many_epochs" in ids(f)) is fires
    if fires:
        m = one(f, "many_epochs")
        assert (m.evidence["epochs"], m.where) == (4.0, "b.jsonl:41")


def test_many_epochs_is_a_note_when_the_eval_never_rose_and_a_warning_when_it_did(thresholds):
    calm = log_of(falling(40), [1.5, 1.3, 1.2, 1.1], eval_step=100)
    f = one(detectors.detect_settings(calm, lr=None, epochs=5, method=None, th=thresholds,
                                      log_findings=detectors.detect_log(calm, thresholds)), "many_epochs")
    assert (f.severity, f.where, f.evidence) == ("info", "--epochs", {"epochs": 5.0, "max_recommended": 3,
                                                                      "eval_curve_rose": False})
    assert f.detail.startswith("5 epochs, more than 3: a rule of thumb only")
    rising = log_of(falling(40), [1.5, 1.2, 1.0, 1.05, 1.2], eval_step=100)
    f = one(detectors.detect_settings(rising, lr=None, epochs=5, method=None, th=thresholds,
                                      log_findings=detectors.detect_log(rising, thresholds)), "many_epochs")
    assert (f.severity, f.evidence["eval_curve_rose"]) == ("warning", True)
    assert "stop when validation loss stops falling" in f.detail
    f = one(detectors.detect_settings(None, lr=None, epochs=4, method=None, th=thresholds), "many_epochs")
    assert (f.severity, f.evidence["eval_curve_rose"]) == ("warning", None)  # no eval curve: the prior stands


# --------------------------------------------------------------------------- best checkpoint and the plotted curves
def test_best_checkpoint_is_the_lowest_logged_eval_point():
    log = TrainingLog(file="s.json", format="hf_trainer_state")
    log.eval_loss["eval"] = Series("eval_loss", [Point(100.0, 1.4, 7, 0.5), Point(200.0, 1.1, 12, 1.0),
                                                 Point(300.0, 1.3, 17, 1.5)])
    best = detectors.best_checkpoint(log)
    assert (best.step, best.eval_loss, best.epoch, best.eval_set, best.where) == \
        (200.0, 1.1, 1.0, "eval", "s.json:12 (step 200)")
    assert detectors.best_checkpoint(TrainingLog(file="s.json", format="x")) is None
    assert detectors.best_checkpoint(None) is None


def test_curves_are_thinned_keep_their_last_point_and_show_nan_as_a_gap():
    log = TrainingLog(file="c.jsonl", format="jsonl")
    log.train_loss = Series("train_loss", [Point(float(i), 1.0 / (i + 1)) for i in range(25)])
    log.eval_loss["eval"] = Series("eval_loss", [Point(10.0, 2.0), Point(20.0, float("nan"))])
    log.metrics["eval_accuracy"] = Series("eval_accuracy", [Point(10.0, 0.5)], higher_is_better=True)
    log.metrics["empty"] = Series("empty", [])
    got = detectors.curves(log, max_points=10)
    assert [(c.name, c.kind) for c in got] == [("train_loss", "train"), ("eval_loss", "eval"),
                                               ("eval_accuracy", "metric")]
    # 25 points, at most 10: every third (ceil(25/10) = 3) is 0, 3, ..., 24, which is already the last
    assert [s for s, _ in got[0].points] == [float(i) for i in range(0, 25, 3)]
    assert got[1].points == [(10.0, 2.0), (20.0, None)]
    odd = detectors.curves(log, max_points=12)[0]  # every third of 25 ends at 24: kept once
    assert [s for s, _ in odd.points][-2:] == [21.0, 24.0]
    four = detectors.curves(log, max_points=6)[0]  # every fifth: 0..20, then the last point 24 added
    assert [s for s, _ in four.points] == [0.0, 5.0, 10.0, 15.0, 20.0, 24.0]
    assert detectors.curves(None) == []


# --------------------------------------------------------------------------- more on the rise: noise, windows, edges
def _doc_sigma(y):
    """The noise of one point as the module docstring defines it (normal-consistent MAD of a difference)."""
    import statistics

    d = [b - a for a, b in zip(y, y[1:])]
    md = statistics.median(d)
    return 1.4826 * statistics.median([abs(v - md) for v in d]) / math.sqrt(2)


def _noisy_step(r, a=0.01):
    # a period-5 noise pattern: every window of 5 holds it whole, so each running median is the level itself
    pattern = [0.0, a, -a, a, -a]
    return [0.5 + pattern[i % 5] for i in range(20)] + [0.5 + r + pattern[i % 5] for i in range(20, 40)]


@pytest.mark.parametrize("share, fires", [(1.1, True), (0.9, False)])
def test_a_noisy_rise_must_clear_z_standard_errors_of_a_difference(share, fires, thresholds):
    sigma = _doc_sigma(_noisy_step(0.0))
    k, n = 5, 40
    z = 2.5 + math.sqrt(2 * math.log(n / k))
    tol = z * (1.25 * sigma / math.sqrt(k)) * math.sqrt(2)  # the docstring's bar: far above the 2% floor here
    assert tol > 0.02 * 0.5
    f = [x for x in detectors.detect_log(log_of(falling(40, 3.0, 0.5), _noisy_step(share * tol)), thresholds)
         if x.id == "eval_loss_rising"]
    assert bool(f) is fires
    if fires:
        assert f[0].evidence["noise_sigma"] == round(sigma, 5)
        assert f[0].evidence["smoothing_window"] == k
        assert f"noise sigma {sigma:.4g}, median window 5" in f[0].detail


@pytest.mark.parametrize("end, fires", [(0.511, True), (0.509, False)])
def test_the_dense_floor_is_2_percent_of_the_best_level_not_of_one(end, fires, thresholds):
    evals = falling(15, 1.0, 0.5) + [0.5] * 10 + [0.5 + (end - 0.5) * (i + 1) / 5 for i in range(5)] + [end] * 10
    f = detectors.detect_log(log_of(falling(40, 3.0, 0.5), evals), thresholds)
    assert ("eval_loss_rising" in ids(f)) is fires


def test_a_three_point_eval_curve_can_rise(thresholds):
    f = one(detectors.detect_log(log_of(falling(50, 3.0, 0.5), [1.2, 1.0, 1.1], eval_step=100), thresholds),
            "eval_loss_rising")
    assert (f.evidence["best_step"], f.evidence["onset_step"], f.evidence["rise_pct"]) == (200, 300, 10.0)


def test_the_onset_can_be_the_point_right_after_the_best(thresholds):
    f = one(detectors.detect_log(log_of(falling(50, 3.0, 0.5), [1.5, 1.0, 1.2, 1.25], eval_step=100), thresholds),
            "eval_loss_rising")
    assert f.evidence["onset_step"] == 300
    assert f.evidence["rise_pct"] == 25.0


def test_rise_pct_is_given_to_one_place(thresholds):
    f = one(detectors.detect_log(log_of(falling(50, 3.0, 0.5), [1.5, 1.2, 1.0, 1.05, 1.12345], eval_step=100),
                                 thresholds), "eval_loss_rising")
    assert f.evidence["rise_pct"] == 12.3


def _rise_with(dip_at=None, spike_at=None):
    evals = falling(15, 2.0, 1.0) + [1.0] * 10 + [1.0 + 0.04 * (i + 1) for i in range(5)] + [1.2] * 10
    if dip_at is not None:
        evals[dip_at] = 0.95
    if spike_at is not None:
        evals[spike_at] = 1.5
    return evals


def test_one_spike_after_the_best_is_not_the_onset(thresholds):
    # a single high point at step 110, long before the level rises at step 210: the onset is read
    # from the smoothed level, which a lone point does not move
    plain = one(detectors.detect_log(log_of(falling(40, 3.0, 0.5), _noisy_step(0.06)), thresholds), "eval_loss_rising")
    spiked = _noisy_step(0.06)
    spiked[10] = 0.8
    f = one(detectors.detect_log(log_of(falling(40, 3.0, 0.5), spiked), thresholds), "eval_loss_rising")
    assert plain.evidence["onset_step"] == f.evidence["onset_step"] == 210  # the first point of the higher level


@pytest.mark.parametrize("dip_at, best_step, best", [(16, 170, 0.95), (17, 150, 1.0)])
def test_the_best_checkpoint_is_the_raw_low_within_half_a_window_of_the_smoothed_minimum(dip_at, best_step, best,
                                                                                         thresholds):
    # the smoothed minimum is at index 14 (step 150), window 5: indices 12..16 are searched for the logged low
    f = one(detectors.detect_log(log_of(falling(40, 3.0, 0.5), _rise_with(dip_at=dip_at)), thresholds),
            "eval_loss_rising")
    assert (f.evidence["best_step"], f.evidence["best_eval_loss"]) == (best_step, best)


def test_a_low_first_point_can_be_the_best(thresholds):
    evals = [0.9] + [1.0] * 24 + [1.0 + 0.04 * (i + 1) for i in range(5)] + [1.2] * 10
    f = one(detectors.detect_log(log_of(falling(40, 3.0, 0.5), evals), thresholds), "eval_loss_rising")
    assert (f.evidence["best_step"], f.evidence["best_eval_loss"]) == (10, 0.9)


# --------------------------------------------------------------------------- settings: the edges
def test_the_ceilings_themselves_are_inside_the_range(thresholds):
    at = detectors.detect_settings(None, lr=thresholds.lora_lr_max, epochs=None, method="lora", th=thresholds)
    assert at == []
    ten = detectors.detect_settings(None, lr=10 * thresholds.lora_lr_max, epochs=None, method="lora", th=thresholds)
    assert [f.severity for f in ten] == ["warning"]  # ten times the ceiling is not yet above ten times


def test_method_lora_is_named_as_lora(thresholds):
    f = one(detectors.detect_settings(None, lr=2e-4, epochs=None, method="lora", th=thresholds), "lr_high_for_method")
    assert "the top of the range for LoRA (LoRA 1e-05..0.0001; full fine-tuning at most 2e-05)" in f.detail


def test_five_training_points_are_enough_to_call_a_run_calm(thresholds):
    five = log_of(falling(5), lr=[3e-4] * 5)
    f = one(detectors.detect_settings(five, lr=None, epochs=None, method="lora", th=thresholds,
                                      log_findings=detectors.detect_log(five, thresholds)), "lr_high_for_method")
    assert f.severity == "info"


def test_a_worsening_metric_keeps_many_epochs_a_warning(thresholds):
    log = log_of(falling(40), [1.5, 1.3, 1.2, 1.1], eval_step=100)
    worse = [detectors.Finding(id="eval_metric_worsening", severity="warning", where="x", detail="d")]
    f = one(detectors.detect_settings(log, lr=None, epochs=5, method=None, th=thresholds, log_findings=worse),
            "many_epochs")
    assert (f.severity, f.evidence["eval_curve_rose"]) == ("warning", True)


def test_epochs_from_a_log_without_line_numbers_point_at_the_file(thresholds):
    log = log_of(falling(40))
    log.max_epoch, log.last_line = 5.0, None
    assert one(detectors.detect_settings(log, lr=None, epochs=None, method=None, th=thresholds),
               "many_epochs").where == "b.jsonl"


# --------------------------------------------------------------------------- transforms: the tolerance and its edges
def test_two_shared_steps_are_enough_for_a_transform():
    log, s = _with_metric("eval_score", [math.exp(2.0), math.exp(1.5)])
    assert detectors.loss_transform_of(log, "eval_score", s) == "eval"


def test_a_negative_loss_has_a_transform_below_one():
    log, s = _with_metric("eval_score", [math.exp(-0.5), math.exp(-0.7)], evals=(-0.5, -0.7))
    assert detectors.loss_transform_of(log, "eval_score", s) == "eval"


def test_a_zero_metric_is_not_a_transform_and_does_not_crash():
    log, s = _with_metric("eval_score", [0.0, 0.0, 0.0])
    assert detectors.loss_transform_of(log, "eval_score", s) is None


@pytest.mark.parametrize("losses, factor, expect", [
    ((5.0, 4.0), 1.002, "eval"),   # 0.2% off at a loss of 5: within 0.1% of the loss (0.005)
    ((0.5, 0.4), 1.0015, None),    # 0.15% off at a loss under 1: more than 0.001
])
def test_the_transform_tolerance_is_a_thousandth_of_the_loss_or_of_one(losses, factor, expect):
    log, s = _with_metric("eval_score", [math.exp(v) * factor for v in losses], evals=losses)
    assert detectors.loss_transform_of(log, "eval_score", s) == expect


def test_best_checkpoint_names_the_eval_set_it_came_from():
    log = TrainingLog(file="s.json", format="x")
    log.eval_loss["medical"] = Series("eval_medical_loss", [Point(100.0, 1.4), Point(200.0, 1.1)])
    assert detectors.best_checkpoint(log).eval_set == "medical"


def test_curves_default_to_1000_points_and_an_empty_series_does_not_end_the_list():
    log = TrainingLog(file="c.jsonl", format="jsonl")
    log.train_loss = Series("train_loss", [Point(float(i), 1.0) for i in range(2001)])
    log.eval_loss["empty"] = Series("eval_empty_loss", [])
    log.metrics["eval_accuracy"] = Series("eval_accuracy", [Point(10.0, 0.5)], higher_is_better=True)
    got = detectors.curves(log)
    # ceil(2001 / 1000) = 3: steps 0, 3, ..., 1998 (667 points), then the last, 2000
    assert len(got[0].points) == 668 and got[0].points[-1] == (2000.0, 1.0)
    assert [c.name for c in got] == ["train_loss", "eval_accuracy"]


def test_a_curve_that_ends_at_its_lowest_has_not_risen(thresholds):
    # the smoothed level's minimum is in the last two points (the end windows are cut short there),
    # while the median of the last window is still high: no rise, the curve ended at its best
    evals = falling(20, 3.0, 2.0) + [2.0] * 18 + [0.5, 0.5]
    assert "eval_loss_rising" not in ids(detectors.detect_log(log_of(falling(40, 3.0, 0.5), evals), thresholds))
