"""Snapshot tests (pytest-textual-snapshot) of the screens a founder sees most.

The SVGs live in ``__snapshots__/`` beside this file. They must not depend on
the clock, the date or the machine: the app is built with a pinned date and a
temporary data folder, and no screen here shows an absolute path or a timestamp.
The layout target is 80x24 (every screen is taken there) and 120x40.
Regenerate after an intended change with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from .helpers import SCRIPT, answer, current_form, wait_for

# The layout target and a common larger terminal; every screen must read at both.
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_home_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size)


def test_home_screen_80x24_light_theme(snap_compare, make_app):
    assert snap_compare(make_app(), press=["ctrl+t", "down"], terminal_size=(80, 24))


@pytest.mark.parametrize("size", SIZES)
def test_a_question_with_ten_choices(snap_compare, make_app, size):
    async def first_question_answered(pilot: Pilot) -> None:
        await pilot.press("1")
        await answer(pilot, SCRIPT["task.description"])
        await current_form(pilot)  # "Which of these is closest to the job?": nine choices and I don't know
        await pilot.press("down")

    assert snap_compare(make_app(), terminal_size=size, run_before=first_question_answered)


async def _through_the_baseline(pilot: Pilot) -> None:
    await pilot.press("1")
    for _ in range(10):
        form = await current_form(pilot)
        await answer(pilot, SCRIPT[form.question.key])
    await current_form(pilot)  # knowledge.change_rate, with rules behind three levers


@pytest.mark.parametrize("size", SIZES)
def test_the_leaning_after_some_answers(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=_through_the_baseline)


def test_the_whole_leaning_panel_at_80x24(snap_compare, make_app):
    async def panel(pilot: Pilot) -> None:
        await _through_the_baseline(pilot)
        await pilot.press("ctrl+l")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=panel)


async def _show_result(pilot: Pilot, kb, **changes) -> None:
    from advisor.core.answers import Answers
    from advisor.interview.flow import Interview
    from advisor.interview.session import Session
    from advisor.tui.screens.result import ResultScreen

    from .helpers import EXPECTED_VALUES

    values = {**EXPECTED_VALUES, **changes}
    iv = Interview(kb, Answers.from_flat(values), visited=list(values), finished=True)
    pilot.app.show_result(iv, Session())
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen), "the result")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_the_result_screen(snap_compare, make_app, kb, size):
    async def show_result(pilot: Pilot) -> None:
        await _show_result(pilot, kb)

    assert snap_compare(make_app(), terminal_size=size, run_before=show_result)


@pytest.mark.parametrize("size", SIZES)
def test_the_record_dialog_with_an_earlier_record_on_the_same_job(snap_compare, make_app, kb, size):
    """The decisions folder, the next record's name, the same-job record it may supersede, the JSON box."""
    async def dialog(pilot: Pilot) -> None:
        from advisor.core.decisions import save_record
        from advisor.tui.screens.dialogs import RecordExportScreen

        from .helpers import SCRIPT

        earlier = "---\nstatus: accepted\ndate: 2026-03-01\n---\n\n# An earlier decision\n"
        save_record(earlier, description=SCRIPT["task.description"])  # docs/decisions in the test's folder
        await _show_result(pilot, kb)
        await pilot.press("m")
        screen = await wait_for(pilot, lambda: isinstance(pilot.app.screen, RecordExportScreen) and pilot.app.screen,
                                "the record dialog")
        await pilot.pause()
        screen.query_one("#record-folder").cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=dialog)


@pytest.mark.parametrize("size", SIZES)
def test_the_result_with_questions_not_asked(snap_compare, make_app, kb, size):
    """No examples and no test set: the data questions are "not asked", apart from the open questions."""
    async def show_result(pilot: Pilot) -> None:
        await _show_result(pilot, kb, **{"data.examples": 0, "data.eval_cases": 0})
        body = pilot.app.screen.query_one("#blockers")
        body.scroll_visible(animate=False, top=True)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=show_result)


@pytest.mark.parametrize("size", SIZES)
def test_help_for_the_interview(snap_compare, make_app, size):
    async def help_open(pilot: Pilot) -> None:
        from advisor.tui.screens.dialogs import HelpScreen

        await pilot.press("1")
        await current_form(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "the help")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=help_open)


@pytest.mark.parametrize("size", SIZES)
def test_the_triage_screen_after_a_run(snap_compare, make_app, size, monkeypatch):
    from tests.triage.conftest import TRIAGE

    monkeypatch.chdir(TRIAGE)  # relative paths on screen: the same on every machine

    async def triaged(pilot: Pilot) -> None:
        from advisor.tui.screens.triage import TriageScreen

        screen = TriageScreen(paths={"log": "logs/hf_overfit/trainer_state.json", "train": "datasets/small_alpaca.json"},
                              root="datasets")
        pilot.app.push_screen(screen)
        await wait_for(pilot, lambda: pilot.app.screen is screen, "the triage screen")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await screen.worker.wait()
        await wait_for(pilot, lambda: screen.report is not None, "the triage result")
        from textual.widgets import Input

        for field in screen.query(Input):  # the focused field's cursor blinks: not the same twice
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=triaged)


@pytest.mark.parametrize("size", SIZES)
def test_the_probe_screen_before_a_run(snap_compare, make_app, size):
    async def probe(pilot: Pilot) -> None:
        from advisor.tui.screens.probe import ProbeScreen

        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ProbeScreen), "the probe screen")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=probe)


def test_the_leaning_panel_at_200x60(snap_compare, make_app):
    async def a_few_answers(pilot: Pilot) -> None:
        await pilot.press("1")
        for _ in range(6):
            form = await current_form(pilot)
            await answer(pilot, SCRIPT[form.question.key])
        await current_form(pilot)

    assert snap_compare(make_app(), terminal_size=(200, 60), run_before=a_few_answers)
