"""The `advisor` CLI end to end, in subprocesses, as a user runs it."""

from __future__ import annotations

import json

import pytest
import yaml

from advisor.core.knowledge import load_knowledge

from advisor import __version__
from tests.conftest import DATA

GOOD = DATA / "good"
CONTRACT_OPTION_IDS = {"prompt_engineering", "rag", "tool_use", "validators", "fine_tune", "routing_guardrails"}


def test_version(cli):
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"advisor {__version__}"


#: Optional questions added after the fixtures in tests/data/good were written.
LATER_KEYS = {"failure.tone_goal", "baseline.tool_calls_validated", "data.current", "data.eval_source",
              "team.run_budget", "team.stacked_adapters", "team.base_model_pinned", "risk.level"}


def test_decide_json_follows_contract_section_2(cli):
    r = cli("decide", "--answers", str(GOOD / "defi_apr_bot.yaml"), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"verdict", "primary", "options", "blockers", "fine_tune_method", "unknowns", "knowledge_version"} <= set(data)
    assert data["verdict"] in {"ready", "not_yet", "not_recommended"}
    assert {o["id"] for o in data["options"]} == CONTRACT_OPTION_IDS
    # The primary lever leads; the others follow by score (a gated lever may score higher than the primary).
    assert data["primary"] == data["options"][0]["id"] == "rag"
    scores = [o["score"] for o in data["options"][1:]]
    assert scores == sorted(scores, reverse=True)
    titles = [s.title for s in load_knowledge().sources]
    for o in data["options"]:
        for reason in o["reasons"]:
            assert set(reason) >= {"rule", "text", "source"}
            # Cited by the document's title and a section, never by an internal file name.
            assert any(reason["source"].startswith(f"“{t}”, ") for t in titles), reason["source"]
            assert ".txt" not in reason["source"]
    for b in data["blockers"]:
        assert set(b) >= {"id", "text", "fix"} and b["fix"]
    assert data["fine_tune_method"] is None
    # The fixture answers every question that existed when it was written; only the later optional ones are open.
    assert set(data["unknowns"]) <= LATER_KEYS
    assert "plan" in data and data["plan"]["primary"] == "rag"


