"""What the divergence, spike, non-finite, degenerate and eval-below-train findings report.

``test_boundaries.py`` pins when each of them fires; these pin what each then says and the
edges between its branches: where it points, every evidence field, the sentence that carries
the numbers, the smallest series each check accepts, and the ties a round-numbered log really
produces (a gradient norm of exactly ten times its median, a ratio of exactly 0.9). The
curves are noise-free pieces, so each expected number is worked out by hand here from the
rule docs/triage.md states, not read back from the code.
"""

from __future__ import annotations

import math

import pytest

from advisor.core.triage import detectors
from advisor.core.triage.logs import Point, Series

from .test_boundaries import falling, ids, log_of
from .test_detector_numbers import _doc_sigma


def one(findings, fid):
    got = [f for f in findings if f.id == fid]
    assert len(got) == 1, [f.id for f in findings]
    return got[0]


# --------------------------------------------------------------------------- smoothing window and levels
@pytest.mark.parametrize("n, k", [(7, 1), (8, 5), (40, 5), (64, 9), (100, 13), (160, 21), (400, 21)])
def test_the_window_is_an_eighth_of_the_curve_made_odd_within_5_to_21(n, k):
    sm = detectors.Smooth([Point(float(i), 1.0 + 0.01 * (i % 3)) for i in range(n)])
    assert sm.k == k
    assert sm.short is (n < 8)


def test_a_short_series_is_its_own_level_with_no_noise():
    sm = detectors.Smooth([Point(float(i), v) for i, v in enumerate([3.0, 1.0, 2.0])])
    assert (sm.start_level(), sm.end_level(), sm.sigma, sm.level_noise()) == (3.0, 2.0, 0.0, 0.0)
    assert list(sm.s) == [3.0, 1.0, 2.0]


def test_eight_points_already_have_a_noise_estimate():
    y = [1.0, 1.1, 0.95, 1.2, 1.0, 1.05, 0.9, 1.15]
    sm = detectors.Smooth([Point(float(i), v) for i, v in enumerate(y)])
    assert sm.k == 5
    assert sm.sigma == pytest.approx(_doc_sigma(y)) and sm.sigma > 0.1


def test_a_cached_smoothing_is_never_served_for_another_list():
    a = [Point(float(i), 1.0) for i in range(10)]
    b = [Point(float(i), 2.0) for i in range(10)]
    # a stale entry under b's key, as when a freed list's id is reused by a new one of the same length
    detectors._SMOOTH_CACHE[(id(b), len(b))] = detectors.Smooth(a)
    got = detectors.smooth(b)
    assert got.points is b and list(got.y) == [2.0] * 10
    assert detectors.smooth(b) is got  # then computed once and shared


# --------------------------------------------------------------------------- divergence
def _diverging(end, rise=20):
    # 60 points falling 2.0 -> 1.0 (steps 10..600), 20 flat at 1.0, a ramp to `end`, then 20 at `end`
    return falling(60) + [1.0] * 20 + [1.0 + (end - 1.0) * (i + 1) / rise for i in range(rise)] + [end] * 20


def test_divergence_reports_its_minimum_onset_end_start_and_tolerance(thresholds):
    f = one(detectors.detect_log(log_of(_diverging(1.2637)), thresholds), "loss_divergence")
    ev = f.evidence
    # smoothed minimum (window 15): the first point whose window is mostly the flat 1.0, index 59
    assert (ev["min_step"], ev["min_loss"]) == (600, 1.0)
    assert ev["final_loss"] == pytest.approx(1.2637)  # median of the last 15
    assert ev["start_loss"] == pytest.approx(2.0 - 7 / 59)  # median of the first 15: the 8th point
    assert ev["tolerance"] == 0.25  # 25% of the minimum: the noise term is far smaller here
    assert ev["rise_pct"] == 26.4
    # the ramp clears 1.25 at its 19th point (1 + 0.2637 * 19/20 = 1.2505): index 98, step 990
    assert ev["onset_step"] == 990
    assert f.where == "b.jsonl:100 (step 990)"
    assert f.detail == ("Training loss fell to 1 at step 600, then climbed to 1.264 (+26%); the climb passes the "
                        "noise band at step 990. Training diverged: the learning rate is too high for this model "
                        "and method.")


