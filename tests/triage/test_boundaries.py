"""Every detector threshold and count, pinned from both sides: just short of the trigger and just past it.

The curves are noise-free (their noise estimate is zero), so the relative floors in
docs/triage.md decide alone and a changed constant moves a verdict. The numbers below
come from the documented triggers, not from running the code.
"""

from __future__ import annotations

import json

import pytest

from advisor.core.triage import data as data_mod
from advisor.core.triage import detectors
from advisor.core.triage.logs import Point, Series, TrainingLog


def ids(findings) -> list[str]:
    return [f.id for f in findings]


def log_of(train, evals=None, *, eval_step=None, grad=None, lr=None, step=10) -> TrainingLog:
    log = TrainingLog(file="b.jsonl", format="jsonl")
    log.train_loss = Series("train_loss", [Point((i + 1) * step, v, i + 2) for i, v in enumerate(train)])
    if evals is not None:
        es = eval_step or step
        log.eval_loss["eval"] = Series("eval_loss", [Point((i + 1) * es, v) for i, v in enumerate(evals)])
    if grad is not None:
        log.grad_norm = Series("grad_norm", [Point((i + 1) * step, v) for i, v in enumerate(grad)])
    if lr is not None:
        log.learning_rate = Series("learning_rate", [Point((i + 1) * step, v) for i, v in enumerate(lr)])
    return log


def falling(n, a=2.0, b=1.0):
    return [a - (a - b) * i / (n - 1) for i in range(n)]


# --------------------------------------------------------------------------- divergence: 25% above the minimum
@pytest.mark.parametrize("end, fires", [(1.26, True), (1.24, False)])
def test_divergence_tolerance_is_25_percent_of_the_minimum(end, fires, thresholds):
    rise = [1.0 + (end - 1.0) * (i + 1) / 20 for i in range(20)]
    train = falling(60) + [1.0] * 20 + rise + [end] * 20
    assert ("loss_divergence" in ids(detectors.detect_log(log_of(train), thresholds))) is fires


# --------------------------------------------------------------------------- spikes: 50% above median and the baseline
@pytest.mark.parametrize("height, fires", [(1.52, True), (1.48, False)])
def test_loss_spike_needs_50_percent_above_its_baseline(height, fires, thresholds):
    train = [1.0] * 100
    train[50] = height
    f = detectors.detect_log(log_of(train), thresholds)
    assert ("loss_spike" in ids(f)) is fires
    if fires:
        assert next(x for x in f if x.id == "loss_spike").evidence["steps"] == [510]


def test_first_point_and_warmup_are_not_spikes(thresholds):
    train = [14.8] + [0.6] * 99  # the loss before learning starts, then a flat run
    train[3] = 3.0  # inside the first window: no baseline before it
    assert "loss_spike" not in ids(detectors.detect_log(log_of(train), thresholds))


@pytest.mark.parametrize("value, fires", [(10.5, True), (9.5, False)])
def test_grad_norm_spike_is_10x_median(value, fires, thresholds):
    grad = [1.0] * 60
    grad[30] = value
    f = detectors.detect_log(log_of(falling(60), grad=grad), thresholds)
    assert ("grad_norm_spike" in ids(f)) is fires


def test_grad_norm_during_warmup_is_not_a_spike(thresholds):
    grad = [40.0, 1.0, 1.0, 1.0, 30.0, 1.0, 30.0] + [1.0] * 53  # steps 10, 50, 70: inside the warm-up
    lr = [min(1.0, (i + 1) / 8) * 1e-4 for i in range(60)]  # warm-up to step 80
    assert "grad_norm_spike" not in ids(detectors.detect_log(log_of(falling(60), grad=grad, lr=lr), thresholds))
    grad[20] = 30.0  # step 210: after warm-up, with a baseline
    assert "grad_norm_spike" in ids(detectors.detect_log(log_of(falling(60), grad=grad, lr=lr), thresholds))


# --------------------------------------------------------------------------- eval rising: 2% dense, 3% short, error at 10%
@pytest.mark.parametrize("end, fires", [(1.021, True), (1.019, False)])
def test_dense_eval_rise_floor_is_2_percent(end, fires, thresholds):
    evals = falling(15) + [1.0] * 10 + [1.0 + (end - 1.0) * (i + 1) / 5 for i in range(5)] + [end] * 10
    f = detectors.detect_log(log_of(falling(40, 3.0, 0.5), evals), thresholds)
    assert ("eval_loss_rising" in ids(f)) is fires


@pytest.mark.parametrize("end, fires", [(1.031, True), (1.029, False)])
def test_short_eval_rise_floor_is_3_percent(end, fires, thresholds):
    evals = [1.5, 1.2, 1.0, 1.02, end]
    f = detectors.detect_log(log_of(falling(50, 3.0, 0.5), evals, eval_step=100), thresholds)
    assert ("eval_loss_rising" in ids(f)) is fires


