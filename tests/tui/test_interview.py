"""The interview driven through the real app with Pilot, key by key, to exported files.

What the exported record must say is computed here, independently, by the
decide engine from the answers written out by hand in ``helpers.EXPECTED_VALUES``
(numbers as numbers, not as typed): if the screens misread an answer, skip a
question or lose one on the way, the files differ.
"""

from __future__ import annotations

import io
import json

import yaml
from textual.widgets import Input, OptionList, Static

from advisor.cli import main as cli_main
from advisor.core.answers import Answers
from advisor.core.decide import decide
from advisor.core.record import render_json, render_markdown
from advisor.interview.flow import Interview
from advisor.tui.screens.dialogs import EditAnswerScreen, ExportScreen, RecordExportScreen
from advisor.tui.screens.home import HomeScreen
from advisor.tui.screens.interview import InterviewScreen
from advisor.tui.screens.result import ResultScreen
from advisor.interview.session import Session
from advisor.tui.widgets.leaning import LeaningPanel, strongest
from advisor.tui.widgets.question import ChoiceList

from .conftest import TODAY
from .helpers import (EXPECTED_VALUES, SCRIPT, answer, answer_all, asked_keys, current_form, digit_for,
                      screen_text, type_text, wait_for)


def plain(widget: Static) -> str:
    """A Static's content as plain text, however long (rendered by rich, no wrapping)."""
    from rich.console import Console

    console = Console(width=1000, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def export(pilot, key: str, expected_default: str) -> None:
    """Open an export dialog with ``key``, check the offered path, accept it."""
    await pilot.press(key)
    dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportScreen) and pilot.app.screen,
                            f"the export dialog for {key!r}")
    assert dialog.query_one("#export-path", Input).value == expected_default
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen), "the dialog to close")


