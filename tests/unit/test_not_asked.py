"""A question the branching skips is "not asked": not an open question, not "don't know", not lowering confidence.

Three states of an unanswered question are kept apart everywhere they are shown:
skipped by branching ("not asked"), answered "I don't know", and not reached yet
(an interview stopped early). ``task.min_delta`` has a documented default, which
the record shows instead of "don't know".
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from advisor.core.answers import Answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from advisor.core.record import render_json, render_markdown
from tests.unit.test_seed_scenarios import SCENARIOS, load_scenario

DATE = dt.date(2026, 11, 25)

# A team with nothing to train on and no test set: the data questions after "how many examples" are skipped.
NO_DATA = {
    "task": {"description": "Route support tickets", "type": "classification", "metric_defined": True},
    "failure": {"main_cause": "task_mapping", "same_input_same_wrong_output": True},
    "data": {"examples": 0, "eval_cases": 0},
}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _row(text: str, key: str) -> str:
    """The answers-table cell for ``key``."""
    line = next(ln for ln in text.splitlines() if ln.startswith("| ") and f"(`{key}`) |" in ln)
    return line.rsplit("|", 2)[1].strip()


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n### ", start + len(heading))
    return text[start:end]


def test_skipped_questions_are_not_open_questions_and_do_not_lower_confidence(kb):
    a = decide(Answers.model_validate(NO_DATA), kb)
    skipped = {"data.quality", "data.representative", "data.synthetic_share", "data.source_diversity",
               "data.current", "data.eval_overlap_checked", "data.eval_source"}
    assert skipped <= {n.key for n in a.not_asked}
    assert not skipped & {u.key for u in a.unknowns}
    # The same answers with the skipped keys *answered* (as a file may do) give the same open-question count:
    # the skipped ones never counted.
    answered = json.loads(json.dumps(NO_DATA))
    answered["data"].update({"quality": "noisy", "representative": "no", "synthetic_share": 0.9,
                             "source_diversity": "single", "current": False, "eval_overlap_checked": False,
                             "eval_source": "synthetic"})
    b = decide(Answers.model_validate(answered), kb)
    assert len(a.unknowns) == len(b.unknowns)
    assert a.plan.confidence.unanswered == b.plan.confidence.unanswered


def test_checks_waiting_only_on_skipped_questions_say_not_asked(kb):
    a = decide(Answers.model_validate(NO_DATA), kb)
    by_id = {u.id: u for u in a.unverified}
    assert by_id["data_noisy"].not_asked and by_id["eval_synthetic"].not_asked
    assert not by_id["no_baseline"].not_asked  # baseline.prompting is asked and unanswered
    text = render_markdown(a, kb, date=DATE)
    table = _section(text, "### Fine-tuning readiness")
    noisy = next(ln for ln in table.splitlines() if ln.startswith("| Training examples are clean"))
    assert "not asked" in noisy and "`data.examples` is “0”" in noisy and "unverified" not in noisy
    baseline = next(ln for ln in table.splitlines() if ln.startswith("| An engineered prompted baseline"))
    assert "unverified (answer `baseline.prompting`)" in baseline
    data = json.loads(render_json(a))
    assert {"data.quality", "data.eval_source"} <= set(data["not_asked"])
    assert {c["id"]: c["not_asked"] for c in data["unverified_checks"]}["data_noisy"] is True


def test_the_record_shows_the_three_states_apart(kb):
    answers = Answers.model_validate(NO_DATA)
    a = decide(answers, kb)
    # The user went through task.* and failure.* and said "don't know" to baseline.prompting, then stopped.
    visited = ["task.description", "task.type", "task.metric_defined", "task.narrow_and_repeatable", "task.min_delta",
               "failure.main_cause", "failure.same_input_same_wrong_output", "baseline.prompting"]
    text = render_markdown(a, kb, date=DATE, visited=visited)
    assert _row(text, "data.quality") == "not asked"
    assert _row(text, "baseline.prompting") == "don't know"
    assert _row(text, "risk.level") == "not answered yet"
    assert _row(text, "task.narrow_and_repeatable") == "don't know"
    opened = _section(text, "### Open questions")
    assert "(`risk.level`) (not answered yet)" in opened
    assert "`data.quality`" not in opened
    skipped = _section(text, "### Not asked")
    assert "(`data.quality`): not asked because `data.examples` is “0”" in skipped
    # Without an interview (an answers file) a missing key is "don't know", as docs/formats.md section 1 says.
    plain = render_markdown(a, kb, date=DATE)
    assert _row(plain, "risk.level") == "don't know"


def test_min_delta_shows_the_default_the_plan_uses(kb):
    # docs/probe.md: the default is 0.05 (5 points) for classification, 0.10 for summarization.
    a = decide(Answers.model_validate(NO_DATA), kb)
    assert _row(render_markdown(a, kb, date=DATE), "task.min_delta") == "0.05 (5 points, default for classification tasks)"
    summ = json.loads(json.dumps(NO_DATA))
    summ["task"]["type"] = "summarization"
    s = decide(Answers.model_validate(summ), kb)
    assert _row(render_markdown(s, kb, date=DATE), "task.min_delta") == "0.1 (10 points, default for summarization tasks)"
    given = decide(Answers.model_validate(NO_DATA), kb, min_delta=0.03)
    assert "given with --min-delta" in _row(render_markdown(given, kb, date=DATE), "task.min_delta")
    # With no metric, the question is skipped; the plan still uses a default and the record says both.
    nometric = json.loads(json.dumps(NO_DATA))
    nometric["task"]["metric_defined"] = False
    n = decide(Answers.model_validate(nometric), kb)
    assert _row(render_markdown(n, kb, date=DATE), "task.min_delta").startswith("not asked; the plan uses 0.05")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_a_skipped_question_never_could_change_the_outcome(kb, path):
    """The knowledge's branching is coherent with its rules: no answer to a skipped question flips the advice.

    Were it otherwise, the record would say so under "Not asked" (``could_change``);
    this test keeps the knowledge from needing it.
    """
    _, answers = load_scenario(path)
    a = decide(answers, kb)
    assert [(n.key, n.could_change) for n in a.not_asked if n.could_change] == []


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_what_the_text_summary_leaves_out_the_record_lists(kb, path):
    """`decide --format text` shows three rules an option and six changes, then "and N more (--format md lists
    them all)": the record must list every one of them, under that option and under "What would change"."""
    from advisor.commands.decide import TEXT_COUNTERFACTUALS, TEXT_REASONS, summary_text

    _, answers = load_scenario(path)
    a = decide(answers, kb)
    text, md = summary_text(a), render_markdown(a, kb, date=DATE)
    pros_and_cons = md[md.index("## Pros and Cons of the Options"):md.index("## More Information")]
    for o in a.options:
        section = pros_and_cons.split(f"\n### {o.name}\n", 1)[1].split("\n### ", 1)[0]
        listed = [r for r in o.reasons if f"(`{r.rule}`, " in section]
        assert listed == o.reasons, f"{o.id}: the record leaves out {[r.rule for r in o.reasons if r not in listed]}"
        if len(o.reasons) > TEXT_REASONS:
            assert f"... and {len(o.reasons) - TEXT_REASONS} more rules" in text.split(f"  {o.id}\n", 1)[1]
    changes = _section(md, "### What would change this decision")
    assert all(f"* {c.text}" in changes for c in a.counterfactuals)
    if len(a.counterfactuals) > TEXT_COUNTERFACTUALS:
        assert f"... and {len(a.counterfactuals) - TEXT_COUNTERFACTUALS} more single-answer changes" in text


def test_the_text_summary_names_the_skipped_questions_apart(kb):
    from advisor.commands.decide import summary_text

    text = summary_text(decide(Answers.model_validate(NO_DATA), kb))
    unknowns = next(ln for ln in text.splitlines() if ln.startswith("unknowns: "))
    skipped = next(ln for ln in text.splitlines() if ln.startswith("not asked "))
    assert "data.quality" in skipped and "data.quality" not in unknowns
    assert "baseline.prompting" in unknowns and "baseline.prompting" not in skipped