@pytest.mark.parametrize("end, severity", [(1.105, "error"), (1.095, "warning")])
def test_eval_rise_is_an_error_from_10_percent(end, severity, thresholds):
    evals = [1.5, 1.2, 1.0, 1.05, end]
    f = detectors.detect_log(log_of(falling(50, 3.0, 0.5), evals, eval_step=100), thresholds)
    assert next(x for x in f if x.id == "eval_loss_rising").severity == severity


# --------------------------------------------------------------------------- tail of a curve: -1% still improving, 0.5% plateau
@pytest.mark.parametrize("r, fires", [(0.0105, True), (0.0095, False)])
def test_still_improving_needs_a_1_percent_fall_over_the_last_quarter(r, fires, thresholds):
    train = falling(30, 2.0, 1.0) + [1.0 * (1 - r * j / 9) for j in range(10)]
    f = detectors.detect_log(log_of(train), thresholds)
    assert ("still_improving" in ids(f)) is fires


@pytest.mark.parametrize("r, fires", [(0.0045, True), (0.0055, False)])
def test_plateau_is_under_half_a_percent_after_a_5_percent_fall(r, fires, thresholds):
    train = falling(30, 2.0, 1.0) + [1.0 * (1 - r * j / 9) for j in range(10)]
    f = detectors.detect_log(log_of(train), thresholds)
    assert ("plateau" in ids(f)) is fires


@pytest.mark.parametrize("fall_to, fires", [(0.94, True), (0.96, False)])
def test_plateau_needs_a_5_percent_fall_overall(fall_to, fires, thresholds):
    train = falling(30, 1.0, fall_to) + [fall_to] * 10
    assert ("plateau" in ids(detectors.detect_log(log_of(train), thresholds))) is fires


# --------------------------------------------------------------------------- near zero, zero, eval below train
@pytest.mark.parametrize("end, fires", [(0.019, True), (0.021, False)])
def test_train_loss_near_zero_below_002(end, fires, thresholds):
    train = falling(30, 1.0, end) + [end] * 10
    assert ("train_loss_near_zero" in ids(detectors.detect_log(log_of(train), thresholds))) is fires


@pytest.mark.parametrize("values, fires", [([0.0], True), ([1.2, 0.0], True), ([0.0, 0.0, 0.9, 0.8], False),
                                           ([0.9, 0.0, 0.0, 0.0, 0.8], True)])
def test_degenerate_zero_counts(values, fires, thresholds):
    # a lone zero that is all the run logged, a zero where the run ended, or three zeros: degenerate.
    assert ("degenerate_loss" in ids(detectors.detect_log(log_of(values), thresholds))) is fires


@pytest.mark.parametrize("ratio, fires", [(0.89, True), (0.91, False)])
def test_eval_below_train_is_a_note_past_10_percent(ratio, fires, thresholds):
    train = [1.0] * 100
    f = detectors.detect_log(log_of(train, [ratio] * 10, eval_step=100), thresholds)
    got = [x for x in f if x.id == "eval_below_train"]
    assert bool(got) is fires
    if fires:
        assert got[0].severity == "info"


# --------------------------------------------------------------------------- settings: learning rate and epochs
@pytest.mark.parametrize("lr, method, expect", [
    (1.01e-4, "lora", "warning"), (0.99e-4, "lora", None), (1.01e-3, "lora", "error"), (0.99e-3, "lora", "warning"),
    (2.02e-5, "full", "warning"), (1.98e-5, "full", None), (2.02e-4, "full", "error"), (1.98e-4, "full", "warning"),
])
def test_lr_ceilings_and_the_10x_error(lr, method, expect, thresholds):
    f = detectors.detect_settings(None, lr=lr, epochs=None, method=method, th=thresholds)
    assert [x.severity for x in f if x.id == "lr_high_for_method"] == ([expect] if expect else [])


@pytest.mark.parametrize("last_epoch, fires", [(3.0, False), (3.02, True)])
def test_many_epochs_from_the_log_counts_started_epochs(last_epoch, fires, thresholds):
    log = log_of(falling(40))
    log.max_epoch = last_epoch
    f = detectors.detect_settings(log, lr=None, epochs=None, method=None, th=thresholds)
    assert ("many_epochs" in ids(f)) is fires


