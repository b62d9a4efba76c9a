"""The interview as a headless state machine, shared by the Textual app and the plain prompts.

Both front ends ask the same questions in the same order with the same
branching because both drive this class: it walks ``kb.questions`` (the order
of ``knowledge/questions.yaml``), skips a question only when its ``ask_if`` is
definitely false for the answers so far, and keeps every answer when the user
moves back and forward. No textual, questionary or rich import here, so the
plain prompts and the tests can use it without a screen.

"I don't know" is stored as ``None`` (docs/formats.md section 1: a missing key).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any, Optional

from advisor.core.answers import Answers
from advisor.core.knowledge import KnowledgeBase, Question, Topic

DONT_KNOW_LABEL = "I don't know"
#: An unanswered question the user has not reached yet (the result shown before the end).
NOT_REACHED_LABEL = "not answered yet"


class Interview:
    """Answers, the questions already visited and the current position.

    Args:
        kb: the loaded knowledge base (questions and topics come from it).
        answers: answers to start from (a resumed session, an edited result).
        position: key of the question to show first; ``None`` starts at the
            first question. A key the knowledge base no longer has starts at
            the first question not yet visited.
        visited: keys the user has already answered (``None`` answers included),
            so resuming lands after them and "don't know" is remembered as an answer.
        finished: the user reached the end at least once.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        answers: Optional[Answers] = None,
        *,
        position: Optional[str] = None,
        visited: Iterable[str] = (),
        finished: bool = False,
    ) -> None:
        self.kb = kb
        self.answers = answers or Answers()
        self.visited: list[str] = [k for k in dict.fromkeys(visited) if kb.question(k) is not None]
        self.finished = finished
        self.position: Optional[str] = None
        if position is not None and kb.question(position) is not None:
            self.position = position
        elif not finished:
            first_open = next((q.key for q in self.questions() if q.key not in self.visited), None)
            self.position = first_open
        if self.position is None and not self.finished and not self.visited:
            self.position = self.questions()[0].key if self.questions() else None

    # -- what is asked ------------------------------------------------------
    def questions(self) -> list[Question]:
        """The questions asked with the current answers, in knowledge-base order."""
        facts = self.answers.flat()
        return [q for q in self.kb.questions if q.should_ask(facts)]

    def effective_answers(self) -> Answers:
        """The answers with those of now-skipped questions left out.

        A question hidden by a later change (say ``data.examples`` set to 0)
        keeps its stored answer, so going back restores it, but the answer
        must not count while the question is not asked.
        """
        asked = {q.key for q in self.questions()}
        flat = self.answers.flat()
        for q in self.kb.questions:
            if q.key not in asked:
                flat[q.key] = None
        return Answers.from_flat(flat)

    @property
    def current(self) -> Optional[Question]:
        """The question being asked, or ``None`` once past the last one."""
        if self.position is None:
            return None
        q = self.kb.question(self.position)
        if q is None:
            return None
        if q.key not in {x.key for x in self.questions()}:
            # A changed answer hid this question: move to the next one that is asked.
            self.position = self._next_after(q.key)
            return self.current
        return q

    def topic(self, q: Question) -> Topic:
        """The topic a question belongs to."""
        return next(t for t in self.kb.topics if t.id == q.topic)

    def progress(self) -> tuple[int, int]:
        """``(number of the current question, questions asked)``, 1-based; ``(n, n)`` when done."""
        qs = self.questions()
        cur = self.current
        if cur is None:
            return len(qs), len(qs)
        return [q.key for q in qs].index(cur.key) + 1, len(qs)

    def topic_progress(self) -> tuple[int, int]:
        """``(number of the current topic, number of topics)``, 1-based."""
        ids = [t.id for t in self.kb.topics]
        cur = self.current
        if cur is None:
            return len(ids), len(ids)
        return ids.index(cur.topic) + 1, len(ids)

    def value(self, key: str) -> Any:
        """The stored answer for ``key`` (``None`` = unknown or not yet answered)."""
        return self.answers.flat().get(key)

    # -- moving ---------------------------------------------------------------
    def _next_after(self, key: str) -> Optional[str]:
        order = [q.key for q in self.kb.questions]
        asked = {q.key for q in self.questions()}
        for k in order[order.index(key) + 1:]:
            if k in asked:
                return k
        return None

    def _prev_before(self, key: Optional[str]) -> Optional[str]:
        qs = [q.key for q in self.questions()]
        if key is None:
            return qs[-1] if qs else None
        order = [q.key for q in self.kb.questions]
        asked = set(qs)
        for k in reversed(order[: order.index(key)]):
            if k in asked:
                return k
        return None

    def answer(self, key: str, value: Any) -> None:
        """Record an answer (``None`` = don't know) and move to the next question asked.

        Raises:
            ValueError: the value is not allowed for that key (pydantic's message).
        """
        self.set(key, value)
        if self.position == key or self.position is None:
            self.position = self._next_after(key)
        if self.position is None:
            self.finished = True

    def set(self, key: str, value: Any) -> None:
        """Change one answer without moving (the result screen's "change this answer")."""
        self.answers = self.answers.with_answer(key, value)
        if key not in self.visited:
            self.visited.append(key)

    def back(self) -> bool:
        """Go to the previous question asked; ``False`` when already at the first."""
        prev = self._prev_before(self.position)
        if prev is None:
            return False
        self.position = prev
        return True

    def forward(self) -> None:
        """Go to the next question, keeping the current answer as it is."""
        if self.position is not None:
            if self.position not in self.visited:
                self.visited.append(self.position)
            self.position = self._next_after(self.position)
        if self.position is None:
            self.finished = True

    def goto(self, key: str) -> None:
        """Jump to a question by key."""
        if self.kb.question(key) is None:
            raise KeyError(key)
        self.position = key


