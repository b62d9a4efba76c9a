"""run_triage end to end: the docs/formats.md section 3 JSON, probe findings, and the record's markdown."""

from __future__ import annotations

import json
import re

import pytest

from advisor.core.triage import record_section, render_markdown, run_triage
from advisor.errors import UserError
from tests.triage.conftest import DATASETS, LOGS, PROBES

CAUSES = {"catastrophic_forgetting", "data_quality", "overfitting", "learning_rate_too_high", "overtraining",
          "data_too_small", "distribution_mismatch", "eval_not_representative"}


@pytest.fixture(scope="module")
def full():
    r = run_triage(log=LOGS / "hf_overfit" / "trainer_state.json", train=DATASETS / "train_chat.jsonl",
                   eval=DATASETS / "eval_chat.jsonl", symptom="good_early_worse_later", method="lora")
    return json.loads(json.dumps(r.to_contract(), allow_nan=False))


def test_contract_shape(full, manifest):
    assert {"causes", "findings", "best_checkpoint"} <= set(full)
    assert {c["id"] for c in full["causes"]} == CAUSES
    for i, c in enumerate(full["causes"], 1):
        assert c["rank"] == i and 0 <= c["confidence"] <= 1
        assert all(isinstance(x, str) for x in c["evidence"] + c["first_checks"] + c["fixes"])
    confs = [c["confidence"] for c in full["causes"]]
    assert confs == sorted(confs, reverse=True)
    for f in full["findings"]:
        assert set(f) >= {"id", "severity", "where", "detail"} and f["severity"] in ("info", "warning", "error")
    b = full["best_checkpoint"]
    assert b["step"] == manifest["logs"]["hf_overfit"]["best_step"] and b["eval_loss"] == manifest["logs"]["hf_overfit"]["best_eval_loss"]
    assert isinstance(b["epoch"], float)
    assert full["causes"][0]["id"] in ("overtraining", "overfitting")


def test_no_eval_means_null_best_checkpoint():
    d = run_triage(log=LOGS / "hf_no_eval" / "trainer_state.json").to_contract()
    assert d["best_checkpoint"] is None


def test_nan_survives_strict_json():
    d = run_triage(log=LOGS / "hf_nan" / "trainer_state.json").to_contract()
    json.dumps(d, allow_nan=False)  # NaN points became null, NaN evidence became "NaN"
    train = next(c for c in d["curves"] if c["name"] == "train_loss")
    assert any(v is None for _, v in train["points"])


def test_probe_general_regression_supports_forgetting():
    d = run_triage(probe=PROBES / "forgetting.json").to_contract()
    f = next(x for x in d["findings"] if x["id"] == "general_capability_regression")
    assert f["severity"] == "error"
    assert d["causes"][0]["id"] == "catastrophic_forgetting"


def test_probe_task_gain_with_shift_drop_supports_overfitting():
    d = run_triage(probe=PROBES / "shift.json").to_contract()
    assert "shift_regression" in [x["id"] for x in d["findings"]]
    top = {c["id"]: c for c in d["causes"]}
    assert top["overfitting"]["confidence"] > top["data_too_small"]["confidence"]
    # general did not regress: counts against forgetting
    assert top["catastrophic_forgetting"]["evidence_against"]


@pytest.mark.parametrize("kw, msg", [
    ({}, "nothing to triage"),
    ({"symptom": "sad"}, "unknown symptom 'sad'; expected one of: worse_general_better_target"),
    ({"lr": -1.0}, "expected a learning rate > 0"),
    ({"epochs": 0.0}, "expected a number of epochs > 0"),
    ({"method": "qlora", "lr": 1e-4}, "unknown method 'qlora'"),
])
def test_bad_settings(kw, msg):
    with pytest.raises(UserError) as e:
        run_triage(**kw)
    assert msg in str(e.value)


def test_record_section_from_json_alone(full):
    md = record_section(full)
    assert md.startswith("### Triage of the fine-tuned model\n")
    assert "#### Likely causes" in md and "#### Findings" in md and "#### Loss curve" in md
    assert f"Best checkpoint: step {full['best_checkpoint']['step']}" in md
    top = full["causes"][0]
    assert f"**1. {top['title']}** (`{top['id']}`" in md
    for f in full["findings"]:
        assert f"`{f['id']}`" in md
    chart = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert chart.startswith("xychart-beta\n")
    lines = re.findall(r"^    line \[(.*)\]$", chart, re.M)
    cats = re.search(r'x-axis "step" \[(.*)\]', chart).group(1).split(", ")
    assert len(lines) == 2 and all(len(x.split(", ")) == len(cats) for x in lines)


def test_record_section_without_curves_or_findings():
    md = record_section({"causes": [], "findings": [], "best_checkpoint": None})
    assert "mermaid" not in md and "No findings." in md and "Best checkpoint: none" in md


def test_record_embeds_in_decision_record(full, tmp_path, cli):
    (tmp_path / "t.json").write_text(json.dumps(full))
    from tests.unit.test_cli import GOOD

    r = cli("decide", "--answers", str(GOOD / "invoice_extractor.yaml"), "--format", "md", "--triage", str(tmp_path / "t.json"))
    assert r.returncode == 0, r.stderr
    assert "### Triage of the fine-tuned model" in r.stdout and "xychart-beta" in r.stdout


def test_markdown_report(full):
    md = render_markdown(full)
    assert md.startswith("# Triage: fine-tuned model worse than its base") and "## Findings" in md


def test_learning_rate_from_the_log_and_divergence_rank_the_learning_rate_first(manifest):
    m = manifest["logs"]["hf_divergence"]
    d = run_triage(log=LOGS / "hf_divergence" / "trainer_state.json", method="lora").to_contract()
    lr = next(f for f in d["findings"] if f["id"] == "lr_high_for_method")
    assert lr["evidence"]["lr"] == m["lr"] and lr["evidence"]["from"] == "the log's peak learning_rate"
    assert lr["where"].startswith(str(LOGS / "hf_divergence" / "trainer_state.json") + ":")
    assert "loss_divergence" in {f["id"] for f in d["findings"]}
    assert d["causes"][0]["id"] == "learning_rate_too_high"
    # --lr wins over the log's value.
    d2 = run_triage(log=LOGS / "hf_divergence" / "trainer_state.json", method="lora", lr=5e-5).to_contract()
    assert "lr_high_for_method" not in {f["id"] for f in d2["findings"]}


def test_report_dataclasses_and_their_validators_name_the_same_fields():
    """What a triage run builds (dataclasses) and what reading a report back checks (pydantic) agree."""
    import dataclasses

    from advisor.core.triage import contract, models

    for name in ("Finding", "Cause", "BestCheckpoint", "Curve", "TriageReport"):
        assert {f.name for f in dataclasses.fields(getattr(models, name))} == set(getattr(contract, name).model_fields), name
    with pytest.raises(ValueError):
        models.Finding(id="x", severity="fatal", where="w", detail="d")
