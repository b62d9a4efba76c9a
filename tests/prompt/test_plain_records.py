"""The plain interview saves records as a user meets it: numbered in the decisions folder, never overwritten."""

from __future__ import annotations

from advisor.core.decisions import list_records
from advisor.interview.session import SessionStore
from advisor.prompt.interview import run_plain
from tests.prompt.test_plain_interview import SCRIPT, TODAY, ScriptedPrompter, kb  # noqa: F401 - fixture


def test_two_records_on_the_same_job_are_two_files_and_the_second_can_supersede(kb, tmp_path, monkeypatch):
    folder = tmp_path / "adr"
    monkeypatch.setenv("ADVISOR_DECISIONS_DIR", str(folder))
    store = SessionStore(tmp_path / "data")
    first = ScriptedPrompter(kb, SCRIPT, record_path="folder")
    run_plain(kb, first, store=store, today=TODAY)
    (one,) = list_records(folder)
    assert one.path.name.startswith("0001-") and one.active
    assert any("as 0001-" in s or str(one.path) in s for s in first.said)

    # same job again, the user keeps both: nothing is replaced
    second = ScriptedPrompter(kb, SCRIPT, record_path="folder")
    run_plain(kb, second, store=store, today=TODAY)
    records = list_records(folder)
    assert [r.number for r in records] == [1, 2] and all(r.active for r in records)
    assert one.path.read_text(encoding="utf-8") == records[0].path.read_text(encoding="utf-8")

    # a third time the user chooses to supersede: both earlier ones link to it, and it to them
    third = ScriptedPrompter(kb, SCRIPT, record_path="folder")
    third.supersede = True
    run_plain(kb, third, store=store, today=TODAY)
    r1, r2, r3 = list_records(folder)
    assert r3.number == 3 and r3.active and set(r3.supersedes) == {r1.path.name, r2.path.name}
    assert r1.superseded_by == r2.superseded_by == r3.path.name
    assert r1.status == "superseded by ADR-0003"
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert all(r.path.name in index for r in (r1, r2, r3)) and "superseded by [0003]" in index


def test_a_named_file_that_exists_is_replaced_only_when_the_user_says_so(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "record.md"
    target.write_text("KEEP-ME\n")
    p = ScriptedPrompter(kb, SCRIPT, record_path=str(target))
    p.overwrite = None  # "Don't save it"
    run_plain(kb, p, store=SessionStore(tmp_path / "data"), today=TODAY)
    assert target.read_text() == "KEEP-ME\n"
    p = ScriptedPrompter(kb, SCRIPT, record_path=str(target))
    p.overwrite = "overwrite"
    run_plain(kb, p, store=SessionStore(tmp_path / "data"), today=TODAY)
    assert "KEEP-ME" not in target.read_text() and "## Decision Outcome" in target.read_text()


def test_skipping_writes_nothing(kb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_plain(kb, ScriptedPrompter(kb, SCRIPT, record_path=""), store=SessionStore(tmp_path / "data"), today=TODAY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
