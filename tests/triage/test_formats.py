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
        if f.id in ("wandb_summary", "together_events"):  # refused on purpose: no curve in them
            with pytest.raises(UserError) as e:
                read_log(path)
            assert ("files/output.log" if f.id == "wandb_summary" else "list-metrics") in str(e.value)
            assert str(path) in str(e.value)
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
    monkeypatch.setattr("advisor.core.triage.logs.stream.BATCH_CHUNK", 97)
    streamed = read_log(path)
    for a, b in ((whole.train_loss, streamed.train_loss), (whole.grad_norm, streamed.grad_norm),
                 (whole.eval_loss["eval"], streamed.eval_loss["eval"])):
        assert [(p.step, p.line) for p in a.points] == [(p.step, p.line) for p in b.points]
        assert [repr(p.value) for p in a.points] == [repr(p.value) for p in b.points]  # NaN/Infinity kept
    broken = ROOT / "tests" / "data" / "triage" / "broken" / "trainer_state_malformed.json"
    with pytest.raises(UserError) as e:
        read_log(broken)
    assert str(e.value) == f"{broken}:5:5: malformed JSON: Expecting ',' delimiter"


def _everything(log) -> str:
    """All a log holds, as text (points with their lines and epochs, names, notes)."""
    d = {k: getattr(log, k) for k in ("format", "max_epoch", "last_line", "steps_are_events", "notes", "x_label")}
    for name in ("train_loss", "grad_norm", "learning_rate"):
        d[name] = list(getattr(log, name).points)
    d["eval"] = {k: (s.name, list(s.points)) for k, s in log.eval_loss.items()}
    d["metrics"] = {k: (s.name, s.higher_is_better, list(s.points)) for k, s in log.metrics.items()}
    return repr(d)


STATE_FILES = sorted(p for p in (ROOT / "tests" / "data").rglob("*.json")
                     if '"log_history"' in p.read_text(encoding="utf-8", errors="replace"))


@pytest.mark.parametrize("path", STATE_FILES, ids=lambda p: str(p.relative_to(ROOT / "tests" / "data")))
@pytest.mark.parametrize("chunk", [97, 4 << 20])
def test_columns_streamed_in_batches_hold_what_the_whole_parse_holds(path, chunk, monkeypatch):
    """Every state file the tests carry, read both ways: the same points, lines, epochs, sets, notes and errors."""
    from advisor.core.triage.logs import readers

    def read():
        try:
            return _everything(read_log(path))
        except UserError as e:
            return f"error: {e}"

    whole = read()
    monkeypatch.setattr(readers, "WHOLE_FILE_LIMIT", -1)
    monkeypatch.setattr("advisor.core.triage.logs.stream.BATCH_CHUNK", chunk)
    assert read() == whole


def _state(entries: list, indent) -> str:
    return json.dumps({"global_step": 9, "log_history": entries}, indent=indent)


@pytest.mark.parametrize("indent", [2, None, 4])
def test_a_state_file_laid_out_otherwise_streams_to_the_same_points(indent, tmp_path, monkeypatch):
    """The batches rely on the Trainer's indent=2 layout; a compact or 4-space file is read entry by entry."""
    from advisor.core.triage.logs import readers

    entries = [{"epoch": i / 10, "grad_norm": 1.0 + i, "learning_rate": 1e-5, "loss": 2.0 - i / 10, "step": i}
               for i in range(1, 8)] + [{"epoch": 0.7, "eval_loss": 1.5, "step": 7}]
    f = tmp_path / "trainer_state.json"
    f.write_text(_state(entries, indent))
    whole = _everything(read_log(f))
    monkeypatch.setattr(readers, "WHOLE_FILE_LIMIT", -1)
    monkeypatch.setattr("advisor.core.triage.logs.stream.BATCH_CHUNK", 64)
    assert _everything(read_log(f)) == whole
    log = read_log(f)
    assert [p.value for p in log.train_loss.points] == [2.0 - i / 10 for i in range(1, 8)]
    assert log.eval_loss["eval"].points[0].step == 7


