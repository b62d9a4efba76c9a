"""Nothing lost: the session file after every answer, resume, and opening a saved session."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
from pathlib import Path

from textual.widgets import Input, OptionList

from advisor.core.answers import Answers
from advisor.tui.screens.dialogs import OpenSessionScreen
from advisor.tui.screens.home import HomeScreen
from advisor.tui.screens.interview import InterviewScreen
from advisor.tui.screens.result import ResultScreen
from advisor.tui.widgets.question import ChoiceList

from .helpers import EXPECTED_VALUES, SCRIPT, answer, current_form, screen_showing, screen_text, wait_for

FIRST = [
    "task.description", "task.type", "task.metric_defined", "task.narrow_and_repeatable", "task.min_delta",
    "failure.main_cause", "failure.same_input_same_wrong_output", "baseline.prompting",
    "baseline.retrieval", "baseline.validators", "baseline.tools", "knowledge.change_rate",
    "knowledge.long_tail_facts", "data.examples",
]


def session_files(session_dir: Path) -> list[Path]:
    return sorted((session_dir / "sessions").glob("*"))


async def test_autosave_after_every_answer(make_app, kb, session_dir):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("1")
        for i, key in enumerate(FIRST):
            assert (await current_form(pilot)).question.key == key
            await answer(pilot, SCRIPT[key])
            files = session_files(session_dir)
            # One file, no temp files left behind by the atomic write.
            assert len(files) == 1 and files[0].name.startswith("session-") and files[0].suffix == ".json", files
            saved = json.loads(files[0].read_text(encoding="utf-8"))
            so_far = {k: EXPECTED_VALUES[k] for k in FIRST[: i + 1]}
            assert saved["answers"] == Answers.from_flat(so_far).to_yaml_dict()
            assert saved["visited"] == FIRST[: i + 1]
            assert saved["position"] == (FIRST[i + 1] if i + 1 < len(FIRST) else "data.quality")
            assert saved["finished"] is False
            assert set(saved) == {"format", "version", "id", "created", "updated", "position", "visited",
                                  "finished", "answers"}, "nothing else (no environment, no paths)"
        # "I don't know" is saved too: as a visited key without an answer.
        await answer(pilot, None)  # data.quality
        saved = json.loads(session_files(session_dir)[0].read_text(encoding="utf-8"))
        assert "data.quality" in saved["visited"] and "quality" not in saved["answers"]["data"]


async def test_resume_restores_position_and_answers(make_app, kb, session_dir):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("1")
        for key in FIRST[:7]:
            await answer(pilot, SCRIPT[key])
        await pilot.press("escape")  # back one: the position saved is failure.same_input_same_wrong_output
        assert (await current_form(pilot)).question.key == FIRST[6]

    # `advisor --resume`: a new process, the most recent session.
    app = make_app(resume=True)
    async with app.run_test(size=(100, 32)) as pilot:
        form = await current_form(pilot)
        assert isinstance(app.screen, InterviewScreen)
        assert form.question.key == FIRST[6]
        choices = form.query_one(ChoiceList)
        assert choices.values[choices.highlighted] is SCRIPT[FIRST[6]], "its answer is pre-selected"
        iv = app.screen.interview
        for key in FIRST[:7]:
            assert iv.value(key) == EXPECTED_VALUES[key]
        # Carry on from there, then ask for the result now: everything answered before is in it.
        for key in FIRST[6:9]:
            await answer(pilot, SCRIPT[key])
        await pilot.press("ctrl+r")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen) and app.screen, "the result")
        so_far = {k: EXPECTED_VALUES[k] for k in FIRST[:9]}
        assert screen.interview.effective_answers() == Answers.from_flat(so_far)
    assert len(session_files(session_dir)) == 1, "resumed into the same session file"
    saved = json.loads(session_files(session_dir)[0].read_text(encoding="utf-8"))
    assert saved["answers"] == Answers.from_flat(so_far).to_yaml_dict()
    assert saved["position"] == FIRST[9]


async def test_open_a_saved_session_from_home(make_app, kb, session_dir):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("1")
        for key in FIRST[:3]:
            await answer(pilot, SCRIPT[key])
    # A second, unreadable session file is listed and says why, without breaking the list.
    bad = session_dir / "sessions" / "session-broken.json"
    bad.write_text("{not json", encoding="utf-8")
    os.utime(bad, (1, 1))  # oldest

    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("4")  # "Open a saved session"
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, OpenSessionScreen) and app.screen, "the list")
        listing = dialog.query_one("#session-list", OptionList)
        assert listing.option_count == 2
        text = screen_text(app)
        assert SCRIPT["task.description"][:30] in text and "3 answers" in text
        assert "corrupt" in text
        # The broken one, chosen, shows an error and opens nothing.
        listing.highlighted = 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home again")
        await pilot.pause()
        assert any("corrupt" in n.message for n in app._notifications)
        # The good one opens on the next question with the answers kept.
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenSessionScreen), "the list")
        await pilot.press("enter")
        form = await current_form(pilot)
        assert form.question.key == FIRST[3]
        await pilot.press("escape", "escape", "escape")
        form = await current_form(pilot)
        assert form.query_one("#q-input", Input).value == SCRIPT["task.description"]


async def test_a_finished_session_resumes_on_its_result(make_app, kb, session_dir):
    from advisor.interview.session import Session, SessionStore

    session = Session(answers=Answers.from_flat(EXPECTED_VALUES).to_yaml_dict(), visited=list(EXPECTED_VALUES),
                      finished=True, position=None)
    SessionStore(session_dir).save(session)
    app = make_app(resume=True)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen) and app.screen, "the result")
        assert screen.interview.effective_answers() == Answers.from_flat(EXPECTED_VALUES)


@contextlib.contextmanager
def files_cannot_grow_past(size: int):
    """A real write failure, as on a full disk: the OS refuses (EFBIG) any file write past ``size`` bytes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error from write(), not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


