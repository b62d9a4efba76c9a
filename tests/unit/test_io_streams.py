"""The readers' byte paths in-process: read_bytes, read_text, read_stdin and open_text_stream.

What each one promises (docs/limits.md, the docstrings): a regular file or a pipe handed over by
the shell is read whole, at most ``limit`` bytes (exactly the limit is fine, one byte more is
refused with the limit, in bytes or MiB, and what the input is); anything else that is not a
regular file is refused by its kind; a file that grows or shrinks while it is read is read as it
is, still bounded; line ends are universal and a byte-order mark is dropped; an OS error names
the file in words; no file descriptor is left open.

Real files, pipes, sockets and devices throughout. A file changing under the reader, a disk
returning short reads or failing is made by wrapping the one OS call (``os.readv``) so that the
change happens for real, at the moment it would on a busy machine.
"""

from __future__ import annotations

import errno
import io as pyio
import os
import socket
import stat
import sys

import pytest

from advisor.core import io
from advisor.core.io import check_regular, open_text_stream, read_bytes, read_stdin, read_text
from advisor.errors import UserError

MiB = 1024 * 1024


def _refusal(fn, *args, **kw) -> UserError:
    with pytest.raises(UserError) as e:
        fn(*args, **kw)
    return e.value


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_fd_left():
    """Fails the test if it leaves a file descriptor open."""
    before = _open_fds()
    yield
    assert _open_fds() - before == set()


