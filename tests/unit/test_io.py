"""Atomic writes keep the previous file whole when a write fails, is read concurrently or is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from advisor.core.io import atomic_write
from advisor.errors import UserError
from tests.conftest import ROOT


def test_atomic_write_replaces_content(tmp_path):
    target = tmp_path / "r.md"
    target.write_text("old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "r.md"
    target.write_text("old")
    with pytest.raises(TypeError):
        atomic_write(target, None)  # type: ignore[arg-type]  # fails mid-write
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_missing_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="folder does not exist"):
        atomic_write(tmp_path / "missing" / "r.md", "x")


def test_os_error_during_write_is_a_user_error_and_leaves_no_temp(tmp_path):
    # a non-empty directory where the file should go: the rename fails with a real OSError
    target = tmp_path / "record.md"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="cannot write") as err:
        atomic_write(target, "new")
    assert err.value.file == str(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.md"]
    assert (target / "keep.txt").read_text() == "mine"


def test_decide_output_onto_a_directory_exits_2_without_traceback(cli, tmp_path, data_dir):
    out = tmp_path / "out.md"
    out.mkdir()
    (out / "x").write_text("x")
    r = cli("decide", "--answers", str(data_dir / "good" / "defi_apr_bot.yaml"), "-o", str(out))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "cannot write" in r.stderr and str(out) in r.stderr


# -- the contract, observed from outside: readers and kills -------------------------
#
# "A reader sees either the old file or the new one, never half of either; an
# interrupted run leaves the previous version intact." These tests watch that from
# another file handle and another process, and never look at how it is done.

OLD = "old\n" + "o" * 1_500_000 + "\nend-of-old\n"
NEW = "new\n" + "n" * 1_500_000 + "\nend-of-new\n"


def test_a_reader_holding_the_old_file_keeps_reading_the_whole_old_file(tmp_path):
    target = tmp_path / "record.md"
    target.write_text(OLD)
    with open(target, encoding="utf-8") as reader:
        head = reader.read(4)  # a reader part-way through the old file...
        atomic_write(target, NEW)  # ...while the new one goes in
        rest = reader.read()
    assert head + rest == OLD, "the old file changed under an open reader"
    assert target.read_text() == NEW


_WRITER = r"""
import sys
from advisor.core.io import atomic_write
target, rounds = sys.argv[1], int(sys.argv[2])
texts = [open(sys.argv[3]).read(), open(sys.argv[4]).read()]
for i in range(rounds if rounds else 10**9):
    atomic_write(target, texts[i % 2])
    print(i, flush=True)
"""


def _writer(tmp_path, target, rounds: int) -> subprocess.Popen:
    (tmp_path / "a.txt").write_text(OLD)
    (tmp_path / "b.txt").write_text(NEW)
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(target), str(rounds),
                             str(tmp_path / "a.txt"), str(tmp_path / "b.txt")],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


def test_a_concurrent_reader_never_sees_a_half_written_file(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "record.md"
    target.write_text(OLD)
    writer = _writer(tmp_path, target, rounds=20)
    seen: set[str] = set()
    reads = 0
    try:
        while writer.poll() is None:
            text = target.read_text()
            reads += 1
            assert text in (OLD, NEW), f"read {len(text)} characters, starting {text[:8]!r}, ending {text[-12:]!r}"
            seen.add(text[:3])
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == 0 and reads > 0
    assert target.read_text() == NEW  # the writer's last round (19) wrote the second text
    assert [p.name for p in folder.iterdir()] == ["record.md"]


def test_kill_9_in_the_middle_of_writes_leaves_the_old_or_the_new_file(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "record.md"
    target.write_text(OLD)
    for kill_after in (0, 1, 3):
        writer = _writer(tmp_path, target, rounds=0)  # writes until killed
        assert writer.stdout is not None
        for _ in range(kill_after + 1):  # let it finish kill_after+1 writes; it is then inside the next
            assert writer.stdout.readline(), "the writer died on its own"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        assert writer.returncode == -signal.SIGKILL
        text = target.read_text()
        assert text in (OLD, NEW), f"killed mid-write: {len(text)} characters, ending {text[-12:]!r}"
        # a kill leaves no chance to clean up: at most the temp file of the write it interrupted,
        # hidden (dot-prefixed) next to the target, and never the target itself half-written
        leftovers = [p.name for p in folder.iterdir() if p.name != "record.md"]
        assert all(n.startswith(".record.md.") and n.endswith(".tmp") for n in leftovers), leftovers
        for p in folder.iterdir():
            if p.name != "record.md":
                p.unlink()

