"""Log readers: every format, detected from the content, with lines kept; broken logs named exactly."""

from __future__ import annotations

import json
import math

import pytest

from advisor.core.triage.logs import metric_direction, read_log
from advisor.errors import UserError
from tests.triage.conftest import BROKEN, LOGS


def _raw_trainer_state(name: str) -> dict:
    return json.loads((LOGS / name / "trainer_state.json").read_text())


def test_trainer_state_reads_log_history_with_lines():
    path = LOGS / "hf_healthy" / "trainer_state.json"
    raw = _raw_trainer_state("hf_healthy")["log_history"]
    log = read_log(path)
    assert log.format == "hf_trainer_state"
    train_rows = [r for r in raw if "loss" in r]
    eval_rows = [r for r in raw if "eval_loss" in r]
    assert len(log.train_loss.points) == len(train_rows)
    assert [p.value for p in log.eval_loss["eval"].points] == [r["eval_loss"] for r in eval_rows]
    # The summary row (train_runtime, train_loss) is not a training point.
    assert all(p.step != raw[-1]["step"] or p.value != raw[-1]["train_loss"] for p in log.train_loss.points)
    # Each point's line is the line of its log_history entry's opening brace.
    lines = path.read_text().split("\n")
    p = log.eval_loss["eval"].points[0]
    assert lines[p.line - 1].strip() == "{"
    assert f'"eval_loss": {eval_rows[0]["eval_loss"]}' in "\n".join(lines[p.line - 1: p.line + 8])
    assert log.max_epoch == 3.0
    assert log.learning_rate.points[0].value == train_rows[0]["learning_rate"]


def test_trainer_state_bare_nan_and_infinity_are_non_finite(manifest):
    text = (LOGS / "hf_nan" / "trainer_state.json").read_text()
    assert "NaN" in text and "Infinity" in text  # the fixture really has the bare tokens
    log = read_log(LOGS / "hf_nan" / "trainer_state.json")
    nan_steps = [p.step for p in log.train_loss.points if math.isnan(p.value)]
    assert nan_steps[0] == manifest["logs"]["hf_nan"]["nan_loss_from_step"]
    inf = [p for p in log.grad_norm.points if math.isinf(p.value)]
    assert inf[0].step == manifest["logs"]["hf_nan"]["first_bad_step"]


def test_trainer_state_several_eval_sets_and_metric_direction(manifest):
    log = read_log(LOGS / "hf_multi_eval" / "trainer_state.json")
    assert set(log.eval_loss) == {"squad", "chat"}
    assert manifest["logs"]["hf_multi_eval"]["wer_metric"] in log.metrics
    assert log.metrics["eval_chat_wer"].higher_is_better is False
    assert metric_direction("eval_accuracy") is True
    assert metric_direction("eval_wer") is False
    assert metric_direction("eval_rouge1") is True
    assert metric_direction("eval_mystery") is None


def test_hf_stdout_dict_lines_among_progress_bars(manifest):
    log = read_log(LOGS / "hf_stdout.log")
    m = manifest["logs"]["hf_stdout"]
    assert log.format == "hf_stdout" and log.steps_are_events
    assert len(log.train_loss.points) == m["train_rows"]
    assert [p.value for p in log.eval_loss["eval"].points] == m["eval_values"][: len(log.eval_loss["eval"].points)]
    best = min(log.eval_loss["eval"].points, key=lambda p: p.value)
    assert best.line == m["best_eval_line"]
    assert any("logging-event" in n for n in log.notes)


def test_openai_metrics_csv_with_empty_cells(manifest):
    log = read_log(LOGS / "openai_metrics.csv")
    assert log.format == "openai_csv"
    assert set(log.eval_loss) == {"valid", "full_valid"}
    assert len(log.eval_loss["valid"].points) == manifest["logs"]["openai"]["valid_points"]
    assert len(log.eval_loss["full_valid"].points) == 3
    assert log.primary_eval() is log.eval_loss["full_valid"]
    assert "full_valid_mean_token_accuracy" in log.metrics
    assert log.eval_loss["valid"].points[0].line == 6  # header is line 1; step 5 is line 6


def test_lightning_sparse_rows():
    log = read_log(LOGS / "lightning_metrics.csv")
    assert log.format == "lightning_csv"
    assert set(log.eval_loss) == {"val"}
    assert len(log.eval_loss["val"].points) == 6
    assert len(log.train_loss.points) == 30  # train_loss_step rows only, not the *_epoch rows
    assert log.metrics["val_acc"].higher_is_better is True
    assert log.learning_rate.points and log.learning_rate.points[0].value == 1e-4


def test_generic_jsonl_and_column_overrides():
    log = read_log(LOGS / "noisy_eval.jsonl")
    assert log.format == "jsonl" and len(log.train_loss.points) == 200
    with pytest.raises(UserError) as e:
        read_log(LOGS / "custom_columns.csv")
    assert "no loss column found" in str(e.value) and "--loss-col" in str(e.value)
    log = read_log(LOGS / "custom_columns.csv", step_col="iter", loss_col="trn_l", eval_col="dev_l")
    assert len(log.train_loss.points) == 60
    assert len(log.eval_loss["eval"].points) == 15
    assert log.train_loss.points[0].step == 5