async def test_a_failed_save_keeps_the_previous_file_and_the_app_running(make_app, kb, session_dir):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("1")
        await answer(pilot, SCRIPT["task.description"])
        [path] = session_files(session_dir)
        before = path.read_text(encoding="utf-8")
        with files_cannot_grow_past(len(before.encode()) // 2):  # the next save is longer than this
            await answer(pilot, SCRIPT["task.type"])
        assert isinstance(app.screen, InterviewScreen), "the interview goes on"
        assert (await current_form(pilot)).question.key == "task.metric_defined"
        assert path.read_text(encoding="utf-8") == before, "the last good save is intact"
        assert session_files(session_dir) == [path], "no temp file left behind"
        await pilot.pause()
        assert any("not being saved" in n.message for n in app._notifications)
        # The next answer saves everything again, the one that failed included.
        await answer(pilot, SCRIPT["task.metric_defined"])
        saved = json.loads(path.read_text(encoding="utf-8"))
        assert saved["answers"]["task"]["type"] == "extraction"


def test_session_times_are_local_and_readable(monkeypatch):
    """Session files keep UTC; the list shows the user's own clock, in words for recent days."""
    import datetime as _dt
    import time

    from advisor.tui.screens.dialogs import human_time

    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, no daylight saving: the shift is known
    time.tzset()
    try:
        now = _dt.datetime(2026, 3, 14, 12, 0, tzinfo=_dt.timezone.utc)  # 17:30 in Kolkata
        assert human_time("2026-03-14T08:00:00+00:00", now) == "today 13:30"
        assert human_time("2026-03-13T20:00:00+00:00", now) == "today 01:30"  # the day before in UTC
        assert human_time("2026-03-13T08:05:00+00:00", now) == "yesterday 13:35"
        assert human_time("2026-03-10T08:05:00+00:00", now) == "Tue 10 Mar 13:35"
        assert human_time("2025-12-24T23:00:00+00:00", now) == "25 Dec 2025 04:30"
        assert human_time("2026-03-14T08:00:00", now) == "today 13:30", "a stamp without a zone is UTC"
        assert human_time("not a time", now) == "not a time"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_the_session_list_shows_when_and_where_in_words(make_app, kb, session_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        for key in FIRST[:3]:
            await answer(pilot, SCRIPT[key])
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenSessionScreen), "the list")
        text = " ".join((await screen_showing(pilot, "saved ", "the list's rows")).split())
        assert "saved today " in text, text
        assert "+00:00" not in text and "T0" not in text, "no raw ISO timestamp"
        assert f"stopped at “{kb.question(FIRST[3]).prompt[:30]}" in text, text
        assert FIRST[3] not in text, "the question, not its key"
