"""One validation for every front end: the interview's typed answers, answers files, stdin and sessions
all go through the answers model, and the questions' stated ranges are the model's own."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from advisor.core.answers import MAX_DESCRIPTION, Answers
from advisor.core.knowledge import cached_knowledge
from advisor.interview.flow import parse_value


def _bounds(key: str) -> tuple:
    section, field = key.split(".")
    info = Answers.model_fields[section].annotation.model_fields[field]
    ge = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), None)
    le = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
    return ge, le


@pytest.mark.parametrize("q", [q for q in cached_knowledge().questions if q.kind in ("int", "float")],
                         ids=lambda q: q.key)
def test_question_ranges_are_the_models(q):
    assert _bounds(q.key) == (q.min, q.max)
    # just past the stated maximum is refused by the model as by the prompt
    over = q.max + (1 if q.kind == "int" else 0.01)
    with pytest.raises(ValidationError):
        Answers().with_answer(q.key, int(over) if q.kind == "int" else over)
    with pytest.raises(ValueError):
        parse_value(q, str(over))


def test_the_description_is_bounded_in_the_prompt_too():
    q = next(q for q in cached_knowledge().questions if q.key == "task.description")
    with pytest.raises(ValueError, match=f"under {MAX_DESCRIPTION:,} characters"):
        parse_value(q, "x" * (MAX_DESCRIPTION + 1))
    assert parse_value(q, "Route \x1b[31mtickets") == "Route tickets"
