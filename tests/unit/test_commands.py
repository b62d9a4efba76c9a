"""The subcommands called in-process through ``advisor.cli.main``: exit codes, what goes to stdout and
stderr, files written; fast (no interpreter start per call) and measured by coverage directly.

The subprocess tests (tests/unit/test_cli.py) prove the same commands work as a user runs them;
these pin each command's branches. Expectations come from the contract (exit 0 ok, 1 a gate,
2 bad input with the file/key named), the knowledge files and the fixtures.
"""

from __future__ import annotations

import io
import json
import shutil

import pytest
import yaml

from advisor import __version__
from advisor.cli import main
from advisor.commands.decide import load_json_file
from advisor.core.knowledge import load_knowledge
from advisor.errors import UserError
from tests.conftest import DATA, ROOT

GOOD = DATA / "good"
TRIAGE = DATA / "triage"
OPTION_IDS = {"prompt_engineering", "rag", "tool_use", "validators", "fine_tune", "routing_guardrails"}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the parser ------------------------------------------------------------------------

def test_version_and_help_exit_0(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"advisor {__version__}"
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0
    for command in ("interview", "decide", "init", "rules", "explain", "triage", "probe"):
        assert command in out


@pytest.mark.parametrize("argv,words", [
    (["frobnicate"], ["invalid choice: 'frobnicate'", "usage: advisor"]),
    (["decide"], ["the following arguments are required: --answers"]),
    (["decide", "-a", "x.yaml", "--format", "pdf"], ["invalid choice: 'pdf'"]),
    (["triage", "--lr", "fast"], ["--lr", "invalid float value: 'fast'"]),
])
def test_usage_errors_are_exit_2_with_the_usage(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("advisor: error: ")
    for w in words:
        assert w in err


# -- decide ----------------------------------------------------------------------------

def test_decide_json_to_stdout(capsys):
    code, out, err = run(capsys, "decide", "--answers", str(GOOD / "invoice_extractor.yaml"), "--format", "json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert {o["id"] for o in data["options"]} == OPTION_IDS
    assert data["primary"] == data["options"][0]["id"]
    assert data["verdict"] in {"ready", "not_yet", "not_recommended"}


def test_decide_writes_the_record_and_says_so(capsys, tmp_path):
    out_file = tmp_path / "record.md"
    code, out, err = run(capsys, "decide", "-a", str(GOOD / "invoice_extractor.yaml"), "-o", str(out_file),
                         "--date", "2026-02-03")
    assert code == 0 and out == ""
    assert err == f"advisor: wrote {out_file}\n"
    assert "date: 2026-02-03" in out_file.read_text()


def test_decide_reads_standard_input(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO((GOOD / "invoice_extractor.yaml").read_text()))
    code, out, _ = run(capsys, "decide", "--answers", "-", "--format", "json")
    from_file = json.loads(run(capsys, "decide", "-a", str(GOOD / "invoice_extractor.yaml"), "-f", "json")[1])
    assert code == 0 and json.loads(out) == from_file


def test_decide_bad_stdin_names_stdin(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("task: [unclosed\n"))
    code, _, err = run(capsys, "decide", "--answers", "-")
    assert code == 2 and err.startswith("advisor: error: <stdin>:")


def test_decide_text_summary_lists_the_ranking(capsys, kb):
    code, out, _ = run(capsys, "decide", "-a", str(GOOD / "startup_noisy.yaml"), "--format", "text")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("primary: ") and lines[1].startswith("verdict: ")
    assert lines[2].startswith("confidence: ") and "ranking:" in lines
    ranked = [line.split()[1] for line in lines if line.startswith("  ") and len(line.split()) == 2
              and line.split()[1] in OPTION_IDS]
    assert set(ranked) == OPTION_IDS and ranked[0] == lines[0].removeprefix("primary: ")
    # the noisy startup has unanswered readiness checks: its blockers are listed with their fixes
    assert "blockers:" in lines
    blocker_ids = {b.id for b in kb.blockers}
    section = []
    for line in lines[lines.index("blockers:") + 1:]:
        if not line.startswith("  "):
            break  # the next section
        section.append(line.strip().split(":")[0])
    assert section and set(section) <= blocker_ids


def test_text_summary_shows_six_counterfactuals_and_counts_the_rest():
    from advisor.commands.decide import TEXT_COUNTERFACTUALS, summary_text
    from advisor.core.decide import Assessment

    fields = Assessment.model_fields
    if "counterfactuals" not in fields:
        pytest.skip("the assessment has no counterfactuals")
    from advisor.core.answers import load_answers
    from advisor.core.decide import decide

    a = decide(load_answers(GOOD / "startup_noisy.yaml"), load_knowledge())
    text = summary_text(a)
    shown = text.split("what would change this:\n", 1)[1].splitlines() if a.counterfactuals else []
    listed = [line for line in shown if not line.startswith("  ... and ")]
    assert len(listed) == min(TEXT_COUNTERFACTUALS, len(a.counterfactuals))
    if len(a.counterfactuals) > TEXT_COUNTERFACTUALS:
        assert f"... and {len(a.counterfactuals) - TEXT_COUNTERFACTUALS} more" in shown[-1]


@pytest.mark.parametrize("fail_on,file,code", [
    ("blockers", "startup_noisy.yaml", 1),
    ("blockers", "invoice_extractor.yaml", 0),
])
def test_decide_fail_on_is_exit_1_naming_the_condition(capsys, fail_on, file, code):
    got, _, err = run(capsys, "decide", "-a", str(GOOD / file), "-f", "text", "--fail-on", fail_on)
    assert got == code
    assert ("advisor: gate failed: " in err) == (code == 1)
    if code:
        assert "blocker(s):" in err


def test_decide_fail_on_the_verdict_it_got(capsys):
    data = json.loads(run(capsys, "decide", "-a", str(GOOD / "startup_noisy.yaml"), "-f", "json")[1])
    verdict = data["verdict"]
    others = [v for v in ("not_recommended", "not_yet") if v != verdict]
    if verdict in ("not_recommended", "not_yet"):
        code, _, err = run(capsys, "decide", "-a", str(GOOD / "startup_noisy.yaml"), "-f", "json", "--fail-on", verdict)
        assert code == 1 and f"verdict is {verdict}" in err
    for other in others:
        assert run(capsys, "decide", "-a", str(GOOD / "startup_noisy.yaml"), "-f", "json", "--fail-on", other)[0] == 0


@pytest.mark.parametrize("date", ["2026-13-01", "31/01/2026", "tomorrow"])
def test_decide_bad_date_is_exit_2(capsys, date):
    code, out, err = run(capsys, "decide", "-a", str(GOOD / "invoice_extractor.yaml"), "--date", date)
    assert code == 2 and out == ""
    assert f"--date: expected YYYY-MM-DD, got {date!r}" in err


def test_decide_missing_answers_file_names_it(capsys, tmp_path):
    missing = tmp_path / "nope.yaml"
    code, _, err = run(capsys, "decide", "-a", str(missing))
    assert code == 2 and err == f"advisor: error: {missing}: file not found\n"


# -- decide's --triage / --evidence reports ---------------------------------------------

@pytest.mark.parametrize("text,kind,message", [
    ("{not json", "triage", "malformed JSON"),
    ("[1, 2]", "triage", "expected a JSON object"),
    ('{"causes": {}}', "triage", "expected a list under 'causes'"),
    ('{"causes": [], "findings": [{"no": "id"}]}', "triage", "key 'findings[0].id': not a valid triage report"),
    ('{"causes": [], "findings": ["x"]}', "triage", "key 'findings[0]': not a valid triage report"),
    ('{"suites": [{"id": 3}]}', "probe", "key 'suites[0].id': not a valid probe report"),
    ('{"causes": [], "findings": []}', "probe", "not a probe report: expected a list under 'suites'"),
])
def test_handed_back_reports_of_the_wrong_shape_are_refused(tmp_path, text, kind, message):
    f = tmp_path / "report.json"
    f.write_text(text)
    with pytest.raises(UserError) as e:
        load_json_file(str(f), kind)
    assert message in str(e.value) and e.value.file == str(f)


def test_malformed_report_json_names_line_and_column(tmp_path):
    f = tmp_path / "t.json"
    f.write_text('{\n  "causes": [,]\n}')
    with pytest.raises(UserError) as e:
        load_json_file(str(f), "triage")
    assert (e.value.line, e.value.column) == (2, 14)


def test_decide_refuses_a_probe_report_given_as_triage(capsys, tmp_path):
    f = tmp_path / "probe.json"
    f.write_text('{"suites": [{"id": "task"}]}')
    code, out, err = run(capsys, "decide", "-a", str(GOOD / "invoice_extractor.yaml"), "--triage", str(f))
    assert code == 2 and out == ""
    assert "not a triage report" in err and "advisor triage --format json" in err


# -- init ------------------------------------------------------------------------------

def test_init_writes_a_template_that_asks_every_question(capsys, tmp_path, kb):
    target = tmp_path / "answers.yaml"
    code, out, err = run(capsys, "init", str(target))
    assert code == 0 and out == ""
    assert f"wrote {target}" in err and f"advisor decide --answers {target}" in err
    text = target.read_text()
    for q in kb.questions:
        section, _, field = q.key.partition(".")
        assert f"  # {field}: " in text, q.key
        assert q.prompt in text
    # as written (everything commented out) it is valid YAML with no answers in it
    data = yaml.safe_load(text)
    assert all(v is None for v in data.values())


def test_init_refuses_to_overwrite_unless_forced(capsys, tmp_path):
    target = tmp_path / "answers.yaml"
    target.write_text("mine: true\n")
    code, _, err = run(capsys, "init", str(target))
    assert code == 2 and "already exists; pass --force to overwrite" in err
    assert target.read_text() == "mine: true\n"
    assert run(capsys, "init", str(target), "--force")[0] == 0
    assert target.read_text() != "mine: true\n"


def test_init_dash_prints_the_template(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "init", "-")
    assert code == 0 and err == "" and out.startswith("# advisor answers file")
    assert list(tmp_path.iterdir()) == []


def test_uncommented_template_examples_are_valid_answers(tmp_path, kb):
    """Every example the template offers passes the answers schema when uncommented."""
    from advisor.commands.init import template
    from advisor.core.answers import load_answers

    lines = []
    for line in template(kb).splitlines():
        # "  # field: example" lines are the keys; the rest stay comments
        if line.startswith("  # ") and ": " in line and not line.startswith("  #  ") \
                and line[4:].split(":")[0].isidentifier():
            lines.append("  " + line[4:])
        else:
            lines.append(line)
    f = tmp_path / "a.yaml"
    f.write_text("\n".join(lines) + "\n")
    answers = load_answers(f)
    assert answers is not None


# -- rules and explain -----------------------------------------------------------------

def test_rules_check_counts_what_the_knowledge_holds(capsys, kb):
    code, out, err = run(capsys, "rules", "check")
    assert code == 0 and err == ""
    assert out.startswith(f"ok: {len(kb.rules)} rules, ")
    assert f" {len(kb.blockers)} blockers, {len(kb.options)} options, " in out
    assert f"(knowledge {kb.version})" in out


def test_rules_check_reports_each_problem_and_exits_1(capsys, tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    rules = yaml.safe_load((folder / "rules.yaml").read_text())
    rules["rules"][0]["when"] = {"key": "data.no_such_answer", "eq": 1}
    rules["rules"].append(dict(rules["rules"][1]))  # the same id twice
    (folder / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    code, out, err = run(capsys, "rules", "check", "--knowledge", str(folder))
    assert code == 1 and out == ""
    problems = [line for line in err.splitlines() if line.startswith("advisor: rules check: ")]
    assert any("data.no_such_answer" in p for p in problems)
    assert any(f"duplicate id '{rules['rules'][1]['id']}'" in p for p in problems)
    assert err.splitlines()[-1] == f"{len(problems)} problem(s) in the knowledge base"


def test_rules_list_prints_every_rule_with_its_condition_and_seed(capsys, kb):
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0
    for r in kb.rules:
        assert r.id in out and r.family in out
        assert f"when {r.when.describe()}" in out


def test_rules_list_by_family(capsys, kb):
    family = kb.rules[0].family
    code, out, _ = run(capsys, "rules", "list", "--family", family)
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert listed == [r.id for r in kb.rules if r.family == family]
    code, _, err = run(capsys, "rules", "list", "--family", "astrology")
    assert code == 2 and "no rule family 'astrology'" in err and family in err


def test_explain_a_rule_a_blocker_and_an_option(capsys, kb):
    rule, blocker, option = kb.rules[0], kb.blockers[0], kb.options[0]
    code, out, _ = run(capsys, "explain", rule.id)
    assert code == 0 and out.startswith(f"rule {rule.id}: {rule.title}\n")
    assert rule.when.describe() in out
    code, out, _ = run(capsys, "explain", blocker.id)
    assert code == 0 and out.startswith(f"blocker {blocker.id}: ")
    assert f"fails when: {blocker.when.describe()}" in out and f"fix:        {blocker.fix}" in out
    code, out, _ = run(capsys, "explain", option.id)
    assert code == 0 and out.startswith(f"option {option.id}: {option.name}\n")
    favour = [r.id for r in kb.rules if r.effects.get(option.id, 0) > 0]
    assert f"rules in favour: {', '.join(favour)}" in out


def test_explain_an_unknown_id_suggests_close_ones(capsys, kb):
    rule = kb.rules[0].id
    code, out, err = run(capsys, "explain", rule[:-1] + "x")
    assert code == 2 and out == ""
    assert "no rule" in err and "option with id" in err and f"did you mean {rule}" in err
    code, _, err = run(capsys, "explain", "zzzzzzzz")
    assert code == 2 and "see `advisor rules list`" in err


# -- triage ----------------------------------------------------------------------------

def test_triage_without_input_says_what_to_give(capsys):
    code, out, err = run(capsys, "triage")
    assert code == 2 and out == ""
    assert "nothing to triage" in err and "--log" in err


def test_triage_json_of_a_diverged_run(capsys):
    log = TRIAGE / "logs" / "hf_divergence"
    code, out, _ = run(capsys, "triage", "--log", str(next(log.glob("*.json")) if log.is_dir() else log), "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["causes"] and data["causes"][0]["rank"] == 1
    assert {f["id"] for f in data["findings"]} >= {"loss_divergence"}


def test_triage_text_and_md_to_files(capsys, tmp_path):
    for fmt in ("text", "md"):
        target = tmp_path / f"report.{fmt}"
        code, out, err = run(capsys, "triage", "--symptom", "good_early_worse_later", "--epochs", "5",
                             "-f", fmt, "-o", str(target))
        assert code == 0 and out == "" and err == f"advisor: wrote {target}\n"
        assert target.read_text().strip()


def test_triage_unreadable_log_names_the_file(capsys, tmp_path):
    bad = tmp_path / "log.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = run(capsys, "triage", "--log", str(bad))
    assert code == 2 and str(bad) in err and "Traceback" not in err


# -- probe and interview: the bad-input paths that need no model or terminal ------------

def test_probe_with_a_missing_config_names_it(capsys, tmp_path):
    missing = tmp_path / "probe.yaml"
    code, out, err = run(capsys, "probe", "--config", str(missing))
    assert code == 2 and str(missing) in err and "Traceback" not in err


def test_plain_interview_without_a_terminal_points_to_decide(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = run(capsys, "interview", "--plain")
    assert code == 2
    assert "needs an interactive terminal" in err and "advisor decide --answers FILE" in err
