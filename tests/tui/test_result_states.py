"""The result screen keeps "not asked", "I don't know" and "not answered yet" apart, and every key is in the footer."""

from __future__ import annotations

from advisor.core.answers import Answers
from advisor.interview.flow import Interview
from advisor.interview.session import Session
from advisor.tui.screens.result import ResultScreen

from .helpers import EXPECTED_VALUES, painted_footer, wait_for
from .test_interview import plain


async def _result(pilot, kb, values, visited):
    iv = Interview(kb, Answers.from_flat(values), visited=visited, finished=True)
    pilot.app.show_result(iv, Session())
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen) and pilot.app.screen, "the result")


async def test_open_questions_say_which_kind_of_unanswered_they_are(make_app, kb):
    values = {**EXPECTED_VALUES, "data.examples": 0, "baseline.prompting": None, "risk.level": None}
    # The user said "I don't know" to the prompting question and never reached the risk question.
    visited = [k for k in values if k != "risk.level"]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _result(pilot, kb, values, visited)
        await pilot.pause()
        unknowns = plain(screen.query_one("#unknowns"))
        prompting, risk = kb.question("baseline.prompting").prompt, kb.question("risk.level").prompt
        assert f"{prompting} (you said you don't know)" in " ".join(unknowns.split())
        assert f"{risk} (not answered yet)" in " ".join(unknowns.split())
        quality = kb.question("data.quality").prompt
        assert quality not in unknowns, "a question the branching skips is not an open question"
        # The five asked only when there are examples (quality, representative, synthetic share, source
        # diversity, current), the tone goal (the failure is the format) and the tool-call check (no tools).
        assert "Not asked: 7 question(s)" in " ".join(unknowns.split())
        blockers = " ".join(plain(screen.query_one("#blockers")).split())
        assert "Not asked, because you answered “0” to “How many examples" in blockers
        assert "Training examples are clean and consistent" in blockers
        # An open question with no flip says what it would settle, in words.
        assert "would settle the readiness check “An engineered prompted baseline exists”" in " ".join(unknowns.split())


async def test_every_result_key_is_in_the_footer_at_80_columns(make_app, kb):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _result(pilot, kb, EXPECTED_VALUES, list(EXPECTED_VALUES))
        footer = await painted_footer(pilot, "palette")
        for key, label in (("m", "Record"), ("j", "JSON"), ("s", "Answers"), ("a", "Edit"), ("t", "Test"),
                           ("b", "Questions"), ("esc", "Home"), ("F1", "Help"), ("^p", "palette")):
            assert f"{key} {label}" in footer, f"{key} {label} is not in the footer: {footer!r}"
        assert len(screen.BINDINGS) == sum(1 for b in screen.BINDINGS if b.show), "no result key hidden"
