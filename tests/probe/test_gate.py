"""`advisor probe --plan RECORD`: a record written by `advisor decide`, run over real HTTP, judged and rewritten.

Expected verdicts follow from the server's planted behaviours (tests/probe/server.py)
and the gate's documented semantics (docs/probe.md, "The confirmation gate"):

* ``tuned`` fixes the 15 routing tickets the base gets wrong (15 wins, 0 losses
  of 60: exact p = 2 * 0.5**15) and keeps every general item: confirmed.
* ``brittle`` wins the same way on clean inputs but is wrong on every
  perturbed one: the shift guard drops far beyond its margin: refuted.
* 8 cases (2 wins): p = 0.5 and no effect below 100 points is detectable: inconclusive.
* ``base`` answers every kb question right with its context and "I don't know"
  without: a context gain of 20 of 20: confirmed for retrieval.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from advisor.cli import main
from advisor.core.confirm import read_plan
from tests.conftest import ROOT
from tests.probe.server import DATA, base_task_wrong

GOOD = ROOT / "tests" / "data" / "good"


def _record(tmp_path: Path, answers: dict, *extra: str) -> Path:
    a = tmp_path / "answers.yaml"
    a.write_text(yaml.safe_dump(answers))
    rec = tmp_path / "decision.md"
    assert main(["decide", "--answers", str(a), "-o", str(rec), "--date", "2026-01-02", *extra]) == 0
    return rec


def _fine_tune_answers() -> dict:
    return yaml.safe_load((GOOD / "invoice_extractor.yaml").read_text())


def _probe(config: Path, rec: Path, capsys, *extra: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["probe", "--config", str(config), "--plan", str(rec), "--format", "json", "-q", *extra])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip() else {}


def test_the_record_carries_a_fine_tune_plan(tmp_path):
    rec = _record(tmp_path, _fine_tune_answers())
    plan = read_plan(rec.read_text())
    assert plan.lever == "fine_tune"
    assert [(s.suite, s.role) for s in plan.suites] == [("task", "primary"), ("shift", "guard"), ("general", "guard")]
    assert plan.min_delta == 0.05 and plan.min_delta_source == "default"
    assert plan.eval_cases == 120 and plan.cases_to_add == plan.required_cases - 120 > 0
    text = rec.read_text()
    assert text.startswith("---\nstatus: proposed\n")
    assert "default for extraction tasks" in text


def test_a_tuned_candidate_is_confirmed_and_the_record_accepted(make_config, tmp_path, capsys):
    rec = _record(tmp_path, _fine_tune_answers())
    config = make_config(base="base", candidate="tuned", suites="[task]")
    code, report = _probe(config, rec, capsys)
    assert code == 0
    gate = report["gate"]
    assert gate["verdict"] == "confirmed", gate["reasons"]
    assert set(gate) >= {"verdict", "lever", "min_delta", "required_cases", "achieved_mde", "reasons"}
    assert gate["lever"] == "fine_tune" and gate["min_delta"] == 0.05
    # the plan decided the suites, not the config's [task]
    assert {s["id"] for s in report["suites"]} == {"task", "shift", "general"}
    wins = sum(base_task_wrong(i) for i in range(60))
    task = next(s for s in report["suites"] if s["id"] == "task")
    assert task["fixed"] == wins == 15 and task["broken"] == 0
    text = rec.read_text()
    assert text.startswith("---\nstatus: accepted\n")
    assert "## Confirmation result" in text and "**confirmed** on " in text
    assert "eval set sha256" in text and "`openai/tuned`" in text
    # the plan itself is kept, so the record can be run again
    assert read_plan(text).lever == "fine_tune"


def test_a_candidate_that_collapses_under_shift_is_refuted(make_config, tmp_path, capsys):
    rec = _record(tmp_path, _fine_tune_answers())
    before = rec.read_text()
    config = make_config(base="base", candidate="brittle", suites="[task]")
    code, report = _probe(config, rec, capsys, "--fail-on", "refuted")
    assert code == 1  # --fail-on refuted
    gate = report["gate"]
    assert gate["verdict"] == "refuted"
    assert any(r.startswith("shift") and "beyond the 5-point margin" in r for r in gate["reasons"])
    task = next(r for r in gate["suites"] if r["suite"] == "task")
    assert task["status"] == "passes"  # it does win on the clean inputs
    text = rec.read_text()
    assert text.startswith("---\nstatus: rejected\n")
    # everything the record said before is still there, the result section added once
    assert text.count("## Confirmation result") == 1
    for heading in ("## Context and Problem Statement", "## Decision Outcome", "### Answers used"):
        assert heading in text
    assert before.split("## Pros and Cons")[1] in text  # the rest of the record kept as written
    # running again replaces the result, it does not stack a second one
    _probe(config, rec, capsys)
    assert rec.read_text().count("## Confirmation result") == 1


def test_too_few_cases_is_inconclusive_and_says_how_many_to_add(make_config, tmp_path, capsys):
    rec = _record(tmp_path, _fine_tune_answers())
    config = make_config(base="base", candidate="tuned", suites="[task]")
    small = tmp_path / "small.jsonl"
    small.write_text("".join((DATA / "eval.jsonl").read_text().splitlines(keepends=True)[:8]))
    config.write_text(config.read_text().replace("eval_set: eval.jsonl", "eval_set: small.jsonl"))
    code, report = _probe(config, rec, capsys, "--fail-on", "inconclusive")
    assert code == 1
    gate = report["gate"]
    assert gate["verdict"] == "inconclusive"
    task = next(s for s in report["suites"] if s["id"] == "task")
    assert task["fixed"] == 2 and task["broken"] == 0 and task["p"] == 0.5  # 2 * 0.5**2
    assert gate["achieved_mde"] > gate["min_delta"]
    assert gate["cases_to_add"] == gate["required_cases"] - 8 > 0
    assert any(f"add {gate['cases_to_add']} cases" in r for r in gate["reasons"])
    assert rec.read_text().startswith("---\nstatus: proposed\n")


def test_a_retrieval_plan_with_a_clear_context_gain_is_confirmed(make_config, tmp_path, capsys):
    answers = yaml.safe_load((GOOD / "defi_apr_bot.yaml").read_text())
    rec = _record(tmp_path, answers, "--min-delta", "0.2")
    plan = read_plan(rec.read_text())
    assert plan.lever == "rag" and plan.min_delta == 0.2 and plan.min_delta_source == "user"
    config = make_config(base="base", candidate="nocontext", suites="[task]", eval_set="kb.jsonl", scorer="contains")
    code, report = _probe(config, rec, capsys, "--fail-on", "refuted", "--fail-on", "inconclusive")
    assert code == 0
    gate = report["gate"]
    assert gate["verdict"] == "confirmed", gate["reasons"]
    row = gate["suites"][0]
    assert row["suite"] == "knowledge" and row["comparison"] == "context_gain"
    assert row["delta"] == 1.0 and row["fixed"] == 20 and row["broken"] == 0
    assert rec.read_text().startswith("---\nstatus: accepted\n")


def test_fail_on_gate_needs_a_plan(make_config, capsys):
    config = make_config(base="base", candidate="tuned", suites="[task]")
    assert main(["probe", "--config", str(config), "--fail-on", "refuted", "-q"]) == 2
    assert "needs --plan" in capsys.readouterr().err


def test_a_file_without_a_plan_is_a_clear_error(make_config, tmp_path, capsys):
    config = make_config(base="base", candidate="tuned", suites="[task]")
    rec = tmp_path / "notes.md"
    rec.write_text("# just notes\n")
    assert main(["probe", "--config", str(config), "--plan", str(rec), "-q"]) == 2
    err = capsys.readouterr().err
    assert "notes.md" in err and "no confirmation plan" in err and "Traceback" not in err


def test_a_candidate_that_is_the_base_is_said_first(make_config, tmp_path, capsys):
    rec = _record(tmp_path, _fine_tune_answers())
    config = make_config(base="base", candidate="base", suites="[task]")
    code, report = _probe(config, rec, capsys)
    assert report["checks"][0]["id"] == "candidate_is_base"
    assert report["warnings"][0] == report["checks"][0]["message"]
    gate = report["gate"]
    assert gate["verdict"] != "confirmed"
    assert "adapter was probably not loaded" in gate["reasons"][0]


def test_template_tokens_in_the_answers_are_a_template_mismatch(make_config, srv):
    import asyncio

    from advisor.core.probe.config import load_config
    from advisor.core.probe.engine import run_probe

    report = asyncio.run(run_probe(load_config(make_config(base="base", candidate="templated", suites="[task]"))))
    ids = [c["id"] for c in report["checks"]]
    assert ids == ["template_mismatch"]
    chk = report["checks"][0]
    assert chk["cases"] == chk["of"] == 60 and "chat template" in chk["message"]
    assert "60 template tokens" in chk["message"]


def test_aa_sends_the_base_twice_and_reports_the_noise_floor(make_config, srv, capsys):
    config = make_config(base="base", candidate="tuned", suites="[task]")
    capsys.readouterr()
    assert main(["probe", "--config", str(config), "--aa", "--format", "json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["models"]["candidate"] == report["models"]["base"] == "openai/base"
    assert srv.server.requests["base"] == 2 * 60  # the second draw is sent, not read back from the first
    aa = report["aa"]
    assert aa["noise_floor"] == 0.0 and aa["discordance"] == 0.0  # the test server is deterministic
    assert aa["comparisons"]["task"]["n"] == 60
    assert not report["checks"]  # the candidate is the base on purpose: not a finding here


def test_decide_json_carries_the_plan_and_min_delta_from_the_answers(tmp_path, capsys):
    answers = _fine_tune_answers()
    answers["task"]["min_delta"] = 0.1
    a = tmp_path / "a.yaml"
    a.write_text(yaml.safe_dump(answers))
    capsys.readouterr()
    assert main(["decide", "--answers", str(a), "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]["confirmation"]
    assert plan["lever"] == "fine_tune" and plan["min_delta"] == 0.1 and plan["min_delta_source"] == "user"
    # Connor's formula at psi = 2 * 0.05 + 0.1 = 0.2: 154.6 -> 155
    assert plan["required_cases"] == 155 and plan["cases_to_add"] == 35
    assert main(["decide", "--answers", str(a), "--min-delta", "0"]) == 2
    assert "--min-delta" in capsys.readouterr().err
