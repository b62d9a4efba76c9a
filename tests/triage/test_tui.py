"""The triage screen in a tiny host app, driven with Pilot."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Input, Markdown, Static

from advisor.tui.app import STYLESHEET
from advisor.tui.screens.triage import TriageProgressed, TriageScreen
from tests.triage.conftest import DATASETS, LOGS


class Host(App):
    CSS_PATH = STYLESHEET  # the screens' layout is in the app's stylesheet

    def __init__(self, screen: TriageScreen) -> None:
        super().__init__()
        self._screen = screen
        self.seen: list = []

    def on_mount(self) -> None:
        self.push_screen(self._screen)

    def on_triage_progressed(self, message: TriageProgressed) -> None:  # bubbled up from the screen
        self.seen.append((message.description, message.done))


async def _run(pilot):
    """Press Run and wait for the triage worker only.

    ``app.workers.wait_for_complete()`` with no argument also waits for the
    DirectoryTree's ``_loader`` worker, a queue loop that lives as long as the
    tree: the wait never returns (this is what hung these tests).
    """
    screen = pilot.app.screen
    await pilot.click("#triage-run")
    assert screen.worker is not None, "pressing Run started no triage worker"
    await screen.worker.wait()
    await pilot.pause()
    await pilot.pause()


async def test_preset_paths_run_and_fill_table_plot_and_causes(manifest):
    screen = TriageScreen(paths={"log": str(LOGS / "hf_overfit" / "trainer_state.json"),
                                 "train": str(DATASETS / "small_alpaca.json")}, root=DATASETS)
    app = Host(screen)
    async with app.run_test(size=(160, 60)) as pilot:
        await _run(pilot)
        table = screen.query_one("#triage-findings", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert {"eval_loss_rising", "too_few_examples", "single_style"} <= {r[1] for r in rows}
        status = str(screen.query_one("#triage-status", Static).render())
        assert status.startswith("Triage finished")
        assert ("checking the train set small_alpaca.json", 1.0) in app.seen  # progress reached the screen
        md = screen.query_one("#triage-causes-md", Markdown).source
        assert f"step {manifest['logs']['hf_overfit']['best_step']}" in md
        assert "overtraining" in md or "overfitting" in md or "too many epochs" in md
        assert screen.report is not None and screen.report["best_checkpoint"]["step"] == manifest["logs"]["hf_overfit"]["best_step"]
        # The table shows file names; moving through it shows a finding in full, path included.
        assert rows[0][2].startswith("trainer_state.json:")
        screen.query_one("#triage-results").active = "tab-findings"
        await pilot.pause()
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        second = screen.report["findings"][1]
        shown = str(screen.query_one("#triage-finding-detail", Static).render())
        assert second["detail"][:60] in shown.replace("\n", " ") and second["where"] in shown
        from textual_plotext import PlotextPlot

        labels = screen.query_one("#triage-curves", PlotextPlot).plt._active.monitor.label  # plotext keeps one label per series
        assert "train loss" in labels and any("eval" in lb for lb in labels), labels


async def test_bad_file_shows_the_error_and_keeps_the_screen():
    screen = TriageScreen(paths={"log": str(LOGS / "does_not_exist.json")})
    async with Host(screen).run_test(size=(140, 50)) as pilot:
        await _run(pilot)
        status = screen.query_one("#triage-status", Static)
        assert "file not found" in str(status.render())
        assert status.has_class("-error")
        assert pilot.app.screen is screen


async def test_bad_lr_is_reported_without_running():
    screen = TriageScreen(paths={"lr": "fast", "log": str(LOGS / "hf_healthy" / "trainer_state.json")})
    async with Host(screen).run_test(size=(140, 50)) as pilot:
        await pilot.click("#triage-run")
        await pilot.pause()
        assert "lr: expected a number" in str(screen.query_one("#triage-status", Static).render())
        assert screen.report is None


async def test_tree_selection_fills_the_last_focused_file_input():
    screen = TriageScreen(root=DATASETS)
    async with Host(screen).run_test(size=(140, 50)) as pilot:
        await pilot.click("#triage-train")
        from textual.widgets import DirectoryTree

        tree = screen.query_one(DirectoryTree)
        await pilot.pause()
        tree.post_message(DirectoryTree.FileSelected(tree.root, DATASETS / "preference.jsonl"))
        await pilot.pause()
        assert screen.query_one("#triage-train", Input).value == str(DATASETS / "preference.jsonl")
        assert screen.query_one("#triage-log", Input).value == ""
        await _run(pilot)
        table = screen.query_one("#triage-findings", DataTable)
        assert "chosen_equals_rejected" in {table.get_row_at(i)[1] for i in range(table.row_count)}


async def test_escape_pops_the_screen():
    screen = TriageScreen()
    async with Host(screen).run_test() as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is not screen


async def test_opens_from_the_home_screen_and_runs(tmp_path, monkeypatch, manifest):
    """The real app pushes ``TriageScreen()`` with no arguments; key 2 on the home screen opens it."""
    from advisor.tui.app import create_app
    from advisor.tui.screens.home import HomeScreen

    monkeypatch.chdir(LOGS.parent)  # the file tree starts in the working directory
    app = create_app(data_dir=tmp_path / "sessions")
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TriageScreen)
        screen.query_one("#triage-log", Input).value = str(LOGS / "hf_overfit" / "trainer_state.json")
        await _run(pilot)
        assert screen.report["best_checkpoint"]["step"] == manifest["logs"]["hf_overfit"]["best_step"]
        await pilot.press("escape")  # the result is not saved: the screen asks first
        await pilot.pause()
        await pilot.press("l")  # leave anyway
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_empty_form_says_what_to_choose():
    screen = TriageScreen()
    async with Host(screen).run_test(size=(140, 50)) as pilot:
        await pilot.click("#triage-run")
        await pilot.pause()
        status = screen.query_one("#triage-status", Static)
        assert str(status.render()).startswith("Nothing to triage yet") and status.has_class("-error")
        assert screen.worker is None and screen.report is None
