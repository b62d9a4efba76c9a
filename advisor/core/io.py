"""File input and output shared by every reader and writer.

Reading: every file advisor reads goes through :func:`read_bytes` (or
:func:`read_text`, :func:`open_text_stream`, :func:`load_json`, :func:`load_yaml`
on top of it). That one entry point

* refuses what is not a regular file (a named pipe would block forever, a
  device such as ``/dev/zero`` never ends), except a pipe handed over as
  ``/dev/fd/N`` (shell process substitution ``<(...)``) or ``/dev/stdin``,
  which is read to its end, bounded;
* stops at a size limit per kind of input (:data:`LIMITS`, documented in
  ``docs/limits.md``), so a wrong file fails fast instead of filling memory;
* turns every OS error (not found, permission, name too long, symlink loop,
  a file where a folder should be, an I/O error) into a :class:`UserError`
  naming the file;
* decodes UTF-8 (a byte-order mark is dropped) and names the line of the
  first byte that is not UTF-8.

Parsing: :func:`parse_json` and :func:`parse_yaml` never raise anything but
a :class:`UserError` naming the file and line: nesting too deep, integers
with thousands of digits, YAML alias bombs and recursive aliases, duplicate
YAML keys (both lines named).

Writing: :func:`to_json` is the one JSON writer (strict JSON: no NaN or
Infinity, no raw control characters, no lone surrogates);
:func:`clean_terminal` strips terminal control sequences from text about to
be printed; :func:`atomic_write` writes through a temporary file and
``os.replace`` so an interrupted write never leaves a half-written record or
session.

* :func:`validation_error` turns a pydantic error into one :class:`UserError`
  naming the file, the line, the key and what is allowed.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import re
import stat
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Optional, get_args

from advisor.errors import UserError

if TYPE_CHECKING:  # imported where used: reading a log or JSON needs neither (docs/triage.md, speed)
    import yaml
    from pydantic import BaseModel, ValidationError

KeyPath = tuple[Any, ...]


def _yaml_loader() -> Any:
    """libyaml's C parser when present (the knowledge base loads several times faster), else PyYAML's."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MiB = 1024 * 1024
#: The most advisor reads from one input of each kind, in bytes (docs/limits.md).
LIMITS: dict[str, int] = {
    "answers": 1 * MiB,       # an answers file (YAML)
    "config": 1 * MiB,        # a probe config (YAML)
    "knowledge": 16 * MiB,    # knowledge base and runbook YAML
    "session": 4 * MiB,       # an autosaved interview session (JSON)
    "schema": 16 * MiB,       # a JSON Schema for the format suite or scorer
    "report": 256 * MiB,      # a triage or probe JSON report handed back
    "eval_set": 256 * MiB,    # a probe eval set (JSONL)
    "log": 2048 * MiB,        # a training log
    "dataset": 8192 * MiB,    # a training or eval dataset
}
DEFAULT_LIMIT = 256 * MiB
#: YAML: how many nodes a document may expand to (aliases counted each time they are used).
YAML_MAX_NODES = 200_000
#: YAML and JSON: how deeply collections may nest.
MAX_DEPTH = 200

# The last input opened, so a fault deep inside a parser can still name the file.
last_input: Optional[str] = None

_OS_REASONS = {
    errno.ENOENT: "file not found",
    errno.EISDIR: "is a directory, expected a file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EIO: "input/output error (a failing disk or a dropped network share?)",
    errno.ENXIO: "no such device or address",
    errno.ENODEV: "no such device",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "read-only file system",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this file system or limit",
    errno.EMFILE: "too many open files",
    errno.EEXIST: "already exists",
    errno.ETXTBSY: "file busy",
}


def os_reason(e: OSError) -> str:
    """A short reason for an OS error, in words (``file name too long``)."""
    if e.errno in _OS_REASONS:
        return _OS_REASONS[e.errno]
    return (e.strerror or type(e).__name__).lower() if e.strerror else type(e).__name__


