"""atomic_write's refusals and failures, each by its exact message and file, and the write paths a
plain file never takes: a FIFO with a reader, a filesystem without hard links, the temp file's place.

Faults that a test cannot make happen for real on this machine (a filesystem without hard links, a
disk filling up at the last step) are made by replacing the one OS call that would fail with one that
raises the error that filesystem raises; everything else is real files, sockets and pipes.
"""

from __future__ import annotations

import errno
import os
import socket

import pytest

from advisor.core import io
from advisor.core.io import atomic_write
from advisor.errors import UserError


def _refused(path, text="x", **kw) -> UserError:
    with pytest.raises(UserError) as e:
        atomic_write(path, text, **kw)
    return e.value


def test_a_directory_in_the_way_is_named(tmp_path):
    e = _refused(tmp_path)
    assert (e.message, e.file) == ("cannot write: is a directory, expected a file", str(tmp_path))


def test_a_socket_in_the_way_is_named(tmp_path):
    path = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(path))
        e = _refused(path)
    finally:
        s.close()
    assert (e.message, e.file) == ("cannot write: is a socket, expected a regular file", str(path))


def test_a_missing_folder_is_named(tmp_path):
    path = tmp_path / "missing" / "r.md"
    e = _refused(path)
    assert (e.message, e.file) == ("cannot write: folder does not exist", str(path))


def test_a_name_too_long_to_look_up_or_to_make_a_temp_file_for(tmp_path):
    path = tmp_path / ("n" * 300)  # longer than a name may be: the lookup fails
    e = _refused(path)
    assert (e.message, e.file) == ("cannot write: file name too long", str(path))
    path = tmp_path / ("n" * 250)  # a name that fits, but the temp file's (".<name>.XXXXXXXX.tmp") does not
    e = _refused(path)
    assert (e.message, e.file) == ("cannot write: file name too long", str(path))
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_with_a_reader_is_written_to_and_stays_a_fifo(tmp_path):
    path = tmp_path / "out.fifo"
    os.mkfifo(path)
    r = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert atomic_write(path, "héllo\n") == path
        assert os.read(r, 100) == "héllo\n".encode()
    finally:
        os.close(r)
    assert path.is_fifo()
    lonely = tmp_path / "no-reader.fifo"
    os.mkfifo(lonely)
    e = _refused(lonely)
    assert (e.message, e.file) == ("cannot write: a named pipe (FIFO) with no reader", str(lonely))


def test_the_temp_file_is_hidden_beside_the_target(tmp_path, monkeypatch):
    seen = []
    real = os.fsync

    def fsync(fd):  # the moment the text is written and not yet renamed
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        return real(fd)

    monkeypatch.setattr(io.os, "fsync", fsync)
    atomic_write(tmp_path / "r.md", "new")
    (names,) = seen
    assert len(names) == 1 and names[0].startswith(".r.md.") and names[0].endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md"]


def test_a_failure_at_the_last_step_says_the_previous_file_is_unchanged(tmp_path, monkeypatch):
    target = tmp_path / "r.md"
    target.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.os, "fsync", full)
    e = _refused(target, "new")
    assert (e.message, e.file) == ("cannot write: no space left on the device (the previous file, if any, is unchanged)", str(target))
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.md"]
    # the same with overwrite=False: only "the file exists" passes through as FileExistsError
    e = _refused(tmp_path / "new.md", "new", overwrite=False)
    assert e.message == "cannot write: no space left on the device (the previous file, if any, is unchanged)"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


@pytest.mark.parametrize("hard_links", [True, False])
def test_without_overwrite_an_existing_file_is_never_replaced(tmp_path, monkeypatch, hard_links):
    if not hard_links:  # a filesystem without hard links (FAT, some network mounts): link() is refused
        def link(src, dst):
            raise OSError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(io.os, "link", link)
    target = tmp_path / "r.md"
    assert atomic_write(target, "first", overwrite=False) == target
    assert target.read_text() == "first"
    with pytest.raises(FileExistsError) as e:
        atomic_write(target, "second", overwrite=False)
    assert (e.value.errno, e.value.filename) == (errno.EEXIST, str(target))
    assert target.read_text() == "first" and [p.name for p in tmp_path.iterdir()] == ["r.md"]
    # overwrite=True still replaces it, and an OSError then is a UserError, not a FileExistsError
    atomic_write(target, "third")
    assert target.read_text() == "third"


# -- devices and pipes: written in place, no rename possible ------------------------------------


def test_a_full_device_names_the_path_as_given():
    """/dev/full refuses every write with ENOSPC: the real device, the real error."""
    e = _refused("/dev/full", "x" * 10)
    assert (e.message, e.file) == ("cannot write: no space left on the device", "/dev/full")


def test_a_device_that_cannot_be_opened_names_the_path_and_why(tmp_path, monkeypatch):
    real = os.open

    def open_(path, flags, *a):  # a device whose driver refuses to open (a pulled USB disk)
        if str(path) == "/dev/null":
            raise OSError(errno.EIO, "Input/output error")
        return real(path, flags, *a)

    monkeypatch.setattr(io.os, "open", open_)
    e = _refused("/dev/null")
    assert (e.message, e.file) == ("cannot write: input/output error (a failing disk or a dropped network share?)",
                                   "/dev/null")


def test_a_fifo_reached_through_a_link_is_named_by_the_link(tmp_path):
    fifo = tmp_path / "real.fifo"
    os.mkfifo(fifo)
    link = tmp_path / "out"
    link.symlink_to(fifo)
    e = _refused(link)
    assert (e.message, e.file) == ("cannot write: a named pipe (FIFO) with no reader", str(link))
    r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert atomic_write(link, "through the link\n") == link
        assert os.read(r, 100) == b"through the link\n"
    finally:
        os.close(r)
    assert link.is_symlink() and fifo.is_fifo()


@pytest.mark.parametrize("via", ["/dev/fd/{w}", "/proc/self/fd/{w}"])
def test_a_pipe_larger_than_its_buffer_waits_for_a_slow_reader(via):
    """1 MiB into a pipe that holds 64 KiB, read by a reader that starts late: nothing is lost. The pipe is
    reached as a shell hands it over (`--out >(less)`, or /dev/stdout piped on), a link to ``pipe:[...]``."""
    import threading
    import time

    r, w = os.pipe()
    text = "0123456789abcdef" * (1024 * 1024 // 16)
    got = bytearray()

    def read():
        time.sleep(0.3)
        while chunk := os.read(r, 1 << 16):
            got.extend(chunk)

    t = threading.Thread(target=read)
    t.start()
    try:
        assert str(atomic_write(via.format(w=w), text)) == via.format(w=w)
    finally:
        os.close(w)
        t.join()
        os.close(r)
    assert got.decode() == text