def test_divergence_above_the_start_says_so(thresholds):
    train = falling(20, 2.0, 1.0) + [1.0 + 1.5 * (i + 1) / 20 for i in range(20)] + [2.5] * 20
    f = one(detectors.detect_log(log_of(train), thresholds), "loss_divergence")
    assert f.evidence["final_loss"] > f.evidence["start_loss"]
    assert ") - above where it started; the climb passes" in f.detail


def test_a_noisy_divergence_reports_its_noise_band_as_the_tolerance(thresholds):
    # level 1.0 with a period-5 wiggle of 0.2 (so sigma is large), then a level 3.0 with the same wiggle
    pattern = [0.0, 0.2, -0.2, 0.2, -0.2]
    train = [1.0 + pattern[i % 5] for i in range(60)] + [3.0 + pattern[i % 5] for i in range(60)]
    sm = detectors.Smooth([Point(float(i), v) for i, v in enumerate(train)])
    sigma = _doc_sigma(train)
    assert sm.sigma == pytest.approx(sigma)
    # the docstring's band: 4 standard errors of a difference of two window levels
    band = 4.0 * (1.25 * sigma / math.sqrt(sm.k)) * math.sqrt(2.0)
    low = min(sm.s)
    assert band > 0.25 * abs(low)  # the noise decides here, not the 25% floor
    f = one(detectors.detect_log(log_of(train), thresholds), "loss_divergence")
    assert f.evidence["tolerance"] == round(band, 6)
    assert f.evidence["tolerance"] != round(band, 5)  # six places are kept, not fewer


def test_five_points_are_enough_to_see_a_divergence(thresholds):
    f = one(detectors.detect_log(log_of([1.0, 0.8, 1.2, 1.5, 2.0]), thresholds), "loss_divergence")
    # short: no smoothing; 2.0 against a minimum of 0.8, band 25% of 0.8; first point past 1.0 is 1.2
    assert (f.evidence["min_step"], f.evidence["onset_step"], f.evidence["rise_pct"]) == (20, 30, 150.0)
    assert "loss_divergence" not in ids(detectors.detect_log(log_of([1.0, 0.8, 1.2, 2.0]), thresholds))


def test_the_onset_is_searched_after_the_minimum_not_before_it(thresholds):
    # a short curve that starts high: the first point is above the band too, but it is before the minimum
    f = one(detectors.detect_log(log_of([3.0, 2.0, 1.0, 1.1, 2.0, 2.2]), thresholds), "loss_divergence")
    assert (f.evidence["min_step"], f.evidence["onset_step"]) == (30, 50)


def test_the_onset_can_be_the_point_right_after_the_minimum(thresholds):
    f = one(detectors.detect_log(log_of([3.0, 2.0, 1.0, 2.0, 2.2]), thresholds), "loss_divergence")
    assert (f.evidence["min_step"], f.evidence["onset_step"]) == (30, 40)


# --------------------------------------------------------------------------- loss spikes
def test_a_spike_reports_its_steps_count_noise_and_baseline(thresholds):
    train = [1.0] * 200
    spikes = [30, 55, 80, 105, 130, 155, 180]  # seven, past the first window (21) and further apart than one
    for i in spikes:
        train[i] = 2.0
    f = one(detectors.detect_log(log_of(train), thresholds), "loss_spike")
    steps = [(i + 1) * 10 for i in spikes]
    assert f.evidence == {"count": 7, "steps": steps, "noise_sigma": 0.0, "baseline_points": 21}
    assert f.where == "b.jsonl:32 (step 310)"
    assert f.detail == ("7 training-loss spike(s) more than 50% and 6 noise units above both the running median and "
                        "the 21 points before (steps 310, 560, 810, 1060, 1310): a sign of an unstable learning rate "
                        "or bad batches.")


def test_spike_steps_are_kept_up_to_twenty(thresholds):
    train = [1.0] * 700
    for i in range(25, 700, 25):  # 27 spikes
        train[i] = 2.0
    f = one(detectors.detect_log(log_of(train), thresholds), "loss_spike")
    assert f.evidence["count"] == 27
    assert f.evidence["steps"] == [(i + 1) * 10 for i in range(25, 525, 25)]  # the first 20


