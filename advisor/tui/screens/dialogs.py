"""Small modal screens that each return one typed result.

* :class:`ExportScreen` -> the ``Path`` written, or ``None`` if cancelled.
* :class:`RecordExportScreen` -> the numbered record's ``Path`` in the decisions folder, or ``None``.
* :class:`EditAnswerScreen` -> an :class:`Edited` answer, or ``None``.
* :class:`OpenSessionScreen` -> the chosen session file's ``Path``, or ``None``.
"""

from __future__ import annotations

import datetime as _dt
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
from textual.widgets import Button, Checkbox, Input, Label, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from advisor.core.knowledge import KnowledgeBase, Question
from advisor.errors import UserError
from advisor.tui.messages import QuestionAnswered
from advisor.interview.session import SessionStore
from advisor.tui.widgets.question import QuestionForm


def human_time(stamp: str, now: Optional[_dt.datetime] = None) -> str:
    """A saved timestamp (ISO 8601, UTC in session files) as a person reads it, in local time.

    ``today 14:05``, ``yesterday 09:12``, ``Mon 9 Mar 14:05`` within the week, else ``9 Mar 2025 14:05``.
    A stamp that is not a timestamp is shown as it is.

    Args:
        stamp: the ISO timestamp; one without a zone is taken as UTC (how sessions are written).
        now: the current time (tests pin it); default the local clock.
    """
    try:
        when = _dt.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp or "at an unknown time"
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    local = when.astimezone()  # the machine's zone
    today = (now.astimezone() if now else _dt.datetime.now().astimezone()).date()
    clock = local.strftime("%H:%M")
    days = (today - local.date()).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"yesterday {clock}"
    if 1 < days < 7:
        return f"{local:%a} {local.day} {local:%b} {clock}"
    return f"{local.day} {local:%b %Y} {clock}"


class ExportScreen(ModalScreen[Optional[Path]]):
    """Ask for a path and write a file there; errors stay in the dialog.

    Args:
        title: what is being written ("Export the decision record (markdown)").
        default: the path offered (relative paths are taken from the current folder).
        write: called with the absolute path; raises :class:`UserError` or ``OSError`` on failure.
    """

    HELP_TITLE = "Save a file"
    HELP = """
Type where to write the file (a relative path starts in the folder advisor was started
in) and press **Enter**. The file is written whole or not at all; if it cannot be written,
the reason shows here and nothing is lost.
"""
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str, write: Callable[[Path], Any]) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.write = write
        self._overwrite: Optional[Path] = None  # the existing file the user confirmed to replace

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
        if path.exists() and self._overwrite != path:
            # Never replace a file without an explicit choice: a second Save on the same name is that choice.
            self._overwrite = path
            error.update(f"{text} already exists. Press Save again to overwrite it, or change the name.")
            return
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