async def test_whole_interview_to_exported_record(make_app, kb, tmp_path, session_dir, capsys):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("1")  # "Decide whether to fine-tune"
        asked = await answer_all(pilot, SCRIPT)
        assert asked == asked_keys(kb, SCRIPT), "every question its branching asks, in knowledge-base order"
        assert isinstance(app.screen, ResultScreen)

        expected = decide(Answers.from_flat(EXPECTED_VALUES), kb)
        shown = screen_text(app)
        assert f"Recommendation: {kb.option(expected.primary).name}" in shown

        await pilot.press("m")
        dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, RecordExportScreen) and pilot.app.screen,
                                "the record dialog")
        assert dialog.query_one("#record-folder", Input).value == "docs/decisions"
        assert "0001-extract-12-fields-from-supplier-invoices-into.md" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen), "the dialog to close")
        # The JSON follows the record's numbering, beside it (docs/formats.md, decision records).
        await export(pilot, "j", "docs/decisions/0001-extract-12-fields-from-supplier-invoices-into.json")
        await export(pilot, "s", "answers.yaml")

    record = tmp_path / "docs/decisions/0001-extract-12-fields-from-supplier-invoices-into.md"
    md = record.read_text(encoding="utf-8")
    # the rendered record, plus the job id the decisions folder uses to find later decisions on it
    assert md.split("\n---\n", 1)[1] == render_markdown(expected, kb, date=TODAY).split("\n---\n", 1)[1]
    assert "advisor-job: " in md.split("\n---\n", 1)[0]
    assert (tmp_path / "docs" / "decisions" / "index.md").read_text(encoding="utf-8").count(record.name) == 1
    # A few facts a reader would check, spelled out (not only "same as the renderer").
    assert f'Chosen option: "{kb.option(expected.primary).name}"' in md
    for reason in expected.options[0].reasons:
        assert f"rule `{reason.rule}`" in md
    assert "date: 2026-03-14" in md
    assert SCRIPT["task.description"] in md

    exported = json.loads(record.with_suffix(".json").read_text(encoding="utf-8"))
    assert exported == json.loads(render_json(expected))
    assert exported["primary"] == expected.primary == exported["options"][0]["id"]
    assert exported["unknowns"] == [], "every question was answered"

    answers_file = tmp_path / "answers.yaml"
    assert yaml.safe_load(answers_file.read_text(encoding="utf-8")) == Answers.from_flat(EXPECTED_VALUES).to_yaml_dict()
    # The saved answers file is accepted by `advisor decide --answers` and gives the same result.
    capsys.readouterr()
    assert cli_main(["decide", "--answers", str(answers_file), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == exported


async def test_back_and_forward_keep_answers(make_app, kb):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("1")
        await answer(pilot, "Route support tickets")
        await answer(pilot, "extraction")
        await answer(pilot, False)  # task.metric_defined
        assert (await current_form(pilot)).question.key == "task.narrow_and_repeatable"

        await pilot.press("escape")
        form = await current_form(pilot)
        assert form.question.key == "task.metric_defined"
        choices = form.query_one(ChoiceList)
        assert choices.values[choices.highlighted] is False, "the earlier answer is pre-selected"

        await pilot.press("escape")
        form = await current_form(pilot)
        q = kb.question("task.type")
        assert form.question.key == "task.type"
        assert form.query_one(ChoiceList).highlighted == int(digit_for(q, "extraction")) - 1

        await pilot.press("escape")
        form = await current_form(pilot)
        assert form.query_one("#q-input", Input).value == "Route support tickets"

        # Forward without answering keeps every answer as it was.
        await pilot.press("ctrl+n", "ctrl+n")
        form = await current_form(pilot)
        assert form.question.key == "task.metric_defined"
        iv = app.screen.interview
        assert iv.value("task.description") == "Route support tickets"
        assert iv.value("task.type") == "extraction"
        assert iv.value("task.metric_defined") is False

        # Re-answering one question changes only that one.
        await answer(pilot, True)
        assert iv.value("task.metric_defined") is True
        assert iv.value("task.type") == "extraction"

        # Back from the first question leaves for the home screen.
        for _ in range(5):
            await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")


async def test_dont_know_everywhere(make_app, kb):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("1")
        await current_form(pilot)
        # Free text: the "I don't know" button, with the mouse.
        await pilot.click("#q-dont-know")
        form = await wait_for(pilot, lambda: app.screen.query(ChoiceList) and app.screen.query_one(ChoiceList),
                              "the second question")
        # A choice: the 0 key.
        await pilot.press("0")
        form = await current_form(pilot)
        assert form.question.key == "task.metric_defined"
        iv = app.screen.interview
        assert iv.value("task.description") is None and iv.value("task.type") is None
        assert {"task.description", "task.type"} <= set(iv.visited), "don't know is an answer, remembered"

        # Unknowns are open questions in the live assessment, as the engine says.
        panel = app.screen.query_one(LeaningPanel)
        assert {"task.description", "task.type"} <= {u.key for u in panel.assessment.unknowns}

        # Going back shows "I don't know" chosen, not the first choice.
        await pilot.press("escape")
        choices = (await current_form(pilot)).query_one(ChoiceList)
        assert choices.values[choices.highlighted] is None
        assert choices.get_option_at_index(choices.highlighted).prompt.plain.endswith("I don't know")


async def open_at(app, kb, key: str, answers: dict | None = None):
    """Open the interview at one question (as a resumed session would)."""
    iv = Interview(kb, Answers.from_flat(answers or {}), position=key)
    app.open_interview(iv, Session())
    return iv


async def test_ask_if_branching_and_inline_number_validation(make_app, kb):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        iv = await open_at(app, kb, "data.examples")
        form = await current_form(pilot)
        assert form.question.key == "data.examples"
        total_before = len(iv.questions())

        # Inline validation: the message shows while typing, Enter does not move on.
        await type_text(pilot, "8x")
        error = form.query_one("#q-error", Static)
        assert "whole number" in str(error.render())
        await pilot.press("enter")
        assert (await current_form(pilot)) is form
        assert iv.value("data.examples") is None

        # 0 examples: the five questions about those examples are not asked (their ask_if).
        await pilot.press("backspace", "backspace")
        await answer(pilot, "0")
        form = await current_form(pilot)
        assert form.question.key == "data.eval_cases"
        assert len(iv.questions()) == total_before - 5
        n, total = iv.progress()
        assert f"Question {n} of {total}" in screen_text(app)

        await answer(pilot, "0")
        assert (await current_form(pilot)).question.key == "volume.requests_per_day", "overlap check skipped"

        # Back skips the hidden questions too, and the typed numbers come back.
        await pilot.press("escape")
        form = await current_form(pilot)
        assert form.question.key == "data.eval_cases"
        assert form.query_one("#q-input", Input).value == "0"
        await pilot.press("escape")
        form = await current_form(pilot)
        assert form.question.key == "data.examples"
        await pilot.press("backspace")
        await answer(pilot, "1,500")
        assert iv.value("data.examples") == 1500
        assert (await current_form(pilot)).question.key == "data.quality", "asked again once examples exist"


async def test_leaning_panel_follows_the_engine(make_app, kb):
    answers = {"task.type": "extraction", "task.metric_defined": True, "task.narrow_and_repeatable": True}
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        iv = await open_at(app, kb, "failure.main_cause", answers)
        await answer(pilot, "task_mapping")
        await answer(pilot, True)  # failure.same_input_same_wrong_output
        expected = decide(Answers.from_flat({**answers, "failure.main_cause": "task_mapping",
                                             "failure.same_input_same_wrong_output": True}),
                          kb, counterfactuals=False)
        panel_text = screen_text(app)
        top = expected.options[0]
        assert top.name in panel_text
        assert f"{top.score:+g} " in panel_text
        for r in strongest(top.reasons):
            assert r.title[:25] in panel_text, r.title
        # Blockers appear as soon as they are triggered: "no examples" makes data_too_small fire.
        await open_at(app, kb, "data.examples", iv.answers.answered())
        await answer(pilot, "0")
        panel = app.screen.query_one(LeaningPanel)
        hits = {b.id for b in panel.assessment.blockers}
        assert "data_too_small" in hits
        check = next(b.check for b in panel.assessment.blockers if b.id == "data_too_small")
        assert check[:25] in screen_text(app)


async def test_result_jump_back_to_an_answer_recomputes(make_app, kb, session_dir):
    answers = {k: v for k, v in EXPECTED_VALUES.items()}
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        iv = Interview(kb, Answers.from_flat(answers), visited=list(answers), finished=True)
        session = Session()
        app.show_result(iv, session)
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen) and app.screen, "the result")
        before = decide(Answers.from_flat(answers), kb)
        assert screen.assessment.primary == before.primary

        # "a" focuses the answers; pick failure.main_cause and change it in the dialog.
        await pilot.press("a")
        listing = screen.query_one("#answers", OptionList)
        keys = [q.key for q in iv.questions()]
        listing.highlighted = keys.index("failure.main_cause")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EditAnswerScreen), "the change-answer dialog")
        await pilot.press(digit_for(kb.question("failure.main_cause"), "task_mapping"))
        await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen), "the result again")
        await pilot.pause()

        after = decide(Answers.from_flat({**answers, "failure.main_cause": "task_mapping"}), kb)
        assert (after.primary, after.verdict) != (before.primary, before.verdict), "the change matters"
        assert screen.assessment.primary == after.primary and screen.assessment.verdict == after.verdict
        assert f"Recommendation: {kb.option(after.primary).name}" in str(screen.query_one("#verdict", Static).render())
        # The change was autosaved.
        saved = json.loads(session.path.read_text(encoding="utf-8"))
        assert saved["answers"]["failure"]["main_cause"] == "task_mapping"

        # "b" goes back to the questions, on the last one; escape walks back from there.
        await pilot.press("b")
        form = await current_form(pilot)
        assert form.question.key == keys[-1]


