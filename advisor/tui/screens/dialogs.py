"""Small modal screens that each return one typed result.

* :class:`ExportScreen` -> the ``Path`` written, or ``None`` if cancelled.
* :class:`EditAnswerScreen` -> an :class:`Edited` answer, or ``None``.
* :class:`OpenSessionScreen` -> the chosen session file's ``Path``, or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from advisor.core.knowledge import Question
from advisor.errors import UserError
from advisor.tui.messages import QuestionAnswered
from advisor.interview.session import SessionStore
from advisor.tui.widgets.question import QuestionForm


class ExportScreen(ModalScreen[Optional[Path]]):
    """Ask for a path and write a file there; errors stay in the dialog.

    Args:
        title: what is being written ("Export the decision record (markdown)").
        default: the path offered (relative paths are taken from the current folder).
        write: called with the absolute path; raises :class:`UserError` or ``OSError`` on failure.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str, write: Callable[[Path], Any]) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.write = write

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label("Save to:")
            yield Input(value=self.default, id="export-path")
            yield Static("", id="export-error", classes="error-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="export-save", variant="primary", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-save")
    def _save(self, event: Any) -> None:
        event.stop()
        text = self.query_one("#export-path", Input).value.strip()
        error = self.query_one("#export-error", Static)
        if not text:
            error.update("Enter a file name.")
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        try:
            self.write(path)
        except UserError as e:
            error.update(str(e))
            return
        except OSError as e:
            error.update(f"{path}: {e.strerror or e}")
            return
        self.dismiss(path)

    @on(Button.Pressed, "#export-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class Edited:
    """A changed answer (``value`` ``None`` = "I don't know")."""

    key: str
    value: Any


class EditAnswerScreen(ModalScreen[Optional[Edited]]):
    """Change one answer from the result screen; the result recomputes on return."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: Question, value: Any, *, answered: bool) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.answered = answered

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label("Change this answer (escape to keep it)", classes="dialog-title")
            yield QuestionForm(self.question, self.value, answered=self.answered, id="edit-form")

    @on(QuestionAnswered)
    def _answered(self, event: QuestionAnswered) -> None:
        event.stop()
        self.dismiss(Edited(event.key, event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class OpenSessionScreen(ModalScreen[Optional[Path]]):
    """The autosaved sessions, newest first; unreadable ones are listed and say why."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, store: SessionStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        entries = self.store.list()
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label("Open a saved session", classes="dialog-title")
            if not entries:
                yield Static(f"No saved sessions yet (they are kept in {self.store.folder}).", id="no-sessions")
                yield Button("Close", id="sessions-close", compact=True)
                return
            options = []
            for path, session, error in entries:
                if session is None:
                    label = Text.assemble((path.name, "bold"), "\n   ", (f"unreadable: {error}", "red"))
                else:
                    desc = session.description or "(no task description yet)"
                    state = "finished" if session.finished else f"at {session.position or 'the end'}"
                    label = Text.assemble((desc, "bold"), "\n   ",
                                          (f"{session.answer_count()} answers, {state}, saved {session.updated}", "dim"))
                options.append(Option(label, id=str(path)))
            yield OptionList(*options, id="session-list")
            yield Static(f"Folder: {self.store.folder}", classes="q-hint")

    def on_mount(self) -> None:
        for sel in ("#session-list", "#sessions-close"):
            found = self.query(sel)
            if found:
                found.first().focus()
                break

    @on(OptionList.OptionSelected, "#session-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(Path(event.option.id or ""))

    @on(Button.Pressed, "#sessions-close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
