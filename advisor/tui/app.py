"""The Textual app and its factory, shared by the ``advisor`` command and the tests.

Start-up is kept close to a bare Textual app: this module imports only
textual and the home screen; the knowledge base (pydantic + YAML) loads in a
thread worker once the first screen is painted, and the interview, result,
triage and probe screens are imported when first opened.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Optional

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerFailed

from advisor.errors import UserError
from advisor.tui.messages import SessionSaved
from advisor.tui.screens.home import HomeScreen

if TYPE_CHECKING:
    from advisor.core.decide import Assessment
    from advisor.core.knowledge import KnowledgeBase
    from advisor.interview.flow import Interview
    from advisor.core.decisions import Saved
    from advisor.interview.session import Session, SessionStore

Start = Literal["home", "interview"]
# The one stylesheet: AdvisorApp loads it, and so do the small host apps the screen tests use.
STYLESHEET = Path(__file__).with_name("advisor.tcss")


def _default_kb_loader() -> "KnowledgeBase":
    from advisor.core.knowledge import cached_knowledge

    return cached_knowledge()


def _key_order(item: tuple[str, str]) -> tuple[int, str]:
    # Single keys first (1, n, m ...), then modified ones (ctrl+...), then function keys.
    key = item[0]
    return (0 if len(key) == 1 else 2 if key.lower().startswith("f") and key[1:].isdigit() else 1, key)


class AdvisorApp(App[None]):
    """advisor's full-screen front end (build it with :func:`create_app`)."""

    CSS_PATH = STYLESHEET
    TITLE = "advisor"
    SUB_TITLE = "fine-tune, or fix something cheaper first?"
    BINDINGS = [
        # F1 also from a text field; "?" wherever it is not typed into one.
        Binding("f1,question_mark", "help", "Help", key_display="F1"),
        Binding("ctrl+t", "toggle_theme", "Dark/light", priority=True, show=False),
    ]
    HELP = """
advisor helps decide whether to fine-tune a model or fix something cheaper first
(retrieval, tools, validators, the prompt), triages a fine-tune that came out worse,
and measures base against candidate models.

- **ctrl+p** opens every command, **ctrl+t** switches dark and light,
  **Theme** in the palette (or **t** on the home screen) picks any built-in theme;
  the choice is remembered.
- **F1** (or **?** outside a text field) shows the help of the screen you are on.
"""
    # Layout classes on each screen (advisor.tcss): below 100 columns the leaning panel folds to one line,
    # below 72 the triage and probe file trees give their width to the form,
    # from 120 it widens; below 30 rows the header goes, so that an 80x24 terminal shows a whole question.
    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (72, "-narrow"), (100, "-medium"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    def __init__(
        self,
        *,
        start: Start = "home",
        resume: bool = False,
        store: Optional["SessionStore"] = None,
        kb: Optional["KnowledgeBase"] = None,
        kb_loader: Optional[Callable[[], "KnowledgeBase"]] = None,
        answers_out: Optional[Path] = None,
        record_out: Optional[Path] = None,
        today: Optional[_dt.date] = None,
        exit_after_first_screen: bool = False,
    ) -> None:
        super().__init__()
        self.start = start
        self.resume = resume
        self._store = store
        self.kb: Optional["KnowledgeBase"] = kb
        self._kb_loader = kb_loader or _default_kb_loader
        self._kb_worker: Optional[Worker] = None
        self.answers_out = answers_out
        self.record_out = record_out
        self.today = today or _dt.date.today()
        self.exit_after_first_screen = exit_after_first_screen
        self.last_saved: Optional[Path] = None
        self._save_error_shown = False
        self._settings_problem: Optional[str] = None
        self._restore_theme()

    # -- start-up ---------------------------------------------------------------
    @property
    def store(self) -> "SessionStore":
        if self._store is None:
            from advisor.interview.session import SessionStore

            self._store = SessionStore()
        return self._store

    def get_default_screen(self) -> Screen:
        # The home screen is the app's base screen: no blank default screen is composed and
        # painted first (that cost a noticeable share of the start-up time).
        return HomeScreen()

    def on_mount(self) -> None:
        # Subscribed after the saved theme is applied: only the user's changes are written back.
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self._settings_problem:
            self.notify(self._settings_problem, title="Settings", severity="warning", timeout=10)
        self.call_after_refresh(self._first_screen_shown)

    # -- settings ---------------------------------------------------------------
    def _restore_theme(self) -> None:
        from advisor.tui.config import load_settings

        settings, self._settings_problem = load_settings()
        theme = settings.get("theme")
        if theme is None:
            return
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        else:
            self._settings_problem = (f"the saved theme {theme!r} is not one this version has; "
                                      f"using {self.theme}. Pick one with ctrl+p, Theme.")

    def _theme_changed(self, theme: Any) -> None:
        from advisor.tui.config import save_settings

        try:
            save_settings({"theme": theme.name})
        except UserError as e:
            self.notify(f"The theme is not remembered: {e}", severity="warning", timeout=10)

    def _first_screen_shown(self) -> None:
        if self.exit_after_first_screen:
            # bench/startup.py: measure process start to first screen, then leave.
            self.exit()
            return
        self._start_kb()
        if self.resume:
            self.run_worker(self.action_resume(), exclusive=True, group="open")
        elif self.start == "interview":
            self.run_worker(self.action_start_interview(), exclusive=True, group="open")

    def _start_kb(self) -> None:
        if self.kb is None and self._kb_worker is None:
            self._kb_worker = self.run_worker(self._kb_loader, thread=True, exit_on_error=False, name="knowledge")

    async def knowledge(self) -> Optional["KnowledgeBase"]:
        """The knowledge base, waiting for the loader if it is still running."""
        if self.kb is not None:
            return self.kb
        self._start_kb()
        assert self._kb_worker is not None
        try:
            await self._kb_worker.wait()
        except WorkerFailed as e:
            self.notify(str(e.error), title="Cannot load the knowledge base", severity="error", timeout=15)
            self._kb_worker = None
            return None
        self.kb = self._kb_worker.result
        return self.kb

    # -- opening things -----------------------------------------------------------
    async def action_start_interview(self) -> None:
        """A new interview, in a new session."""
        kb = await self.knowledge()
        if kb is None:
            return
        from advisor.interview.flow import Interview
        from advisor.interview.session import Session

        self.open_interview(Interview(kb), Session())

    def open_interview(self, interview: "Interview", session: "Session") -> None:
        """Push the interview screen; the result follows when it returns an interview."""
        from advisor.tui.screens.interview import InterviewScreen

        if interview.current is None:
            interview.back()  # re-opened from the result: land on the last question
        def closed(result: Optional["Interview"]) -> None:
            if result is not None:
                self.show_result(result, session)

        self.push_screen(InterviewScreen(interview, session), callback=closed)

    def show_result(self, interview: "Interview", session: "Session") -> None:
        """Push the result screen for an interview."""
        from advisor.tui.screens.result import ResultScreen

        def closed(choice: Optional[str]) -> None:
            if choice == "interview":
                self.open_interview(interview, session)

        self.push_screen(ResultScreen(interview, session), callback=closed)

    async def open_session_file(self, path: Path) -> None:
        """Open a saved session: its result if finished, else the interview where it stopped."""
        from advisor.interview.flow import from_session
        from advisor.interview.session import SessionError

        kb = await self.knowledge()
        if kb is None:
            return
        try:
            session = self.store.load(path)
        except SessionError as e:
            self.notify(str(e), title="Cannot open this session", severity="error", timeout=15)
            return
        interview = from_session(kb, session)
        if interview.current is None:
            self.show_result(interview, session)
        else:
            self.open_interview(interview, session)

    async def action_resume(self) -> None:
        """Open the most recently saved session (``advisor --resume``)."""
        latest = self.store.latest()
        if latest is None:
            self.notify("No saved session yet; starting a new interview.")
            await self.action_start_interview()
            return
        await self.open_session_file(latest)

    def action_open_sessions(self) -> None:
        """Choose a saved session."""
        from advisor.tui.screens.dialogs import OpenSessionScreen

        async def chosen(path: Optional[Path]) -> None:
            if path is not None:
                await self.open_session_file(path)

        self.push_screen(OpenSessionScreen(self.store, self.kb), callback=chosen)

    def _open_optional(self, module: str, cls: str, what: str) -> None:
        # Imported here, never at module level: these screens pull heavy modules and may not exist yet.
        try:
            screen_cls = getattr(__import__(module, fromlist=[cls]), cls)
        except (ImportError, AttributeError):
            self.notify(f"{what} is not available in this version yet.", title="Not available", severity="warning")
            return
        self.push_screen(screen_cls())

    def action_open_triage(self) -> None:
        """The triage screen (from the triage issue), if installed."""
        self._open_optional("advisor.tui.screens.triage", "TriageScreen", "Triage")

    def action_open_probe(self) -> None:
        """The probe screen (from the probe issue), if installed."""
        self._open_optional("advisor.tui.screens.probe", "ProbeScreen", "Probe evals")

    def action_go_home(self) -> None:
        """Back to the home screen, closing everything above it."""
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        """Help for the screen on top: what it is for, then every key it answers to."""
        from advisor.tui.screens.dialogs import HelpScreen

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)
            return
        keys: dict[str, str] = {}
        for key, active in screen.active_bindings.items():
            b = active.binding
            # The screen's and the app's own keys; a focused widget's basics (arrows, home/end) are left out.
            if not b.description or active.node not in (screen, self):
                continue
            shown = self.get_key_display(b) if b.key_display else self.get_key_display(
                Binding(key, b.action, b.description))
            keys.setdefault(shown, b.description)
        keys.setdefault("ctrl+p", "every command (the command palette)")
        title = getattr(screen, "HELP_TITLE", None) or type(screen).__name__.removesuffix("Screen")
        text = type(screen).HELP if type(screen).HELP else "No help for this screen yet."
        self.push_screen(HelpScreen(title, text + "\n\n" + (self.HELP or ""), sorted(keys.items(), key=_key_order)))

    async def action_quit(self) -> None:
        """Quit; with an unsaved triage or probe result on some screen, ask first."""
        unsaved = [s for s in self.screen_stack if getattr(s, "unsaved", None) and s.unsaved()]
        if not unsaved:
            self.exit()
            return
        from advisor.tui.screens.dialogs import confirm_leaving

        holder = unsaved[-1]
        if holder is not self.screen:
            # Bring the unsaved result into view (closing what is above it) so "save first" saves it.
            while self.screen is not holder and len(self.screen_stack) > 1:
                self.pop_screen()
        confirm_leaving(holder, holder.action_save, self.exit, leaving="Quit")

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme (from any dark theme to light, and back)."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    # -- saving -------------------------------------------------------------------
    def autosave(self, interview: "Interview", session: "Session") -> Optional[Path]:
        """Write the session now (called after every answer); a failure is shown once, not raised."""
        from advisor.interview.flow import to_session

        try:
            path = self.store.save(to_session(interview, session))
        except UserError as e:
            if not self._save_error_shown:
                self._save_error_shown = True
                self.notify(f"Answers are not being saved: {e}", severity="error", timeout=15)
            return None
        self.last_saved = path
        self.post_message(SessionSaved(path))
        return path

    def write_markdown(self, path: Path, interview: "Interview", assessment: "Assessment") -> None:
        """Write the MADR decision record to ``path`` (a file the user named, or ``--output``)."""
        from advisor.core import decisions
        from advisor.core.io import atomic_write
        from advisor.core.record import render_markdown

        text = render_markdown(assessment, interview.kb, date=self.today, visited=interview.visited)
        desc = interview.effective_answers().task.description
        folder = decisions.folder_for(None)
        if path.resolve() == decisions.next_path(folder, desc).resolve():
            # The next numbered name in the decisions folder: add it as a record (index and all).
            decisions.save_record(text, folder=folder, description=desc)
            return
        atomic_write(path, text)

    def save_numbered_record(self, folder: Path, interview: "Interview", assessment: "Assessment", *,
                             supersede: Optional[list] = None, with_json: bool = False) -> "Saved":
        """Add the record to ``folder`` as its next ``NNNN-slug.md`` (superseding ``supersede``), JSON beside it.

        The JSON gets the record's name with ``.json`` (docs/formats.md); it is a new number, so a file
        already there was put there by hand and is kept (``Saved.note`` says so).
        """
        from advisor.core import decisions
        from advisor.core.io import atomic_write
        from advisor.core.record import render_json, render_markdown

        text = render_markdown(assessment, interview.kb, date=self.today, visited=interview.visited)
        desc = interview.effective_answers().task.description
        saved = decisions.save_record(text, folder=folder, description=desc, supersede=supersede)
        if with_json:
            beside = saved.path.with_suffix(".json")
            try:
                atomic_write(beside, render_json(assessment), overwrite=False)
            except FileExistsError:
                saved.note = ((saved.note + "; ") if saved.note else "") + f"{beside.name} already exists and is kept"
        return saved

    def write_json(self, path: Path, interview: "Interview", assessment: "Assessment") -> None:
        """Write the docs/formats.md section 2 JSON."""
        from advisor.core.io import atomic_write
        from advisor.core.record import render_json

        atomic_write(path, render_json(assessment))

    def write_answers(self, path: Path, interview: "Interview", assessment: "Assessment") -> None:
        """Write the answers file (docs/formats.md section 1), skipped questions left out."""
        from advisor.core.record import save_answers_yaml

        save_answers_yaml(str(path), interview.effective_answers())

    def result_shown(self, interview: "Interview", assessment: "Assessment") -> None:
        """Called whenever the result screen (re)computes: write ``--answers-out``/``-o`` files."""
        for path, writer in ((self.answers_out, self.write_answers), (self.record_out, None)):
            if path is None:
                continue
            if writer is None:
                writer = self.write_json if path.suffix.lower() == ".json" else self.write_markdown
            try:
                writer(path, interview, assessment)
            except UserError as e:
                self.notify(str(e), title="Cannot write", severity="error", timeout=15)
            except OSError as e:  # atomic_write passes a failed rename (full disk) through as is
                self.notify(f"{path}: {e.strerror or e}", title="Cannot write", severity="error", timeout=15)
            else:
                self.notify(f"Wrote {path}")

    # -- command palette ------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("New interview", "Decide whether to fine-tune: start the questions",
                            self.action_start_interview)
        yield SystemCommand("Open a saved session", "Pick up an autosaved interview", self.action_open_sessions)
        yield SystemCommand("Resume the last session", "Open the most recently saved interview",
                            self.action_resume)
        yield SystemCommand("Toggle dark/light theme", "Switch between textual-dark and textual-light",
                            self.action_toggle_theme)
        yield SystemCommand("Home", "Back to the home screen", self.action_go_home)
        yield SystemCommand("Triage a fine-tuned model", "Ranked causes for a fine-tune that got worse",
                            self.action_open_triage)
        yield SystemCommand("Run probe evals", "Measure base vs candidate models", self.action_open_probe)
        from advisor.tui.screens.result import ResultScreen

        if isinstance(screen, ResultScreen):
            yield SystemCommand("Save the decision record", "The next numbered MADR record in the decisions folder; "
                                "may supersede an earlier one", screen.action_export_markdown)
            yield SystemCommand("Export the result as JSON", "docs/formats.md section 2 JSON, named after the record",
                                screen.action_export_json)
            yield SystemCommand("Run the confirmation test", "The probe screen with this record's test",
                                screen.action_run_plan)
            yield SystemCommand("Save the answers file", "answers.yaml for advisor decide --answers",
                                screen.action_save_answers)
            yield SystemCommand("Back to the questions", "Return to the interview", screen.action_interview)
        if type(screen).__name__ == "InterviewScreen":
            yield SystemCommand("Show the result now", "Unanswered questions count as unknown",
                                screen.action_results)  # type: ignore[attr-defined]


