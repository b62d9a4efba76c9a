"""F1 / ? help for the screen on top, and the theme picker whose choice outlives the app."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from advisor.tui.screens.dialogs import HelpScreen
from advisor.tui.screens.home import HomeScreen
from advisor.tui.screens.interview import InterviewScreen

from .helpers import SCRIPT, answer, current_form, screen_text, wait_for


def _help_text(app) -> str:
    return " ".join(screen_text(app).split())


async def test_question_mark_opens_help_for_home_and_escape_closes_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        help_screen = await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen, "the help")
        assert help_screen.title_text == "Home"
        # What the screen is for, not only its keys ...
        assert "Triage" in help_screen.text and "saved as you go" in help_screen.text
        # ... and the keys, taken from the screen's bindings.
        keys = dict(help_screen.keys)
        assert keys["n"] == "New interview" and keys["t"] == "Theme" and keys["q"] == "Quit"
        assert "Help: Home" in _help_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home again")


async def test_f1_on_a_text_question_is_help_and_question_mark_is_typed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        form = await current_form(pilot)
        assert form.question.kind == "text"
        await pilot.press("question_mark")  # typed into the answer: a description may ask a question
        await pilot.pause()
        assert form.query_one("#q-input").value == "?"
        assert isinstance(app.screen, InterviewScreen)
        await pilot.press("f1")
        help_screen = await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen, "the help")
        assert help_screen.title_text == "Interview"
        assert "I don't know" in help_screen.text and "0" in help_screen.text
        keys = dict(help_screen.keys)
        print(keys)
        assert keys["esc"] == "Back" and "Result now" in keys.values()
        await pilot.press("f1")  # F1 again closes it
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen), "the interview again")
        assert form.query_one("#q-input").value == "?", "the answer being typed is kept"


async def test_a_picked_theme_is_remembered_in_the_config_dir(make_app, tmp_path, monkeypatch):
    config = tmp_path / "config"
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(config))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("t")  # home: the theme picker (Textual's built-in themes)
        await pilot.pause()
        for ch in "nord":
            await pilot.press(ch)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "nord", "the nord theme")
        await pilot.pause()
    saved = json.loads((config / "settings.json").read_text(encoding="utf-8"))
    assert saved == {"theme": "nord"}

    app = make_app()  # a new run of the app starts in the remembered theme
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        await pilot.press("ctrl+t")  # dark/light is a choice too
        await pilot.pause()
        assert app.theme == "textual-light"
    assert json.loads((config / "settings.json").read_text(encoding="utf-8"))["theme"] == "textual-light"


@pytest.mark.parametrize("content,expected", [
    ("{broken", "not valid JSON"),
    ('{"theme": "no-such-theme"}', "'no-such-theme' is not one this version has"),
])
async def test_a_bad_settings_file_is_reported_and_the_app_starts(make_app, tmp_path, monkeypatch, content, expected):
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(content, encoding="utf-8")
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(config))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.theme == "textual-dark"
        messages = [n.message for n in app._notifications]
        assert any(expected in m for m in messages), messages
        if "JSON" in expected:
            assert any(str(config / "settings.json") in m and "line 1" in m for m in messages), messages