def choice_items(q: Question) -> list[tuple[str, Optional[str], Any]]:
    """``(label, help, value)`` for every choice of a choice or yes/no question."""
    if q.kind == "bool":
        labels = {c.value: c for c in q.choices}
        out = []
        for v in (True, False):
            c = labels.get(v)
            out.append((c.label if c else ("Yes" if v else "No"), c.help if c else None, v))
        return out
    return [(c.label, c.help, c.value) for c in q.choices]


# -- reading typed answers ---------------------------------------------------

def _fmt_bound(x: float, kind: str) -> str:
    if kind == "int" or float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:g}"


def parse_value(q: Question, text: str) -> Any:
    """Turn what the user typed into the answer for ``q``.

    Empty text means "I don't know" (``None``). Numbers accept thousands
    separators (``50,000``, ``50_000``, ``50 000``) and, for fractions between
    0 and 1, a percentage (``10%`` -> ``0.1``), because that is how people
    write them.

    Raises:
        ValueError: with a message to show under the field.
    """
    raw = text.strip()
    if not raw:
        return None
    if q.kind == "text":
        return _checked(q, raw)
    if q.kind not in ("int", "float"):
        raise ValueError("choose one of the options")
    cleaned = re.sub(r"(?<=\d)[,_ ](?=\d)", "", raw)
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1].strip()
    lo, hi = q.min, q.max
    if q.kind == "int":
        if percent or not re.fullmatch(r"[+-]?\d+", cleaned):
            msg = "Enter a whole number"
            if lo is not None and hi is not None:
                msg += f" from {_fmt_bound(lo, 'int')} to {_fmt_bound(hi, 'int')}"
            raise ValueError(msg + f", e.g. {q.example or '100'} (got {raw!r}).")
        value: Any = int(cleaned)
    else:
        try:
            value = float(cleaned)
        except ValueError:
            value = math.nan
        if math.isnan(value) or math.isinf(value):
            msg = "Enter a number"
            if lo is not None and hi is not None:
                msg += f" from {_fmt_bound(lo, 'float')} to {_fmt_bound(hi, 'float')}"
            raise ValueError(msg + f", e.g. {q.example or '0.5'} (got {raw!r}).") from None
        if percent:
            value = value / 100
    if lo is not None and value < lo:
        raise ValueError(f"Must be at least {_fmt_bound(lo, q.kind)} (got {raw}).")
    if hi is not None and value > hi:
        extra = " Write a percentage as 10% or 0.1." if q.kind == "float" and hi == 1 else ""
        raise ValueError(f"Must be at most {_fmt_bound(hi, q.kind)} (got {raw}).{extra}")
    return _checked(q, value)


def _checked(q: Question, value: Any) -> Any:
    """``value`` as the answers model stores it (the one validation every front end shares)."""
    from pydantic import ValidationError

    try:
        return Answers().with_answer(q.key, value).flat()[q.key]
    except KeyError:  # a question outside the contract (tests): nothing more to check
        return value
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        if err["type"] == "string_too_long":
            raise ValueError(f"Keep it under {err['ctx']['max_length']:,} characters (got {len(str(value)):,}).") from None
        raise ValueError(err["msg"]) from None


def format_value(q: Question, value: Any) -> str:
    """How an answer is shown back to the user (labels for choices, plain numbers)."""
    if value is None or value == "unknown":
        return DONT_KNOW_LABEL
    if q.kind in ("choice", "bool"):
        return q.label_for(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def answer_label(q: Question, value: Any, *, visited: bool) -> str:
    """An answer as the result shows it: the value, "I don't know" (said so) or "not answered yet" (not reached)."""
    if value is None or value == "unknown":
        return DONT_KNOW_LABEL if visited else NOT_REACHED_LABEL
    return format_value(q, value)


def edit_text(q: Question, value: Any) -> str:
    """The text to pre-fill an input with for an existing answer (no separators, re-parseable)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- sessions ----------------------------------------------------------------

def to_session(interview: Interview, session: Any) -> Any:
    """Copy the interview's state into a :class:`advisor.interview.session.Session` (returned)."""
    session.answers = interview.answers.to_yaml_dict()
    session.position = interview.position
    session.visited = list(interview.visited)
    session.finished = interview.finished
    return session


def from_session(kb: KnowledgeBase, session: Any) -> Interview:
    """Rebuild the interview a session was saved from."""
    return Interview(
        kb,
        Answers.model_validate(session.answers),
        position=session.position,
        visited=session.visited,
        finished=session.finished,
    )