def test_decide_lists_unanswered_keys_as_unknowns(cli, tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("task:\n  type: extraction\nfailure:\n  main_cause: task_mapping\n")
    data = json.loads(cli("decide", "--answers", str(f), "--format", "json").stdout)
    assert "task.type" not in data["unknowns"] and "failure.main_cause" not in data["unknowns"]
    assert "data.examples" in data["unknowns"] and "risk.domain" in data["unknowns"]
    assert data["verdict"] != "ready"


def test_decide_writes_markdown_record_atomically(cli, tmp_path):
    out = tmp_path / "record.md"
    r = cli("decide", "--answers", str(GOOD / "invoice_extractor.yaml"), "-o", str(out), "--date", "2026-01-31")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    text = out.read_text()
    assert text.startswith("---\nstatus: proposed\ndate: 2026-01-31\n")
    assert 'Chosen option: "Fine-tuning", because' in text
    assert [p.name for p in tmp_path.iterdir()] == ["record.md"]  # no temp file left behind


def test_output_into_missing_folder_is_a_clear_error(cli, tmp_path):
    r = cli("decide", "--answers", str(GOOD / "invoice_extractor.yaml"), "-o", str(tmp_path / "no" / "r.md"))
    assert r.returncode == 2 and "folder does not exist" in r.stderr


def test_fail_on_gates_exit_1(cli):
    r = cli("decide", "--answers", str(GOOD / "startup_noisy.yaml"), "--format", "text", "--fail-on", "blockers")
    assert r.returncode == 1
    assert "gate failed" in r.stderr and "no_metric" in r.stderr
    ok = cli("decide", "--answers", str(GOOD / "invoice_extractor.yaml"), "--format", "text", "--fail-on", "blockers")
    assert ok.returncode == 0


def test_init_template_round_trips(cli, tmp_path):
    target = tmp_path / "answers.yaml"
    r = cli("init", str(target))
    assert r.returncode == 0, r.stderr
    text = target.read_text()
    # Every contract key appears, commented out, so an untouched template means "all unknown".
    data = json.loads(cli("decide", "--answers", str(target), "--format", "json").stdout)
    assert len(data["unknowns"]) == len(load_knowledge().questions)
    # Uncommenting the example values must give a valid answers file.
    uncommented = "\n".join(
        line.replace("  # ", "  ", 1) if line.startswith("  # ") and ": " in line and not line.startswith("  #  ") else line
        for line in text.splitlines()
    )
    filled = tmp_path / "filled.yaml"
    filled.write_text(uncommented)
    parsed = yaml.safe_load(uncommented)
    assert parsed["task"]["description"]
    r2 = cli("decide", "--answers", str(filled), "--format", "json")
    assert r2.returncode == 0, r2.stderr
    assert json.loads(r2.stdout)["unknowns"] == []


def test_init_refuses_to_overwrite(cli, tmp_path):
    target = tmp_path / "answers.yaml"
    target.write_text("task: {}\n")
    r = cli("init", str(target))
    assert r.returncode == 2 and "--force" in r.stderr
    assert target.read_text() == "task: {}\n"


def test_rules_check_passes_on_shipped_knowledge(cli):
    r = cli("rules", "check")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: ")


def test_rules_list_and_explain(cli):
    listed = cli("rules", "list").stdout
    assert "missing_knowledge_needs_retrieval" in listed
    r = cli("explain", "missing_knowledge_needs_retrieval")
    assert r.returncode == 0
    assert "rag +3" in r.stdout
    # Cited by title and section; internal file names never reach a user.
    assert "“Reality check: does fine-tuning always improve accuracy?”, Use a decision rule" in r.stdout
    assert ".txt" not in r.stdout and ".txt" not in listed
    miss = cli("explain", "missing_knowledge_needs_retreival")
    assert miss.returncode == 2 and "did you mean missing_knowledge_needs_retrieval" in miss.stderr


@pytest.mark.parametrize("fmt", ["md", "text"])
def test_decide_embeds_triage_and_evidence(cli, tmp_path, fmt):
    triage = {"causes": [{"id": "overfitting", "rank": 1, "confidence": 0.7, "evidence": ["eval loss rose 18% after step 300"],
                          "first_checks": [], "fixes": []}], "findings": [], "best_checkpoint": None}
    probe = {"models": {"base": "b", "candidate": "c"}, "settings": {}, "suites": [
        {"id": "general", "n": 60, "base": {"mean": 0.9, "std": 0.3, "errors": 0},
         "candidate": {"mean": 0.7, "std": 0.4, "errors": 0}, "delta": -0.2, "ci95": [-0.3, -0.1], "verdict": "regression"}],
        "cost_usd": 0.0}
    (tmp_path / "t.json").write_text(json.dumps(triage))
    (tmp_path / "p.json").write_text(json.dumps(probe))
    r = cli("decide", "--answers", str(GOOD / "invoice_extractor.yaml"), "--format", fmt,
            "--triage", str(tmp_path / "t.json"), "--evidence", str(tmp_path / "p.json"))
    assert r.returncode == 0, r.stderr
    if fmt == "md":
        assert "overfitting" in r.stdout
        assert "general" in r.stdout


def test_malformed_json_input_is_clear(cli, tmp_path):
    (tmp_path / "t.json").write_text("{\"causes\": [}\n")
    r = cli("decide", "--answers", str(GOOD / "invoice_extractor.yaml"), "--triage", str(tmp_path / "t.json"))
    assert r.returncode == 2 and "t.json:1:" in r.stderr and "malformed JSON" in r.stderr


def test_decide_reads_answers_from_stdin(cli):
    text = (GOOD / "strict_json.yaml").read_text()
    r = cli("decide", "--answers", "-", "--format", "json", input=text)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["primary"] == "validators"
    bad = cli("decide", "--answers", "-", input="failure:\n  main_cause: vibes\n")
    assert bad.returncode == 2 and "<stdin>:2:" in bad.stderr


def test_text_summary_shows_the_nearest_counterfactuals_and_counts_the_rest(cli):
    from advisor.core.answers import load_answers
    from advisor.core.decide import decide
    from advisor.core.knowledge import load_knowledge

    path = GOOD / "invoice_extractor.yaml"
    a = decide(load_answers(path), load_knowledge())
    assert len(a.counterfactuals) > 6, "scenario should have more counterfactuals than the summary shows"
    r = cli("decide", "--answers", str(path), "--format", "text")
    assert r.returncode == 0, r.stderr
    shown = [line for line in r.stdout.splitlines() if line.startswith("  If the answer to")]
    assert shown == [f"  {c.text}" for c in a.counterfactuals[:6]]
    assert f"... and {len(a.counterfactuals) - 6} more" in r.stdout


def test_rules_list_by_family_and_an_unknown_family(cli):
    from advisor.core.knowledge import load_knowledge

    kb = load_knowledge()
    want = sorted(r.id for r in kb.rules if r.family == "protocol")
    r = cli("rules", "list", "--family", "protocol")
    assert r.returncode == 0, r.stderr
    listed = sorted(line.split()[0] for line in r.stdout.splitlines() if line and not line.startswith(" "))
    assert listed == want and want
    bad = cli("rules", "list", "--family", "nope")
    assert bad.returncode == 2 and "no rule family 'nope'" in bad.stderr and "protocol" in bad.stderr
