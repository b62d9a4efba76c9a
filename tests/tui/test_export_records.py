"""Exporting from the app never loses a record: numbered files in docs/decisions, overwrite only when confirmed."""

from __future__ import annotations

from textual.widgets import Input, Static

from advisor.core.decisions import list_records
from advisor.tui.screens.dialogs import ExportScreen
from advisor.tui.screens.result import ResultScreen

from .helpers import SCRIPT, answer_all, wait_for


async def _open_export(pilot, key):
    await pilot.press(key)
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportScreen) and pilot.app.screen,
                          f"the export dialog for {key!r}")


async def test_two_exports_are_two_numbered_records(make_app, tmp_path, session_dir):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        await answer_all(pilot, SCRIPT)
        for n in (1, 2):
            dialog = await _open_export(pilot, "m")
            assert dialog.query_one("#export-path", Input).value.startswith(f"docs/decisions/{n:04d}-")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen), "the dialog to close")
    records = list_records(tmp_path / "docs" / "decisions")
    assert [r.number for r in records] == [1, 2]
    assert records[0].path.read_text() and records[1].path.read_text()
    assert (tmp_path / "docs" / "decisions" / "index.md").exists()


async def test_an_existing_file_is_replaced_only_after_a_second_save(make_app, tmp_path, session_dir):
    target = tmp_path / "answers.yaml"
    target.write_text("KEEP-ME: 1\n")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        await answer_all(pilot, SCRIPT)
        dialog = await _open_export(pilot, "s")
        assert dialog.query_one("#export-path", Input).value == "answers.yaml"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen), "the dialog stays open and asks"
        assert "already exists" in str(dialog.query_one("#export-error", Static).render())
        assert target.read_text() == "KEEP-ME: 1\n"
        await pilot.press("enter")  # the explicit choice
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen), "the dialog to close")
    assert "KEEP-ME" not in target.read_text() and "task:" in target.read_text()
