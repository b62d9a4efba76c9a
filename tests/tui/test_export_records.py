"""Exporting from the app never loses a record: numbered files in a decisions folder, supersession only when
chosen, the JSON beside its record, overwrite only when confirmed."""

from __future__ import annotations

import json

import yaml
from textual.widgets import Checkbox, Input, Static

from advisor.core.decisions import list_records
from advisor.tui.screens.dialogs import ExportScreen, RecordExportScreen
from advisor.tui.screens.result import ResultScreen

from .helpers import open_result, save_finished_session, screen_text, wait_for

SLUG = "extract-12-fields-from-supplier-invoices-into"


async def _open_export(pilot, key):
    await pilot.press(key)
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportScreen) and pilot.app.screen,
                          f"the export dialog for {key!r}")


async def _open_record(pilot) -> RecordExportScreen:
    await pilot.press("m")
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, RecordExportScreen) and pilot.app.screen,
                          "the record dialog")


async def _closed(pilot):
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen), "the dialog to close")


def _front(path):
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---\n", 1)[0].removeprefix("---\n"))


async def test_two_exports_are_two_numbered_records(make_app, kb, tmp_path, session_dir):
    save_finished_session(kb, session_dir)
    app = make_app(resume=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_result(pilot)
        for n in (1, 2):
            await _open_record(pilot)
            assert f"Saved as {n:04d}-{SLUG}.md" in screen_text(app)
            await pilot.press("enter")  # Enter in the folder field saves; the default keeps earlier records
            await _closed(pilot)
    records = list_records(tmp_path / "docs" / "decisions")
    assert [r.number for r in records] == [1, 2]
    assert all(r.active for r in records), "nothing is superseded unless the user chooses it"
    assert (tmp_path / "docs" / "decisions" / "index.md").exists()


async def test_the_dialog_supersedes_the_chosen_record_with_links_both_ways(make_app, kb, tmp_path, session_dir):
    folder = tmp_path / "docs" / "decisions"
    save_finished_session(kb, session_dir)
    app = make_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_result(pilot)
        await _open_record(pilot)
        assert "No earlier record in this folder decides the same job." in screen_text(app)
        await pilot.press("enter")
        await _closed(pilot)

        await _open_record(pilot)
        shown = screen_text(app)
        assert "An earlier record decides the same job:" in shown
        assert "Supersede 0001 (2026-03-14, proposed): 0001-extract-12-fields" in shown
        # As a user would: Tab to the choices, down to "Supersede 0001", Enter to pick it, then Save.
        await pilot.press("tab", "down", "enter")
        await pilot.click("#record-save")
        await _closed(pilot)

    old, new = folder / f"0001-{SLUG}.md", folder / f"0002-{SLUG}.md"
    assert _front(new)["supersedes"] == old.name
    assert _front(old)["superseded-by"] == new.name
    assert _front(old)["status"] == "superseded by ADR-0002"
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert f"superseded by [0002]({new.name})" in index and f"supersedes [0001]({old.name})" in index


async def test_the_folder_is_configurable_and_the_json_goes_beside_the_record(make_app, kb, tmp_path, session_dir):
    save_finished_session(kb, session_dir)
    app = make_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_result(pilot)
        dialog = await _open_record(pilot)
        assert dialog.query_one("#record-folder", Input).has_focus
        await pilot.press("ctrl+u", *"adr")  # clear the field and type another folder
        target = dialog.query_one("#record-target", Static)
        await wait_for(pilot, lambda: "the folder is created" in str(target.render()), "the target to follow the folder")
        dialog.query_one("#record-json", Checkbox).value = True
        await pilot.click("#record-save")
        await _closed(pilot)
        record = tmp_path / "adr" / f"0001-{SLUG}.md"
        assert record.exists() and not (tmp_path / "docs").exists()
        beside = json.loads(record.with_suffix(".json").read_text(encoding="utf-8"))
        assert beside["primary"] == app.screen.assessment.primary and beside["schema_version"] == 1

        # `j` afterwards offers the same name (it exists: a second Save is the explicit choice to replace it).
        dialog = await _open_export(pilot, "j")
        assert dialog.query_one("#export-path", Input).value == f"adr/0001-{SLUG}.json"


async def test_json_before_any_record_takes_the_next_records_number(make_app, kb, tmp_path, session_dir):
    save_finished_session(kb, session_dir)
    app = make_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_result(pilot)
        dialog = await _open_export(pilot, "j")
        assert dialog.query_one("#export-path", Input).value == f"docs/decisions/0001-{SLUG}.json"
        await pilot.press("enter")
        await _closed(pilot)
        await _open_record(pilot)
        assert f"Saved as 0001-{SLUG}.md" in screen_text(app), "the record pairs with the JSON written first"


async def test_a_json_already_beside_a_new_record_is_kept(make_app, kb, tmp_path, session_dir):
    folder = tmp_path / "docs" / "decisions"
    folder.mkdir(parents=True)
    hand = folder / f"0001-{SLUG}.json"
    hand.write_text('{"KEEP": 1}\n')
    save_finished_session(kb, session_dir)
    app = make_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_result(pilot)
        dialog = await _open_record(pilot)
        dialog.query_one("#record-json", Checkbox).value = True
        await pilot.click("#record-save")
        await _closed(pilot)
    assert (folder / f"0001-{SLUG}.md").exists()
    assert hand.read_text() == '{"KEEP": 1}\n'


async def test_another_file_writes_a_named_record(make_app, kb, tmp_path, session_dir):
    save_finished_session(kb, session_dir)
    app = make_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_result(pilot)
        await _open_record(pilot)
        await pilot.click("#record-file")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen, "the file dialog")
        dialog.query_one("#export-path", Input).value = "mine.md"
        await pilot.press("enter")
        await _closed(pilot)
    assert "Chosen option:" in (tmp_path / "mine.md").read_text(encoding="utf-8")
    assert not (tmp_path / "docs").exists()


async def test_an_existing_file_is_replaced_only_after_a_second_save(make_app, kb, tmp_path, session_dir):
    target = tmp_path / "answers.yaml"
    target.write_text("KEEP-ME: 1\n")
    save_finished_session(kb, session_dir)
    app = make_app(resume=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_result(pilot)
        dialog = await _open_export(pilot, "s")
        assert dialog.query_one("#export-path", Input).value == "answers.yaml"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen), "the dialog stays open and asks"
        assert "already exists" in str(dialog.query_one("#export-error", Static).render())
        assert target.read_text() == "KEEP-ME: 1\n"
        await pilot.press("enter")  # the explicit choice
        await _closed(pilot)
    assert "KEEP-ME" not in target.read_text() and "task:" in target.read_text()