def test_the_point_right_after_the_first_window_can_be_a_spike(thresholds):
    train = [1.0] * 100  # window 13: the first 13 points have no baseline; index 13 has one
    train[13] = 2.0
    assert one(detectors.detect_log(log_of(train), thresholds), "loss_spike").evidence["steps"] == [140]


@pytest.mark.parametrize("height, fires", [(0.8, True), (0.7, False)])
def test_a_spike_is_50_percent_of_its_own_level_not_of_one(height, fires, thresholds):
    train = [0.5] * 100
    train[50] = height  # +60% or +40% of 0.5
    assert ("loss_spike" in ids(detectors.detect_log(log_of(train), thresholds))) is fires


def test_a_jump_inside_the_curves_own_noise_is_not_a_spike(thresholds):
    pattern = [0.0, 0.1, -0.1, 0.1, -0.1]
    train = [1.0 + pattern[i % 5] for i in range(100)]
    sigma = detectors.Smooth([Point(float(i), v) for i, v in enumerate(train)]).sigma
    assert 0.6 < 6 * sigma  # six noise units is more than the 60% jump below
    train[50] = train[50] + 0.6
    assert "loss_spike" not in ids(detectors.detect_log(log_of(train), thresholds))
    train[50] = 1.0 + 6 * sigma + 0.05  # past six noise units (and 50%): a spike
    assert "loss_spike" in ids(detectors.detect_log(log_of(train), thresholds))


def test_a_bump_on_a_steep_fall_below_the_points_before_it_is_not_a_spike(thresholds):
    # falling 0.1 a step: at index 50 the trend is 1.0 and the 13 points before have a median of 1.7
    train = [6.0 - 0.1 * i for i in range(100)]
    train = [max(v, 0.2) for v in train]
    train[50] = 2.0  # twice its running median, but only 0.3 above the median of the points before
    assert "loss_spike" not in ids(detectors.detect_log(log_of(train), thresholds))
    train[50] = 3.0  # now 1.3 above them too (more than 50% of 1.7)
    assert "loss_spike" in ids(detectors.detect_log(log_of(train), thresholds))


def test_a_spike_at_the_learning_rates_peak_is_still_warm_up(thresholds):
    train = [1.0] * 100
    lr = [min(1.0, (i + 1) / 20) * 1e-4 for i in range(100)]  # peaks at index 19, step 200
    train[19] = 2.0
    assert "loss_spike" not in ids(detectors.detect_log(log_of(train, lr=lr), thresholds))
    train[19], train[20] = 1.0, 2.0  # the step after the peak
    assert one(detectors.detect_log(log_of(train, lr=lr), thresholds), "loss_spike").evidence["steps"] == [210]


# --------------------------------------------------------------------------- gradient-norm spikes
def test_a_grad_norm_spike_reports_median_count_peak_steps_and_warmup(thresholds):
    grad = [1.0] * 60
    grad[30], grad[40] = 12.0, 25.0
    lr = [min(1.0, (i + 1) / 10) * 1e-4 for i in range(60)]  # warm-up ends at step 100
    f = one(detectors.detect_log(log_of(falling(60), grad=grad, lr=lr), thresholds), "grad_norm_spike")
    assert f.evidence == {"median": 1.0, "count": 2, "max": 25.0, "steps": [310, 410], "warmup_end_step": 100}
    assert f.where == "b.jsonl (step 310)"
    assert f.detail == ("Gradient norm jumped above 10x its median (1) and 10x the 5 steps before at 2 step(s) "
                        "after warm-up, peaking at 25: lower the learning rate or clip gradients.")
    f = one(detectors.detect_log(log_of(falling(60), grad=grad), thresholds), "grad_norm_spike")
    assert f.evidence["warmup_end_step"] is None  # no learning rate logged: no warm-up known


def test_grad_norm_spike_steps_are_kept_up_to_twenty(thresholds):
    grad = [1.0] * 300
    for i in range(10, 300, 10):  # 29 spikes, each with five calm points before
        grad[i] = 50.0
    f = one(detectors.detect_log(log_of(falling(300), grad=grad), thresholds), "grad_norm_spike")
    assert f.evidence["count"] == 29
    assert f.evidence["steps"] == [(i + 1) * 10 for i in range(10, 210, 10)]