class RecordExportScreen(ModalScreen[Optional[Path]]):
    """Add the record to a decisions folder as its next numbered record, optionally superseding one.

    The folder's records are read from their front matter (advisor.core.decisions,
    the same code as ``advisor decide --save``): the name the record will get,
    and the active records that decide the same job, any of which the user may
    choose to supersede (front-matter links both ways). Nothing is replaced:
    the record takes the next free number. "Another file" hands over to a plain
    file dialog instead.

    Args:
        description: the task description (the record's slug and job).
        folder: the decisions folder offered.
        save: called with ``(folder, records to supersede, also write JSON)``; returns the record's path.
            Raises :class:`UserError` or ``OSError`` on failure (shown in the dialog).
        to_file: called (after this dialog closes) when the user picks "Another file".
    """

    HELP_TITLE = "Save the decision record"
    HELP = """
The record is added to the **decisions folder** (`docs/decisions` unless you change it here
or set `ADVISOR_DECISIONS_DIR`) as the next numbered file, `NNNN-slug.md`, and the folder's
`index.md` is rebuilt. No file is replaced.

When an earlier record in the folder decides the same job, choose whether the new record
**supersedes** it: the old record keeps its text, its status becomes *superseded by
ADR-NNNN* and both records link to each other in their front matter. The default keeps it
as it is.

Tick **Also write the JSON** to write the same decision as JSON beside it (`NNNN-slug.json`).
**Another file** saves the record to a file you name instead. **Tab** moves between fields,
**Enter** saves, **escape** cancels.
"""
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, description: Optional[str], folder: Path,
                 save: Callable[[Path, list[Any], bool], Path], to_file: Callable[[], Any]) -> None:
        super().__init__()
        self.description = description
        self.folder = folder
        self.save = save
        self.to_file = to_file
        self.same: list[Any] = []  # active records on the same job in the folder shown, newest first

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label("Save the decision record", classes="dialog-title")
            with Horizontal(id="record-folder-row"):
                yield Label("Decisions folder: ")
                yield Input(value=str(self.folder), id="record-folder", compact=True)
            yield Static("", id="record-target")
            yield Vertical(id="record-supersede")
            yield Checkbox("Also write the JSON beside it", id="record-json", compact=True)
            yield Static("", id="export-error", classes="error-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="record-save", variant="primary", compact=True)
                yield Button("Another file…", id="record-file", compact=True)
                yield Button("Cancel", id="record-cancel", compact=True)

    async def on_mount(self) -> None:
        await self._refresh()
        self.query_one("#record-folder", Input).focus()

    def _folder(self) -> Path:
        text = self.query_one("#record-folder", Input).value.strip()
        return Path(text or ".").expanduser()

    @on(Input.Changed, "#record-folder")
    async def _folder_changed(self, event: Input.Changed) -> None:
        event.stop()
        await self._refresh()

    async def _refresh(self) -> None:
        """Show the name the record will get and the same-job records that it may supersede."""
        from advisor.core import decisions

        folder = self._folder()
        records = decisions.list_records(folder)
        # The newest few: the dialog must fit 80x24 (`advisor decide --save --supersedes N` reaches any record).
        self.same = decisions.find_same_job(folder, self.description)[:3]
        nxt = decisions.next_path(folder, self.description)
        where = "" if folder.is_dir() else " (the folder is created)"
        self.query_one("#record-target", Static).update(
            Text.assemble("Saved as ", (nxt.name, "bold"), f"{where}; index.md is updated."))
        box = self.query_one("#record-supersede", Vertical)
        await box.remove_children()
        if not self.same:
            others = f" ({len(records)} other record(s) there)" if records else ""
            await box.mount(Static(f"No earlier record in this folder decides the same job{others}.",
                                   id="record-no-same", classes="q-hint"))
            return
        keep = "Keep the earlier record as it is" if len(self.same) == 1 else "Keep the earlier records as they are"
        buttons = [RadioButton(keep, value=True, id="supersede-none")]
        for i, r in enumerate(self.same):
            state = f"{r.date or 'no date'}, {r.status or 'no status'}"
            buttons.append(RadioButton(f"Supersede {r.number:04d} ({state}): {r.path.name}", id=f"supersede-{i}"))
        if len(self.same) > 1:
            buttons.append(RadioButton(f"Supersede all {len(self.same)} of them", id="supersede-all"))
        await box.mount(Static("An earlier record decides the same job:", classes="q-hint"),
                        RadioSet(*buttons, id="record-supersede-choice", compact=True))

    def chosen(self) -> list[Any]:
        """The records the user chose to supersede (none by default)."""
        found = self.query("#record-supersede-choice")
        if not found or not self.same:
            return []
        pressed = found.first(RadioSet).pressed_button
        bid = pressed.id if pressed is not None else "supersede-none"
        if bid == "supersede-all":
            return list(self.same)
        if bid and bid.startswith("supersede-") and bid.removeprefix("supersede-").isdigit():
            return [self.same[int(bid.removeprefix("supersede-"))]]
        return []

    @on(Input.Submitted, "#record-folder")
    @on(Button.Pressed, "#record-save")
    def _save(self, event: Any) -> None:
        event.stop()
        error = self.query_one("#export-error", Static)
        folder = self._folder()
        if not folder.is_absolute():
            folder = Path.cwd() / folder
        try:
            path = self.save(folder, self.chosen(), self.query_one("#record-json", Checkbox).value)
        except UserError as e:
            error.update(str(e))
            return
        except OSError as e:
            error.update(f"{e.filename or folder}: {e.strerror or e}")
            return
        self.dismiss(path)

    @on(Button.Pressed, "#record-file")
    def _another_file(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
        self.to_file()

    @on(Button.Pressed, "#record-cancel")
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

    HELP_TITLE = "Change an answer"
    HELP = """
Answer the question again as in the interview (**0** or an empty field = *I don't know*);
the result recomputes when the dialog closes. **escape** keeps the old answer.
"""
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

    HELP_TITLE = "Saved sessions"
    HELP = """
Every interview is saved after each answer. Pick one with the arrows and **Enter**: a
finished one opens on its result, the others on the question where they stopped. Times are
your local time.
"""
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, store: SessionStore, kb: Optional[KnowledgeBase] = None) -> None:
        """Args:
            store: the session folder.
            kb: the knowledge base, to name the question a session stopped at (its key without it).
        """
        super().__init__()
        self.store = store
        self.kb = kb

    def _where(self, position: Optional[str]) -> str:
        if not position:
            return "at the end"
        q = self.kb.question(position) if self.kb is not None else None
        if q is None:
            return f"at {position}"
        prompt = q.prompt if len(q.prompt) <= 48 else q.prompt[:47].rstrip() + "…"
        return f"stopped at “{prompt}”"

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
                    state = "finished" if session.finished else self._where(session.position)
                    label = Text.assemble((desc, "bold"), "\n   ",
                                          (f"{session.answer_count()} answers, {state}, saved {human_time(session.updated)}",
                                           "dim"))
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


class HelpScreen(ModalScreen[None]):
    """What the screen below does and every key it answers to (``?`` or F1 opens it).

    Args:
        title: the screen's name.
        text: markdown: what the screen is for and how to use it (the screen's ``HELP``).
        keys: ``(key, what it does)`` for each key active on that screen, app keys included.
    """

    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close", key_display="esc")]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.keys = keys

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll
        from textual.widgets import Markdown

        rows = "\n".join(f"| `{k}` | {what} |" for k, what in self.keys)
        body = f"{self.text.strip()}\n\n## Keys\n\n| key | what it does |\n|---|---|\n{rows}\n"
        with Vertical(id="help-dialog", classes="dialog wide"):
            yield Label(f"Help: {self.title_text}", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Markdown(body, id="help-text")
            yield Static("escape closes this help", classes="q-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmLeaveScreen(ModalScreen[str]):
    """Asked before leaving (or quitting) with a result that is not saved: ``"save"``, ``"leave"`` or ``"stay"``.

    Args:
        what: what would be lost ("a triage result that is not saved").
        leaving: the verb on the button ("Leave", "Quit").
    """

    HELP_TITLE = "Unsaved result"
    HELP = """
The result on this screen has not been saved anywhere, and it goes when the screen closes.
**s** saves it first, **l** (or the second button) leaves without it, **escape** stays.
"""
    BINDINGS = [
        Binding("escape", "choose('stay')", "Stay"),
        Binding("s", "choose('save')", "Save first"),
        Binding("l", "choose('leave')", "Leave anyway"),
    ]

    def __init__(self, what: str, leaving: str = "Leave") -> None:
        super().__init__()
        self.what = what
        self.leaving = leaving

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"{self.leaving} without saving?", classes="dialog-title")
            yield Static(f"You have {self.what}; it is lost if you {self.leaving.lower()} now.", id="confirm-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save first (s)", id="confirm-save", variant="primary", compact=True)
                yield Button(f"{self.leaving} anyway (l)", id="confirm-leave", variant="error", compact=True)
                yield Button("Stay (esc)", id="confirm-stay", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-save", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "confirm-stay").removeprefix("confirm-"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


def confirm_leaving(screen: Any, save: Callable[[], Any], leave: Callable[[], Any], *, leaving: str = "Leave") -> None:
    """Call ``leave`` at once when ``screen.unsaved()`` is ``None``; otherwise ask, and save or leave as told."""
    what = screen.unsaved()
    if not what:
        leave()
        return

    def chosen(choice: Optional[str]) -> None:
        if choice == "save":
            save()
        elif choice == "leave":
            leave()

    screen.app.push_screen(ConfirmLeaveScreen(what, leaving), callback=chosen)
