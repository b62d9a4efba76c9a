"""The interview as plain prompts (questionary): same questions, same order, same record.

For ssh sessions and terminals where a full-screen app is unwelcome. The
questions, their order and their branching come from the same
:class:`~advisor.interview.flow.Interview` the Textual app drives, and the answers
autosave to the same session folder after every answer, so ``--resume`` works
across both front ends.

The prompting is injectable: :func:`run_interview` takes any object with the
:class:`Prompter` methods, so tests drive it with a scripted fake, and
:class:`QuestionaryPrompter` accepts prompt_toolkit ``input``/``output`` so a
test can also type into real questionary prompts through a pipe.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, Protocol, TextIO

from advisor.core.knowledge import KnowledgeBase, Question
from advisor.errors import UserError
from advisor.interview.flow import DONT_KNOW_LABEL, Interview, choice_items, edit_text, from_session, parse_value, to_session
from advisor.interview.session import Session, SessionStore


class _Back:
    """The "go back one question" answer."""

    def __repr__(self) -> str:
        return "BACK"


BACK: Any = _Back()
BACK_LABEL = "<- Back to the previous question"
BACK_TEXT = "<"
DONT_KNOW_KEY = "0"  # the app's key for "I don't know" too


class Prompter(Protocol):
    """What the interview needs from a prompt library."""

    def select(self, message: str, choices: list[tuple[str, Any]], *, default_index: int) -> Any:
        """Show ``choices`` as ``(title, value)``; return the chosen value."""

    def text(self, message: str, *, default: str, validate: Callable[[str], "bool | str"]) -> str:
        """Ask for free text; ``validate`` returns ``True`` or the message to show."""

    def say(self, text: str) -> None:
        """Print a line (topic headings, help text, the summary)."""


class QuestionaryPrompter:
    """The real prompts.

    Args:
        input: a prompt_toolkit input (tests pass ``create_pipe_input()``); default the terminal.
        output: a prompt_toolkit output (tests pass ``DummyOutput()``).
        out: where :meth:`say` prints.
    """

    def __init__(self, *, input: Any = None, output: Any = None, out: Optional[TextIO] = None) -> None:
        self.kwargs = {k: v for k, v in (("input", input), ("output", output)) if v is not None}
        self.out = out

    def select(self, message: str, choices: list[tuple[str, Any]], *, default_index: int) -> Any:
        import questionary

        # Indexes as values: questionary replaces a None value with the title. "I don't know"
        # (value None) is key 0 on every question, as in the app; the others are numbered from 1.
        qchoices = [questionary.Choice(title=t, value=i, shortcut_key=DONT_KNOW_KEY if v is None else True)
                    for i, (t, v) in enumerate(choices)]
        index = questionary.select(
            message, choices=qchoices, default=qchoices[default_index], use_shortcuts=len(choices) <= 36,
            **self.kwargs,
        ).unsafe_ask()
        return choices[index][1]

    def text(self, message: str, *, default: str, validate: Callable[[str], "bool | str"]) -> str:
        import questionary

        return questionary.text(message, default=default, validate=validate, **self.kwargs).unsafe_ask()

    def say(self, text: str) -> None:
        from advisor.core.io import clean_terminal

        out = self.out or sys.stdout
        text = clean_terminal(text)
        if _isatty(out):
            text = wrap_lines(text, shutil.get_terminal_size((80, 24)).columns - 1)
        print(text, file=out, flush=True)


class LinePrompter:
    """Prompts a line at a time with no escape codes at all, for ``TERM=dumb`` (an editor's shell, a serial line).

    A choice is a numbered list and a typed key (the same keys as the app and the
    questionary prompts: ``0`` is "I don't know"); Enter keeps the highlighted
    default. End of input ends the interview as ctrl+c does.

    Args:
        input: where answers are read (default standard input).
        out: where questions are written (default standard output).
    """

    KEYS = "123456789abcdefghijklmnopqrstuvwxyz"

    def __init__(self, *, input: Optional[TextIO] = None, out: Optional[TextIO] = None) -> None:
        self.input = input
        self.out = out

    def _line(self, prompt: str) -> str:
        out = self.out or sys.stdout
        print(prompt, end="", file=out, flush=True)
        line = (self.input or sys.stdin).readline()
        if not line:
            print(file=out)
            raise KeyboardInterrupt
        return line.rstrip("\r\n")

    def select(self, message: str, choices: list[tuple[str, Any]], *, default_index: int) -> Any:
        from advisor.core.io import clean_terminal

        keys, free = [], iter(self.KEYS)
        for _, value in choices:
            keys.append(DONT_KNOW_KEY if value is None else next(free))
        self.say(message)
        for key, (title, _) in zip(keys, choices):
            print(f"  {key}) {clean_terminal(title)}", file=self.out or sys.stdout)
        while True:
            typed = self._line(f"Choose ({'/'.join(keys)}; Enter = {keys[default_index]}): ").strip().lower()
            if not typed:
                return choices[default_index][1]
            if typed in keys:
                return choices[keys.index(typed)][1]
            self.say(f"  {typed!r} is not one of the keys: type one of {', '.join(keys)}.")

    def text(self, message: str, *, default: str, validate: Callable[[str], "bool | str"]) -> str:
        while True:
            typed = self._line(f"{message}{f' [Enter keeps {default}]' if default else ''}: ")
            if not typed.strip() and default:
                typed = default
            verdict = validate(typed)
            if verdict is True:
                return typed
            self.say(f"  {verdict}")

    def say(self, text: str) -> None:
        from advisor.core.io import clean_terminal

        print(wrap_lines(clean_terminal(text), shutil.get_terminal_size((80, 24)).columns - 1),
              file=self.out or sys.stdout, flush=True)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def wrap_lines(text: str, width: int) -> str:
    """Wrap each line at word boundaries to ``width``, continuing at its indent (a terminal would cut words)."""
    import textwrap

    out = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip(" "))]
        if len(line) <= width or width < 20:
            out.append(line)
            continue
        out.append(textwrap.fill(line.strip(), width=width, initial_indent=indent,
                                 subsequent_indent=indent + ("  " if indent else ""),
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def choice_list(q: Question) -> list[tuple[str, Any]]:
    """``(title, value)`` for a choice or yes/no question, "I don't know" last."""
    items = [(f"{label} ({help_text})" if help_text else label, v) for label, help_text, v in choice_items(q)]
    return items + [(DONT_KNOW_LABEL, None)]


def ask_one(prompter: Prompter, q: Question, value: Any, *, answered: bool, number: str, can_go_back: bool) -> Any:
    """Ask one question; return its answer, ``None`` for "I don't know" or :data:`BACK`."""
    prompter.say(f"  {q.help}")
    message = f"{number} {q.prompt}"
    if q.kind in ("choice", "bool"):
        choices = choice_list(q)
        if can_go_back:
            choices.append((BACK_LABEL, BACK))
        values = [v for _, v in choices]
        if value is not None and value in values:
            default = values.index(value)
        elif answered:
            default = values.index(None)
        else:
            default = 0
        return prompter.select(message, choices, default_index=default)

    def validate(text: str) -> "bool | str":
        if can_go_back and text.strip() == BACK_TEXT:
            return True
        try:
            parse_value(q, text)
        except ValueError as e:
            return str(e)
        return True

    hint = "empty = I don't know" + (f", {BACK_TEXT} = back" if can_go_back else "")
    if q.example:
        hint = f"e.g. {q.example}; " + hint
    text = prompter.text(f"{message} ({hint})", default=edit_text(q, value), validate=validate)
    if can_go_back and text.strip() == BACK_TEXT:
        return BACK
    return parse_value(q, text)


def run_interview(interview: Interview, prompter: Prompter, *,
                  on_answer: Callable[[Interview], Any] = lambda iv: None) -> Interview:
    """Ask every question still to ask, in order, calling ``on_answer`` after each answer."""
    shown_topic: Optional[str] = None
    while (q := interview.current) is not None:
        n, total = interview.progress()
        if q.topic != shown_topic:
            topic = interview.topic(q)
            tn, tt = interview.topic_progress()
            prompter.say(f"\n== {topic.title} ({tn}/{tt}) ==\n{topic.intro}\n")
            shown_topic = q.topic
        value = ask_one(prompter, q, interview.value(q.key), answered=q.key in interview.visited,
                        number=f"[{n}/{total}]", can_go_back=n > 1)
        if value is BACK:
            interview.back()
            on_answer(interview)
            continue
        interview.answer(q.key, value)
        on_answer(interview)
    return interview


def summary(interview: Interview) -> str:
    """A few lines on the result, for the terminal."""
    from advisor.core.decide import decide, verdict_reason

    a = decide(interview.effective_answers(), interview.kb)
    kb = interview.kb
    lines = [
        "",
        f"Recommendation: {kb.option(a.primary).name}",
        f"Fine-tuning verdict: {a.verdict.replace('_', ' ')}"
        + (f" (method: {a.fine_tune_method})" if a.fine_tune_method else "") + f": {verdict_reason(a)}.",
        f"Confidence: {a.confidence_label} ({a.confidence:.2f}); {len(a.unknowns)} open question(s)"
        + (f", {len(a.not_asked)} not asked (your earlier answers make them moot; they do not count)"
           if a.not_asked else ""),
        # Every lever, fine-tuning included wherever it ranks: it is what the user came to ask about.
        "Ranking: " + ", ".join(f"{o.name} {o.score:+g}" for o in a.options),
    ]
    for b in a.blockers:
        lines.append(f"  blocker: {b.check}. Fix: {b.fix}")
    for c in a.counterfactuals[:3]:
        lines.append(f"  what would change this: {c.text}")
    return "\n".join(lines)


def write_outputs(interview: Interview, *, answers_out: Optional[Path], record_out: Optional[Path],
                  today: _dt.date) -> list[Path]:
    """Write the answers file and the record (``.json`` -> JSON, else markdown) atomically."""
    from advisor.core.decide import decide
    from advisor.core.io import atomic_write
    from advisor.core.record import render_json, render_markdown, save_answers_yaml

    written = []
    answers = interview.effective_answers()
    if answers_out is not None:
        save_answers_yaml(str(answers_out), answers)
        written.append(answers_out)
    if record_out is not None:
        a = decide(answers, interview.kb)
        text = render_json(a) if record_out.suffix.lower() == ".json" else render_markdown(a, interview.kb, date=today, visited=interview.visited)
        atomic_write(record_out, text)
        written.append(record_out)
    return written


def ask_where_to_save(interview: Interview, prompter: Prompter) -> tuple[Optional[Path], bool]:
    """Ask where the record goes: the decisions folder (numbered), a named file, or nowhere.

    Returns ``(path, to_folder)``; an existing file is replaced only if the user says so.
    """
    from advisor.core import decisions

    folder = decisions.folder_for(None)
    nxt = decisions.next_path(folder, interview.effective_answers().task.description)
    choice = prompter.select("Save the decision record?", [
        (f"Add it to {folder}/ as {nxt.name} (numbered; the index is updated)", "folder"),
        ("Save it to a file I name", "file"),
        ("Don't save it", None),
    ], default_index=0)
    if choice == "folder":
        return nxt, True
    if choice is None:
        return None, False
    while True:
        text = prompter.text("File name for the record (.md, or .json for JSON; empty to skip)", default="",
                             validate=lambda t: True).strip()
        if not text:
            return None, False
        path = Path(text).expanduser()
        if not path.exists():
            return path, False
        again = prompter.select(f"{path} already exists. Overwrite it?", [
            ("No: choose another name", "rename"), ("Yes: overwrite it", "overwrite"), ("Don't save it", None),
        ], default_index=0)
        if again == "overwrite":
            return path, False
        if again is None:
            return None, False


def save_to_decisions(interview: Interview, prompter: Prompter, *, today: _dt.date) -> list[Path]:
    """Add the record to the decisions folder; offer to supersede a record on the same job."""
    from advisor.core import decisions
    from advisor.core.decide import decide
    from advisor.core.record import render_markdown

    answers = interview.effective_answers()
    folder = decisions.folder_for(None)
    same = decisions.find_same_job(folder, answers.task.description)
    supersede = []
    if same:
        names = ", ".join(f"{r.path.name} ({r.date or 'no date'})" for r in same)
        if prompter.select(f"An earlier record decides the same job: {names}. Supersede it?", [
            ("No: keep both as they are", False),
            ("Yes: mark it superseded by the new record (its text is kept)", True),
        ], default_index=0):
            supersede = same
    a = decide(answers, interview.kb)
    saved = decisions.save_record(render_markdown(a, interview.kb, date=today, visited=interview.visited), folder=folder,
                                  description=answers.task.description, supersede=supersede)
    for p in saved.superseded:
        prompter.say(f"Marked {p} superseded by {saved.path.name}")
    if saved.note:
        prompter.say(saved.note)
    return [saved.path] + ([saved.index] if saved.index else [])


def run_plain(
    kb: KnowledgeBase,
    prompter: Prompter,
    *,
    store: SessionStore,
    resume: bool = False,
    answers_out: Optional[Path] = None,
    record_out: Optional[Path] = None,
    today: Optional[_dt.date] = None,
    ask_record_path: bool = True,
) -> Interview:
    """The whole plain interview: ask, autosave, summarise, write the record.

    Args:
        kb: the knowledge base.
        prompter: how to ask (questionary, or a fake in tests).
        store: where the session autosaves after every answer.
        resume: continue the most recent saved session.
        answers_out: also write the answers file here.
        record_out: write the decision record here; when ``None`` and
            ``ask_record_path`` is true, the user is asked for a path.
        today: the record's date.
        ask_record_path: offer to save the record when ``record_out`` is not given.

    Returns:
        The finished interview.

    Raises:
        UserError: a corrupt session, or a file that cannot be written.
    """
    today = today or _dt.date.today()
    session = Session()
    interview = Interview(kb)
    if resume:
        latest = store.latest()
        if latest is None:
            prompter.say("No saved session to resume; starting a new interview.")
        else:
            session = store.load(latest)
            interview = from_session(kb, session)
            prompter.say(f"Resuming {latest} ({session.answer_count()} answers so far).")
            if interview.current is None:
                # Finished before: walk it again from the start, answers pre-filled.
                interview.goto(interview.questions()[0].key)

    unsaved: list[str] = []

    def save(iv: Interview) -> None:
        # A session that cannot be saved (full disk, read-only data folder) must not end the
        # interview: say so once, keep the answers in memory, write them at the end if asked.
        try:
            store.save(to_session(iv, session))
        except UserError as e:
            if not unsaved:
                prompter.say(f"Note: the session cannot be saved ({e}); carrying on. Your answers are kept "
                             "until the end: give a file for the decision record (or --answers-out) to keep them.")
            unsaved.append(str(e))

    run_interview(interview, prompter, on_answer=save)
    save(interview)
    prompter.say(summary(interview))
    to_folder = False
    if record_out is None and ask_record_path:
        record_out, to_folder = ask_where_to_save(interview, prompter)
    try:
        written = write_outputs(interview, answers_out=answers_out, record_out=None if to_folder else record_out,
                                today=today)
        if to_folder:
            written += save_to_decisions(interview, prompter, today=today)
    except OSError as e:  # a failed rename (full disk) comes through atomic_write as is
        raise UserError(f"cannot write: {e.strerror or e}", file=str(e.filename or record_out or answers_out)) from None
    for path in written:
        prompter.say(f"Wrote {path}")
    if unsaved and answers_out is None:
        # Nothing the user wrote is lost: with no session on disk, show the answers as a file to keep.
        from advisor.core.record import answers_yaml

        prompter.say("The session could not be saved; here are your answers as an answers file "
                     "(`advisor decide --answers FILE` reads it):\n\n" + answers_yaml(interview.effective_answers()))
    if not unsaved or session.path is not None:
        prompter.say(f"Session saved: {session.path}" + (" (an earlier version: later saves failed)" if unsaved else ""))
    return interview


def require_terminal() -> None:
    """questionary needs a terminal; say so plainly instead of failing deep in prompt_toolkit."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("advisor interview --plain needs an interactive terminal; "
                        "for scripts, write an answers file and run `advisor decide --answers FILE`")
