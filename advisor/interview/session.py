"""Autosaved interview sessions: one JSON file per interview, written after every answer.

Sessions live in ``platformdirs.user_data_dir("advisor")/sessions/`` (XDG on
Linux), or in ``$ADVISOR_DATA_DIR/sessions/`` when that variable is set (tests
and the tmux test point it at a temporary folder). Every write goes through
:func:`advisor.core.io.atomic_write`, so a terminal killed mid-write leaves the
previous version intact and nothing already answered is lost.

A session stores only the answers (in the answers-file layout of docs/formats.md
section 1), the keys visited, the current position and timestamps: never
environment variables or anything else from the machine.

Headless: no textual import, so the plain prompts use it too.
"""

from __future__ import annotations

import datetime as _dt
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from advisor.errors import UserError

FORMAT = "advisor-session"
VERSION = 1
ENV_DATA_DIR = "ADVISOR_DATA_DIR"


class SessionError(UserError):
    """A session file that cannot be read back (corrupt, truncated, edited by hand)."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def data_dir() -> Path:
    """The folder advisor keeps user data in (``$ADVISOR_DATA_DIR`` wins)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("advisor", appauthor=False))


@dataclass
class Session:
    """One interview in progress (or finished).

    Attributes:
        id: stable id, also in the file name.
        created: ISO timestamp (UTC) of the first save.
        updated: ISO timestamp (UTC) of the last save.
        position: key of the question being asked, ``None`` when past the last.
        visited: keys answered so far, "don't know" included.
        finished: the user reached the result at least once.
        answers: the answered keys, nested as in an answers file.
        path: where it is stored (not written into the file).
    """

    id: str = field(default_factory=lambda: _dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3))
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)
    position: Optional[str] = None
    visited: list[str] = field(default_factory=list)
    finished: bool = False
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Optional[Path] = None

    def to_json(self) -> str:
        """The file's text."""
        data = {
            "format": FORMAT,
            "version": VERSION,
            "id": self.id,
            "created": self.created,
            "updated": self.updated,
            "position": self.position,
            "visited": self.visited,
            "finished": self.finished,
            "answers": self.answers,
        }
        from advisor.core.io import to_json

        return to_json(data)

    @property
    def description(self) -> str:
        """The task description, for lists of sessions."""
        return str(self.answers.get("task", {}).get("description") or "")

    def answer_count(self) -> int:
        """How many keys have an answer."""
        return sum(len(v) for v in self.answers.values() if isinstance(v, dict))


def parse_session(text: str, *, file: str) -> Session:
    """Read a session file's text, checking every field.

    Raises:
        SessionError: the file is not a session this version can read; the
            message says what is wrong and that a new interview can be started.
    """
    from advisor.core.io import parse_json

    hint = "; start a new interview, or delete the file"
    try:
        data = parse_json(text, file=file, allow_nan=False)
    except UserError as e:
        at = f" at line {e.line}" if e.line else ""
        raise SessionError(f"session file is corrupt (not valid JSON: {e.message}{at}){hint}", file=file) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"not an advisor session file{hint}", file=file)
    if data.get("version") != VERSION:
        raise SessionError(f"session format version {data.get('version')!r} is not supported (expected {VERSION}){hint}",
                           file=file)
    answers = data.get("answers") or {}
    # Validate the answers exactly as an answers file is validated, so a hand edit gets the same message.
    from advisor.core.answers import Answers
    from pydantic import ValidationError

    from advisor.core.io import validation_error

    try:
        Answers.model_validate(answers)
    except ValidationError as e:
        err = validation_error(e, file=file, model=Answers)
        raise SessionError(f"session answers are invalid: {err.message}{hint}", file=file, key=err.key) from None
    visited = data.get("visited") or []
    position = data.get("position")
    if not isinstance(visited, list) or not all(isinstance(k, str) for k in visited):
        raise SessionError(f"'visited' must be a list of question keys{hint}", file=file)
    if position is not None and not isinstance(position, str):
        raise SessionError(f"'position' must be a question key{hint}", file=file)
    return Session(
        id=str(data.get("id") or Path(file).stem),
        created=str(data.get("created") or ""),
        updated=str(data.get("updated") or ""),
        position=position,
        visited=list(visited),
        finished=bool(data.get("finished")),
        answers=answers,
        path=Path(file),
    )


class SessionStore:
    """The folder of autosaved sessions.

    Args:
        root: the data folder; sessions go in ``root/sessions``. Defaults to
            :func:`data_dir`.
    """

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = Path(root) if root is not None else data_dir()
        self.folder = self.root / "sessions"

    def path_for(self, session: Session) -> Path:
        return self.folder / f"session-{session.id}.json"

    def save(self, session: Session) -> Path:
        """Write the session atomically and return its path.

        Raises:
            UserError: the folder cannot be created or written.
        """
        from advisor.core.io import atomic_write

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            from advisor.core.io import os_reason

            raise UserError(f"cannot create the sessions folder: {os_reason(e)}", file=str(self.folder)) from None
        session.updated = _now()
        path = session.path or self.path_for(session)
        try:
            atomic_write(path, session.to_json())
        except UserError as e:
            # A full disk or a vanished folder: the previous version of the file is intact.
            raise UserError(f"cannot save the session: {e.message}", file=str(path)) from None
        session.path = path
        return path

    def load(self, path: Path | str) -> Session:
        """Read one session file.

        Raises:
            SessionError: corrupt or unreadable.
        """
        from advisor.core.io import LIMITS, read_text

        try:
            text = read_text(path, limit=LIMITS["session"], what="a session file")
        except UserError as e:
            if e.message == "file not found":
                raise SessionError("session file not found", file=str(path)) from None
            raise SessionError(f"cannot read the session file: {e.message}", file=str(path)) from None
        return parse_session(text, file=str(path))

    def paths(self) -> list[Path]:
        """Session files, most recently written first."""
        if not self.folder.is_dir():
            return []
        files = [p for p in self.folder.glob("session-*.json") if p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)

    def list(self) -> list[tuple[Path, Optional[Session], Optional[str]]]:
        """Every session as ``(path, session or None, error message or None)``."""
        out: list[tuple[Path, Optional[Session], Optional[str]]] = []
        for p in self.paths():
            try:
                out.append((p, self.load(p), None))
            except SessionError as e:
                out.append((p, None, e.message))
        return out

    def latest(self) -> Optional[Path]:
        """The most recently written session file, if any."""
        paths = self.paths()
        return paths[0] if paths else None
