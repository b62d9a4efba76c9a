"""The plain-prompt interview: scripted through the injectable prompter, and once through real questionary.

The record each run ends with is compared with the decide engine's own
assessment of the answers written out by hand (``tests/tui/helpers.py``), so
the plain flow must ask every question, in order, and read every answer right.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from advisor.cli import main as cli_main
from advisor.core.answers import Answers
from advisor.core.decide import decide
from advisor.core.knowledge import cached_knowledge
from advisor.core.record import render_json, render_markdown
from advisor.prompt.interview import BACK, BACK_TEXT, QuestionaryPrompter, run_plain
from advisor.interview.session import SessionStore
from tests.tui.helpers import EXPECTED_VALUES, SCRIPT

TODAY = _dt.date(2026, 3, 14)


@pytest.fixture
def kb():
    return cached_knowledge()


class ScriptedPrompter:
    """Answers each prompt from a script keyed by question, as a person reading the prompt would.

    ``script`` values: a choice's value (or None for "I don't know"), text to type,
    or a list of those to give in turn (for going back and answering again).
    Everything said and every validation message is kept for the test to read.
    """

    def __init__(self, kb, script: dict[str, Any], record_path: str = "") -> None:
        self.kb = kb
        self.script = {k: list(v) if isinstance(v, list) else [v] for k, v in script.items()}
        self.record_path = record_path
        self.asked: list[str] = []
        self.said: list[str] = []
        self.rejected: list[tuple[str, str]] = []

    def _key(self, message: str) -> str:
        for q in self.kb.questions:
            if q.prompt in message:
                return q.key
        raise AssertionError(f"a prompt that is no question: {message!r}")

    def _next(self, key: str) -> Any:
        queue = self.script.get(key, [None])
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def select(self, message: str, choices: list[tuple[str, Any]], *, default_index: int) -> Any:
        key = self._key(message)
        self.asked.append(key)
        wanted = self._next(key)
        values = [v for _, v in choices]
        assert wanted in values, f"{key}: {wanted!r} is not offered ({values})"
        assert any(t == "I don't know" for t, _ in choices)
        return wanted

    def text(self, message: str, *, default: str, validate: Callable[[str], "bool | str"]) -> str:
        if message.startswith("Save the decision record"):
            return self.record_path
        key = self._key(message)
        self.asked.append(key)
        typed = self._next(key)
        typed = "" if typed is None else str(typed)
        for attempt in typed.split("|"):  # "8x|800": a typo, rejected, then the right number
            verdict = validate(attempt)
            if verdict is True:
                return attempt
            self.rejected.append((key, verdict))
        raise AssertionError(f"{key}: every attempt was rejected: {self.rejected}")

    def say(self, text: str) -> None:
        self.said.append(text)


def test_scripted_plain_interview_ends_with_the_engines_record(kb, tmp_path):
    script = {**SCRIPT, "data.examples": "8x|800"}
    prompter = ScriptedPrompter(kb, script)
    store = SessionStore(tmp_path / "data")
    md, answers_out = tmp_path / "record.md", tmp_path / "answers.yaml"
    iv = run_plain(kb, prompter, store=store, answers_out=answers_out, record_out=md, today=TODAY)

    # Every question, in the knowledge base's order, except those its branching skips
    # (the tone question for a format failure, the tool-call question for a job with no tools).
    assert prompter.asked == [q.key for q in kb.questions
                              if q.key not in {"failure.tone_goal", "baseline.tool_calls_validated"}]
    assert prompter.rejected and prompter.rejected[0][0] == "data.examples"
    assert "whole number" in prompter.rejected[0][1]
    expected = decide(Answers.from_flat(EXPECTED_VALUES), kb)
    assert md.read_text(encoding="utf-8") == render_markdown(expected, kb, date=TODAY)
    assert iv.effective_answers() == Answers.from_flat(EXPECTED_VALUES)
    # The summary printed at the end names the engine's recommendation.
    assert any(f"Recommendation: {kb.option(expected.primary).name}" in s for s in prompter.said)
    # The session was autosaved and marked finished.
    [saved] = (tmp_path / "data" / "sessions").glob("session-*.json")
    assert json.loads(saved.read_text(encoding="utf-8"))["finished"] is True


def test_answers_out_is_accepted_by_advisor_decide(kb, tmp_path, capsys):
    prompter = ScriptedPrompter(kb, {**SCRIPT, "risk.domain": None, "data.representative": None})
    answers_out, record = tmp_path / "answers.yaml", tmp_path / "record.json"
    run_plain(kb, prompter, store=SessionStore(tmp_path / "data"), answers_out=answers_out, record_out=record,
              today=TODAY)
    data = yaml.safe_load(answers_out.read_text(encoding="utf-8"))
    assert "domain" not in data["risk"] and "representative" not in data["data"], "unknown = missing key"
    assert data["data"]["synthetic_share"] == 0.1 and data["volume"]["requests_per_day"] == 50000

    capsys.readouterr()
    assert cli_main(["decide", "--answers", str(answers_out), "--format", "json"]) == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert from_cli == json.loads(record.read_text(encoding="utf-8"))
    assert set(from_cli["unknowns"]) >= {"risk.domain", "data.representative"}


def test_back_keeps_answers_and_dont_know_is_an_answer(kb, tmp_path):
    # task.type: answered, then "back" from the next question, then answered again with the same value.
    script = {**SCRIPT, "task.metric_defined": [BACK, True], "task.type": ["extraction", "classification"],
              "task.description": None}
    prompter = ScriptedPrompter(kb, script, record_path="")
    iv = run_plain(kb, prompter, store=SessionStore(tmp_path / "data"), today=TODAY)
    assert prompter.asked[:5] == ["task.description", "task.type", "task.metric_defined", "task.type",
                                  "task.metric_defined"]
    assert iv.value("task.type") == "classification"
    assert iv.value("task.description") is None and "task.description" in iv.visited
    assert not list(tmp_path.glob("decision-record-*")), "an empty path skips the record"


def test_text_back_and_ask_if(kb, tmp_path):
    # "<" on a text question goes back; 0 examples skips the four questions about them.
    script = {**SCRIPT, "data.examples": ["0", "0"], "data.eval_cases": [BACK_TEXT, "0"]}
    prompter = ScriptedPrompter(kb, script)
    iv = run_plain(kb, prompter, store=SessionStore(tmp_path / "data"), record_out=tmp_path / "r.md", today=TODAY)
    i = prompter.asked.index("data.examples")
    assert prompter.asked[i:i + 5] == ["data.examples", "data.eval_cases", "data.examples", "data.eval_cases",
                                       "volume.requests_per_day"]
    assert "data.quality" not in prompter.asked and "data.eval_overlap_checked" not in prompter.asked
    assert iv.value("data.examples") == 0


def test_resume_continues_the_saved_session(kb, tmp_path):
    store = SessionStore(tmp_path / "data")

    class Interrupted(Exception):
        pass

    class StopAt(ScriptedPrompter):
        def select(self, message, choices, *, default_index):
            if kb.question("baseline.prompting").prompt in message:
                raise Interrupted  # the user hit ctrl+c here
            return super().select(message, choices, default_index=default_index)

    with pytest.raises(Interrupted):
        run_plain(kb, StopAt(kb, SCRIPT), store=store, today=TODAY)

    prompter = ScriptedPrompter(kb, SCRIPT)
    iv = run_plain(kb, prompter, store=store, resume=True, record_out=tmp_path / "r.md", today=TODAY)
    assert prompter.asked[0] == "baseline.prompting", "carries on at the question it stopped on"
    assert iv.effective_answers() == Answers.from_flat(EXPECTED_VALUES)
    assert len(list(store.folder.glob("session-*.json"))) == 1


def keys_for(kb, script: dict[str, Any]) -> str:
    """The keystrokes a person would type into questionary for ``script`` (all questions asked)."""
    from questionary.prompts.common import InquirerControl

    shortcuts = InquirerControl.SHORTCUT_KEYS
    from tests.tui.helpers import asked_keys

    out = []
    asked = set(asked_keys(kb, script))
    for q in kb.questions:
        if q.key not in asked:
            continue
        value = script.get(q.key)
        if q.kind in ("choice", "bool"):
            values = [True, False] if q.kind == "bool" else [c.value for c in q.choices]
            index = values.index(value) if value is not None else len(values)  # "I don't know" follows the choices
            out.append(shortcuts[index] + "\r")
        else:
            out.append("" if value is None else str(value))
            out.append("\r")
    return "".join(out)


def test_real_questionary_through_a_pipe(kb, tmp_path):
    """questionary and prompt_toolkit themselves, fed keystrokes through a pipe input."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    out = io.StringIO()
    record = tmp_path / "record.json"
    with create_pipe_input() as pipe:
        pipe.send_text(keys_for(kb, SCRIPT))
        prompter = QuestionaryPrompter(input=pipe, output=DummyOutput(), out=out)
        iv = run_plain(kb, prompter, store=SessionStore(tmp_path / "data"), record_out=record, today=TODAY)
    assert iv.effective_answers() == Answers.from_flat(EXPECTED_VALUES)
    expected = decide(Answers.from_flat(EXPECTED_VALUES), kb)
    assert json.loads(record.read_text(encoding="utf-8")) == json.loads(render_json(expected))
    printed = out.getvalue()
    assert "== The job (1/7) ==" in printed and f"Wrote {record}" in printed
