"""Every log format in the table: read from a fixture shaped like its trainer's output, quirks included.

Counts, steps and best points come from the generator's manifest (what was
planted); the table itself is checked against docs/triage.md and ``--help``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from advisor.core.triage.logs import FORMATS, read_log
from advisor.core.triage import run_triage
from advisor.errors import UserError
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parents[2]
FORMATS_DIR = ROOT / "tests" / "data" / "triage" / "formats"
TB_FILE = FORMATS_DIR / "tensorboard" / "runs" / "Dec02_10-00-00_host" / "events.out.tfevents.1733133600.host.4242.0"


@pytest.fixture(scope="module")
def fm() -> dict:
    return json.loads((FORMATS_DIR / "manifest.json").read_text())


def best(path) -> dict:
    return run_triage(log=path).to_contract()["best_checkpoint"]


def test_every_format_has_a_fixture_it_reads_as_itself():
    for f in FORMATS:
        path = ROOT / "tests" / "data" / "triage" / f.fixture
        if f.id == "wandb_summary":  # refused on purpose: only last values
            with pytest.raises(UserError) as e:
                read_log(path)
            assert "files/output.log" in str(e.value) and str(path) in str(e.value)
            continue
        assert path.exists(), f"{f.id}: fixture {f.fixture} missing"
        got = read_log(path).format
        assert got == f.id or (f.id == "jsonl" and got in ("jsonl", "json", "csv")), (f.id, got)


def test_model_card_training_results(fm):
    m = fm["model_card"]
    log = read_log(FORMATS_DIR / "model_card" / "README.md")
    assert log.format == "hf_model_card"
    assert len(log.eval_loss["eval"].points) == m["eval_points"]
    assert len(log.train_loss.points) == m["train_points"]  # the first row's "No log" is no point, not a zero
    assert log.metrics["eval_accuracy"].higher_is_better is True
    b = best(FORMATS_DIR / "model_card" / "README.md")
    assert (b["step"], b["eval_loss"]) == (m["best_step"], m["best_eval_loss"])
    assert b["where"].endswith(f"README.md:{m['best_line']} (step {m['best_step']})")


def test_mlx_stdout(fm):
    m = fm["mlx"]
    log = read_log(FORMATS_DIR / "mlx" / "train.log")
    assert log.format == "mlx_stdout"
    assert len(log.train_loss.points) == m["train_points"]
    ev = next(iter(log.eval_loss.values()))
    assert len(ev.points) == m["eval_points"] and ev.points[0].step == m["first_eval_step"]
    assert log.learning_rate.points[0].value == m["lr"]


def test_torchtune_log(fm):
    log = read_log(FORMATS_DIR / "torchtune" / "log_1733130000.txt")
    assert log.format == "torchtune_log"
    assert len(log.train_loss.points) == fm["torchtune"]["train_points"]
    assert log.train_loss.points[0].step == fm["torchtune"]["first_step"] and log.learning_rate.points


@pytest.mark.parametrize("name", ["step_wise_training_metrics.csv", "validation_metrics.csv"])
def test_bedrock_merges_both_files_and_makes_steps_cumulative(name, fm):
    m = fm["bedrock"]
    log = read_log(FORMATS_DIR / "bedrock" / name)
    assert log.format == "bedrock_csv"
    assert len(log.train_loss.points) == m["train_points"] and len(log.eval_loss["eval"].points) == m["eval_points"]
    assert log.train_loss.points[-1].step == m["last_step"]
    steps = [p.step for p in log.train_loss.points]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert best(FORMATS_DIR / "bedrock" / name)["step"] == m["best_step"]
    assert any("cumulative" in n for n in log.notes)


def test_wandb_export_reads_one_run_and_names_the_others(fm):
    m = fm["wandb"]
    log = read_log(FORMATS_DIR / "wandb" / "export.csv")
    assert log.format == "wandb_csv" and len(log.train_loss.points) == m["train_points"]
    assert any(m["run"] in n and m["other_run"] in n for n in log.notes)


def test_wandb_run_folder_reads_the_console_output(fm):
    log = read_log(FORMATS_DIR / "wandb_run")
    assert log.format == "hf_stdout" and len(log.train_loss.points) == fm["wandb_run"]["train_points"]
    assert "files/output.log" in log.notes[0]


def test_keras_csvlogger_x_axis_is_the_epoch(fm):
    m = fm["keras"]
    log = read_log(FORMATS_DIR / "keras" / "training.csv")
    assert log.format == "keras_csv" and log.x_label == "epoch"
    assert [p.step for p in log.train_loss.points] == [float(e) for e in range(1, m["epochs"] + 1)]
    b = best(FORMATS_DIR / "keras" / "training.csv")
    assert (b["step"], b["eval_loss"]) == (m["best_epoch"], m["best_val_loss"])
    assert b["where"].endswith(f"(epoch {m['best_epoch']})")


def test_mistral_job_sorted_by_step(fm):
    log = read_log(FORMATS_DIR / "mistral" / "job.json")
    ev = log.eval_loss["valid"]
    assert [p.step for p in ev.points] == sorted(p.step for p in ev.points)
    assert len(ev.points) == fm["mistral"]["eval_points"]
    assert best(FORMATS_DIR / "mistral" / "job.json")["step"] == fm["mistral"]["best_step"]


def test_tensorboard_events(fm):
    pytest.importorskip("tensorboard", reason="the [tensorboard] extra is part of the test install")
    m = fm["tensorboard"]
    log = read_log(TB_FILE)
    assert log.format == "tensorboard"
    assert len(log.train_loss.points) == m["train_points"] and len(log.eval_loss["eval"].points) == m["eval_points"]
    assert log.learning_rate.points and log.grad_norm.points
    assert best(TB_FILE)["step"] == m["best_step"]


def test_tensorboard_without_the_extra_names_it(monkeypatch):
    # as where the extra is not installed: every tensorboard module fails to import
    for name in [n for n in sys.modules if n == "tensorboard" or n.startswith("tensorboard.")] + ["tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)
    r = run_main("triage", "--log", str(TB_FILE))
    assert r.returncode == 2, r.stderr
    assert "pip install 'advisor[tensorboard]'" in r.stderr and str(TB_FILE) in r.stderr
    assert "Traceback" not in r.stderr


def test_folder_uses_the_newest_checkpoint_and_says_why(fm):
    m = fm["hf_output"]
    log = read_log(FORMATS_DIR / "hf_output")
    assert log.train_loss.points[-1].step == m["last_step"]
    assert m["used"] in log.notes[0]
    stale = [n for n in log.notes if n.startswith(f"also found {m['stale']}")]
    assert stale and "stops earlier" in stale[0]


def test_folder_without_logs_is_exit_2(tmp_path):
    with pytest.raises(UserError) as e:
        read_log(tmp_path)
    assert "is a directory with no training log in it" in str(e.value) and "trainer_log.jsonl" in str(e.value)


def test_unsupported_file_names_the_formats_read(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("we trained for a while and it looked fine\n")
    with pytest.raises(UserError) as e:
        read_log(p)
    msg = str(e.value)
    assert str(p) in msg and "formats read are" in msg
    for f in FORMATS:
        assert f.title in msg
    b = tmp_path / "weights.bin"
    b.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UserError) as e:
        read_log(b)
    assert "formats read are" in str(e.value)


def test_docs_and_help_list_every_format():
    docs = (ROOT / "docs" / "triage.md").read_text()
    r = run_main("triage", "--help", env={"COLUMNS": "200"})
    for f in FORMATS:
        assert f.id in r.stdout, f"--help does not list {f.id}"
    from advisor.core.triage.logs.table import markdown_table

    assert markdown_table() in docs, "docs/triage.md's format table differs from the table in logs/table.py"


def test_the_stream_reads_what_the_whole_file_parse_reads(monkeypatch):
    """Big state files are read entry by entry; both paths give the same points, lines and errors."""
    from advisor.core.triage.logs import readers

    path = ROOT / "tests" / "data" / "triage" / "logs" / "hf_nan" / "trainer_state.json"
    whole = read_log(path)
    monkeypatch.setattr(readers, "WHOLE_FILE_LIMIT", 0)
    monkeypatch.setattr("advisor.core.triage.logs.stream.CHUNK", 97)  # entries cut by chunk boundaries
    streamed = read_log(path)
    for a, b in ((whole.train_loss, streamed.train_loss), (whole.grad_norm, streamed.grad_norm),
                 (whole.eval_loss["eval"], streamed.eval_loss["eval"])):
        assert [(p.step, p.line) for p in a.points] == [(p.step, p.line) for p in b.points]
        assert [repr(p.value) for p in a.points] == [repr(p.value) for p in b.points]  # NaN/Infinity kept
    broken = ROOT / "tests" / "data" / "triage" / "broken" / "trainer_state_malformed.json"
    with pytest.raises(UserError) as e:
        read_log(broken)
    assert str(e.value) == f"{broken}:5:5: malformed JSON: Expecting ',' delimiter"
