"""Exported files honour the umask, keep an existing file's mode, and write through a symlink.

The commands run in this process (``advisor.cli.main``) with the umask set around each call,
writing real files on disk; tests/unit/test_cli.py runs the same commands as child processes.
"""

from __future__ import annotations

import os
import stat

import pytest

from advisor.core.io import atomic_write
from tests.conftest import DATA, run_main

ANSWERS = DATA / "good" / "invoice_extractor.yaml"
LOG = DATA / "triage" / "logs" / "hf_overfit" / "trainer_state.json"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _cli(umask: int, *args, cwd):
    old = os.umask(umask)
    try:
        return run_main(*args, cwd=cwd)
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_every_export_gets_the_mode_the_umask_says(tmp_path, umask, expected):
    runs = {
        "record.md": ["decide", "-a", str(ANSWERS), "-o", "record.md"],
        "decision.json": ["decide", "-a", str(ANSWERS), "--format", "json", "-o", "decision.json"],
        "answers.yaml": ["init", "answers.yaml"],
        "triage.json": ["triage", "--log", str(LOG), "--format", "json", "-o", "triage.json"],
        "probe.yaml": ["probe", "init", "probe.yaml"],
        "schema.json": ["schema", "decision", "-o", "schema.json"],
    }
    for name, args in runs.items():
        r = _cli(umask, *args, cwd=tmp_path)
        assert r.returncode == 0, (name, r.stderr)
        assert _mode(tmp_path / name) == expected, f"{name}: {oct(_mode(tmp_path / name))}, umask {oct(umask)}"
    # no temporary files left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(runs)


def test_an_existing_file_keeps_its_mode(tmp_path):
    out = tmp_path / "record.md"
    out.write_text("PREVIOUS-CONTENT-7\n")
    os.chmod(out, 0o640)
    r = _cli(0o022, "decide", "-a", str(ANSWERS), "-o", str(out), "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert _mode(out) == 0o640
    assert "PREVIOUS-CONTENT-7" not in out.read_text()


def test_output_to_a_symlink_writes_through_it(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "decision-record.md"
    real.write_text("PREVIOUS-CONTENT-7\n")
    link = tmp_path / "record.md"
    link.symlink_to(real)
    r = _cli(0o022, "decide", "-a", str(ANSWERS), "-o", str(link), "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "PREVIOUS-CONTENT-7" not in real.read_text() and "# " in real.read_text()
    assert sorted(p.name for p in shared.iterdir()) == ["decision-record.md"]  # the temp file was beside the target


def test_relative_symlink_chain(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "real.json").write_text("{}")
    (tmp_path / "mid.json").symlink_to("d/real.json")
    (tmp_path / "out.json").symlink_to("mid.json")
    atomic_write(tmp_path / "out.json", '{"a": 1}\n')
    assert (tmp_path / "out.json").is_symlink() and (tmp_path / "mid.json").is_symlink()
    assert (tmp_path / "d" / "real.json").read_text() == '{"a": 1}\n'


def test_sessions_stay_private(tmp_path):
    from advisor.interview.session import Session, SessionStore

    old = os.umask(0o002)
    try:
        path = SessionStore(tmp_path).save(Session())
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
