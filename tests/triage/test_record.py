"""The decision record with a triage section, end to end: ``advisor triage --format json`` then
``advisor decide --triage``, both as real processes. Expected values come from the fixtures' manifest."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DATA
from tests.triage.conftest import DATASETS, LOGS

ANSWERS = DATA / "good" / "invoice_extractor.yaml"


@pytest.fixture(scope="module")
def triage_json(tmp_path_factory) -> tuple:
    from tests.conftest import run_cli

    out = tmp_path_factory.mktemp("record") / "triage.json"
    r = run_cli("triage", "--log", str(LOGS / "hf_overfit" / "trainer_state.json"),
                "--train", str(DATASETS / "train_chat.jsonl"), "--eval", str(DATASETS / "eval_chat.jsonl"),
                "--symptom", "good_early_worse_later", "--format", "json", "-o", str(out))
    assert r.returncode == 0, r.stderr
    return out, json.loads(out.read_text())


def _section(md: str) -> str:
    start = md.index("### Triage of the fine-tuned model")
    nxt = md.find("\n### ", start + 5)
    return md[start: nxt if nxt >= 0 else len(md)]


def test_markdown_record_has_the_triage_section_and_a_mermaid_loss_chart(cli, triage_json, manifest):
    path, _ = triage_json
    r = cli("decide", "--answers", str(ANSWERS), "--triage", str(path))
    assert r.returncode == 0, r.stderr
    sec = _section(r.stdout)
    m = manifest["logs"]["hf_overfit"]
    assert f"Best checkpoint: step {m['best_step']}" in sec

    chart = re.search(r"```mermaid\n(.*?)```", sec, re.S)
    assert chart, "no mermaid block in the triage section"
    chart = chart.group(1)
    assert chart.startswith("xychart-beta\n")
    steps = [float(x) for x in re.search(r'x-axis "step" \[(.*)\]', chart).group(1).split(", ")]
    lines = [[float(x) for x in s.split(", ")] for s in re.findall(r"^\s*line \[(.*)\]$", chart, re.M)]
    assert len(lines) == 2 and all(len(v) == len(steps) for v in lines)
    train, evl = lines
    # The eval line bottoms out at the planted best step, at the planted value, and ends at the planted final loss.
    lo = min(range(len(evl)), key=evl.__getitem__)
    assert steps[lo] == m["best_step"]
    assert evl[lo] == pytest.approx(m["best_eval_loss"], rel=1e-3)
    assert evl[-1] == pytest.approx(m["final_eval_loss"], rel=1e-3)
    assert train[-1] < train[0]  # the planted run keeps fitting the training set

    # Findings cite the planted lines.
    d = manifest["datasets"]["train_chat"]
    for line in d["format_error"]:
        assert f"train_chat.jsonl:{line} |" in sec
    assert f"train_chat.jsonl:{d['conflict'][0][0]} |" in sec
    assert f"eval_chat.jsonl:{manifest['datasets']['eval_chat']['exact'][0][0]} |" in sec
    # The causes table ranks an overfitting-family cause above the learning rate for this run.
    ranks = {cid: int(rank) for rank, cid in re.findall(r"^\| (\d+) \| [^|]*\(`(\w+)`\)", sec, re.M)}
    assert min(ranks["overfitting"], ranks["overtraining"]) < ranks["learning_rate_too_high"]


def test_json_record_embeds_the_triage_object_unchanged(cli, triage_json):
    path, data = triage_json
    r = cli("decide", "--answers", str(ANSWERS), "--triage", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["triage"] == data
    assert {"verdict", "primary", "options"} <= set(rec)


def test_a_file_that_is_not_a_triage_result_is_refused(cli, tmp_path):
    bad = tmp_path / "not_triage.json"
    bad.write_text(json.dumps({"verdict": "ready"}))
    r = cli("decide", "--answers", str(ANSWERS), "--triage", str(bad))
    assert r.returncode == 2
    assert str(bad) in r.stderr and "Traceback" not in r.stderr
