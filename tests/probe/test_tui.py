"""The probe screen in a tiny host app, driven with Pilot, against the local model server over HTTP."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time

from textual.app import App
from textual.widgets import DataTable, Input, Markdown, SelectionList

from advisor.tui.screens.probe import ProbeScreen
from tests.probe.conftest import SECRET, write_config
from tests.probe.server import DATA, Oracle

N_TASK = sum(1 for line in (DATA / "eval.jsonl").read_text().splitlines() if line.strip())
N_GENERAL = len(Oracle.load().general)


class Host(App):
    def __init__(self, screen: ProbeScreen) -> None:
        super().__init__()
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


async def _wait(pilot, cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting on the probe screen"
        await pilot.pause(0.05)


async def _run_to_end(pilot, screen):
    await pilot.click("#probe-run")
    await pilot.pause()
    await _wait(pilot, lambda: not screen.running)
    await pilot.pause()


def _rows(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    finally:
        con.close()


async def test_default_config_runs_shows_the_report_and_saves_json(make_config, srv, tmp_path, monkeypatch):
    make_config(base="base", candidate="forgetful", suites="[task, general]")
    monkeypatch.chdir(tmp_path)  # the app opens ProbeScreen() with no arguments: probe.yaml in cwd
    screen = ProbeScreen(root=tmp_path)
    async with Host(screen).run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        assert screen.query_one("#probe-config", Input).value == "probe.yaml"
        assert "Loaded probe.yaml" in screen.status_text
        assert set(screen.query_one("#probe-suites", SelectionList).selected) == {"task", "general"}
        await _run_to_end(pilot, screen)
        assert screen.report is not None, screen.status_text
        assert screen.status_text.startswith("Finished"), screen.status_text
        assert "general regression" in screen.status_text and "task improvement" in screen.status_text
        table = screen.query_one("#probe-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["task (your eval set)", "general (built-in capability set)"]
        assert rows[1][1] == str(N_GENERAL) and rows[1][6] == "regression" and rows[1][5].startswith("[-")
        notes = screen.query_one("#probe-notes", Markdown).source
        assert "Cost of the run" in notes and "no price" in notes
        assert screen.progress.done == screen.progress.total == 2 * (N_TASK + N_GENERAL)

        screen.query_one("#probe-save", Input).value = str(tmp_path / "out.json")
        await pilot.click("#probe-save-btn")
        await pilot.pause()
        assert "Saved" in screen.status_text
    saved = json.loads((tmp_path / "out.json").read_text())
    assert {"models", "settings", "suites", "cost_usd"} <= set(saved)
    assert [s["id"] for s in saved["suites"]] == ["task", "general"]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path.name


async def test_only_the_picked_suites_run(make_config, srv, tmp_path):
    path = make_config(base="base", candidate="tuned", suites="[task, general]")
    screen = ProbeScreen(path, root=tmp_path)
    async with Host(screen).run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        screen.query_one("#probe-suites", SelectionList).deselect("general")
        await _run_to_end(pilot, screen)
        assert [s["id"] for s in screen.report["suites"]] == ["task"]
        assert srv.server.total == 2 * N_TASK, screen.report["run"]


async def test_a_bad_config_is_shown_not_raised(tmp_path):
    bad = tmp_path / "probe.yaml"
    bad.write_text("models: {base: a, candidate: b}\nsuites: [general]\nconcurency: 3\n")
    screen = ProbeScreen(bad, root=tmp_path)
    async with Host(screen).run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        assert "concurency" in screen.status_text and str(bad) in screen.status_text
        await pilot.click("#probe-run")
        await pilot.pause()
        assert not screen.running and screen.report is None
        assert screen.query_one("#probe-status").has_class("-error")
        assert "Traceback" not in screen.status_text
        assert pilot.app.screen is screen


async def test_missing_default_config_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    screen = ProbeScreen(root=tmp_path)
    async with Host(screen).run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        assert "advisor probe init" in screen.status_text
        await pilot.click("#probe-run")
        await pilot.pause()
        assert "file not found" in screen.status_text or "probe.yaml" in screen.status_text
        assert screen.query_one("#probe-status").has_class("-error")
        await pilot.press("ctrl+c")  # no run to cancel: the key keeps its usual meaning, nothing breaks
        await pilot.pause()
        assert pilot.app.screen is screen and not screen.running


async def test_an_unreachable_server_ends_in_errors_on_screen(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_config(tmp_path, f"http://127.0.0.1:{port}/v1", suites="[general]")
    path.write_text(path.read_text().replace("max_retries: 3", "max_retries: 0"))
    screen = ProbeScreen(path, root=tmp_path)
    async with Host(screen).run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        await _run_to_end(pilot, screen)
        assert screen.report is not None
        assert screen.report["run"]["errors"] == 2 * N_GENERAL
        assert "request(s) failed" in screen.status_text and "Connection" in screen.status_text
        assert screen.query_one("#probe-status").has_class("-warning")
        assert "Traceback" not in screen.status_text and SECRET not in screen.status_text


async def test_ctrl_c_cancels_and_run_again_resumes_from_the_cache(make_config, srv, tmp_path):
    total = 2 * (N_TASK + N_GENERAL)
    path = make_config(base="base", candidate="tuned", suites="[task, general]")
    path.write_text(path.read_text().replace("concurrency: 16", "concurrency: 2"))
    srv.server.latency = 0.05  # ~6 s of requests: time to cancel in the middle
    screen = ProbeScreen(path, root=tmp_path)
    async with Host(screen).run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        await pilot.click("#probe-run")
        await _wait(pilot, lambda: screen.progress.done >= 20)
        assert screen.running and "probing" in screen.status_text and "ETA" in screen.status_text
        await pilot.press("ctrl+c")
        await _wait(pilot, lambda: not screen.running)
        assert "Cancelled" in screen.status_text and screen.report is None
        assert pilot.app.screen is screen  # cancelling does not leave the screen
        done = _rows(tmp_path / "cache.sqlite")
        assert 20 <= done < total

        srv.server.reset()
        srv.server.latency = 0.0
        await _run_to_end(pilot, screen)
        assert screen.report is not None, screen.status_text
        assert screen.report["run"]["cache_hits"] == done
        assert srv.server.total == total - done  # nothing finished was sent again

        await pilot.press("escape")  # idle: escape leaves the screen
        await pilot.pause()
        assert pilot.app.screen is not screen


async def test_escape_during_a_run_cancels_it(make_config, srv, tmp_path):
    path = make_config(base="base", candidate="tuned", suites="[general]")
    path.write_text(path.read_text().replace("concurrency: 16", "concurrency: 1"))
    srv.server.latency = 0.05
    screen = ProbeScreen(path, root=tmp_path)
    async with Host(screen).run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        await pilot.click("#probe-run")
        await _wait(pilot, lambda: screen.progress.done >= 3)
        await pilot.press("escape")
        await _wait(pilot, lambda: not screen.running)
        assert "Cancelled" in screen.status_text
        assert pilot.app.screen is screen


def test_importing_the_screen_does_not_import_litellm():
    code = ("import sys\nimport advisor.tui.screens.probe\n"
            "print(','.join(sorted({n.split('.')[0] for n in sys.modules} & {'litellm', 'openai'})))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


async def test_the_app_opens_the_probe_screen_from_home(tmp_path, monkeypatch):
    from advisor.tui.app import create_app

    monkeypatch.chdir(tmp_path)
    app = create_app(data_dir=tmp_path / "data")
    async with app.run_test(size=(150, 50)) as pilot:
        await pilot.pause()
        await pilot.press("3")  # home: "3. Run probe evals"
        await _wait(pilot, lambda: isinstance(app.screen, ProbeScreen), timeout=20)
        assert "advisor probe init" in app.screen.status_text