def os_error(e: OSError, file: str | os.PathLike[str], *, action: str = "") -> UserError:
    """An OS error as a :class:`UserError` naming ``file`` (``action``: e.g. ``cannot write``)."""
    reason = os_reason(e)
    return UserError(f"{action}: {reason}" if action else reason, file=str(file))


def _is_fd_path(path: str) -> bool:
    """``/dev/fd/N``, ``/proc/self/fd/N``, ``/dev/stdin``: a stream handed over by the shell."""
    return bool(re.fullmatch(r"/dev/(fd/\d+|stdin)|/proc/(self|\d+)/fd/\d+", os.path.normpath(path)))


def _kind_word(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: str | os.PathLike[str]) -> None:
    """Refuse a path that exists but is not a regular file (used for files advisor also writes)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise os_error(e, path) from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError("is a directory, expected a file", file=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"is {_kind_word(st.st_mode)}, expected a regular file", file=str(path))


def _open_fd(path: str | os.PathLike[str]) -> tuple[int, bool]:
    """Open ``path`` for reading without ever blocking; return ``(fd, is_stream)``."""
    global last_input
    file = str(path)
    last_input = file
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == errno.ENXIO:  # a socket cannot be opened: say what it is, not "no such device"
            check_regular(file)
        raise os_error(e, file) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UserError("is a directory, expected a file", file=file)
        stream = not stat.S_ISREG(st.st_mode)
        if stream and not ((stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode)) and _is_fd_path(file)):
            hint = " (to feed a command's output, use <(command) or a temporary file)" if stat.S_ISFIFO(st.st_mode) else ""
            raise UserError(f"is {_kind_word(st.st_mode)}, expected a regular file{hint}", file=file)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, stream


def _limit_error(file: str, limit: int, what: str) -> UserError:
    return UserError(f"larger than the {_size(limit)} limit for {what} (docs/limits.md)", file=file)


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB else f"{n} bytes"


def read_bytes(path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT,
               what: str = "this kind of file") -> bytes | bytearray:
    """The bytes of a regular file (or a ``<(...)`` pipe), at most ``limit`` of them.

    Raises:
        UserError: not a regular file, larger than ``limit``, or any OS error;
            the message names the file.
    """
    file = str(path)
    fd, stream = _open_fd(file)
    try:
        if not stream:
            size = os.fstat(fd).st_size
            if size > limit:
                raise _limit_error(file, limit, what)
            # One buffer of the file's size, filled in place: no second copy of a big log.
            buf = bytearray(size)
            view, got = memoryview(buf), 0
            while got < size:
                n = os.readv(fd, [view[got:]])
                if not n:
                    break  # the file shrank while being read
                got += n
            del view
            if got < size:
                del buf[got:]
            elif os.read(fd, 1):  # it grew: read the rest the bounded way
                os.lseek(fd, size, os.SEEK_SET)
                rest = _read_stream(fd, file, limit - size, what, limit)
                buf += rest
            return buf  # bytes-like: decoding reads it in place
        return _read_stream(fd, file, limit, what, limit)
    except OSError as e:
        raise os_error(e, file) from None
    finally:
        os.close(fd)


def _read_stream(fd: int, file: str, budget: int, what: str, limit: int) -> bytes:
    """Read ``fd`` to its end, at most ``budget`` bytes (a pipe, or the growth of a file); OSError passes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(4 * MiB, budget + 1 - total) or 1)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > budget:
            raise _limit_error(file, limit, what)


