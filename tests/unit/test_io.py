"""Atomic writes keep the previous file whole when a write fails."""

from __future__ import annotations

import pytest

from advisor.core.io import atomic_write
from advisor.errors import UserError


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
