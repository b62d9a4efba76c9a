"""Detectors on each failure shape, and their robustness to noise."""

from __future__ import annotations

import math
import random

import pytest

from advisor.core.triage import detectors
from advisor.core.triage.logs import Point, Series, TrainingLog, read_log
from tests.triage.conftest import LOGS


def ids(findings) -> list[str]:
    return [f.id for f in findings]


def by_id(findings, fid):
    got = [f for f in findings if f.id == fid]
    assert got, f"no {fid} in {ids(findings)}"
    return got[0]


def synthetic(train, evals, *, step=10) -> TrainingLog:
    log = TrainingLog(file="synthetic.jsonl", format="jsonl")
    log.train_loss = Series("train_loss", [Point((i + 1) * step, v, i + 2) for i, v in enumerate(train)])
    if evals is not None:
        k = max(1, len(train) // len(evals))
        log.eval_loss["eval"] = Series("eval_loss", [Point((i + 1) * k * step, v, None) for i, v in enumerate(evals)])
    return log


def test_healthy_run_has_no_problem_findings(thresholds):
    f = detectors.detect_log(read_log(LOGS / "hf_healthy" / "trainer_state.json"), thresholds)
    bad = [x for x in f if x.severity != "info"]
    assert bad == []


def test_overfitting_reports_best_step_onset_rise_and_train_trend(thresholds, manifest):
    m = manifest["logs"]["hf_overfit"]
    log = read_log(LOGS / "hf_overfit" / "trainer_state.json")
    f = by_id(detectors.detect_log(log, thresholds), "eval_loss_rising")
    ev = f.evidence
    # The fixture's eval loss bottoms at step 300 (smoothing may place the minimum one eval earlier).
    assert abs(ev["best_step"] - m["best_step"]) <= 50
    assert ev["onset_step"] > ev["best_step"]
    assert ev["final_eval_loss"] == m["final_eval_loss"]
    # The rise is measured between smoothed levels, so it is a conservative share of the raw rise.
    assert 0.6 * m["rise_pct"] <= ev["rise_pct"] <= m["rise_pct"]
    assert ev["train_kept_falling"] is True
    assert f.severity == "error"
    assert f.where.startswith(f"{LOGS / 'hf_overfit' / 'trainer_state.json'}:")
    assert detectors.best_checkpoint(log).step == m["best_step"]
    assert detectors.best_checkpoint(log).eval_loss == m["best_eval_loss"]
    assert "eval_metric_worsening" in ids(detectors.detect_log(log, thresholds))


def test_multi_eval_only_the_rising_set_is_flagged(thresholds, manifest):
    m = manifest["logs"]["hf_multi_eval"]
    f = detectors.detect_log(read_log(LOGS / "hf_multi_eval" / "trainer_state.json"), thresholds)
    rising = [x.evidence["eval_set"] for x in f if x.id == "eval_loss_rising"]
    assert rising == [m["rising_set"]]
    wer = [x for x in f if x.id == "eval_metric_worsening"]
    assert wer and wer[0].evidence["metric"] == m["wer_metric"] and wer[0].evidence["higher_is_better"] is False


def test_nan_run(thresholds, manifest):
    m = manifest["logs"]["hf_nan"]
    log = read_log(LOGS / "hf_nan" / "trainer_state.json")
    f = by_id(detectors.detect_log(log, thresholds), "non_finite_loss")
    assert f.severity == "error"
    # sort_keys puts "epoch" first, so the row's opening brace is two lines above its grad_norm.
    assert f.where.endswith(f":{m['grad_inf_line'] - 2} (step {m['first_bad_step']})")
    assert f.evidence["train_loss"]["first_step"] == m["nan_loss_from_step"]
    s = detectors.detect_settings(log, lr=None, epochs=None, method="lora", th=thresholds)
    assert by_id(s, "lr_high_for_method").evidence["lr"] == pytest.approx(m["lr"])


def test_divergence(thresholds, manifest):
    f = detectors.detect_log(read_log(LOGS / "hf_divergence" / "trainer_state.json"), thresholds)
    d = by_id(f, "loss_divergence")
    assert d.severity == "error"
    assert abs(d.evidence["min_step"] - manifest["logs"]["hf_divergence"]["min_step_about"]) <= 30
    assert d.evidence["final_loss"] > d.evidence["start_loss"]


def test_no_eval(thresholds):
    log = read_log(LOGS / "hf_no_eval" / "trainer_state.json")
    assert "no_eval_loss" in ids(detectors.detect_log(log, thresholds))
    assert detectors.best_checkpoint(log) is None


def test_noisy_eval_trending_down_is_not_overfitting(thresholds):
    # OpenAI's per-step valid_loss is one batch: very noisy, but trending down.
    f = detectors.detect_log(read_log(LOGS / "openai_metrics.csv"), thresholds)
    assert "eval_loss_rising" not in ids(f)


def test_rise_inside_the_noise_is_not_overfitting(thresholds):
    f = detectors.detect_log(read_log(LOGS / "noisy_eval.jsonl"), thresholds)
    assert "eval_loss_rising" not in ids(f)


@pytest.mark.parametrize("seed", range(12))
def test_synthetic_noise_robustness(seed, thresholds):
    rng = random.Random(seed)
    n = 200
    train = [1 + math.exp(-i / 40) + rng.gauss(0, 0.02) for i in range(n)]
    falling = [1.2 + 0.5 * math.exp(-i / 60) + rng.gauss(0, 0.08) for i in range(n)]
    flat = [1.2 + rng.gauss(0, 0.05) for i in range(n)]
    rising = [1.2 + 0.5 * math.exp(-i / 30) + (0.002 * (i - 80) if i > 80 else 0) + rng.gauss(0, 0.05) for i in range(n)]
    assert "eval_loss_rising" not in ids(detectors.detect_log(synthetic(train, falling, step=1), thresholds))
    assert "eval_loss_rising" not in ids(detectors.detect_log(synthetic(train, flat, step=1), thresholds))
    assert "eval_loss_rising" in ids(detectors.detect_log(synthetic(train, rising, step=1), thresholds))


def test_a_single_spike_is_not_divergence(thresholds):
    rng = random.Random(3)
    train = [1 + math.exp(-i / 30) + rng.gauss(0, 0.01) for i in range(100)]
    train[50] = 6.0
    f = detectors.detect_log(synthetic(train, None), thresholds)
    assert "loss_divergence" not in ids(f)
    spike = by_id(f, "loss_spike")
    assert spike.evidence["steps"] == [510]


def test_degenerate_zero_and_constant(thresholds, manifest):
    f = by_id(detectors.detect_log(read_log(LOGS / "zero_loss.jsonl"), thresholds), "degenerate_loss")
    assert f.evidence["kind"] == "zero"
    assert f.where == f"{LOGS / 'zero_loss.jsonl'}:{manifest['logs']['zero_loss']['first_zero_line']} (step 60)"
    f = detectors.detect_log(read_log(LOGS / "constant_loss.csv"), thresholds)
    assert by_id(f, "degenerate_loss").evidence["kind"] == "constant"
    assert "plateau" not in ids(f)


def test_eval_below_train_hint(thresholds):
    train = [2.0 - 0.005 * i for i in range(100)]
    evals = [1.2 - 0.002 * i for i in range(10)]
    f = detectors.detect_log(synthetic(train, evals), thresholds)
    assert by_id(f, "eval_below_train").evidence["median_ratio"] < 0.9


def test_plateau_and_still_improving(thresholds):
    flat_end = [1 + math.exp(-i / 10) for i in range(100)]
    assert by_id(detectors.detect_log(synthetic(flat_end, None), thresholds), "plateau").evidence["kind"] == "train"
    falling = [3 - 0.02 * i for i in range(100)]
    assert "still_improving" in ids(detectors.detect_log(synthetic(falling, None), thresholds))


@pytest.mark.parametrize("lr, method, expect", [
    (3e-4, "lora", "warning"), (5e-5, "lora", None), (5e-5, "full", "warning"), (1e-5, "full", None),
    (2e-3, "lora", "error"), (2e-4, None, "warning"),
])
def test_lr_for_method(lr, method, expect, thresholds):
    f = detectors.detect_settings(None, lr=lr, epochs=None, method=method, th=thresholds)
    got = [x.severity for x in f if x.id == "lr_high_for_method"]
    assert got == ([expect] if expect else [])
    if expect:
        assert f[0].where == "--lr"


def test_many_epochs_from_option_and_from_logs(thresholds, manifest):
    assert ids(detectors.detect_settings(None, lr=None, epochs=3, method=None, th=thresholds)) == []
    assert ids(detectors.detect_settings(None, lr=None, epochs=4, method=None, th=thresholds)) == ["many_epochs"]
    lit = read_log(LOGS / "lightning_metrics.csv")  # epochs 0..5 -> six epochs
    f = by_id(detectors.detect_settings(lit, lr=None, epochs=None, method=None, th=thresholds), "many_epochs")
    assert f.evidence["epochs"] == manifest["logs"]["lightning"]["epochs"]


def test_curves_turn_nan_into_none():
    cs = detectors.curves(read_log(LOGS / "hf_nan" / "trainer_state.json"))
    train = next(c for c in cs if c.name == "train_loss")
    assert any(v is None for _, v in train.points) and any(v is not None for _, v in train.points)
