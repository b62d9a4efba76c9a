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
    from advisor.interview.session import Session, SessionStore

Start = Literal["home", "interview"]


def _default_kb_loader() -> "KnowledgeBase":
    from advisor.core.knowledge import cached_knowledge

    return cached_knowledge()


class AdvisorApp(App[None]):
    """advisor's full-screen front end (build it with :func:`create_app`)."""

    CSS_PATH = "advisor.tcss"
    TITLE = "advisor"
    SUB_TITLE = "fine-tune, or fix something cheaper first?"
    BINDINGS = [
        Binding("ctrl+t", "toggle_theme", "Dark/light", priority=True),
    ]
    # Narrow terminals get a slimmer leaning panel; wide ones a roomier layout.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

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
        self.call_after_refresh(self._first_screen_shown)

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

        self.push_screen(OpenSessionScreen(self.store), callback=chosen)

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

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

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
        """Write the MADR decision record."""
        from advisor.core.io import atomic_write
        from advisor.core.record import render_markdown

        atomic_write(path, render_markdown(assessment, interview.kb, date=self.today))

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
            yield SystemCommand("Export the decision record (markdown)", "MADR record, default decision-record-DATE.md",
                                screen.action_export_markdown)
            yield SystemCommand("Export the result as JSON", "docs/formats.md section 2 JSON", screen.action_export_json)
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
