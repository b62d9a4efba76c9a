"""The interview: one question at a time, grouped by topic, with the live leaning beside it.

The screen returns the :class:`~advisor.interview.flow.Interview` when the user
reaches the end (or asks for the result early), and ``None`` when they leave
for the home screen. Every answer is autosaved before the next question shows.
"""

from __future__ import annotations

from typing import Optional

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from advisor.core.decide import Assessment, decide
from advisor.interview.flow import Interview
from advisor.tui.messages import AnswerRecorded, QuestionAnswered
from advisor.interview.session import Session
from advisor.tui.widgets.leaning import LeaningPanel
from advisor.tui.widgets.question import QuestionForm


class InterviewScreen(Screen[Optional[Interview]]):
    """Ask the questions of ``knowledge/questions.yaml`` in order, with branching.

    Args:
        interview: the interview state (new, resumed or re-opened from the result).
        session: where the answers are autosaved.
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+n", "forward", "Skip/next", priority=True),
        Binding("ctrl+r", "results", "Result now", priority=True),
    ]

    def __init__(self, interview: Interview, session: Session) -> None:
        super().__init__()
        self.interview = interview
        self.session = session
        self.assessment: Optional[Assessment] = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="interview-body"):
            with Vertical(id="question-pane"):
                yield Static("", id="topic-title")
                yield Static("", id="topic-intro")
                with Horizontal(id="progress-row"):
                    yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress")
                    yield Static("", id="progress-label")
                yield Vertical(id="question-slot")
            yield LeaningPanel(id="leaning")
        yield Footer()

    async def on_mount(self) -> None:
        self._recompute()
        await self.show_question()

    def _recompute(self) -> None:
        previous = self.assessment
        # Counterfactuals are for the result screen; the panel needs only scores and blockers.
        self.assessment = decide(self.interview.effective_answers(), self.interview.kb, counterfactuals=False)
        self.query_one(LeaningPanel).show(self.assessment, previous)

    async def show_question(self) -> None:
        """Show the current question, or leave with the interview when past the last."""
        iv = self.interview
        q = iv.current
        if q is None:
            self.dismiss(iv)
            return
        topic = iv.topic(q)
        tn, tt = iv.topic_progress()
        n, total = iv.progress()
        self.query_one("#topic-title", Static).update(f"{topic.title}  ({tn}/{tt})")
        self.query_one("#topic-intro", Static).update(topic.intro)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=total, progress=n - 1)
        self.query_one("#progress-label", Static).update(f"Question {n} of {total}")
        slot = self.query_one("#question-slot", Vertical)
        await slot.remove_children()
        await slot.mount(QuestionForm(q, iv.value(q.key), answered=q.key in iv.visited, id="question"))

    @on(QuestionAnswered)
    async def _answered(self, event: QuestionAnswered) -> None:
        event.stop()
        self.interview.answer(event.key, event.value)
        # Save before anything else: a terminal killed now must not lose this answer.
        self.app.autosave(self.interview, self.session)  # type: ignore[attr-defined]
        self._recompute()
        self.post_message(AnswerRecorded(event.key, event.value))
        await self.show_question()

    async def action_back(self) -> None:
        """Previous question (its answer kept); from the first one, back home."""
        if self.interview.back():
            self.app.autosave(self.interview, self.session)  # type: ignore[attr-defined]
            await self.show_question()
        else:
            self.dismiss(None)

    async def action_forward(self) -> None:
        """Next question, leaving this one as it is."""
        self.interview.forward()
        self.app.autosave(self.interview, self.session)  # type: ignore[attr-defined]
        await self.show_question()

    def action_results(self) -> None:
        """Show the result with what is answered so far (the rest counts as unknown)."""
        self.app.autosave(self.interview, self.session)  # type: ignore[attr-defined]
        self.dismiss(self.interview)
