"""Hugging Face ``trainer_state.json`` read as a stream: one ``log_history`` entry at a time.

A 200 MB state file parsed whole costs about nine times its size in Python
objects. Here the file is read in 4 MiB chunks and ``log_history`` is decoded a
batch of entries at a time: the Trainer writes ``indent=2``, so every entry
opens with a line ``    {`` and closes with a line ``    }``; the complete
entries of a chunk are decoded in one ``json.loads`` (the C scanner) and each
entry's first line is counted from those openings, so findings still cite
``file:line``. Where the layout is another (a file rewritten by hand or by a
tool), or a batch does not decode, the entries are decoded one by one
(``raw_decode``), which names the line and column of a syntax error. Python's
decoder accepts the bare ``NaN``/``Infinity`` tokens the Trainer writes.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator, Optional

from advisor.core.io import json_loads, json_raw_decode
from advisor.core.triage.progress import Progress
from advisor.errors import UserError

CHUNK = 1 << 20
BATCH_CHUNK = 4 << 20
_OPEN = re.compile(r"\n    \{")
_START = re.compile(r'"log_history"\s*:\s*')
_WS = re.compile(r"[ \t\r\n]*")
# Bookkeeping no check reads: dropped per entry, so big logs keep only what matters.
_DROP = ("_runtime", "_samples_per_second", "_steps_per_second", "total_flos", "num_input_tokens_seen",
         "num_tokens", "_flos")


class _Reader:
    def __init__(self, fh, file: str, progress: Optional[Progress], chunk: int = CHUNK) -> None:
        self.fh, self.file, self.progress, self.chunk = fh, file, progress, chunk
        self.buf = ""
        self.pos = 0
        self.line = 1  # line of buf[pos]
        self.eof = False

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(self.chunk)
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


def iter_log_history_batches(path: str, file: str,
                             progress: Optional[Progress] = None) -> Iterator[tuple[list[int], list[Any]]]:
    """Yield ``(lines, entries)`` batches of ``log_history``, in file order (see the module docstring).

    Raises:
        UserError: no ``log_history`` list, malformed JSON (line and column named), not UTF-8.
    """
    try:
        yield from _entries(path, file, progress, batches=True)
    except UnicodeDecodeError as e:
        raise UserError(f"not UTF-8 text (byte {e.start} of a chunk); save the file as UTF-8", file=file) from None


def _batch(r: "_Reader") -> Any:
    """The complete Trainer-laid-out entries from ``r.pos`` (an entry's ``{``) on: lines, entries, end.

    None when no entry is complete in the buffer; False when the entries do not
    decode or their openings are not one per entry (another layout): then the
    rest of the file is decoded entry by entry.
    """
    buf, pos = r.buf, r.pos
    end = buf.rfind("\n    }", pos)
    if end < 0:
        return None
    end += 6
    seg = buf[pos:end]
    try:
        objs = json_loads("[" + seg + "]")
    except json.JSONDecodeError:
        return False  # the entry-by-entry decoder names the place
    lines, line, last = [r.line], r.line, 0
    for m in _OPEN.finditer(seg):
        line += seg.count("\n", last, m.start() + 1)
        last = m.start() + 1
        lines.append(line)
    if len(lines) != len(objs):
        return False
    return lines, objs, end


def _entries(path: str, file: str, progress: Optional[Progress], batches: bool = False) -> Iterator[Any]:
    with open(path, encoding="utf-8") as fh:
        if progress is not None:
            progress.start(os.fstat(fh.fileno()).st_size, f"reading {os.path.basename(file)}")
        r = _Reader(fh, file, progress, BATCH_CHUNK if batches else CHUNK)
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
        first, try_batch = True, batches
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
            if try_batch and c == "{":
                got = _batch(r)
                if got is False:
                    try_batch = False  # the rest entry by entry (still yielded as batches of one)
                elif got is not None:
                    lines, objs, end = got
                    yield lines, objs
                    r.line += r.buf.count("\n", r.pos, end)
                    r.pos = end
                    first = False
                    if r.pos >= len(r.buf) - (1 << 16):
                        r.more()
                    continue
            first = False
            while True:
                try:
                    obj, end = json_raw_decode(r.buf, r.pos)
                    break
                except json.JSONDecodeError as e:
                    # An entry cut by the chunk boundary decodes once the next chunk is in.
                    if not r.more():
                        raise r.fail(e.msg, e.pos) from None
            yield ([r.line], [obj]) if batches else (r.line, obj)
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
