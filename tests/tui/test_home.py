"""The home screen's four paths, the command palette, mouse, themes and the two terminal sizes."""

from __future__ import annotations

import importlib.util

import pytest
from textual.widgets import OptionList

from advisor.tui.screens.dialogs import OpenSessionScreen
from advisor.tui.screens.home import HomeScreen
from advisor.tui.screens.interview import InterviewScreen

from .helpers import current_form, screen_showing, screen_text, wait_for

PATHS = {
    "decide": ("Decide whether to fine-tune", None),
    "triage": ("Triage a fine-tuned model that got worse", "advisor.tui.screens.triage"),
    "probe": ("Run probe evals", "advisor.tui.screens.probe"),
    "open": ("Open a saved session", None),
}


async def test_home_lists_four_paths_and_says_which_are_not_there_yet(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        menu = app.screen.query_one("#home-menu", OptionList)
        assert [menu.get_option_at_index(i).id for i in range(menu.option_count)] == list(PATHS)
        text = await screen_showing(pilot, "New interview", "the footer")
        for pid, (title, module) in PATHS.items():
            assert title in text
            label = menu.get_option(pid).prompt.plain
            missing = module is not None and importlib.util.find_spec(module) is None
            assert ("not available in this version yet" in label) == missing, pid
        # The footer shows the keys.
        assert "New interview" in text and "Open session" in text and "Quit" in text
        # A path that is not there says so when chosen, and nothing breaks.
        for pid, (_, module) in PATHS.items():
            if module is not None and importlib.util.find_spec(module) is None:
                await pilot.press(str(list(PATHS).index(pid) + 1))
                await pilot.pause()
                assert isinstance(app.screen, HomeScreen)
                assert any("not available" in n.message for n in app._notifications)


async def test_mouse_click_starts_the_interview(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#home-menu", offset=(8, 1))  # the first option's title row
        form = await current_form(pilot)
        assert isinstance(app.screen, InterviewScreen)
        assert form.question.key == "task.description"
        # Mouse on an answer: click a choice on the next question.
        await pilot.click("#q-dont-know")
        form = await current_form(pilot)
        assert form.question.key == "task.type"


async def test_command_palette_and_theme(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"

        await pilot.press("ctrl+p")
        await pilot.pause()
        for ch in "open a saved":
            await pilot.press("space" if ch == " " else ch)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenSessionScreen), "the session list")
        assert "No saved sessions yet" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home")

        await pilot.press("ctrl+p")
        await pilot.pause()
        for ch in "new interview":
            await pilot.press("space" if ch == " " else ch)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await current_form(pilot)
        assert isinstance(app.screen, InterviewScreen)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_readable_at_every_size(make_app, kb, size):
    """Nothing essential is cut: the question, every one of its ten choices, the leaning and the keys."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("1")
        await current_form(pilot)
        await pilot.press("0")  # task.description is text: 0 is typed, then Enter
        await pilot.press("backspace", "enter")
        form = await current_form(pilot)
        assert form.question.key == "task.type"
        text = screen_text(app)
        assert form.question.prompt in text
        for choice in kb.question("task.type").choices:  # nine choices and "I don't know": all on screen
            assert choice.label in text, (choice.label, text)
        assert "0. I don't know" in text
        assert "esc Back" in text and "^r Result now" in text and "F1 Help" in text
        # Every line of the screen fits the width (no wrapped-off characters).
        assert all(len(line) <= size[0] for line in text.splitlines())
        panel = app.screen.query_one("#leaning")
        if size[0] < 100:
            # Too narrow for a panel beside the question: one line of leaning, the panel on ctrl+l.
            assert not panel.display and "Fine-tuning: " in text and "Current leaning" not in text
            await pilot.press("ctrl+l")
            text = await screen_showing(pilot, "Current leaning", "the panel")
            assert panel.display and panel.region.width == size[0] and "Current leaning" in text
            await pilot.press("ctrl+l")
            await wait_for(pilot, lambda: "Current leaning" not in screen_text(app), "the panel to close")
            assert not panel.display and form.question.prompt in screen_text(app)
            await pilot.press("2")  # the choices have the keyboard again
            form = await current_form(pilot)
            assert form.question.key == "task.metric_defined"
        else:
            assert "Current leaning" in text
            assert panel.region.width == 64
            assert form.region.right <= panel.region.x, "the question does not run under the panel"


async def test_the_leaning_panel_at_80_columns_reads_whole_rules(make_app, kb):
    """At 80 columns the panel (ctrl+l) shows each rule's title in full, not cut at 20 characters."""
    from .helpers import SCRIPT, answer

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        for _ in range(5):  # up to the main cause: format instability
            form = await current_form(pilot)
            await answer(pilot, SCRIPT[form.question.key])
        await current_form(pilot)
        await pilot.press("ctrl+l")
        text = await screen_showing(pilot, "Current leaning", "the panel")
        titles = [r.title for o in app.screen.assessment.options[:3] for r in o.reasons]
        assert titles, "some rule fired"
        fitting = [t for t in titles if len(t) <= 70]
        assert fitting and all(t in text for t in fitting), (fitting, text)


@pytest.mark.parametrize("key,cls", [("2", "TriageScreen"), ("3", "ProbeScreen")])
async def test_the_other_paths_open_their_screens(make_app, key, cls):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(key)
        await wait_for(pilot, lambda: type(app.screen).__name__ == cls, cls)
