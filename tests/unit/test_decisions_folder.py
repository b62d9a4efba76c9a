"""`advisor decide --save`: numbered MADR records in a decisions folder, an index, supersession, no overwrites."""

from __future__ import annotations

import yaml

from advisor.core.decisions import list_records
from tests.conftest import DATA, run_main

INVOICE = DATA / "good" / "invoice_extractor.yaml"
DEFI = DATA / "good" / "defi_apr_bot.yaml"


def _front(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


def test_records_are_numbered_in_docs_decisions_and_indexed(tmp_path):
    for answers in (INVOICE, DEFI, INVOICE):
        r = run_main("decide", "-a", str(answers), "--save", cwd=tmp_path)
        assert r.returncode == 0 and r.stdout == "", r.stderr
    names = sorted(p.name for p in (tmp_path / "docs" / "decisions").iterdir())
    assert names[:3] == ["0001-extract-12-fields-from-supplier-invoices-into.md",
                         names[1], "0003-extract-12-fields-from-supplier-invoices-into.md"]
    assert names[1].startswith("0002-") and names[3] == "index.md"
    # the third is the same job as the first: said on stderr, nothing superseded without being asked
    assert "0001-extract" in r.stderr and "--supersedes 0001" in r.stderr
    assert all(rec.active for rec in list_records(tmp_path / "docs" / "decisions"))
    index = (tmp_path / "docs" / "decisions" / "index.md").read_text()
    assert index.count("| [000") == 3


def test_supersedes_links_both_ways(tmp_path):
    adr = tmp_path / "adr"
    run_main("decide", "-a", str(INVOICE), "--decisions", str(adr), cwd=tmp_path)
    old = next(adr.glob("0001-*.md"))
    before = old.read_text(encoding="utf-8")
    r = run_main("decide", "-a", str(INVOICE), "--decisions", str(adr), "--supersedes", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    new = next(adr.glob("0002-*.md"))
    assert _front(new)["supersedes"] == old.name
    assert _front(old)["superseded-by"] == new.name and _front(old)["status"] == "superseded by ADR-0002"
    # only the front matter of the old record changed
    assert old.read_text(encoding="utf-8").split("\n---\n", 1)[1] == before.split("\n---\n", 1)[1]
    r = run_main("decide", "-a", str(INVOICE), "--decisions", str(adr), "--supersedes", "1", cwd=tmp_path)
    assert r.returncode == 2 and "already superseded" in r.stderr
    r = run_main("decide", "-a", str(INVOICE), "--decisions", str(adr), "--supersedes", "9", cwd=tmp_path)
    assert r.returncode == 2 and "no record numbered 0009" in r.stderr
    assert sorted(p.name[:4] for p in adr.glob("0*.md")) == ["0001", "0002"]  # refused runs wrote nothing


def test_env_folder_and_a_hand_written_index_is_left_alone(tmp_path):
    adr = tmp_path / "records"
    adr.mkdir()
    (adr / "index.md").write_text("# Our ADRs\n\nhand-written\n")
    (adr / "0007-use-postgres.md").write_text("---\nstatus: accepted\ndate: 2025-01-01\n---\n\n# Use Postgres\n")
    r = run_main("decide", "-a", str(INVOICE), "--save", cwd=tmp_path, env={"ADVISOR_DECISIONS_DIR": str(adr)})
    assert r.returncode == 0, r.stderr
    assert next(adr.glob("0008-*.md"))  # numbering continues after the team's own records
    assert (adr / "index.md").read_text() == "# Our ADRs\n\nhand-written\n"
    assert "not written by advisor" in r.stderr


def test_output_never_replaces_a_file_without_force(tmp_path):
    out = tmp_path / "decision-record.md"
    out.write_text("PREVIOUS-CONTENT-7\n")
    r = run_main("decide", "-a", str(INVOICE), "-o", str(out), cwd=tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr and "--force" in r.stderr
    assert out.read_text() == "PREVIOUS-CONTENT-7\n"
    r = run_main("decide", "-a", str(INVOICE), "-o", str(out), "--force", cwd=tmp_path)
    assert r.returncode == 0 and "PREVIOUS-CONTENT-7" not in out.read_text()


def test_same_job_without_a_description_says_why_nothing_is_superseded(tmp_path):
    bare = tmp_path / "bare.yaml"
    bare.write_text("task:\n  type: classification\n", encoding="utf-8")
    for _ in range(2):
        r = run_main("decide", "-a", str(bare), "--save", "--supersedes", "same-job", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    assert "no task.description" in r.stderr and "--supersedes NNNN" in r.stderr
    assert all(rec.active for rec in list_records(tmp_path / "docs" / "decisions"))
