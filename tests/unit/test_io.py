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
