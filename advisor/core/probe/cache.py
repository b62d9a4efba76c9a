"""The on-disk response cache (sqlite).

Keyed by the sha256 of (model, api_base, messages, settings, and what else
tells the endpoint apart: its revision, extra params, Router deployments): the same request
never goes out twice, which is also what makes resume work: every finished call
is committed the moment it returns, so after Ctrl-C or a crash a re-run finds
it here. Only responses and token usage are stored, never API keys or headers.
Errors are not cached, so a re-run retries them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from advisor.errors import UserError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  content TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL,
  created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  config_sha256 TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  total INTEGER NOT NULL,
  updated REAL NOT NULL
);
"""


def request_key(model: str, api_base: Optional[str], messages: list[dict[str, str]], settings: dict[str, Any],
                endpoint: Optional[dict[str, Any]] = None) -> str:
    """sha256 of the request's identity (canonical JSON, sorted keys).

    ``endpoint`` holds what else tells the server's answers apart (a revision,
    extra params, Router deployments); left out when empty, so keys of plain
    model strings are what they always were.
    """
    ident: dict[str, Any] = {"model": model, "api_base": api_base or "", "messages": messages, "settings": settings}
    if endpoint:
        ident["endpoint"] = endpoint
    blob = json.dumps(ident, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class CachedResponse:
    """One stored completion."""

    content: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Optional[float] = None
    served_model: Optional[str] = None  # the ``model`` the response said it came from
    created: Optional[float] = None  # when it was answered (epoch seconds), on reads


class ResponseCache:
    """A small sqlite store of completions, committed per call.

    Args:
        path: the database file (created with its tables on first use).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None)
            # WAL: a crash mid-write never corrupts earlier calls; NORMAL sync is
            # durable across process crashes (only a power cut could lose the tail).
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            cols = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")}
            if "served_model" not in cols:  # a cache written by an earlier version
                self._db.execute("ALTER TABLE responses ADD COLUMN served_model TEXT")
        except sqlite3.Error as e:
            raise UserError(f"cannot open the probe cache: {e}", file=str(self.path)) from None

    def get(self, key: str) -> Optional[CachedResponse]:
        """The stored response for ``key``, or None."""
        row = self._db.execute(
            "SELECT content, prompt_tokens, completion_tokens, cost_usd, served_model, created "
            "FROM responses WHERE key = ?", (key,)
        ).fetchone()
        return CachedResponse(*row) if row else None

    def put(self, key: str, model: str, resp: CachedResponse) -> None:
        """Store one response (autocommit: it survives a Ctrl-C right after)."""
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, model, content, prompt_tokens, completion_tokens, cost_usd, "
            "created, served_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, model, resp.content, resp.prompt_tokens, resp.completion_tokens, resp.cost_usd, time.time(),
             resp.served_model),
        )

    def mark_run(self, config_sha256: str, status: str, total: int) -> None:
        """Record that a run of this config started (``running``) or ended (``finished``)."""
        self._db.execute(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)", (config_sha256, status, total, time.time())
        )

    def run_status(self, config_sha256: str) -> Optional[str]:
        """``running`` (interrupted or in progress), ``finished``, or None if never run."""
        row = self._db.execute("SELECT status FROM runs WHERE config_sha256 = ?", (config_sha256,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        """Number of stored responses."""
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()
