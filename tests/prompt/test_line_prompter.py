"""`TERM=dumb`: the plain interview a line at a time, with no escape codes; the full-screen app refuses a pipe."""

from __future__ import annotations

import io
import re

from advisor.core.knowledge import cached_knowledge
from advisor.interview.flow import Interview
from advisor.prompt.interview import LinePrompter, run_interview
from tests.conftest import run_main

ESC = re.compile(r"\x1b")


def test_line_prompts_answer_the_interview_with_keys_and_write_no_escape_codes():
    kb = cached_knowledge()
    # description; task type 2 (extraction); an invalid key then 1 (metric: yes); Enter (the default, key 1);
    # a bad number then 5% for min_delta; 0 (I don't know) for the failure; then the input ends.
    typed = "Extract invoice fields\n2\nz\n1\n\nabc\n5%\n0\n"
    out = io.StringIO()
    iv = Interview(kb)
    try:
        run_interview(iv, LinePrompter(input=io.StringIO(typed), out=out))
    except KeyboardInterrupt:
        pass  # the end of input ends the interview, as ctrl+c does
    flat = iv.answers.flat()
    assert flat["task.description"] == "Extract invoice fields"
    assert flat["task.type"] == "extraction"
    assert flat["task.metric_defined"] is True and flat["task.narrow_and_repeatable"] is True
    assert flat["task.min_delta"] == 0.05
    assert flat["failure.main_cause"] is None and "failure.main_cause" in iv.visited  # "I don't know", said
    shown = out.getvalue()
    assert "'z' is not one of the keys" in shown
    assert "  0) I don't know" in shown and "  2) Pull fields out of text" in shown
    assert not ESC.search(shown)


def test_the_full_screen_app_refuses_a_pipe_and_a_dumb_terminal_with_what_works_there(tmp_path):
    r = run_main(cwd=tmp_path)  # stdout is a pipe here
    assert r.returncode == 2 and r.stdout == ""
    assert "needs an interactive terminal" in r.stderr and "advisor decide --answers FILE" in r.stderr
    r = run_main("interview", cwd=tmp_path)
    assert r.returncode == 2 and "needs an interactive terminal" in r.stderr