async def test_result_screen_shows_blockers_unknowns_and_what_would_change_it(make_app, kb):
    # A team with few, noisy examples and a few questions left open.
    answers = {k: v for k, v in EXPECTED_VALUES.items()
               if k not in {"team.mlops", "risk.domain", "data.eval_overlap_checked"}}
    answers.update({"failure.main_cause": "task_mapping", "failure.same_input_same_wrong_output": True,
                    "data.examples": 40, "data.quality": "noisy"})
    expected = decide(Answers.from_flat(answers), kb)
    assert expected.blockers and expected.unknowns and expected.counterfactuals, "the case exercises every section"

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_result(Interview(kb, Answers.from_flat(answers), visited=list(answers), finished=True), Session())
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen) and app.screen, "the result")
        await pilot.pause()

        def section(widget_id: str) -> str:
            return plain(screen.query_one(f"#{widget_id}", Static))

        blockers = section("blockers")
        for b in expected.blockers:
            assert b.check in blockers and f"Fix: {b.fix}" in blockers
        unknowns = section("unknowns")
        for u in expected.unknowns:
            assert u.prompt in unknowns
        changes = section("changes")
        for c in expected.counterfactuals:
            assert c.text in changes
        # Each option expands to its rules with rationale and source.
        ranking = [o.id for o in expected.options]
        assert [c.id for c in screen.query("Collapsible")] == [f"option-{i}" for i in ranking]
        second = screen.query_one(f"#option-{ranking[1]}")
        assert second.collapsed
        second.collapsed = False
        await pilot.pause()
        detail = plain(second.query_one(".option-detail", Static))
        for r in expected.options[1].reasons:
            assert r.rule in detail and r.source in detail


async def test_answers_out_and_output_are_written_when_the_result_shows(make_app, kb, tmp_path):
    """`advisor interview --answers-out A -o R`: both files follow the result, also after a change."""
    record, answers_file = tmp_path / "out" / "record.json", tmp_path / "out" / "answers.yaml"
    record.parent.mkdir()
    app = make_app(start="interview", answers_out=answers_file, record_out=record)
    async with app.run_test(size=(100, 30)) as pilot:
        await current_form(pilot)
        assert isinstance(app.screen, InterviewScreen), "opens straight on the questions"
        await answer(pilot, "Route support tickets to the right queue")
        await answer(pilot, "classification")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen), "the result")
        await pilot.pause()
    so_far = {"task.description": "Route support tickets to the right queue", "task.type": "classification"}
    expected = decide(Answers.from_flat(so_far), kb)
    assert json.loads(record.read_text(encoding="utf-8")) == json.loads(render_json(expected))
    assert yaml.safe_load(answers_file.read_text(encoding="utf-8")) == Answers.from_flat(so_far).to_yaml_dict()