def test_the_first_five_grad_norms_have_no_baseline(thresholds):
    grad = [1.0] * 20
    grad[2] = 50.0
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(20), grad=grad), thresholds))
    grad = [1.0] * 6
    grad[5] = 50.0  # six values: the sixth has its five before it
    assert "grad_norm_spike" in ids(detectors.detect_log(log_of(falling(6), grad=grad), thresholds))


def test_ten_times_is_relative_to_the_median_whatever_its_level(thresholds):
    grad = [2.0] * 60
    grad[30] = 15.0  # 7.5x a median of 2: no spike
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(60), grad=grad), thresholds))
    grad[30] = 21.0
    assert "grad_norm_spike" in ids(detectors.detect_log(log_of(falling(60), grad=grad), thresholds))


def test_exactly_ten_times_is_not_above_ten_times(thresholds):
    # the median of all is 1.0, the five before are 0.5: 10.0 is exactly 10x the median
    grad = [0.5] * 30 + [1.0] * 40
    grad[30] = 10.0
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(70), grad=grad), thresholds))
    # the median of all is 0.5, the five before are 1.0: 10.0 is exactly 10x the points before
    grad = [0.5] * 40 + [1.0] * 30
    grad[50] = 10.0
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(70), grad=grad), thresholds))


def test_a_zero_median_grad_norm_has_no_ten_times(thresholds):
    grad = [0.0] * 40
    grad[30] = 5.0  # frozen weights log 0; one non-zero value is not a spike of an unstable run
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(40), grad=grad), thresholds))


def test_a_grad_spike_at_the_learning_rates_peak_is_still_warm_up(thresholds):
    grad = [1.0] * 60
    lr = [min(1.0, (i + 1) / 20) * 1e-4 for i in range(60)]  # peak at index 19, step 200
    grad[19] = 30.0
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(60), grad=grad, lr=lr), thresholds))


# --------------------------------------------------------------------------- NaN and Inf
def test_non_finite_values_are_named_per_series_with_the_earliest_first(thresholds):
    train = [1.0] * 20
    train[4], train[9] = math.nan, math.inf  # steps 50 and 100
    grad = [1.0] * 20
    grad[2] = math.inf  # step 30, no line
    lr = [1e-4] * 10 + [3e-4] * 10
    log = log_of(train, grad=grad, lr=lr)
    log.eval_loss["medical_qa"] = Series("eval_medical_qa_loss", [
        Point(10.0 * (i + 1), v, 100 + i) for i, v in enumerate([2.0, 1.5, math.nan, 1.2, 1.1])])
    f = one(detectors.detect_log(log, thresholds), "non_finite_loss")
    assert f.severity == "error"
    assert f.where == "b.jsonl (step 30)"  # grad norm and the eval set both first fail at 30: the first listed
    assert f.evidence == {
        "train_loss": {"count": 2, "of": 20, "first_step": 50.0, "first_line": 6},
        "grad_norm": {"count": 1, "of": 20, "first_step": 30.0, "first_line": None},
        "eval_medical_qa_loss": {"count": 1, "of": 5, "first_step": 30.0, "first_line": 102},
    }
    assert f.detail == (
        "train loss is Inf/NaN at 2 of 20 logged steps, first at step 50 (b.jsonl:6 (step 50)); "
        "grad norm is Inf at 1 of 20 logged steps, first at step 30 (b.jsonl (step 30)); "
        "eval medical qa loss is NaN at 1 of 5 logged steps, first at step 30 (b.jsonl:102 (step 30)). "
        "Weights are corrupted from there on: lower the learning rate, add gradient clipping, check for "
        "bf16/fp16 overflow. Peak learning rate in the log: 0.0003.")


def test_a_nan_in_an_eval_set_alone_is_found_and_no_learning_rate_is_quoted(thresholds):
    log = log_of(falling(20), [2.0, math.nan, 1.0])
    f = one(detectors.detect_log(log, thresholds), "non_finite_loss")
    assert f.detail.endswith("check for bf16/fp16 overflow.")
    assert f.evidence == {"eval_loss": {"count": 1, "of": 3, "first_step": 20.0, "first_line": None}}


