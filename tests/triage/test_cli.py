"""`advisor triage` end to end in a subprocess: formats, -o, exit codes, messages."""

from __future__ import annotations

import json

import pytest

from tests.triage.conftest import BROKEN, DATASETS, LOGS, PROBES


def test_json_to_stdout_is_the_contract(cli, manifest):
    r = cli("triage", "--log", str(LOGS / "hf_overfit" / "trainer_state.json"), "--train", str(DATASETS / "small_alpaca.json"),
            "--symptom", "good_early_worse_later", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["best_checkpoint"]["step"] == manifest["logs"]["hf_overfit"]["best_step"]
    ids = {f["id"] for f in d["findings"]}
    assert {"eval_loss_rising", "many_epochs", "too_few_examples", "single_style"} <= ids


def test_output_file_is_written(cli, tmp_path):
    out = tmp_path / "triage.json"
    r = cli("triage", "--log", str(LOGS / "openai_metrics.csv"), "--format", "json", "-o", str(out))
    assert r.returncode == 0 and r.stdout == ""
    assert json.loads(out.read_text())["best_checkpoint"]["eval_set"] == "full_valid"
    assert not list(tmp_path.glob(".triage.json.*"))  # no temp file left behind


def test_text_report_draws_the_curves(cli):
    r = cli("triage", "--log", str(LOGS / "hf_overfit" / "trainer_state.json"))
    assert r.returncode == 0, r.stderr
    assert "loss by step" in r.stdout and "Findings" in r.stdout and "Likely causes" in r.stdout
    assert "eval_loss_rising" in r.stdout
    assert any(ch in r.stdout for ch in "⠁⠂⠄⡀⢀⣀")  # braille dots of the plotted train loss


def test_text_report_to_file(cli, tmp_path):
    out = tmp_path / "t.txt"
    r = cli("triage", "--train", str(DATASETS / "preference.jsonl"), "-o", str(out))
    assert r.returncode == 0
    assert "chosen_equals_rejected" in out.read_text()


def test_markdown(cli):
    r = cli("triage", "--log", str(LOGS / "lightning_metrics.csv"), "--format", "md")
    assert r.returncode == 0
    assert r.stdout.startswith("# Triage") and "xychart-beta" in r.stdout


def test_probe_option(cli):
    r = cli("triage", "--probe", str(PROBES / "forgetting.json"), "--format", "json")
    assert r.returncode == 0
    d = json.loads(r.stdout)
    assert d["causes"][0]["id"] == "catastrophic_forgetting"


def test_column_overrides(cli):
    r = cli("triage", "--log", str(LOGS / "custom_columns.csv"), "--step-col", "iter", "--loss-col", "trn_l",
            "--eval-col", "dev_l", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["best_checkpoint"]["step"] == 300


def test_settings_only(cli):
    r = cli("triage", "--lr", "5e-4", "--method", "lora", "--epochs", "6", "--format", "json")
    d = json.loads(r.stdout)
    assert r.returncode == 0
    assert {f["id"]: f["where"] for f in d["findings"]} == {"lr_high_for_method": "--lr", "many_epochs": "--epochs"}


def test_no_input_is_usage_error(cli):
    r = cli("triage")
    assert r.returncode == 2
    assert r.stderr.startswith("advisor: error: nothing to triage: give at least one input")
    assert "advisor triage --log trainer_state.json" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args, expected", [
    (["--log", str(BROKEN / "trainer_state_malformed.json")], f"{BROKEN / 'trainer_state_malformed.json'}:5:5: malformed JSON"),
    (["--log", str(BROKEN / "metrics_bad_cell.csv")], f"{BROKEN / 'metrics_bad_cell.csv'}:4: key 'loss': expected a number (got 'abc')"),
    (["--log", str(LOGS / "missing.json")], f"{LOGS / 'missing.json'}: file not found"),
    (["--train", str(BROKEN / "all_bad.jsonl")], f"{BROKEN / 'all_bad.jsonl'}:1: no usable example in this file"),
    (["--probe", str(BROKEN / "probe_no_suites.json")], f"{BROKEN / 'probe_no_suites.json'}: key 'suites': not a probe report: expected a list under 'suites'"),
    (["--symptom", "sad"], "argument --symptom: invalid choice: 'sad'"),
    (["--lr", "-1"], "--lr: expected a learning rate > 0 (got -1.0)"),
    (["--method", "qlora"], "argument --method: invalid choice: 'qlora'"),
    (["--lr", "fast"], "argument --lr: invalid float value: 'fast'"),
])
def test_bad_input_exits_2_with_a_message(cli, args, expected):
    r = cli("triage", *args)
    assert r.returncode == 2
    assert r.stderr.startswith(f"advisor: error: {expected}")
    assert "Traceback" not in r.stderr
