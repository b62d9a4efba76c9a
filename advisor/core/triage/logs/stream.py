"""Hugging Face ``trainer_state.json`` read as a stream: one ``log_history`` entry at a time.

A 200 MB state file parsed whole costs about nine times its size in Python
objects. Here the file is read in 1 MiB chunks, each entry of ``log_history``
is decoded on its own (``json.JSONDecoder.raw_decode``, the C scanner), only
the numbers the checks use are kept, and the entry's first line is counted on
the way, so findings still cite ``file:line``. Python's decoder accepts the bare
``NaN``/``Infinity`` tokens the Trainer writes.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator, Optional

from advisor.core.io import json_raw_decode
from advisor.core.triage.progress import Progress
from advisor.errors import UserError

CHUNK = 1 << 20
_START = re.compile(r'"log_history"\s*:\s*')
_WS = re.compile(r"[ \t\r\n]*")
# Bookkeeping no check reads: dropped per entry, so big logs keep only what matters.
_DROP = ("_runtime", "_samples_per_second", "_steps_per_second", "total_flos", "num_input_tokens_seen",
         "num_tokens", "_flos")


class _Reader:
    def __init__(self, fh, file: str, progress: Optional[Progress]) -> None:
        self.fh, self.file, self.progress = fh, file, progress
        self.buf = ""
        self.pos = 0
        self.line = 1  # line of buf[pos]
        self.eof = False

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(CHUNK)
        if self.progress is not None:
            self.progress.update(len(chunk))
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def skip_ws(self) -> None:
        while True:
            end = _WS.match(self.buf, self.pos).end()
            self.line += self.buf.count("\n", self.pos, end)
            self.pos = end
            if self.pos < len(self.buf) or not self.more():
                return

    def peek(self) -> str:
        self.skip_ws()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def col(self, pos: int) -> int:
        return pos - self.buf.rfind("\n", 0, pos)

    def fail(self, msg: str, pos: int) -> UserError:
        line = self.line + self.buf.count("\n", self.pos, pos)
        return UserError(f"malformed JSON: {msg}", file=self.file, line=line, column=self.col(pos))


def iter_log_history(path: str, file: str, progress: Optional[Progress] = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, entry)`` for each element of ``log_history``, in file order.

    Raises:
        UserError: no ``log_history`` list, or malformed JSON (line and column named).
    """
    try:
        yield from _entries(path, file, progress)
    except UnicodeDecodeError as e:
        raise UserError(f"not UTF-8 text (byte {e.start} of a chunk); save the file as UTF-8", file=file) from None


def _entries(path: str, file: str, progress: Optional[Progress]) -> Iterator[tuple[int, Any]]:
    with open(path, encoding="utf-8") as fh:
        if progress is not None:
            progress.start(os.fstat(fh.fileno()).st_size, f"reading {os.path.basename(file)}")
        r = _Reader(fh, file, progress)
        while True:
            r.more()
            m = _START.search(r.buf)
            if m:
                break
            if r.eof:
                raise UserError("expected a 'log_history' list of log rows", file=file, key="log_history")
        r.line += r.buf.count("\n", 0, m.end())
        r.pos = m.end()
        if r.peek() != "[":
            raise UserError("expected 'log_history' to be a list of log rows", file=file, key="log_history")
        r.pos += 1
        first = True
        while True:
            c = r.peek()
            if c == "]":
                break
            if not first:
                if c != ",":
                    raise r.fail("Expecting ',' delimiter", r.pos) if c else r.fail("unexpected end of file", r.pos)
                r.pos += 1
                c = r.peek()
            if not c:
                raise r.fail("unexpected end of file inside log_history", r.pos)
            first = False
            while True:
                try:
                    obj, end = json_raw_decode(r.buf, r.pos)
                    break
                except json.JSONDecodeError as e:
                    # An entry cut by the chunk boundary decodes once the next chunk is in.
                    if not r.more():
                        raise r.fail(e.msg, e.pos) from None
            yield r.line, obj
            r.line += r.buf.count("\n", r.pos, end)
            r.pos = end
        if progress is not None:
            progress.complete()


def iter_array(fh, file: str, on_read=None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, element)`` for each element of the top-level JSON array in ``fh``, chunk by chunk.

    ``on_read`` is called with the number of characters read each chunk. Raises
    :class:`UserError` (line and column) at the first malformed element.
    """
    class _P:
        def update(self, n: int) -> None:
            if on_read:
                on_read(n)

    r = _Reader(fh, file, _P())
    if r.peek() != "[":
        raise r.fail("expected a JSON array", r.pos)
    r.pos += 1
    first = True
    while True:
        c = r.peek()
        if c == "]":
            return
        if not first:
            if c != ",":
                raise r.fail("Expecting ',' delimiter" if c else "the array is not closed with ']'", r.pos)
            r.pos += 1
            c = r.peek()
        if not c:
            raise r.fail("the array is not closed with ']'", r.pos)
        first = False
        while True:
            try:
                obj, end = json_raw_decode(r.buf, r.pos)
                break
            except json.JSONDecodeError as e:
                if not r.more():
                    raise r.fail(e.msg, e.pos) from None
        yield r.line, obj
        r.line += r.buf.count("\n", r.pos, end)
        r.pos = end


def slim(row: dict) -> dict:
    """The entry without the bookkeeping no check reads (runtime, throughput, FLOPs)."""
    return {k: v for k, v in row.items() if not k.endswith(_DROP)}
