"""Healthy runs shaped like public ones, and LLaMA-Factory's trainer_log.jsonl, read as their trainers wrote them.

Expectations come from the fixture generator's manifest (what was planted) and from
what an engineer would conclude looking at the curves, never from running the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.core.triage import run_triage
from advisor.core.triage.logs import read_log

FORMATS = Path(__file__).resolve().parent.parent / "data" / "triage" / "formats"


@pytest.fixture(scope="module")
def fm() -> dict:
    return json.loads((FORMATS / "manifest.json").read_text())


def report(**kw) -> dict:
    return json.loads(json.dumps(run_triage(**kw).to_contract(), allow_nan=False))


def fids(r: dict) -> dict:
    return {f["id"]: f for f in r["findings"]}


def test_start_of_training_and_warmup_are_not_instability(fm):
    r = report(log=FORMATS / "hf_warmup_lr" / "trainer_state.json")
    f = fids(r)
    assert "loss_spike" not in f  # step 1 at 14.8 is where learning starts
    assert "grad_norm_spike" not in f  # steps 1 and 5 are inside the 30-step warm-up
    # 2e-4 with no --method: above the LoRA rule of thumb, but the curves are calm, so a note.
    assert f["lr_high_for_method"]["severity"] == "info"
    assert f["lr_high_for_method"]["basis"] == "rule_of_thumb"
    assert r["causes"][0]["id"] != "learning_rate_too_high"
    lr_cause = next(c for c in r["causes"] if c["id"] == "learning_rate_too_high")
    assert lr_cause["confidence"] < 0.2
    assert r["best_checkpoint"]["step"] == fm["hf_warmup_lr"]["best_step"]


def test_perplexity_follows_the_eval_loss(fm):
    m = fm["hf_ppl_wobble"]
    assert m["eval_rise_pct"] < 2 and m["ppl_rise_pct"] > 3  # the planted wobble: small in loss, big in exp(loss)
    r = report(log=FORMATS / "hf_ppl_wobble" / "trainer_state.json")
    assert "eval_metric_worsening" not in fids(r) and "eval_loss_rising" not in fids(r)
    assert r["causes"][0]["id"] not in ("overtraining", "overfitting") or r["causes"][0]["confidence"] < 0.25


def test_eval_below_train_alone_is_a_note():
    r = report(log=FORMATS / "hf_speech" / "trainer_state.json")
    f = fids(r)
    assert f["eval_below_train"]["severity"] == "info"
    assert r["causes"][0]["id"] != "eval_not_representative"
    # four epochs with an eval loss that never rose: the epoch rule of thumb is a note as well.
    assert f["many_epochs"]["severity"] == "info"


def test_a_lone_zero_loss_is_degenerate(fm):
    r = report(log=FORMATS / "hf_single_zero" / "trainer_state.json")
    assert fids(r)["degenerate_loss"]["severity"] == "error"


def test_no_report_advises_both_training_longer_and_shorter():
    from tests.triage.conftest import LOGS

    for kw in ({"log": FORMATS / "hf_warmup_lr" / "trainer_state.json", "symptom": "good_early_worse_later",
                "epochs": 6},
               {"log": FORMATS / "llamafactory" / "trainer_log.jsonl", "symptom": "good_early_worse_later"},
               {"log": LOGS / "hf_overfit" / "trainer_state.json"}):
        r = report(**kw)
        top = [c["id"] for c in r["causes"][:3]]
        more = any("more steps may help" in f["detail"] for f in r["findings"])
        assert not (more and "overtraining" in top), (kw, top)


def test_every_cause_names_what_it_rests_on():
    r = report(log=FORMATS / "hf_warmup_lr" / "trainer_state.json", symptom="incoherent_outputs")
    allowed = {"curves", "data", "probe", "symptom", "rule_of_thumb", "prior"}
    for c in r["causes"]:
        assert c["rests_on"] and set(c["rests_on"]) <= allowed
    lr = next(c for c in r["causes"] if c["id"] == "learning_rate_too_high")
    assert lr["rests_on"][0] == "symptom"


# --------------------------------------------------------------------------- LLaMA-Factory
def test_llamafactory_steps_are_current_steps_and_repeats_are_dropped(fm):
    m = fm["llamafactory"]
    path = FORMATS / "llamafactory" / "trainer_log.jsonl"
    log = read_log(path)
    assert log.format == "llamafactory_jsonl"
    assert len(log.train_loss.points) == m["train_points"]
    assert len(log.eval_loss["eval"].points) == m["eval_points"]
    assert log.train_loss.points[-1].step == m["total_steps"]
    assert log.learning_rate.points  # 'lr', not 'learning_rate'
    assert any("repeated" in n and str(m["repeated_lines"]) in n for n in log.notes)
    assert log.eval_loss["eval"].points[0].line == m["first_eval_line"]
    r = report(log=path)
    assert r["best_checkpoint"]["step"] == m["best_step"] and r["best_checkpoint"]["eval_loss"] == m["best_eval_loss"]


def test_llamafactory_dropped_zero_loss_is_degenerate(fm):
    log = read_log(FORMATS / "llamafactory_zero" / "trainer_log.jsonl")
    assert [p.value for p in log.train_loss.points] == [0.0] * fm["llamafactory_zero"]["train_points"]
    r = report(log=FORMATS / "llamafactory_zero" / "trainer_log.jsonl")
    assert fids(r)["degenerate_loss"]["evidence"]["first_zero_step"] == fm["llamafactory_zero"]["first_zero_step"]


def test_llamafactory_restart_keeps_the_last_run(fm):
    m = fm["llamafactory_restart"]
    log = read_log(FORMATS / "llamafactory_restart" / "trainer_log.jsonl")
    assert len(log.train_loss.points) == m["train_points"]
    assert log.train_loss.points[0].line == m["first_kept_line"]
    assert log.train_loss.points[0].value == m["first_kept_loss"]
    assert any("restarted" in n for n in log.notes)