def test_lr_above_range_is_a_note_when_the_curves_are_calm(thresholds):
    calm = log_of(falling(40), [1.5, 1.3, 1.2, 1.1], eval_step=100)
    found = detectors.detect_log(calm, thresholds)
    f = detectors.detect_settings(calm, lr=2e-4, epochs=None, method=None, th=thresholds, log_findings=found)
    assert [x.severity for x in f if x.id == "lr_high_for_method"] == ["info"]
    train = falling(60) + [1.0] * 20 + [1.0 + 0.5 * (i + 1) / 20 for i in range(20)] + [1.5] * 20
    wild = log_of(train)
    found = detectors.detect_log(wild, thresholds)
    assert "loss_divergence" in ids(found)
    f = detectors.detect_settings(wild, lr=2e-4, epochs=None, method=None, th=thresholds, log_findings=found)
    assert [x.severity for x in f if x.id == "lr_high_for_method"] == ["warning"]


# --------------------------------------------------------------------------- dataset counts
def _chat(q: str, a: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})


def _unique(i: int) -> tuple[str, str]:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    q = " ".join(f"{words[(i * 7 + j * 3) % 10]}{(i * 31 + j) % 997}" for j in range(12))
    a = " ".join(f"{words[(i * 3 + j) % 10]}x{(i * 17 + j * 5) % 991}" for j in range(10))
    return f"question {i}: {q}", f"answer {i}: {a}"


def _write(path, rows):
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_leakage_count_beyond_the_listed_examples_is_exact(tmp_path, thresholds):
    train = [_chat(*_unique(i)) for i in range(300)]
    leaked = [3 * i for i in range(13)]  # 13 leaks: more than the 10 examples a finding lists
    evals = [_chat(*_unique(1000 + i)) for i in range(87)] + [_chat(*_unique(i)) for i in leaked]
    f, stats = data_mod.check_datasets(_write(tmp_path / "t.jsonl", train), _write(tmp_path / "e.jsonl", evals),
                                       thresholds)
    leak = next(x for x in f if x.id == "train_eval_leakage")
    assert leak.evidence["exact"] + leak.evidence["near"] == 13
    assert leak.evidence["exact"] == 13
    assert stats["eval"]["leakage"] == {"exact": 13, "near": 0}
    assert leak.severity == "error"  # 13 of 100 is past 5%


@pytest.mark.parametrize("leaks, severity", [(5, "error"), (4, "warning")])
def test_leakage_is_an_error_from_5_percent(leaks, severity, tmp_path, thresholds):
    train = [_chat(*_unique(i)) for i in range(250)]
    evals = [_chat(*_unique(1000 + i)) for i in range(100 - leaks)] + [_chat(*_unique(i)) for i in range(leaks)]
    f, _ = data_mod.check_datasets(_write(tmp_path / "t.jsonl", train), _write(tmp_path / "e.jsonl", evals), thresholds)
    assert next(x for x in f if x.id == "train_eval_leakage").severity == severity


@pytest.mark.parametrize("n, severity", [(199, "warning"), (200, None), (49, "error"), (50, "warning")])
def test_too_few_examples_at_200_and_50(n, severity, tmp_path, thresholds):
    f, _ = data_mod.check_datasets(_write(tmp_path / "t.jsonl", [_chat(*_unique(i)) for i in range(n)]), None,
                                   thresholds)
    assert [x.severity for x in f if x.id == "too_few_examples"] == ([severity] if severity else [])


@pytest.mark.parametrize("n, fires", [(49, True), (50, False)])
def test_eval_too_small_under_50(n, fires, tmp_path, thresholds):
    f, _ = data_mod.check_datasets(None, _write(tmp_path / "e.jsonl", [_chat(*_unique(i)) for i in range(n)]),
                                   thresholds)
    assert ("eval_too_small" in ids(f)) is fires


@pytest.mark.parametrize("empties, severity", [(11, "error"), (10, "warning")])
def test_empty_outputs_are_an_error_above_5_percent(empties, severity, tmp_path, thresholds):
    rows = [_chat(*_unique(i)) for i in range(200 - empties)] + [_chat(_unique(500 + i)[0], "") for i in range(empties)]
    f, _ = data_mod.check_datasets(_write(tmp_path / "t.jsonl", rows), None, thresholds)
    got = next(x for x in f if x.id == "empty_output")
    assert got.severity == severity and got.evidence["count"] == empties


@pytest.mark.parametrize("conflicts, severity", [(4, "error"), (3, "warning")])
def test_conflicting_labels_are_an_error_from_2_percent(conflicts, severity, tmp_path, thresholds):
    rows = [_chat(*_unique(i)) for i in range(200 - conflicts)]
    rows += [_chat(_unique(i)[0], _unique(700 + i)[1]) for i in range(conflicts)]  # same question, other answer
    f, _ = data_mod.check_datasets(_write(tmp_path / "t.jsonl", rows), None, thresholds)
    got = next(x for x in f if x.id == "conflicting_labels")
    assert got.evidence["count"] == conflicts and got.severity == severity
