"""Every message the app's widgets and screens post, in one place (past tense: what happened)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message


@dataclass
class QuestionAnswered(Message):
    """The user answered the question on screen (``value`` ``None`` = "I don't know")."""

    key: str
    value: Any


@dataclass
class AnswerRecorded(Message):
    """An answer was stored in the interview and the assessment recomputed."""

    key: str
    value: Any


@dataclass
class SessionSaved(Message):
    """The session was written to disk (after every answer)."""

    path: Path


@dataclass
class RecordExported(Message):
    """A decision record, JSON result or answers file was written."""

    path: Path
    kind: str