def create_app(
    *,
    start: Start = "home",
    resume: bool = False,
    data_dir: Optional[Path] = None,
    kb: Optional["KnowledgeBase"] = None,
    answers_out: Optional[Path] = None,
    record_out: Optional[Path] = None,
    today: Optional[_dt.date] = None,
    exit_after_first_screen: bool = False,
) -> AdvisorApp:
    """Build the app; the CLI and the tests both come through here.

    Args:
        start: ``"home"`` or ``"interview"`` (``advisor interview`` opens straight on the questions).
        resume: open the most recent saved session.
        data_dir: where sessions are kept (default ``$ADVISOR_DATA_DIR`` or the XDG data dir).
        kb: an already loaded knowledge base (tests); otherwise it loads in a worker.
        answers_out: write the answers file here whenever the result is shown.
        record_out: write the decision record here (``.json`` -> JSON, else markdown).
        today: the date of exported records (tests pin it).
        exit_after_first_screen: exit once the home screen is painted (start-up benchmark).
    """
    store = None
    if data_dir is not None:
        from advisor.interview.session import SessionStore

        store = SessionStore(data_dir)
    return AdvisorApp(
        start=start, resume=resume, store=store, kb=kb, answers_out=answers_out, record_out=record_out,
        today=today, exit_after_first_screen=exit_after_first_screen,
    )
