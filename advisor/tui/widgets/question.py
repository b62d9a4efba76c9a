"""One question as a form: prompt, help, and the answer control its ``kind`` calls for.

Used by the interview screen and by the result screen's "change this answer"
dialog, so a question looks and behaves the same in both. All wording comes
from ``knowledge/questions.yaml``; the only fixed text is "I don't know" and
the key hints.
"""

from __future__ import annotations

from typing import Any, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from advisor.core.knowledge import Question
from advisor.interview.flow import DONT_KNOW_LABEL, choice_items, edit_text, parse_value
from advisor.tui.messages import QuestionAnswered


class ChoiceList(OptionList):
    """The choices, numbered; a digit key picks one at once (0 = "I don't know")."""

    def __init__(self, q: Question, value: Any, *, answered: bool, id: Optional[str] = None) -> None:
        self.values: list[Any] = []
        options: list[Option] = []
        for n, (label, help_text, v) in enumerate(choice_items(q), start=1):
            prompt = Text.assemble((f"{n}. " if n < 10 else "   ", "bold"), label)
            if help_text:
                prompt.append(f"  {help_text}", style="dim")
            options.append(Option(prompt, id=f"choice-{n}"))
            self.values.append(v)
        options.append(Option(Text.assemble(("0. ", "bold"), DONT_KNOW_LABEL), id="choice-dont-know"))
        self.values.append(None)
        super().__init__(*options, id=id)
        if value is not None and value in self.values:
            self._start = self.values.index(value)
        elif answered:
            self._start = len(self.values) - 1  # they said "I don't know" last time
        else:
            self._start = 0

    def on_mount(self) -> None:
        self.highlighted = self._start

    def on_key(self, event: Key) -> None:
        # Digits pick a choice directly: the fastest path for a keyboard user.
        if event.character and event.character.isdigit():
            n = int(event.character)
            index = len(self.values) - 1 if n == 0 else n - 1
            if index < len(self.values):
                event.stop()
                event.prevent_default()
                self.highlighted = index
                self.action_select()


class QuestionForm(Vertical):
    """A question with its help text and answer control; posts :class:`QuestionAnswered`.

    Args:
        question: the question from the knowledge base.
        value: the current answer (``None`` when unknown or not yet answered).
        answered: the user has answered it before (so ``None`` means "I don't know").
    """

    DEFAULT_CSS = """
    QuestionForm { height: auto; }
    QuestionForm .q-error { color: $error; height: auto; }
    QuestionForm .q-hint { color: $text-muted; }
    """

    def __init__(self, question: Question, value: Any = None, *, answered: bool = False,
                 id: Optional[str] = None) -> None:
        super().__init__(id=id, classes="question-form")
        self.question = question
        self.value = value
        self.answered = answered

    def compose(self) -> ComposeResult:
        q = self.question
        yield Static(q.prompt, classes="q-prompt", id="q-prompt")
        yield Static(q.help, classes="q-help", id="q-help")
        if q.kind in ("choice", "bool"):
            yield ChoiceList(q, self.value, answered=self.answered, id="q-choices")
            yield Static("Enter or a number to answer; 0 = I don't know", classes="q-hint")
        else:
            placeholder = f"e.g. {q.example}" if q.example else ""
            if q.unit:
                placeholder += f" ({q.unit})" if placeholder else q.unit
            yield Input(value=edit_text(q, self.value), placeholder=placeholder, id="q-input")
            yield Static("", classes="q-error", id="q-error")
            yield Static("Enter to continue; leave it empty if you don't know", classes="q-hint")
            with Horizontal(classes="q-buttons"):
                yield Button("Continue", id="q-submit", variant="primary", compact=True)
                yield Button(DONT_KNOW_LABEL, id="q-dont-know", compact=True)

    def on_mount(self) -> None:
        self.focus_control()

    def focus_control(self) -> None:
        """Put the keyboard focus on the answer control."""
        for selector in ("#q-choices", "#q-input"):
            found = self.query(selector)
            if found:
                found.first().focus()
                return

    # -- answering ----------------------------------------------------------
    @on(OptionList.OptionSelected, "#q-choices")
    def _choice_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choices = self.query_one(ChoiceList)
        self.post_message(QuestionAnswered(self.question.key, choices.values[event.option_index]))

    def _check(self, text: str) -> tuple[bool, Any]:
        error = self.query_one("#q-error", Static)
        try:
            value = parse_value(self.question, text)
        except ValueError as e:
            error.update(str(e))
            self.add_class("-invalid")
            return False, None
        error.update("")
        self.remove_class("-invalid")
        return True, value

    @on(Input.Changed, "#q-input")
    def _typed(self, event: Input.Changed) -> None:
        # Validate as the user types so the message sits under the field before they press Enter.
        event.stop()
        self._check(event.value)

    @on(Input.Submitted, "#q-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#q-submit")
    def _submit_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#q-dont-know")
    def _dont_know(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(QuestionAnswered(self.question.key, None))

    def submit(self) -> None:
        """Answer with what is in the input, if it is valid."""
        ok, value = self._check(self.query_one("#q-input", Input).value)
        if ok:
            self.post_message(QuestionAnswered(self.question.key, value))