def test_override_naming_a_missing_column():
    with pytest.raises(UserError) as e:
        read_log(LOGS / "custom_columns.csv", loss_col="train_loss")
    assert str(e.value).startswith(f"{LOGS / 'custom_columns.csv'}:1: --loss-col 'train_loss' is not a column of this log")
    assert "iter, trn_l, dev_l" in str(e.value)


@pytest.mark.parametrize("name, expected", [
    ("trainer_state_malformed.json", "trainer_state_malformed.json:5:5: malformed JSON: Expecting ',' delimiter"),
    ("log_history_not_list.json", "log_history_not_list.json: key 'log_history': expected 'log_history' to be a list of log rows"),
    ("metrics_bad_cell.csv", "metrics_bad_cell.csv:4: key 'loss': expected a number (got 'abc')"),
    ("no_loss_columns.csv", "no_loss_columns.csv:1: could not recognise the log format: no step or loss column in the first line (columns: when, value)"),
    ("empty.log", "empty.log: empty file, expected a training log"),
    ("plain_text.txt", "plain_text.txt:1: could not recognise the log format"),
])
def test_broken_logs_have_exact_messages(name, expected):
    with pytest.raises(UserError) as e:
        read_log(BROKEN / name)
    assert str(e.value).startswith(f"{BROKEN}/{expected}")


def test_missing_log_file():
    with pytest.raises(UserError) as e:
        read_log(LOGS / "nope.json")
    assert str(e.value) == f"{LOGS / 'nope.json'}: file not found"


def test_json_array_log_and_truncated_jsonl(tmp_path):
    arr = tmp_path / "log.json"
    arr.write_text(json.dumps([{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.5, "eval_loss": 1.7}], indent=2))
    log = read_log(arr)
    assert log.format == "json" and [p.line for p in log.train_loss.points] == [2, 6]
    cut = tmp_path / "cut.jsonl"
    cut.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "loss": 1.9}\n{"step": 3, "lo')
    log = read_log(cut)
    assert len(log.train_loss.points) == 2 and "line 3 is cut off" in log.notes[0]


def test_trainer_state_with_gaps_renamed_sets_and_bare_tokens(tmp_path):
    # Written by hand the way the Trainer writes it: bare NaN, eval rows missing for a stretch,
    # one eval set logged less often than the other, and an accuracy metric.
    rows = []
    for step in range(10, 410, 10):
        rows.append(f'{{"step": {step}, "epoch": {step / 200}, "loss": {2.0 - step / 400:.4f}, "learning_rate": 5e-05}}')
    evals = {50: 1.9, 100: 1.7, 150: 1.6, 300: 1.55, 350: 1.58, 400: 1.62}  # no eval rows at 200 and 250
    for step, v in evals.items():
        rows.append(f'{{"step": {step}, "eval_support_loss": {v}, "eval_support_accuracy": {1 - v / 4:.3f}}}')
        if step % 100 == 0:
            rows.append(f'{{"step": {step}, "eval_general_loss": {v + 0.3}}}')
    rows.append('{"step": 400, "loss": NaN, "grad_norm": Infinity}')
    path = tmp_path / "trainer_state.json"
    path.write_text('{"global_step": 400, "log_history": [\n' + ",\n".join(rows) + "\n]}")
    log = read_log(path)
    assert set(log.eval_loss) == {"support", "general"}
    assert [p.step for p in log.eval_loss["support"].points] == list(evals)
    assert [p.step for p in log.eval_loss["general"].points] == [100, 300, 400]
    assert log.metrics["eval_support_accuracy"].higher_is_better is True
    assert math.isnan(log.train_loss.points[-1].value) and math.isinf(log.grad_norm.points[-1].value)
    from advisor.core.triage.detectors import best_checkpoint

    best = best_checkpoint(log)
    assert best.step == 300 and best.eval_loss == 1.55


@pytest.mark.parametrize("name", ["noisy_eval.jsonl", "hf_stdout.log"])
def test_text_logs_report_their_reading_to_the_progress(name, monkeypatch):
    """A JSONL or Trainer-output log tells the progress how far the reading is, every character counted."""
    from advisor.core.triage.logs import base
    from advisor.core.triage.progress import SilentProgress

    monkeypatch.setattr(base, "_TICK", 7)  # several reports even on a small fixture
    path = LOGS / name
    seen = []

    class Counting(SilentProgress):
        def update(self, n: int = 1) -> None:
            seen.append(n)
            super().update(n)

    p = Counting()
    read_log(path, progress=p)
    assert p.phases == [f"reading {name}"]
    assert len(seen) > 2 and sum(seen) == p.total == len(path.read_text(encoding="utf-8")) + 1
