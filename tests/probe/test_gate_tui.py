"""From the result screen to a judged record: export it, press t, run the plan on the probe screen, see the gate.

Pilot drives the real app; the probe talks HTTP to the local model server. The
`brittle` candidate wins on clean inputs and collapses on perturbed ones, so the
fine-tuning plan's shift guard refutes it (docs/probe.md, "The confirmation gate").
"""

from __future__ import annotations

import datetime as dt
import time

import yaml
from textual.widgets import Input, SelectionList, Static

from advisor.core.answers import Answers
from advisor.core.knowledge import cached_knowledge
from advisor.interview.flow import Interview
from advisor.interview.session import Session
from advisor.tui.app import create_app
from advisor.tui.screens.dialogs import ConfirmLeaveScreen, ExportScreen, RecordExportScreen
from advisor.tui.screens.probe import ProbeScreen
from advisor.tui.screens.result import ResultScreen
from tests.conftest import ROOT


async def _wait(pilot, cond, what, timeout=90.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def test_result_screen_runs_its_plan_and_shows_the_gate(make_config, tmp_path, monkeypatch):
    make_config(base="base", candidate="brittle", suites="[general]")  # the plan, not this, decides the suites
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    kb = cached_knowledge()
    answers = Answers.model_validate(yaml.safe_load((ROOT / "tests/data/good/invoice_extractor.yaml").read_text()))
    app = create_app(data_dir=tmp_path / "data", kb=kb, today=dt.date(2026, 3, 14))
    async with app.run_test(size=(150, 50)) as pilot:
        iv = Interview(kb, answers, visited=list(answers.answered()), finished=True)
        app.show_result(iv, Session())
        await _wait(pilot, lambda: isinstance(app.screen, ResultScreen), "the result screen")
        result = app.screen
        await pilot.pause()
        titles = [str(w.render()) for w in result.query(".section-title")]
        assert any("Confirmation test" in t and "t runs it" in t for t in titles)
        text = str(result.query_one("#confirmation", Static).render())
        assert "task (primary)" in text and "shift (guard)" in text and "general (guard)" in text
        # export the record, as a user does (m, then "Another file…" and a name)
        await pilot.press("m")
        await _wait(pilot, lambda: isinstance(app.screen, RecordExportScreen), "the record dialog")
        await pilot.click("#record-file")
        await _wait(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        app.screen.query_one("#export-path", Input).value = "decision.md"
        await pilot.press("enter")
        await _wait(pilot, lambda: isinstance(app.screen, ResultScreen), "the result screen again")
        record = tmp_path / "decision.md"
        assert record.read_text().startswith("---\nstatus: proposed\n")
        # t opens the probe screen preloaded with the plan
        await pilot.press("t")
        await _wait(pilot, lambda: isinstance(app.screen, ProbeScreen), "the probe screen")
        probe = app.screen
        await pilot.pause()
        assert set(probe.query_one("#probe-suites", SelectionList).selected) == {"task", "shift", "general"}
        assert "Confirmation test of fine_tune" in probe.status_text
        await pilot.press("ctrl+r")
        await pilot.pause()
        await _wait(pilot, lambda: not probe.running and (probe.report is not None or probe.last_error), "the run")
        assert probe.report is not None, probe.status_text
        assert probe.status_text.startswith("Gate: REFUTED"), probe.status_text
        assert probe.gate["verdict"] == "refuted"
        assert record.read_text().startswith("---\nstatus: rejected\n")
        assert "## Confirmation result" in record.read_text()
        # back on the result screen, the gate is shown with the plan; the gate is in the record,
        # but the run's full JSON is not saved, so leaving asks first
        await pilot.press("escape")
        await _wait(pilot, lambda: isinstance(app.screen, ConfirmLeaveScreen), "the unsaved-result question")
        await pilot.press("l")
        await _wait(pilot, lambda: isinstance(app.screen, ResultScreen), "the result screen after the run")
        await pilot.pause()
        await _wait(pilot, lambda: "REFUTED" in str(app.screen.query_one("#confirmation", Static).render()),
                    "the gate on the result screen")
        assert "shift" in str(app.screen.query_one("#confirmation", Static).render())
