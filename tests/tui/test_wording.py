"""Interview wording a newcomer meets: no answers yet, and a question a messy data set can answer."""

from __future__ import annotations

from .helpers import current_form, screen_text, type_text, wait_for


async def test_with_no_answers_the_leaning_says_so(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        await current_form(pilot)
        text = screen_text(app)
        assert "Fine-tuning: no answers yet" in text, text
        assert "tied" not in text


async def test_300_messy_tickets_answer_the_examples_question(make_app, kb):
    """Someone holding 300 messy support tickets with replies can answer honestly: 300, then 'noisy'."""
    q = kb.question("data.examples")
    wording = f"{q.prompt} {q.help}".lower()
    assert "clean" not in q.prompt.lower(), "asking only for clean examples leaves messy data no answer"
    assert "messy" in wording or "noisy" in wording, "the help says messy examples count"
    from advisor.core.answers import Answers
    from advisor.interview.flow import Interview
    from advisor.tui.screens.interview import InterviewScreen
    from advisor.interview.session import Session

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        iv = Interview(kb, Answers(), position="data.examples")
        app.open_interview(iv, Session())
        form = await current_form(pilot)
        assert form.question.key == "data.examples"
        await type_text(pilot, "300")
        await pilot.press("enter")
        form = await wait_for(pilot, lambda: (f := app.screen.query("#question")) and f.first().question.key
                              == "data.quality" and f.first(), "the consistency question")
        assert iv.value("data.examples") == 300
        assert "Noisy" in screen_text(app)  # and there the mess is said
        assert isinstance(app.screen, InterviewScreen)