def _file(tmp_path, data: bytes, name="in.log"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _pipe(data: bytes) -> str:
    """A pipe holding ``data`` (writer closed), as the path a shell's ``<(...)`` hands over."""
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    return f"/dev/fd/{r}"


def _close_pipe(path: str) -> None:
    os.close(int(path.rsplit("/", 1)[1]))


# -- the limit -----------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [read_bytes, read_text, open_text_stream])
def test_a_regular_file_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(tmp_path, reader, no_fd_left):
    ok = _file(tmp_path, b"0123456789", "ok.log")
    got = reader(ok, limit=10, what="a log")
    if hasattr(got, "read"):
        with got:
            got = got.read()
    assert got in (b"0123456789", "0123456789")
    big = _file(tmp_path, b"0123456789A", "big.log")
    e = _refusal(reader, big, limit=10, what="a log")
    assert (e.message, e.file) == ("larger than the 10 bytes limit for a log (docs/limits.md)", str(big))


@pytest.mark.parametrize("reader", [read_bytes, read_text, open_text_stream])
def test_the_default_input_kind_in_the_limit_message(tmp_path, reader):
    e = _refusal(reader, _file(tmp_path, b"xx"), limit=1)
    assert e.message == "larger than the 1 bytes limit for this kind of file (docs/limits.md)"


@pytest.mark.parametrize("limit,shown", [(MiB, "1 MiB"), (2 * MiB, "2 MiB"), (MiB - 1, "1048575 bytes")])
def test_the_limit_is_shown_in_whole_mib_from_one_mib_up(tmp_path, limit, shown):
    p = tmp_path / "big.jsonl"
    with open(p, "wb") as fh:
        fh.truncate(limit + 1)
    assert _refusal(read_bytes, p, limit=limit, what="a dataset").message == (
        f"larger than the {shown} limit for a dataset (docs/limits.md)")


def test_a_pipe_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(no_fd_left):
    ok = _pipe(b"0123456789")
    try:
        assert read_bytes(ok, limit=10) == b"0123456789"
    finally:
        _close_pipe(ok)
    big = _pipe(b"0123456789A")
    try:
        e = _refusal(read_bytes, big, limit=10, what="a training log")
    finally:
        _close_pipe(big)
    assert (e.message, e.file) == ("larger than the 10 bytes limit for a training log (docs/limits.md)", big)


def _read_a_writing_pipe(data: bytes, limit: int):
    """read_bytes on a pipe a thread writes ``data`` into while it reads (a pipe holds only 64 KiB)."""
    import threading

    r, w = os.pipe()

    def write():
        try:
            with os.fdopen(w, "wb") as fh:
                fh.write(data)
        except BrokenPipeError:  # the reader stopped at the limit
            pass

    t = threading.Thread(target=write)
    t.start()
    try:
        return read_bytes(f"/dev/fd/{r}", limit=limit)
    finally:
        os.close(r)
        t.join()


def test_a_pipe_larger_than_one_read_is_read_whole_and_bounded_across_reads():
    """More than the reader's 4 MiB chunk: the limit counts every chunk, not the last one."""
    data = bytes(range(256)) * (5 * MiB // 256) + b"end"
    assert _read_a_writing_pipe(data, limit=len(data)) == data
    with pytest.raises(UserError) as e:
        _read_a_writing_pipe(data + b"!", limit=len(data))
    assert e.value.message.startswith("larger than the 5 MiB limit")


def test_a_pipe_is_read_through_proc_self_fd_too():
    path = _pipe(b"a\r\nb\n")
    fd = path.rsplit("/", 1)[1]
    try:
        assert read_text(f"/proc/self/fd/{fd}") == "a\nb\n"
    finally:
        os.close(int(fd))


# -- what is read ---------------------------------------------------------------------------


def test_a_regular_file_is_read_into_one_buffer(tmp_path):
    """One buffer of the file's size, filled in place (docs/limits.md: no second copy of a big log)."""
    got = read_bytes(_file(tmp_path, b"abc\n"))
    assert got == b"abc\n" and isinstance(got, bytearray)


def test_line_ends_are_universal_and_a_byte_order_mark_is_dropped(tmp_path):
    p = _file(tmp_path, b"\xef\xbb\xbfa\r\nb\rc\n")
    assert read_text(p) == "a\nb\nc\n"
    with open_text_stream(p) as fh:
        assert fh.readlines() == ["a\n", "b\n", "c\n"]


def test_the_line_of_a_byte_that_is_not_utf8_counts_every_line_before_it(tmp_path):
    p = _file(tmp_path, b"\nok\n\xff\n")
    e = _refusal(read_text, p)
    assert (e.message, e.file, e.line) == ("not UTF-8 text (byte 4); save the file as UTF-8", str(p), 3)


# -- a file that changes while it is read -------------------------------------------------------


@pytest.fixture
def readv_hook(monkeypatch):
    """``hook(path, before=fn, most=n)``: run ``fn`` before the first read of the file, cap each read at n bytes."""
    real = os.readv

    def hook(path, before=None, most=None):
        target = os.stat(path).st_ino
        state = {"first": True}

        def readv(fd, buffers):
            if os.fstat(fd).st_ino == target:
                if state["first"] and before is not None:
                    before()
                state["first"] = False
                if most is not None:
                    buffers = [memoryview(buffers[0])[:most]]
            return real(fd, buffers)

        monkeypatch.setattr(os, "readv", readv)

    return hook


def _append(path, data: bytes):
    def go():
        with open(path, "ab") as fh:
            fh.write(data)
    return go


def test_short_reads_are_read_on_to_the_end(tmp_path, readv_hook):
    data = b"one\ntwo\nthree\nfour\n"
    p = _file(tmp_path, data)
    readv_hook(p, most=3)
    assert read_bytes(p) == data
    with open_text_stream(p) as fh:
        assert fh.read() == data.decode()


def test_a_file_that_grows_while_read_is_read_with_its_growth_within_the_limit(tmp_path, readv_hook, no_fd_left):
    p = _file(tmp_path, b"012345")
    readv_hook(p, before=_append(p, b"6789"))
    assert read_bytes(p, limit=10) == b"0123456789"


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path, readv_hook, no_fd_left):
    p = _file(tmp_path, b"012345")
    readv_hook(p, before=_append(p, b"6789A"))
    e = _refusal(read_bytes, p, limit=10, what="a log")
    assert (e.message, e.file) == ("larger than the 10 bytes limit for a log (docs/limits.md)", str(p))


def test_a_file_that_shrinks_while_read_is_what_is_left(tmp_path, readv_hook):
    p = _file(tmp_path, b"0123456789")

    def cut():
        os.truncate(p, 4)

    readv_hook(p, before=cut)
    got = read_bytes(p)
    assert got == b"0123"


def test_a_text_stream_is_bounded_while_it_reads(tmp_path, no_fd_left):
    """The size check at open is not the only one: bytes past the limit are refused as they are read."""
    p = _file(tmp_path, b"0123456789")
    fh = open_text_stream(p, limit=10, what="a dataset")
    try:
        assert fh.read(2) == "01"
        _append(p, b"\nmore\n")()
        with pytest.raises(UserError) as e:
            fh.read()
    finally:
        fh.close()
    assert (e.value.message, e.value.file) == ("larger than the 10 bytes limit for a dataset (docs/limits.md)", str(p))


def test_a_text_stream_seeks_and_tells_and_the_budget_counts_from_the_start(tmp_path):
    """A reader that looks ahead and goes back (the dataset sniffer) gets the same lines, under the same limit."""
    p = _file(tmp_path, b"first\nsecond\nthird\n")
    with open_text_stream(p, limit=19) as fh:
        assert fh.readline() == "first\n"
        at = fh.tell()
        assert fh.read() == "second\nthird\n"
        fh.seek(at)
        assert fh.readline() == "second\n"
        fh.seek(0)
        assert fh.read() == "first\nsecond\nthird\n"
        fh.seek(at)
        _append(p, b"x")()
        with pytest.raises(UserError):  # 20 bytes from the start: one past the limit
            fh.read()


def test_a_pipe_as_a_text_stream_is_read_whole_first(no_fd_left):
    path = _pipe(b"\xef\xbb\xbfa\r\nb\n")
    try:
        with open_text_stream(path, limit=10) as fh:
            assert fh.readlines() == ["a\n", "b\n"]
            fh.seek(0)
            assert fh.readline() == "a\n"
    finally:
        _close_pipe(path)
    big = _pipe(b"0123456789A")
    try:
        e = _refusal(open_text_stream, big, limit=10, what="a dataset")
    finally:
        _close_pipe(big)
    assert (e.message, e.file) == ("larger than the 10 bytes limit for a dataset (docs/limits.md)", big)


# -- a failing disk ---------------------------------------------------------------------------


def _eio(fd, buffers):
    raise OSError(errno.EIO, "Input/output error")


def test_a_read_error_names_the_file_in_words(tmp_path, monkeypatch, no_fd_left):
    p = _file(tmp_path, b"0123456789")
    monkeypatch.setattr(os, "readv", _eio)
    for reader in (read_bytes, read_text):
        e = _refusal(reader, p)
        assert (e.message, e.file) == ("input/output error (a failing disk or a dropped network share?)", str(p))
    with open_text_stream(p) as fh:
        with pytest.raises(UserError) as e:
            fh.read()
    assert (e.value.message, e.value.file) == ("input/output error (a failing disk or a dropped network share?)",
                                               str(p))


# -- what is not a regular file -----------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path):
    p = tmp_path / "pipe"
    os.mkfifo(p)
    return p


@pytest.fixture
def sock(tmp_path):
    p = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    yield p
    s.close()


FIFO_HINT = " (to feed a command's output, use <(command) or a temporary file)"


@pytest.mark.parametrize("reader", [read_bytes, read_text, open_text_stream])
def test_each_kind_that_is_not_a_regular_file_is_refused_by_name(tmp_path, fifo, sock, reader, no_fd_left):
    cases = [
        (tmp_path, "is a directory, expected a file"),
        (fifo, "is a named pipe (FIFO), expected a regular file" + FIFO_HINT),
        (sock, "is a socket, expected a regular file"),
        ("/dev/null", "is a device, expected a regular file"),
        (tmp_path / "missing.log", "file not found"),
        (_file(tmp_path, b"x") / "below", "a part of the path is a file, not a folder"),
    ]
    for path, message in cases:
        e = _refusal(reader, path)
        assert (e.message, e.file) == (message, str(path))


def test_check_regular_lets_a_missing_or_regular_file_through_and_names_every_other_kind(tmp_path, fifo, sock):
    assert check_regular(tmp_path / "new.json") is None
    assert check_regular(_file(tmp_path, b"{}", "old.json")) is None
    for path, message in [
        (tmp_path, "is a directory, expected a file"),
        (fifo, "is a named pipe (FIFO), expected a regular file"),
        (sock, "is a socket, expected a regular file"),
        ("/dev/null", "is a device, expected a regular file"),
        (_file(tmp_path, b"x") / "below", "a part of the path is a file, not a folder"),
        (tmp_path / ("n" * 300), "file name too long"),
    ]:
        e = _refusal(check_regular, path)
        assert (e.message, e.file) == (message, str(path))


@pytest.mark.parametrize("mode,word", [
    (stat.S_IFIFO, "a named pipe (FIFO)"),
    (stat.S_IFCHR, "a device"),
    (stat.S_IFBLK, "a device"),
    (stat.S_IFSOCK, "a socket"),
    (0, "not a regular file"),  # a kind Linux does not have (a Solaris door, a BSD whiteout)
])
def test_kind_words(mode, word):
    assert io._kind_word(mode) == word


@pytest.mark.parametrize("path,handed_over", [
    ("/dev/fd/3", True), ("/dev/stdin", True), ("/proc/self/fd/12", True), ("/proc/4242/fd/0", True),
    ("/dev//fd/3", True),  # the same path, spelled loosely
    ("/dev/fd/x", False), ("/dev/fd/3/x", False), ("/tmp/dev/fd/3", False), ("/dev/stdout", False),
    ("/proc/self/fd", False), ("/DEV/FD/3", False),
])
def test_which_paths_are_streams_handed_over_by_the_shell(path, handed_over):
    assert io._is_fd_path(path) is handed_over


def test_a_named_pipe_reached_through_dev_fd_is_read(fifo):
    """A FIFO opened by the shell and handed over as /dev/fd/N is read; at its own path it is refused."""
    w = os.open(fifo, os.O_RDWR)  # a reader-writer end, so opening for reading does not wait
    r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    os.write(w, b"hello\n")
    os.close(w)
    try:
        assert read_bytes(f"/dev/fd/{r}") == b"hello\n"
    finally:
        os.close(r)


# -- OS errors in words -----------------------------------------------------------------------------


@pytest.mark.parametrize("err,reason", [
    (OSError(errno.ENOENT, "No such file or directory"), "file not found"),
    (OSError(errno.ECONNRESET, "Connection Reset By Peer"), "connection reset by peer"),  # no words of ours
    (OSError("something odd"), "OSError"),  # no errno, no strerror: the kind of error
    (PermissionError(), "PermissionError"),
])
def test_os_reasons(err, reason):
    assert io.os_reason(err) == reason


def test_an_os_error_names_the_action_when_there_is_one():
    e = io.os_error(OSError(errno.EROFS, "Read-only file system"), "out/rec.md", action="cannot write")
    assert (e.message, e.file) == ("cannot write: read-only file system", "out/rec.md")
    e = io.os_error(OSError(errno.EROFS, "Read-only file system"), "out/rec.md")
    assert (e.message, e.file) == ("read-only file system", "out/rec.md")


# -- standard input ------------------------------------------------------------------------------


def _stdin(monkeypatch, data: bytes):
    """Standard input as Python sets it up: a text stream over a byte buffer."""
    monkeypatch.setattr(sys, "stdin", pyio.TextIOWrapper(pyio.BytesIO(data), encoding="utf-8"))


def test_stdin_is_read_as_utf8_with_universal_line_ends_and_no_byte_order_mark(monkeypatch):
    _stdin(monkeypatch, "\ufefftask: résumé\r\nrisk: low\rx: 1\n".encode())
    assert read_stdin() == "task: résumé\nrisk: low\nx: 1\n"


def test_stdin_that_is_not_utf8_names_stdin_and_the_line(monkeypatch):
    _stdin(monkeypatch, b"a: 1\nb: \xe9\n")
    e = _refusal(read_stdin)
    assert (e.message, e.file, e.line) == ("not UTF-8 text (byte 8); save the file as UTF-8", "<stdin>", 2)
    _stdin(monkeypatch, b"a: \xe9\n")
    e = _refusal(read_stdin, file="<answers>")
    assert (e.file, e.line) == ("<answers>", 1)


def test_stdin_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(monkeypatch):
    _stdin(monkeypatch, b"0123456789")
    assert read_stdin(limit=10) == "0123456789"
    _stdin(monkeypatch, b"0123456789A")
    e = _refusal(read_stdin, limit=10)
    assert (e.message, e.file) == ("larger than the 10 bytes limit for standard input (docs/limits.md)", "<stdin>")
    _stdin(monkeypatch, b"0123456789A")
    e = _refusal(read_stdin, limit=10, what="an answers file", file="<answers>")
    assert (e.message, e.file) == ("larger than the 10 bytes limit for an answers file (docs/limits.md)", "<answers>")


def test_a_text_stdin_without_a_byte_buffer_is_bounded_the_same_way(monkeypatch):
    """A replaced sys.stdin (an IDE's console, a test harness) has no .buffer; its limit counts characters."""
    monkeypatch.setattr(sys, "stdin", pyio.StringIO("0123456789"))
    assert read_stdin(limit=10) == "0123456789"
    monkeypatch.setattr(sys, "stdin", pyio.StringIO("0123456789A"))
    e = _refusal(read_stdin, limit=10, what="an answers file", file="<answers>")
    assert (e.message, e.file) == ("larger than the 10 bytes limit for an answers file (docs/limits.md)", "<answers>")
    monkeypatch.setattr(sys, "stdin", pyio.StringIO("0123456789A"))
    assert _refusal(read_stdin, limit=10).message == (
        "larger than the 10 bytes limit for standard input (docs/limits.md)")


def test_the_last_input_opened_is_remembered_for_a_fault_deep_in_a_parser(tmp_path):
    """advisor/cli.py names ``io.last_input`` when an unexpected error escapes a reader."""
    p = _file(tmp_path, b"a: 1\n", "answers.yaml")
    read_text(p)
    assert io.last_input == str(p)
    _refusal(read_text, tmp_path / "missing.yaml")
    assert io.last_input == str(tmp_path / "missing.yaml")
