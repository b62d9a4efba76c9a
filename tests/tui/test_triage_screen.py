"""The triage screen as a user meets it in the app: title, tab keys, errors in its own words, save, unsaved."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input, Markdown, Static, TabbedContent

from advisor.tui.screens.dialogs import ConfirmLeaveScreen, ExportScreen
from advisor.tui.screens.home import HomeScreen
from advisor.tui.screens.triage import TriageScreen
from tests.conftest import run_cli
from tests.triage.conftest import DATASETS, LOGS

from .helpers import painted_footer, screen_text, wait_for

OVERFIT = LOGS / "hf_overfit" / "trainer_state.json"


async def open_triage(pilot, paths=None) -> TriageScreen:
    screen = TriageScreen(paths=paths, root=DATASETS)
    pilot.app.push_screen(screen)
    await wait_for(pilot, lambda: pilot.app.screen is screen, "the triage screen")
    await pilot.pause()
    return screen


async def run(pilot, screen: TriageScreen) -> None:
    await pilot.press("ctrl+r")
    assert screen.worker is not None, "ctrl+r started no triage run"
    await screen.worker.wait()
    await pilot.pause()
    await pilot.pause()


def status(screen: TriageScreen) -> str:
    return " ".join(str(screen.query_one("#triage-status", Static).render()).split())


async def test_title_and_keys_switch_the_result_tabs(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot, {"log": str(OVERFIT)})
        text = screen_text(app)
        assert "Triage: why did a fine-tune get worse?" in text.splitlines()[0]
        await run(pilot, screen)
        tabs = screen.query_one("#triage-results", TabbedContent)
        assert tabs.active == "tab-causes"
        for key, tab in (("f3", "tab-curves"), ("f4", "tab-findings"), ("f2", "tab-causes")):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == tab, key
        await pilot.press("f4")
        await pilot.pause()
        assert app.focused is screen.query_one("#triage-findings", DataTable), "the table takes the keyboard"
        footer = await painted_footer(pilot, "F1 Help")
        assert "F2 Causes" in footer and "F4 Findings" in footer and "^s Save" in footer and "F1 Help" in footer


async def test_a_failed_run_clears_the_previous_results(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_triage(pilot, {"log": str(OVERFIT)})
        await run(pilot, screen)
        table = screen.query_one("#triage-findings", DataTable)
        assert table.row_count > 0 and screen.report is not None
        screen.query_one("#triage-log", Input).value = str(LOGS / "no_such_log.json")
        await run(pilot, screen)
        assert "file not found" in status(screen) and "no_such_log.json" in status(screen)
        assert screen.report is None and table.row_count == 0
        causes = screen.query_one("#triage-causes-md", Markdown).source
        assert "Best checkpoint" not in causes and "###" not in causes
        plot = screen.query_one("#triage-curves").plt
        assert not plot._active.monitor.label or all(not lb for lb in plot._active.monitor.label)


async def test_a_dataset_given_as_the_log_is_named_for_what_it_is(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot, {"log": str(DATASETS / "prompt_completion.jsonl")})
        await run(pilot, screen)
        said = status(screen)
        assert "this looks like a dataset (prompt_completion), not a training log" in said, said
        assert "put it in train or eval" in said
        assert "--" not in said, "no command-line option in the screen's message"


async def test_errors_name_the_screens_fields_not_command_line_options(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot, {"log": str(LOGS / "custom_columns.csv")})  # columns iter, trn_l, dev_l
        await run(pilot, screen)
        said = status(screen)
        assert "no loss column found" in said and "custom_columns.csv" in said
        assert "this screen reads the usual column names" in said, said
        assert "name it with --loss-col" not in said


async def test_save_json_and_markdown_as_the_cli_writes_them(make_app, tmp_path):
    app = make_app()
    train = DATASETS / "small_alpaca.json"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot, {"log": str(OVERFIT), "train": str(train)})
        await run(pilot, screen)
        for name in ("triage.json", "triage.md"):
            await pilot.press("ctrl+s")
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen, "save")
            dialog.query_one("#export-path", Input).value = name
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is screen, "back on the triage screen")
            assert f"Saved {tmp_path / name}" in status(screen)
    cli = run_cli("triage", "--log", str(OVERFIT), "--train", str(train), "--format", "json")
    assert cli.returncode == 0, cli.stderr
    saved = json.loads((tmp_path / "triage.json").read_text(encoding="utf-8"))
    assert saved == json.loads(cli.stdout)
    md = run_cli("triage", "--log", str(OVERFIT), "--train", str(train), "--format", "md")
    assert (tmp_path / "triage.md").read_text(encoding="utf-8") == md.stdout
    # The saved JSON is what `advisor decide --triage` reads.
    decide = run_cli("decide", "--answers", str(DATASETS.parent.parent / "good" / "invoice_extractor.yaml"),
                     "--triage", str(tmp_path / "triage.json"))
    assert decide.returncode == 0, decide.stderr


async def test_leaving_or_quitting_with_an_unsaved_result_asks_first(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot, {"log": str(OVERFIT)})
        await pilot.press("escape")  # nothing run yet: nothing to lose, the screen closes
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home")

        screen = await open_triage(pilot, {"log": str(OVERFIT)})
        await run(pilot, screen)
        await pilot.press("escape")
        ask = await wait_for(pilot, lambda: isinstance(app.screen, ConfirmLeaveScreen) and app.screen, "the question")
        assert "a triage result that is not saved" in screen_text(app)
        await pilot.press("escape")  # stay
        await wait_for(pilot, lambda: app.screen is screen, "still on triage")
        assert screen.report is not None

        await pilot.press("ctrl+q")  # quitting asks too
        ask = await wait_for(pilot, lambda: isinstance(app.screen, ConfirmLeaveScreen) and app.screen, "the question")
        assert ask.leaving == "Quit" and "Quit without saving?" in screen_text(app)
        await pilot.press("s")  # save first: the save dialog opens
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen, "save")
        await pilot.press("enter")  # the default name, triage.json
        await wait_for(pilot, lambda: app.screen is screen, "back on triage")
        assert (tmp_path / "triage.json").is_file()
        await pilot.press("escape")  # saved: leaves without asking
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