@pytest.mark.parametrize("bad, message, back", [('"loss": 1.0,,', "Expecting property name enclosed in double quotes", 0),
                                                ('"loss": true,', "key 'loss': expected a number (got True)", 1)])
def test_a_bad_entry_among_many_streamed_is_named_by_its_line(bad, message, back, tmp_path, monkeypatch):
    """A batch that does not decode falls back to entry by entry, which names the line of the syntax error;
    a value of the wrong type names its key and its entry's first line, as the whole-file parse does."""
    from advisor.core.triage.logs import readers

    entries = [{"loss": 2.0, "step": i} for i in range(1, 300)]
    text = _state(entries, 2)
    lines = text.split("\n")
    target = next(i for i, ln in enumerate(lines) if ln.strip() == '"step": 200')
    lines[target - 1] = lines[target - 1].replace('"loss": 2.0,', bad)
    f = tmp_path / "trainer_state.json"
    f.write_text("\n".join(lines))
    monkeypatch.setattr(readers, "WHOLE_FILE_LIMIT", -1)
    with pytest.raises(UserError) as e:
        read_log(f)
    assert e.value.line == target - back, str(e.value)
    assert message in str(e.value)
    monkeypatch.setattr(readers, "WHOLE_FILE_LIMIT", 1 << 30)
    with pytest.raises(UserError) as whole:
        read_log(f)
    assert (whole.value.line, whole.value.message) == (e.value.line, e.value.message)


def test_bedrock_steps_from_zero_restarting_each_epoch_become_one_count(fm):
    """step_number counts from 0 and restarts each epoch: epoch 2's step 0 follows epoch 1's last, no collision."""
    log = read_log(FORMATS_DIR / "bedrock" / "validation_metrics.csv")
    m = fm["bedrock"]
    assert [p.step for p in log.train_loss.points] == list(range(m["train_points"]))
    assert [p.step for p in log.eval_loss["eval"].points] == m["eval_steps"]
    assert "perplexity" not in " ".join(log.metrics)  # exp(loss): not a second verdict


def test_together_list_metrics_json(fm):
    """Training and eval objects share train/global_step: the eval object is an eval point, not a training step."""
    m = fm["together"]
    path = FORMATS_DIR / "together" / "metrics.json"
    log = read_log(path)
    assert log.format == "together_metrics"
    assert len(log.train_loss.points) == m["train_points"] and len(log.eval_loss["eval"].points) == m["eval_points"]
    assert [p.step for p in log.train_loss.points] == list(range(1, m["train_points"] + 1))
    assert log.grad_norm.points and log.learning_rate.points and log.max_epoch == 3.0
    b = best(path)
    assert b["step"] == m["best_step"] and b["where"].endswith(f"metrics.json:{m['best_line']} (step {m['best_step']})")


def test_together_api_body_and_a_bad_object_named_by_line(tmp_path, fm):
    """The API's {"metrics": [...]} body reads the same; an object without train/global_step is exit 2 with its line."""
    rows = json.loads((FORMATS_DIR / "together" / "metrics.json").read_text())
    body = tmp_path / "metrics.json"
    body.write_text(json.dumps({"metrics": rows}, indent=2))
    log = read_log(body)
    assert log.format == "together_metrics" and len(log.eval_loss["eval"].points) == fm["together"]["eval_points"]
    lines = body.read_text().split("\n")
    assert lines[log.eval_loss["eval"].points[0].line - 1].strip() == "{"
    rows[5].pop("train/global_step")
    body.write_text(json.dumps({"metrics": rows}, indent=2))
    with pytest.raises(UserError) as e:
        read_log(body)
    assert e.value.key == "metrics[5]" and "train/global_step" in e.value.message
    assert body.read_text().split("\n")[e.value.line - 1].strip() == "{"


def test_together_event_log_is_refused_with_what_to_give():
    path = FORMATS_DIR / "together" / "events.json"
    with pytest.raises(UserError) as e:
        read_log(path)
    assert "list-metrics" in str(e.value) and str(path) in str(e.value)