# --------------------------------------------------------------------------- zero, constant and near-zero loss
def test_a_zero_loss_reports_how_many_points_and_from_where(thresholds):
    f = one(detectors.detect_log(log_of([0.9, 0.0, 0.0, 0.0, 0.8]), thresholds), "degenerate_loss")
    assert f.where == "b.jsonl:3 (step 20)"
    assert f.evidence == {"zero_points": 3, "points": 5, "first_zero_step": 20.0, "kind": "zero"}
    assert f.detail == ("Training loss is exactly 0 at 3 of 5 logged steps from step 20: usually every label "
                        "token is masked (-100) or the loss is computed on an empty target, so nothing is learned.")


def test_a_flat_zero_loss_is_degenerate_and_not_also_a_plateau(thresholds):
    found = ids(detectors.detect_log(log_of(falling(30, 1.0, 0.1) + [0.0] * 10), thresholds))
    assert "degenerate_loss" in found and "plateau" not in found and "still_improving" not in found


def test_a_near_zero_loss_still_gets_its_trend(thresholds):
    found = ids(detectors.detect_log(log_of(falling(30, 1.0, 0.01) + [0.01] * 10), thresholds))
    assert "train_loss_near_zero" in found and "plateau" in found


def test_five_equal_points_are_a_constant_loss(thresholds):
    v = [1.5, 1.5 + 1e-10, 1.5, 1.5, 1.5]  # equal to nine significant digits
    f = one(detectors.detect_log(log_of(v), thresholds), "degenerate_loss")
    assert f.where == "b.jsonl:2 (step 10)"
    assert f.evidence == {"value": 1.5, "points": 5, "kind": "constant"}
    assert f.detail == ("Training loss is constant at 1.5 over all 5 logged steps: the weights are not updating "
                        "(learning rate 0, frozen parameters, or every label masked).")
    assert "degenerate_loss" not in ids(detectors.detect_log(log_of([1.5] * 4), thresholds))


@pytest.mark.parametrize("values, constant", [
    ([2000.0, 2000.0 + 1e-6] * 3, True),   # within 1e-9 of the value: relative for losses above 1
    ([2000.0, 2000.0 + 1e-5] * 3, False),
    ([0.5, 0.5 + 5e-10] * 3, True),        # an absolute 1e-9 below 1
    ([0.5, 0.5 + 1.5e-9] * 3, False),
])
def test_constant_means_equal_to_nine_digits(values, constant, thresholds):
    assert ("degenerate_loss" in ids(detectors.detect_log(log_of(values), thresholds))) is constant


def test_a_near_zero_loss_reports_where_the_run_ended(thresholds):
    f = one(detectors.detect_log(log_of([0.5, 0.1, 0.01]), thresholds), "train_loss_near_zero")
    assert f.where == "b.jsonl:4 (step 30)"  # three points are enough; the last one is where it ended
    assert f.evidence == {"final_train_loss": 0.01, "threshold": 0.02}
    assert f.detail == ("Training loss ended at 0.01 (below 0.02): the model reproduces its training examples "
                        "almost token for token, i.e. it memorised them.")


def test_a_loss_ending_at_exactly_the_threshold_is_not_below_it(thresholds):
    assert "train_loss_near_zero" not in ids(detectors.detect_log(log_of(falling(30, 1.0, 0.02) + [0.02] * 10),
                                                                    thresholds))


# --------------------------------------------------------------------------- no eval loss
def test_a_log_without_eval_loss_says_what_is_missing(thresholds):
    f = one(detectors.detect_log(log_of(falling(12)), thresholds), "no_eval_loss")
    assert (f.severity, f.where) == ("warning", "b.jsonl")
    assert f.evidence == {"format": "jsonl", "train_points": 12}
    assert f.detail.startswith("The log (jsonl) has no eval/validation loss, so overfitting cannot be seen and no "
                               "best checkpoint can be picked")


def test_an_eval_curve_that_rose_gets_no_trend_verdict_of_its_own(thresholds):
    # falls, then rises and stays high: its last quarter is flat, but the rise is the verdict
    evals = falling(15) + [1.0] * 10 + [1.0 + 0.04 * (i + 1) for i in range(5)] + [1.2] * 10
    found = detectors.detect_log(log_of(falling(40, 3.0, 0.5), evals), thresholds)
    assert "eval_loss_rising" in ids(found)
    assert [f.evidence.get("kind") for f in found if f.id in ("plateau", "still_improving")] == ["train"]