def decode_text(data: bytes | bytearray, *, file: str) -> str:
    """UTF-8 bytes as text (a leading byte-order mark dropped).

    Raises:
        UserError: a byte that is not UTF-8, with its line and byte offset.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise UserError(f"not UTF-8 text (byte {e.start}); save the file as UTF-8", file=file, line=line) from None


def read_text(path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, what: str = "this kind of file") -> str:
    """Read a UTF-8 text file (see :func:`read_bytes`) or raise a :class:`UserError` saying why not.

    Line ends are universal, as in Python's text mode: ``\\r\\n`` and a lone
    ``\\r`` (progress bars in a captured log) both read as ``\\n``.
    """
    return _universal(decode_text(read_bytes(path, limit=limit, what=what), file=str(path)))


def _universal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_stdin(*, limit: int = DEFAULT_LIMIT, what: str = "standard input", file: str = "<stdin>") -> str:
    """Standard input as UTF-8 text, bounded like a file (non-UTF-8 bytes are a :class:`UserError`)."""
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text stream (tests)
        text = sys.stdin.read(limit + 1)
        if len(text) > limit:
            raise _limit_error(file, limit, what)
        return text
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _limit_error(file, limit, what)
    return _universal(decode_text(data, file=file))


class _BoundedRaw(io.RawIOBase):
    """A file descriptor read through a byte budget (raises past it)."""

    def __init__(self, fd: int, limit: int, file: str, what: str) -> None:
        self._fd, self._left, self._file, self._what, self._limit = fd, limit, file, what, limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            n = os.readv(self._fd, [b])
        except OSError as e:
            raise os_error(e, self._file) from None
        self._left -= n
        if self._left < 0:
            raise _limit_error(self._file, self._limit, self._what)
        return n

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        new = os.lseek(self._fd, pos, whence)
        self._left = self._limit - new
        return new

    def tell(self) -> int:
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def open_text_stream(path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, what: str = "this kind of file",
                     encoding: str = "utf-8-sig") -> IO[str]:
    """A text stream over a file, for readers that go line by line; same checks as :func:`read_bytes`.

    A pipe (``<(...)``) is read whole first (bounded), so the stream can seek.
    Decoding errors surface as ``UnicodeDecodeError`` while reading; wrap them
    with :func:`decode_text` style messages where the line is known.
    """
    file = str(path)
    fd, stream = _open_fd(file)
    if stream:
        os.close(fd)
        return io.StringIO(read_text(file, limit=limit, what=what))
    if os.fstat(fd).st_size > limit:
        os.close(fd)
        raise _limit_error(file, limit, what)
    raw = _BoundedRaw(fd, limit, file, what)
    return io.TextIOWrapper(io.BufferedReader(raw, 1024 * 1024), encoding=encoding, newline=None)


# -- JSON ---------------------------------------------------------------------

#: JSON strings, numbers and the non-standard constants, to find a token's place outside strings.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity')


def _digit_limit() -> int:
    """Python's limit on an integer's digits (4300 unless PYTHONINTMAXSTRDIGITS changes it; 0: none)."""
    return sys.get_int_max_str_digits()


def _long_integer(text: str, pos: int) -> Optional[int]:
    """Where the first JSON integer with more digits than Python reads starts, at or after ``pos``.

    Digits inside a string, a number with a fraction or an exponent (read as a float) and an
    integer exactly at the limit are passed over.
    """
    limit = _digit_limit()
    if limit:
        for m in _JSON_TOKEN.finditer(text, pos):
            t = m.group()
            digits = t[1:] if t.startswith("-") else t
            if digits.isdigit() and len(digits) > limit:
                return m.start()
    return None


def _long_number_error(text: str, pos: int) -> json.JSONDecodeError:
    at = _long_integer(text, pos)
    return json.JSONDecodeError(f"a number with more than {_digit_limit()} digits", text, pos if at is None else at)
_SURROGATE_ESC = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_surrogates(text: str) -> str:
    """Replace lone UTF-16 surrogates (which cannot be written as UTF-8) with U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def _clean_strings(obj: Any) -> Any:
    if isinstance(obj, str):
        return clean_surrogates(obj)
    if isinstance(obj, dict):
        return {clean_surrogates(k) if isinstance(k, str) else k: _clean_strings(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean_strings(v) for v in obj]
    return obj


def json_loads(text: str, **kw: Any) -> Any:
    """``json.loads`` whose every failure is a ``json.JSONDecodeError`` (with a position).

    Nesting past the interpreter's recursion limit and integers past Python's
    4300-digit limit raise ``RecursionError`` and ``ValueError`` from the
    standard parser; readers that already handle ``JSONDecodeError`` (naming
    the line) then handle these too.
    """
    try:
        return json.loads(text, **kw)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply (expected at most a few hundred levels)", text, 0) from None
    except ValueError:
        raise _long_number_error(text, 0) from None


def json_raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """``json.JSONDecoder().raw_decode`` with the failures of :func:`json_loads`."""
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply (expected at most a few hundred levels)", text, pos) from None
    except ValueError:
        raise _long_number_error(text, pos) from None


_DECODER = json.JSONDecoder()


def parse_json(text: str, *, file: str, line: Optional[int] = None, allow_nan: bool = True) -> Any:
    """Parse JSON text; every failure is a :class:`UserError` naming the file and line.

    Args:
        text: the JSON text.
        file: the file it came from (for messages).
        line: the line ``text`` starts on, for one line of a JSONL file.
        allow_nan: accept the non-standard ``NaN``/``Infinity`` tokens
            (training logs write them); when false they are an error.
    """
    def constant(name: str) -> float:
        if not allow_nan:  # the decoder meets the constants in order: this is the first one outside a string
            at = next((m.start() for m in _JSON_TOKEN.finditer(text) if m.group() == name), 0)
            raise UserError(f"{name} is not a JSON number (expected a finite number)", file=file,
                            line=(line or 1) + text.count("\n", 0, at), column=at - text.rfind("\n", 0, at))
        return float(name)

    try:
        data = json_loads(text, parse_constant=constant)
    except json.JSONDecodeError as e:
        at = (line + e.lineno - 1) if line is not None else e.lineno
        prefix = "" if e.msg.startswith(("nested", "a number")) else "malformed JSON: "
        raise UserError(f"{prefix}{e.msg}", file=file, line=at, column=e.colno) from None
    if _SURROGATE_ESC.search(text):
        data = _clean_strings(data)
    return data


def load_json(path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, what: str = "this kind of file",
              allow_nan: bool = True) -> Any:
    """Read and parse a JSON file (see :func:`read_text` and :func:`parse_json`)."""
    return parse_json(read_text(path, limit=limit, what=what), file=str(path), allow_nan=allow_nan)


def _strict(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {(k if isinstance(k, str) else str(k)): _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    return obj


# In JSON text: C1 control characters, line/paragraph separators, bidi overrides
# and lone surrogates are written as \u escapes (the text stays the same data).
_JSON_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def to_json(data: Any, *, indent: Optional[int] = 2) -> str:
    """The one JSON writer: strict JSON text ending in a newline.

    NaN and Infinity become ``null`` (strict readers reject the bare tokens),
    tuples become lists, and characters a terminal could act on are escaped.
    """
    text = json.dumps(_strict(data), indent=indent, ensure_ascii=False, allow_nan=False)
    return _JSON_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


# -- terminal -----------------------------------------------------------------

_TERMINAL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI: colours, cursor moves, clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks, clipboard
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"    # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"                  # other escapes
    "|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"  # C0/C1 controls (tab, newline kept), bidi overrides
)


def clean_terminal(text: str) -> str:
    """``text`` without terminal control sequences (escape codes, C0/C1 controls, bidi overrides).

    Tabs and newlines stay. Used on everything advisor prints, so a value
    from a file (an answers file's task description) cannot move the cursor,
    retitle the window or hide text.
    """
    return _TERMINAL.sub("", text) if _TERMINAL.search(text) else text


def clean_data(obj: Any) -> Any:
    """:func:`clean_terminal` on every string inside ``obj`` (dicts, lists)."""
    if isinstance(obj, str):
        return clean_terminal(obj)
    if isinstance(obj, dict):
        return {k: clean_data(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_data(v) for v in obj]
    return obj


# -- YAML ---------------------------------------------------------------------

class _Walk:
    """One pass over a composed YAML node tree: key lines, duplicate keys, alias expansion, depth."""

    def __init__(self, file: str) -> None:
        import yaml

        self._yaml = yaml
        self.file = file
        self.nodes = 0
        self.lines: dict[KeyPath, int] = {}
        self._open: set[int] = set()  # nodes on the current path: seeing one again is a recursive alias

    def visit(self, node: yaml.Node, path: KeyPath, depth: int) -> None:
        self.nodes += 1
        if self.nodes > YAML_MAX_NODES:
            raise UserError(f"the YAML expands to more than {YAML_MAX_NODES:,} values (aliases such as *name "
                            "are counted each time they are used); expected a plain document",
                            file=self.file, line=node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            raise UserError(f"nested more than {MAX_DEPTH} levels deep", file=self.file, line=node.start_mark.line + 1)
        self.lines.setdefault(path, node.start_mark.line + 1)
        yaml = self._yaml
        if isinstance(node, yaml.ScalarNode):
            return
        if id(node) in self._open:
            raise UserError("recursive alias: an anchor (&name) is used inside itself (*name)",
                            file=self.file, line=node.start_mark.line + 1)
        self._open.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
                line = k.start_mark.line + 1
                if isinstance(k, yaml.ScalarNode) and key != "<<":
                    if key in seen:
                        raise UserError(f"duplicate key {key!r} (first on line {seen[key]}, again on line {line}); "
                                        "expected each key once", file=self.file, line=line,
                                        key=dotted(path + (key,)) or None)
                    seen[key] = line
                self.lines[path + (key,)] = line
                self.visit(v, path + (key,), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                self.visit(v, path + (i,), depth + 1)
        self._open.discard(id(node))


def parse_yaml(text: str, *, file: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML text; return the data and a map of key path -> line number.

    Before any value is built, one walk over the document checks it: every
    mapping key appears once (both lines are named otherwise), aliases do not
    refer to themselves or expand past :data:`YAML_MAX_NODES` values (the
    "billion laughs"), and nesting stays under :data:`MAX_DEPTH`.

    Raises:
        UserError: malformed YAML, with the line and column of the problem.
    """
    import yaml

    loader = _yaml_loader()(text)
    walk = _Walk(file)
    node = None
    try:
        # One parse: compose the node tree (for line numbers), then build data from it.
        node = loader.get_single_node()
        if node is not None:
            walk.visit(node, (), 0)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = (e.problem or e.context or "malformed YAML").strip()
        if e.context and e.context_mark is not None and e.problem:
            # e.g. "while scanning a quoted scalar (started at line 3, column 16)"
            cm = e.context_mark
            problem += f" ({e.context.strip()} started at line {cm.line + 1}, column {cm.column + 1})"
        raise UserError(
            f"malformed YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as e:  # pragma: no cover - unmarked errors are rare
        raise UserError(f"malformed YAML: {e}", file=file) from None
    except RecursionError:
        raise UserError(f"nested too deeply (expected at most {MAX_DEPTH} levels)", file=file) from None
    except (ValueError, OverflowError) as e:  # a YAML integer past Python's digit limit
        line = _long_yaml_int_line(node)
        raise UserError(f"a number too large to read ({type(e).__name__}); expected a number of sensible size",
                        file=file, line=line) from None
    finally:
        loader.dispose()
    return data, walk.lines


def _long_yaml_int_line(node: Any) -> Optional[int]:
    """The line of the first integer scalar with more digits than Python reads, in a composed tree."""
    import yaml

    limit, stack, seen = _digit_limit(), [node] if node is not None else [], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            if n.tag.endswith(":int") and limit and sum(c.isdigit() for c in n.value) > limit:
                return n.start_mark.line + 1
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for kv in reversed(n.value) for x in reversed(kv))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(reversed(n.value))
    return None


def load_yaml(path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT,
              what: str = "a YAML file") -> tuple[Any, dict[KeyPath, int]]:
    """Read and parse a YAML file (see :func:`read_text` and :func:`parse_yaml`)."""
    return parse_yaml(read_text(path, limit=limit, what=what), file=str(path))


def dotted(loc: KeyPath) -> str:
    """``("data", "examples")`` -> ``data.examples``; list indexes as ``[2]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(model: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc[:-1]``, if it is one."""
    from pydantic import BaseModel

    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional/list wrappers down to a model class where there is one."""
    from pydantic import BaseModel

    for _ in range(4):
        args = [a for a in get_args(tp) if a is not type(None)]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        if not args:
            return tp
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        tp = models[0] if models else args[0]
    return tp


_FRIENDLY = {
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "string_type": "expected text",
    "greater_than_equal": "expected a number >= {ge}",
    "greater_than": "expected a number > {gt}",
    "less_than_equal": "expected a number <= {le}",
    "less_than": "expected a number < {lt}",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value pairs)",
    "model_type": "expected a mapping (key: value pairs)",
    "finite_number": "expected a finite number",
    "string_too_long": "expected text of at most {max_length} characters",
    "too_long": "expected at most {max_length} items",
}


def short_repr(value: Any, width: int = 80) -> str:
    """``repr(value)``, cut to ``width`` characters (a 40 MB value must not become a 40 MB message)."""
    if isinstance(value, str) and len(value) > width:
        return repr(value[:width]) + f"... ({len(value):,} characters)"
    if isinstance(value, (dict, list)) and len(value) > 20:
        return f"a {type(value).__name__} of {len(value):,} items"
    text = repr(value)
    return text if len(text) <= width else text[:width] + "..."


def validation_error(
    err: ValidationError,
    *,
    file: str,
    lines: dict[KeyPath, int] | None = None,
    model: type[BaseModel] | None = None,
) -> UserError:
    """Turn the first pydantic error into a :class:`UserError` a person can act on.

    The message names the key, the value given and what is allowed (the
    literal choices, the allowed keys at that level, or the expected type).
    Further errors are counted, so fixing one never hides the rest for long.
    """
    errors = err.errors(include_url=False)
    first = errors[0]
    kind = first["type"]
    # pydantic adds validator and union-branch tags to the location ('function-after[...]', 'literal[...]',
    # 'int'); drop them, but not a key of the user's own that looks like one ('str', 'items[0]'): that one
    # is in the document's line map, or it is the unknown key being reported.
    raw = tuple(first["loc"])
    kept: list[Any] = []
    for i, p in enumerate(raw):
        tag = isinstance(p, str) and (p.startswith("function-") or "[" in p or p in {"int", "float", "str", "bool"})
        own = (lines is not None and (*kept, p) in lines) or (kind == "extra_forbidden" and i == len(raw) - 1)
        if not tag or own:
            kept.append(p)
    loc: KeyPath = tuple(kept)
    key = dotted(loc) or None
    given = first.get("input")
    if kind == "extra_forbidden":
        allowed = ""
        if model is not None:
            holder = _model_at(model, loc) if len(loc) > 1 else model
            if holder is not None:
                allowed = "; allowed keys here: " + ", ".join(holder.model_fields)
        msg = f"unknown key{allowed}"
    elif kind == "literal_error":
        msg = f"{short_repr(given)} is not allowed; expected one of: {first['ctx']['expected']}"
    elif kind == "missing":
        msg = "is required"
    elif kind in _FRIENDLY:
        ctx = first.get("ctx") or {}
        msg = _FRIENDLY[kind].format(**{k: v for k, v in ctx.items()}) + f" (got {short_repr(given)})"
    else:
        msg = f"{first['msg']} (got {short_repr(given)})" if given is not None else first["msg"]
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in this file)"
    line = None
    if lines:
        probe = loc
        while probe and probe not in lines:
            probe = probe[:-1]
        line = lines.get(probe)
    return UserError(msg, file=file, line=line, key=key)


_umask_lock = threading.Lock()


def _current_umask() -> int:
    """The process umask (read by setting and restoring it; the lock keeps threads from racing)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _write_stream(target: Path, text: str, mode: int) -> Path:
    """Write to a device (``/dev/null``, ``/dev/stdout``) or a pipe with a reader: no rename possible.

    ``target`` is the path as given, links and all: ``/dev/stdout`` and ``/dev/fd/N`` of a pipe are
    links to ``pipe:[...]``, which only opening the link itself reaches.
    """
    flags = os.O_WRONLY | (getattr(os, "O_NONBLOCK", 0) if stat.S_ISFIFO(mode) else 0)
    try:
        fd = os.open(str(target), flags)
    except OSError as e:
        if e.errno == errno.ENXIO:  # a FIFO nobody reads: writing would wait forever
            raise UserError("cannot write: a named pipe (FIFO) with no reader", file=str(target)) from None
        raise os_error(e, target, action="cannot write") from None
    try:
        os.set_blocking(fd, True)
        data = text.encode("utf-8")
        while data:
            n = os.write(fd, data)
            data = data[n:]
    except OSError as e:
        raise os_error(e, target, action="cannot write") from None
    finally:
        os.close(fd)
    return target


def atomic_write(path: str | os.PathLike[str], text: str, *, mode: int | None = None,
                 overwrite: bool = True) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, then rename).

    A reader sees either the old file or the new one, never half of either;
    an interrupted run leaves the previous version intact. A path that is a
    device or a named pipe (``/dev/stdout``, ``/dev/null``) is written to
    directly: renaming over it would replace the device.

    The file gets the permissions a plain ``open(path, "w")`` would give it:
    an existing file keeps its mode, a new one gets ``0o666`` less the umask
    (so a record on a shared box is readable by the team when the umask says
    so). ``mode`` forces one (sessions are private: ``0o600``). When ``path``
    is a symbolic link, the file it points to is replaced and the link stays.
    With ``overwrite=False`` the file appears complete or not at all, and an
    existing one is never replaced (``FileExistsError``, nothing written).

    Raises:
        UserError: the folder does not exist or cannot be written.
        FileExistsError: ``overwrite`` is false and ``path`` exists.
    """
    target = Path(path)
    try:
        st = os.stat(target)  # through any link: what will be written to
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise os_error(e, target, action="cannot write") from None
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        return _write_stream(target, text, st.st_mode)
    try:
        link = target.is_symlink()
    except OSError:  # a name too long and the like: the write below reports it
        link = False
    if link:
        # Write through the link (as `>` in a shell does): replacing the link with a
        # file would silently detach whatever the link was there for.
        target = Path(os.path.realpath(target))
    folder = target.parent if str(target.parent) else Path(".")
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UserError("cannot write: is a directory, expected a file", file=str(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UserError(f"cannot write: is {_kind_word(st.st_mode)}, expected a regular file", file=str(path))
    if not folder.is_dir():
        raise UserError("cannot write: folder does not exist", file=str(path))
    if mode is None:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            mode = 0o666 & ~_current_umask()
    try:
        import tempfile  # here: reading files, the common case, never needs it

        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise os_error(e, Path(path), action="cannot write") from None
    try:
        # mkstemp creates the file 0600 whatever the umask; give it the final mode before the rename.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", errors="strict") as fh:
            fh.write(clean_surrogates(text))
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if target exists: no check-then-write race
            except FileExistsError:  # (link's own error names the temp file first)
                raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
            except OSError:  # a filesystem without hard links: check, then rename
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
                os.replace(tmp, target)
            else:
                os.unlink(tmp)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, FileExistsError) and not overwrite:
            raise
        if isinstance(e, OSError):
            # full disk, quota, a directory in the way: the old file is intact
            raise UserError(f"cannot write: {os_reason(e)} (the previous file, if any, is unchanged)",
                            file=str(path)) from None
        raise
    return target
