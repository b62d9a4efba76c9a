"""The on-disk response cache (sqlite).

Keyed by the sha256 of (model, api_base, messages, settings, and what else
tells the endpoint apart: its revision, extra params, Router deployments): the same request
never goes out twice, which is also what makes resume work: every finished call
is committed the moment it returns, so after Ctrl-C or a crash a re-run finds
it here. Only responses and token usage are stored, never API keys or headers.
Errors are not cached, so a re-run retries them.

Faults: a cache that cannot be written (a full disk, a quota, a file-size
limit) raises :class:`CacheWriteError` from :meth:`ResponseCache.put`; the
runner then starts no more requests and the run ends with that message
(exit 2), everything committed before intact, so ``--resume`` continues
later. Two runs sharing one cache take turns through :meth:`ResponseCache.lock`
(an advisory ``flock`` on ``CACHE.lock``), so the second finds the first's
answers instead of paying for them again (docs/limits.md says what holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from advisor.core.io import check_regular, clean_surrogates, os_error
from advisor.errors import UserError


class CacheWriteError(UserError):
    """The cache could not store an answer (full disk, quota, I/O error); what it holds is intact."""

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
        self._lock_fd: Optional[int] = None
        # A FIFO, a directory or a device where the cache should be; a path through a file.
        check_regular(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise os_error(e, self.path, action="cannot create the probe cache's folder") from None
        # Two runs opening one new cache at the same moment: switching it to WAL or
        # creating its tables can meet the other's lock without sqlite's busy wait
        # ("database is locked" at once), so the opening is retried for a bounded time.
        deadline = time.monotonic() + 30
        while True:
            try:
                self._open()
                break
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise UserError(f"cannot open the probe cache: {e}", file=str(self.path)) from None
                with contextlib.suppress(sqlite3.Error, AttributeError):
                    self._db.close()
                time.sleep(0.05)
            except sqlite3.Error as e:
                raise UserError(f"cannot open the probe cache: {e}", file=str(self.path)) from None

    def _open(self) -> None:
        self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        # WAL: a crash mid-write never corrupts earlier calls; NORMAL sync is
        # durable across process crashes (only a power cut could lose the tail).
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        cols = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")}
        if "served_model" not in cols:  # a cache written by an earlier version
            try:
                self._db.execute("ALTER TABLE responses ADD COLUMN served_model TEXT")
            except sqlite3.OperationalError as e:
                # another run opening the same new cache at the same moment added it first
                if "duplicate column" not in str(e):
                    raise

    def _write_error(self, e: sqlite3.Error) -> CacheWriteError:
        try:
            kept = f"the {self.count()} answers cached so far are kept"
        except sqlite3.Error:
            kept = "the answers cached so far are kept"
        return CacheWriteError(f"cannot write the probe cache ({e}); no more requests were started and {kept}; "
                               "free some space, then run again with --resume to send only the rest",
                               file=str(self.path))

    async def lock(self, on_wait: Optional[Callable[[str], None]] = None, poll_s: float = 0.2) -> None:
        """Wait until no other run holds this cache, then hold it until :meth:`close`.

        ``on_wait`` is called once with a message when another run holds it.
        Without ``fcntl`` (Windows) there is no lock.
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as e:
            raise os_error(e, lock_path, action="cannot lock the probe cache") from None
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not said and on_wait is not None:
                    try:
                        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    except OSError:
                        holder = ""
                    on_wait(f"waiting for another probe run that uses {self.path}"
                            + (f" (process {holder})" if holder.isdigit() else "")
                            + "; its answers will be reused, not sent again")
                    said = True
                await asyncio.sleep(poll_s)
            except OSError:  # a file system without flock: run unlocked rather than not at all
                break
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass
        self._lock_fd = fd

    def get(self, key: str) -> Optional[CachedResponse]:
        """The stored response for ``key``, or None."""
        try:
            row = self._db.execute(
                "SELECT content, prompt_tokens, completion_tokens, cost_usd, served_model, created "
                "FROM responses WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error as e:
            raise UserError(f"cannot read the probe cache: {e}", file=str(self.path)) from None
        return CachedResponse(*row) if row else None

    def put(self, key: str, model: str, resp: CachedResponse) -> None:
        """Store one response (autocommit: it survives a Ctrl-C right after).

        Raises:
            CacheWriteError: the database could not be written (full disk, ...).
        """
        # A reply may hold a lone surrogate, which UTF-8 (and so sqlite) cannot store.
        content = clean_surrogates(resp.content)
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, model, content, prompt_tokens, completion_tokens, cost_usd, "
                "created, served_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, model, content, resp.prompt_tokens, resp.completion_tokens, resp.cost_usd, time.time(),
                 resp.served_model),
            )
        except sqlite3.Error as e:
            raise self._write_error(e) from None

    def mark_run(self, config_sha256: str, status: str, total: int) -> None:
        """Record that a run of this config started (``running``) or ended (``finished``).

        Raises:
            CacheWriteError: the database could not be written.
        """
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)", (config_sha256, status, total, time.time())
            )
        except sqlite3.Error as e:
            raise self._write_error(e) from None

    def run_status(self, config_sha256: str) -> Optional[str]:
        """``running`` (interrupted or in progress), ``finished``, or None if never run."""
        row = self._db.execute("SELECT status FROM runs WHERE config_sha256 = ?", (config_sha256,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        """Number of stored responses."""
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the database and release the run lock."""
        self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None