# --------------------------------------------------------------------------- eval below train
def test_eval_below_train_counts_the_eval_points_of_the_second_half(thresholds):
    # train steps 10..1000 (midpoint 505), evals every 5 steps at 0.7 of the training loss
    log = log_of([1.0] * 100, [0.7] * 200, eval_step=5)
    f = one(detectors.detect_log(log, thresholds), "eval_below_train")
    assert f.evidence == {"median_ratio": 0.7, "points": 100}  # steps 505..1000
    assert f.where == "b.jsonl (step 505)"
    assert f.detail.startswith("Eval loss stayed 30% below training loss over the second half of the run "
                               "(100 eval points): the eval set may overlap the training data")


def test_eval_below_train_keeps_three_places_of_the_ratio(thresholds):
    f = one(detectors.detect_log(log_of([1.0] * 100, [0.71234] * 10, eval_step=100), thresholds), "eval_below_train")
    assert f.evidence["median_ratio"] == 0.712
    assert "stayed 29% below" in f.detail


def test_with_no_eval_in_the_second_half_the_last_one_is_judged(thresholds):
    log = log_of([1.0] * 100, [0.5, 0.55, 0.4], eval_step=100)  # steps 100..300, before the midpoint 505
    f = one(detectors.detect_log(log, thresholds), "eval_below_train")
    assert f.evidence == {"median_ratio": 0.4, "points": 1}
    assert f.where == "b.jsonl (step 300)"
    assert f.detail.startswith("Eval loss stayed 60% below training loss")


@pytest.mark.parametrize("ratio, fires", [(0.8995, True), (0.9, False), (0.9005, False)])
def test_eval_below_train_needs_more_than_10_percent(ratio, fires, thresholds):
    found = ids(detectors.detect_log(log_of([1.0] * 100, [ratio] * 10, eval_step=100), thresholds))
    assert ("eval_below_train" in found) is fires


@pytest.mark.parametrize("high", [1.0, 1.5])
def test_one_eval_point_at_or_above_train_stops_the_note(high, thresholds):
    evals = [0.5] * 9 + [high]  # the median is far below, but not every point is
    assert "eval_below_train" not in ids(detectors.detect_log(log_of([1.0] * 100, evals, eval_step=100), thresholds))


def test_eval_below_train_needs_three_train_points_and_two_evals(thresholds):
    assert "eval_below_train" in ids(detectors.detect_log(log_of([1.2, 1.1, 1.0], [0.5, 0.5], eval_step=15),
                                                          thresholds))
    assert "eval_below_train" not in ids(detectors.detect_log(log_of([1.2, 1.0], [0.5, 0.5], eval_step=10),
                                                              thresholds))
    assert "eval_below_train" not in ids(detectors.detect_log(log_of([1.2, 1.1, 1.0], [0.5], eval_step=30),
                                                              thresholds))


def test_a_zero_training_loss_is_not_divided_by(thresholds):
    train = [1.0] * 50 + [0.0] * 50
    found = ids(detectors.detect_log(log_of(train, [0.5] * 10, eval_step=100), thresholds))
    assert "degenerate_loss" in found and "eval_below_train" not in found


# --------------------------------------------------------------------------- eval loss rising: what it says
def _short_rise(evals, th, train=None):
    return detectors.detect_log(log_of(train if train is not None else falling(50, 3.0, 0.5), evals, eval_step=100), th)


def test_a_rise_of_exactly_10_percent_is_an_error(thresholds):
    f = one(_short_rise([1.5, 1.2, 1.0, 1.05, 1.1], thresholds), "eval_loss_rising")
    assert f.evidence["rise_pct"] == 10.0 and f.severity == "error"


def test_eval_levels_are_kept_to_five_places(thresholds):
    f = one(_short_rise([1.5, 1.2, 1.0000041, 1.05, 1.2000041], thresholds), "eval_loss_rising")
    assert (f.evidence["best_eval_loss"], f.evidence["final_eval_loss"], f.evidence["end_level"]) == (1.0, 1.2, 1.2)


