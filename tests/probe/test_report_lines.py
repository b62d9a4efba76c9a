"""What the reports and the progress bar say: errors of every arm, the context gain's n, messages cut at
a word, the ETA of a resumed run, and the one line about failed answers.

The reports read only the probe JSON, so these build it the way the engine does (from outcomes).
"""

from __future__ import annotations

import io

from advisor.core.probe.provenance import error_impact
from advisor.core.probe.report import Outcome, arm_block, compare, render_markdown, render_text, suite_block, suite_rows
from advisor.core.probe.runner import clip

KW = {"resamples": 500, "seed": 0}


def knowledge_report(ctx_errors_base: int, ctx_errors_cand: int, n: int = 20) -> dict:
    """A knowledge suite: closed-book all answered, some with-context answers failed."""
    ids = [f"k{i}" for i in range(n)]
    closed = {"base": [Outcome(score=0.0) for _ in ids], "candidate": [Outcome(score=0.0) for _ in ids]}
    ctx = {
        "base": [Outcome(error="InternalServerError (500): boom") if i < ctx_errors_base else Outcome(score=1.0)
                 for i in range(n)],
        "candidate": [Outcome(error="InternalServerError (500): boom") if i < ctx_errors_cand else Outcome(score=1.0)
                      for i in range(n)],
    }
    block = suite_block("knowledge", ids, closed, min_n=1, scored_by="deterministic", scorer="exact", **KW)
    block["closed_book"] = {"base": block["base"], "candidate": block["candidate"]}
    block["with_context"] = {a: arm_block(ctx[a]) for a in ("base", "candidate")}
    block["with_context"]["delta"] = compare(ctx["base"], ctx["candidate"], **KW)
    block["context_gain"] = {a: compare(closed[a], ctx[a], **KW) for a in ("base", "candidate")}
    return {"models": {"base": "b", "candidate": "c"}, "settings": {}, "suites": [block], "warnings": [],
            "cost_usd": 0.0, "run": {}}


def test_the_error_column_counts_the_with_context_arms():
    report = knowledge_report(ctx_errors_base=7, ctx_errors_cand=6)
    rows = suite_rows(report)
    # closed-book had no errors; 7 base and 6 candidate answers with context failed: 13 in all
    assert rows[0][0].startswith("knowledge") and rows[0][7] == "7/6"
    assert rows[1][0] == "knowledge (with context)" and rows[1][7] == "7/6"


def test_the_context_gain_shows_its_n_in_every_report():
    report = knowledge_report(ctx_errors_base=4, ctx_errors_cand=0)
    # the base's gain pairs only cases answered both ways: 20 - 4
    for text in (render_markdown(report), render_text(report)):
        assert "(n=16)" in text and "(n=20)" in text
    row = suite_rows(report)[1]
    assert row[1] == "16"  # the with-context comparison pairs 16 cases


def test_a_long_error_is_cut_at_a_word_not_inside_one():
    msg = ("The api_key client option must be set either by passing api_key to the client or by setting the "
           "OPENAI_API_KEY environment variable; " * 4).strip()
    out = clip(msg, 200)
    assert out.endswith(" ...") and len(out) <= 204
    kept = out[:-4].split()
    assert all(w in msg.split() for w in kept)  # every kept word is whole
    assert clip("short message") == "short message"


def test_the_eta_of_a_resumed_run_counts_only_calls_still_to_send(monkeypatch):
    import rich.console

    from advisor.commands.probe import RichProgress

    real = rich.console.Console  # the bar draws into a buffer instead of the terminal
    monkeypatch.setattr(rich.console, "Console", lambda **kw: real(file=io.StringIO(), **{
        k: v for k, v in kw.items() if k != "stderr"}))
    bar = RichProgress()
    try:
        bar.start(248, "probing")
        bar.skip(200)  # answered by the cache
        task = bar._bar.tasks[-1]
        assert task.total == 48 and task.completed == 0 and "200 from the cache" in task.description
        bar.update(12)
        assert task.remaining == 36
    finally:
        bar.stop()


def _task_report(n: int, base_right_every: int, missing: int) -> dict:
    """A task suite where the candidate is always right, the base every k-th case, the last ``missing`` failed."""
    ids = [f"t{i}" for i in range(n)]
    base = [Outcome(score=1.0 if i % base_right_every == 0 else 0.0) for i in range(n)]
    cand = [Outcome(error="APIConnectionError: refused") if i >= n - missing else Outcome(score=1.0)
            for i in range(n)]
    block = suite_block("task", ids, {"base": base, "candidate": cand}, min_n=1, scored_by="deterministic",
                        scorer="exact", **KW)
    return {"suites": [block], "settings": {"bootstrap": KW}, "run": {"unreachable": ["http://127.0.0.1:9/v1"]}}


def test_a_verdict_that_survives_the_missing_answers_stands():
    # base right on 1 in 10, candidate on all: 3 missing of 60 cannot undo a +0.9 gain
    report = _task_report(60, 10, 3)
    assert report["suites"][0]["verdict"] == "improvement"
    line = error_impact(report)
    assert line.startswith("3 of 120 answers (2%) failed") and "http://127.0.0.1:9/v1" in line
    assert "every verdict stands" in line


def test_a_verdict_the_missing_answers_could_overturn_is_named():
    # 12 answered pairs show a gain; had the 48 missing gone to the base, it would be a regression
    report = _task_report(60, 2, 48)
    assert report["suites"][0]["verdict"] == "improvement"
    line = error_impact(report)
    assert line.startswith("48 of 120 answers (40%) failed")
    assert "task (improvement) could change" in line


def test_no_line_without_failures():
    assert error_impact(_task_report(20, 2, 0)) is None
