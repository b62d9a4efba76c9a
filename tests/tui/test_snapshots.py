"""Snapshot tests (pytest-textual-snapshot) of the screens a founder sees most.

The SVGs live in ``__snapshots__/`` beside this file. They must not depend on
the clock, the date or the machine: the app is built with a pinned date and a
temporary data folder, and no screen here shows a path or a timestamp.
Regenerate after an intended change with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

from textual.pilot import Pilot

from .helpers import SCRIPT, answer, current_form, wait_for

SIZE = (100, 30)


def test_home_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE)


def test_home_screen_80x24_light_theme(snap_compare, make_app):
    assert snap_compare(make_app(), press=["ctrl+t", "down"], terminal_size=(80, 24))


def test_a_question(snap_compare, make_app):
    async def first_question_answered(pilot: Pilot) -> None:
        await pilot.press("1")
        await answer(pilot, SCRIPT["task.description"])
        await current_form(pilot)  # "Which of these is closest to the job?"
        await pilot.press("down")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=first_question_answered)


def test_the_leaning_panel_after_some_answers(snap_compare, make_app):
    async def through_the_baseline(pilot: Pilot) -> None:
        await pilot.press("1")
        for _ in range(10):
            form = await current_form(pilot)
            await answer(pilot, SCRIPT[form.question.key])
        await current_form(pilot)  # knowledge.change_rate, with blockers and rules on the right

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=through_the_baseline)


def test_the_result_screen(snap_compare, make_app, kb):
    async def show_result(pilot: Pilot) -> None:
        from advisor.core.answers import Answers
        from advisor.interview.flow import Interview
        from advisor.tui.screens.result import ResultScreen
        from advisor.interview.session import Session

        from .helpers import EXPECTED_VALUES

        iv = Interview(kb, Answers.from_flat(EXPECTED_VALUES), visited=list(EXPECTED_VALUES), finished=True)
        pilot.app.show_result(iv, Session())
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen), "the result")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 40), run_before=show_result)


def test_the_leaning_panel_at_200x60(snap_compare, make_app):
    async def a_few_answers(pilot: Pilot) -> None:
        await pilot.press("1")
        for _ in range(6):
            form = await current_form(pilot)
            await answer(pilot, SCRIPT[form.question.key])
        await current_form(pilot)

    assert snap_compare(make_app(), terminal_size=(200, 60), run_before=a_few_answers)