def test_every_eval_set_is_judged_not_only_up_to_the_first_that_did_not_rise(thresholds):
    log = log_of(falling(50, 3.0, 0.5), [1.5, 1.2, 1.0, 0.9, 0.8], eval_step=100)  # "eval": still falling
    log.eval_loss["MedQA"] = Series("eval_MedQA_loss", [Point(100.0 * (i + 1), v)
                                                        for i, v in enumerate([1.5, 1.2, 1.0, 1.05, 1.2])])
    f = one(detectors.detect_log(log, thresholds), "eval_loss_rising")
    assert f.evidence["eval_set"] == "MedQA"
    assert f.detail.startswith("Eval loss on 'MedQA' was lowest (1) at step 300")  # the set's name as logged


def test_a_rise_with_too_little_training_loss_says_nothing_of_it(thresholds):
    f = one(_short_rise([1.5, 1.2, 1.0, 1.05, 1.2], thresholds, train=[2.0, 1.5]), "eval_loss_rising")
    assert f.detail.endswith("clearly above the minimum from step 400 (one eval per point, no smoothing).")
    assert "train_kept_falling" not in f.evidence
    # three training points are enough
    f = one(_short_rise([1.5, 1.2, 1.0, 1.05, 1.2], thresholds, train=[2.0, 1.5, 1.0]), "eval_loss_rising")
    assert "train_kept_falling" in f.evidence


def test_training_that_kept_falling_is_named_as_memorising(thresholds):
    f = one(_short_rise([1.5, 1.2, 1.0, 1.05, 1.2], thresholds), "eval_loss_rising")
    at_best, final = f.evidence["train_loss_at_best"], f.evidence["train_loss_final"]
    assert f.detail.endswith(f" Meanwhile training loss kept falling ({at_best:.4g} -> {final:.4g}): the model is "
                             "memorising the training set.")


@pytest.mark.parametrize("end, fell", [(0.98, False), (0.979, True)])
def test_kept_falling_means_more_than_2_percent_below_the_level_at_the_best(end, fell, thresholds):
    # train steps 10..500: 1.0 up to step 300 (the eval's best), then `end`; the window (7) at step 300 is 1.0
    f = one(_short_rise([1.5, 1.2, 1.0, 1.05, 1.2], thresholds, train=[1.0] * 30 + [end] * 20), "eval_loss_rising")
    assert (f.evidence["train_loss_at_best"], f.evidence["train_loss_final"]) == (1.0, end)
    assert f.evidence["train_kept_falling"] is fell


def test_every_metric_is_judged_past_one_without_a_direction_or_one_that_did_not_worsen(thresholds):
    log = log_of(falling(50, 3.0, 0.5))
    pts = lambda vals: [Point(100.0 * (i + 1), v) for i, v in enumerate(vals)]  # noqa: E731
    log.metrics["eval_runtime"] = Series("eval_runtime", pts([1.0, 1.0, 1.0, 9.0, 9.0]), higher_is_better=None)
    log.metrics["eval_bleu"] = Series("eval_bleu", pts([0.1, 0.2, 0.3, 0.4, 0.5]), higher_is_better=True)
    log.metrics["eval_wer"] = Series("eval_wer", pts([0.5, 0.4, 0.3, 0.2, 0.3]), higher_is_better=False)
    found = [f.evidence["metric"] for f in detectors.detect_log(log, thresholds) if f.id == "eval_metric_worsening"]
    assert found == ["eval_wer"]


# --------------------------------------------------------------------------- edges found by bench/mutant_witness.py
def test_a_curve_at_its_lowest_at_the_very_end_has_not_diverged(thresholds):
    # the last window's median (1.0) is far above the last two points, which are the minimum
    train = [2.0, 1.5, 1.2, 1.1, 1.0, 1.0, 0.1, 0.1]
    sm = detectors.Smooth([Point(float(i), v) for i, v in enumerate(train)])
    assert min(sm.s) == sm.s[-1] == 0.1 and sm.end_level() == 1.0
    assert "loss_divergence" not in ids(detectors.detect_log(log_of(train), thresholds))


def test_a_jump_at_the_last_point_after_the_minimum_is_a_divergence(thresholds):
    f = one(detectors.detect_log(log_of([3.0, 2.5, 2.0, 1.0, 2.0]), thresholds), "loss_divergence")
    assert (f.evidence["min_step"], f.evidence["onset_step"]) == (40, 50)


