"""Driving the interview from tests: typed answers derived from knowledge/questions.yaml."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from advisor.core.knowledge import Question

# A founder's answers for an invoice-extraction job, as they would type or pick them.
# Numbers are the text typed (thousands separators and a percentage on purpose).
SCRIPT: dict[str, Any] = {
    "task.description": "Extract 12 fields from supplier invoices into our JSON schema",
    "task.type": "extraction",
    "task.metric_defined": True,
    "task.narrow_and_repeatable": True,
    "task.min_delta": "5%",
    "failure.main_cause": "format_instability",
    "failure.same_input_same_wrong_output": False,
    "baseline.prompting": "systematic",
    "baseline.retrieval": "not_applicable",
    "baseline.validators": "none",
    "baseline.tools": "not_applicable",
    "knowledge.change_rate": "yearly",
    "knowledge.long_tail_facts": False,
    "data.examples": "800",
    "data.quality": "clean",
    "data.representative": "yes",
    "data.synthetic_share": "10%",
    "data.source_diversity": "many",
    "data.eval_cases": "1,200",
    "data.current": True,
    "data.eval_overlap_checked": True,
    "data.eval_source": "real",
    "volume.requests_per_day": "50,000",
    "volume.latency_sensitive": False,
    "team.mlops": "some",
    "team.can_maintain_retraining": True,
    "team.eval_maturity": "offline",
    "team.run_budget": "several",
    "team.stacked_adapters": "single",
    "team.base_model_pinned": True,
    "product.workflow_change": "stable",
    "risk.domain": "none",
    "risk.level": "low",
    "risk.customer_facing": False,
}

# What those typed answers mean, written out by hand (not computed by the code under test).
EXPECTED_VALUES: dict[str, Any] = {
    **{k: v for k, v in SCRIPT.items() if not isinstance(v, str) or k in {
        "task.description", "task.type", "failure.main_cause", "baseline.prompting", "baseline.retrieval",
        "baseline.validators", "baseline.tools", "knowledge.change_rate", "data.quality", "data.representative",
        "data.source_diversity", "team.mlops", "team.eval_maturity", "product.workflow_change", "risk.domain",
        "data.eval_source", "team.run_budget", "team.stacked_adapters", "risk.level"}},
    "data.examples": 800,
    "task.min_delta": 0.05,
    "data.synthetic_share": 0.1,
    "data.eval_cases": 1200,
    "volume.requests_per_day": 50000,
}


def asked_keys(kb: Any, script: dict[str, Any]) -> list[str]:
    """The questions the interview asks for ``script`` (``ask_if`` skips the rest), in order."""
    facts = {**{q.key: None for q in kb.questions}, **EXPECTED_VALUES,
             **{k: v for k, v in script.items() if k not in EXPECTED_VALUES}}
    return [q.key for q in kb.questions if q.should_ask(facts)]


def digit_for(q: Question, value: Any) -> str:
    """The digit key that picks ``value`` in a choice list (0 = I don't know), from the YAML order."""
    if value is None:
        return "0"
    values = [True, False] if q.kind == "bool" else [c.value for c in q.choices]
    return str(values.index(value) + 1)


async def type_text(pilot: Pilot, text: str) -> None:
    """Type short text key by key, as a user would; paste long text, as a terminal delivers a paste.

    Each Pilot key press waits for the app to go idle (about 0.1 s here), so a
    sentence typed key by key costs seconds; a bracketed paste is one event.
    """
    from textual import events

    if len(text) <= 12:
        await pilot.press(*["space" if ch == " " else ch for ch in text])
        return
    focused = pilot.app.focused
    assert focused is not None, "nothing has the focus to paste into"
    focused.post_message(events.Paste(text))
    await pilot.pause()


async def current_form(pilot: Pilot):
    """The question form on screen (waits until one is mounted)."""
    from advisor.tui.widgets.question import QuestionForm

    for _ in range(50):
        forms = pilot.app.screen.query(QuestionForm)
        if forms:
            return forms.first()
        await pilot.pause()
    raise AssertionError(f"no question on screen ({type(pilot.app.screen).__name__})")


async def answer(pilot: Pilot, value: Any) -> str:
    """Answer the question on screen with ``value`` (None = I don't know); return its key."""
    form = await current_form(pilot)
    q = form.question
    if q.kind in ("choice", "bool"):
        await pilot.press(digit_for(q, value))
    else:
        if value is not None:
            await type_text(pilot, str(value))
        await pilot.press("enter")
    # Wait until the next question (or another screen) replaces this form.
    for _ in range(50):
        await pilot.pause()
        if not form.is_attached:
            break
    return q.key


async def answer_all(pilot: Pilot, script: dict[str, Any]) -> list[str]:
    """Answer every question asked, from ``script`` (keys missing there get "I don't know")."""
    from advisor.tui.screens.interview import InterviewScreen

    asked = []
    for _ in range(60):
        await pilot.pause()
        if not isinstance(pilot.app.screen, InterviewScreen):
            break
        form = await current_form(pilot)
        asked.append(await answer(pilot, script.get(form.question.key)))
    return asked


def screen_text(app) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def wait_for(pilot: Pilot, predicate, what: str, tries: int = 100):
    """Pause until ``predicate()`` is truthy (returns it); fail naming ``what``."""
    for _ in range(tries):
        value = predicate()
        if value:
            return value
        await pilot.pause()
    raise AssertionError(f"timed out waiting for {what} (screen: {type(pilot.app.screen).__name__})")


async def screen_showing(pilot: Pilot, needle: str, what: str) -> str:
    """The screen's text once it shows ``needle`` (a panel or a list paints frames after the key that opens it)."""
    return await wait_for(pilot, lambda: needle in (text := screen_text(pilot.app)) and text, what)


async def painted_footer(pilot: Pilot, must_show: str) -> str:
    """The bottom row once it shows ``must_show``: the footer paints frames after its screen mounts."""

    def bottom() -> str:
        rows = screen_text(pilot.app).splitlines()
        return rows[-1] if rows and must_show in rows[-1] else ""

    return await wait_for(pilot, bottom, f"the footer to show {must_show!r}")


def save_finished_session(kb: Any, data_dir: Any, values: dict[str, Any] = EXPECTED_VALUES) -> Any:
    """Save a finished session answered with ``values`` (the rest "I don't know"), as walking the interview would.

    For tests about what comes after the interview: opening the app with ``resume=True``
    lands on its result without typing 34 answers (``test_interview`` walks them).
    """
    from advisor.interview.flow import Interview, to_session
    from advisor.interview.session import Session, SessionStore

    interview = Interview(kb)
    while interview.current is not None:
        interview.answer(interview.current.key, values.get(interview.current.key))
    return SessionStore(data_dir).save(to_session(interview, Session()))


async def open_result(pilot: Pilot) -> Any:
    """Wait for the result screen a resumed finished session opens on."""
    from advisor.tui.screens.result import ResultScreen

    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen) and pilot.app.screen,
                          "the result of the saved session")