def test_a_curve_back_at_a_minimum_of_zero_has_not_risen(thresholds):
    found = ids(detectors.detect_log(log_of([1.0, 0.5, 0.0, 0.3, 0.0]), thresholds))
    assert "loss_divergence" not in found  # 0 above 0 is no rise, even with a tolerance of 0


def test_a_spike_is_50_percent_above_its_running_median_not_only_above_the_points_before(thresholds):
    # flat 1.0, a hump up to 3.0 (steps 310..510) and down to 0.5; at index 45 the trend is 2.5
    train = [1.0] * 30 + [1.0 + 0.1 * i for i in range(20)] + [3.0 - 2.5 * i / 30 for i in range(30)] + [0.5] * 20
    # 3.5 there: the running median (window 13) moves to the next value up, 2.6; the point is 0.9 above it,
    # under 50% of it, though 1.7 above the median of the 13 points before (1.8)
    train[45] = 3.5
    sm = detectors.Smooth([Point(float(i), v) for i, v in enumerate(train)])
    assert (sm.k, sm.s[45]) == (13, pytest.approx(2.6))
    assert "loss_spike" not in ids(detectors.detect_log(log_of(train), thresholds))
    train[45] = 4.0  # 1.4 above the running median: now a spike
    assert one(detectors.detect_log(log_of(train), thresholds), "loss_spike").evidence["steps"] == [460]


def test_a_spike_must_clear_six_noise_units_above_its_running_median_too(thresholds):
    # a nine-point curve (window 5) whose last point is far above the five before it, but within six
    # noise units of its own running median (the median of the last three points)
    train = [0.7696, 0.6278, 0.5371, 0.4623, 0.4400, 0.5556, 0.4492, 0.7586, 1.2268]
    sm = detectors.Smooth([Point(float(i), v) for i, v in enumerate(train)])
    import statistics

    assert sm.s[8] == statistics.median(train[6:9])
    assert 0.5 * sm.s[8] < train[8] - sm.s[8] < 6 * sm.sigma  # past 50%, short of six noise units
    before = statistics.median(train[3:8])
    assert train[8] - before > max(6 * sm.sigma, 0.5 * before)  # clears the points before on both counts
    assert "loss_spike" not in ids(detectors.detect_log(log_of(train), thresholds))


def test_grad_spikes_are_ten_times_the_median_and_ten_times_the_points_before_at_any_level(thresholds):
    # the median of all is 2, the five before are 1: 15 clears the points before but not 10x the median
    grad = [2.0] * 50 + [1.0] * 10
    grad[55] = 15.0
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(60), grad=grad), thresholds))
    # the median of all is 1, the five before are 2: 15 clears 10x the median but not the points before
    grad = [1.0] * 50 + [2.0] * 10
    grad[55] = 15.0
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(60), grad=grad), thresholds))
    grad[55] = 21.0
    assert "grad_norm_spike" in ids(detectors.detect_log(log_of(falling(60), grad=grad), thresholds))


def test_a_loss_whose_last_window_centres_on_zero_is_not_near_zero(thresholds):
    # a loss that crosses zero (a DPO-style objective): the median of its last five points is exactly 0
    train = [0.5] * 10 + [-0.1, -0.1, 0.0, 0.1, 0.1]
    assert detectors.Smooth([Point(float(i), v) for i, v in enumerate(train)]).end_level() == 0.0
    assert "train_loss_near_zero" not in ids(detectors.detect_log(log_of(train), thresholds))


def test_the_onset_is_the_first_point_above_the_band_not_one_on_it(thresholds):
    # from a minimum of 0 the band is 0 wide: the zeros after the minimum are on it, not above it
    f = one(detectors.detect_log(log_of([0.0, 0.0, 0.0, 0.0, 0.39]), thresholds), "loss_divergence")
    assert (f.evidence["min_step"], f.evidence["onset_step"], f.evidence["tolerance"]) == (10, 50, 0.0)


def test_a_run_that_ends_level_with_its_start_is_not_above_it(thresholds):
    # nine points: the first and last windows of five share the middle point, the median of both
    train = [0.0, 0.0, 1.06, 0.88, 0.8, 0.82, 0.74, 0.78, 0.82]
    f = one(detectors.detect_log(log_of(train), thresholds), "loss_divergence")
    assert f.evidence["start_loss"] == f.evidence["final_loss"] == 0.8
    assert "above where it started" not in f.detail
