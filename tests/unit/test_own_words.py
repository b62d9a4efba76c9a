"""Facts in our own words: no run of eight words from a seed document in what we ship as text.

The check reads the shipped fingerprint of the seeds (hashes of their word
8-grams, ``tests/data/seed_fingerprint.json``), so it runs in CI and on any
machine without the seed text; where the seeds are present, the fingerprint is
checked against them.
"""

from __future__ import annotations

import pytest

from tests.seedcheck import FINGERPRINT, N, copied_runs, fingerprint_of, grams, load_fingerprint, our_files, seed_dir


def test_playbooks_docs_and_readme_copy_no_seed_sentence():
    files = our_files()
    assert any(f.name == "runbook.yaml" for f in files) and any(f.name == "README.md" for f in files)
    assert copied_runs(load_fingerprint(), files) == []


def test_the_check_finds_a_copied_run_and_ignores_a_cited_section_title(tmp_path, monkeypatch):
    import tests.seedcheck as sc

    # a made-up seed whose 8-grams we know, fingerprinted the way the shipped one is
    seed = tmp_path / "999_fake.txt"
    seed.write_text("Alpha beta gamma delta epsilon zeta eta theta iota kappa.")
    fake = fingerprint_of([seed])
    monkeypatch.setattr(sc, "ROOT", tmp_path)
    ours = tmp_path / "doc.md"
    ours.write_text("We say: alpha, beta gamma -- delta epsilon zeta eta theta! in our notes.")
    assert copied_runs(fake, [ours]) == ['doc.md: 999_fake.txt: "alpha beta gamma delta epsilon zeta eta theta"']
    ours.write_text("source: {seed: 999_fake.txt, section: \"Alpha beta gamma delta epsilon zeta eta theta\"}")
    assert copied_runs(fake, [ours]) == []
    ours.write_text("alpha beta gamma delta epsilon zeta eta")  # seven words are not a copied run
    assert copied_runs(fake, [ours]) == []
    shipped = load_fingerprint()
    assert shipped["n"] == N and len(shipped["seeds"]) >= 5
    assert all(len(hashes) > 100 for hashes in shipped["seeds"].values())


def test_the_fingerprint_matches_the_seeds_where_they_are_present():
    d = seed_dir()
    if d is None:
        pytest.skip("seed documents not on this machine; the copy checks above ran from the fingerprint")
    assert load_fingerprint() == fingerprint_of(d.glob("*.txt")), \
        f"the seeds changed: refresh {FINGERPRINT.name} with `python -m tests.seedcheck --update`"


def test_the_fingerprint_holds_no_seed_text():
    text = FINGERPRINT.read_text(encoding="utf-8")
    d = seed_dir()
    if d is not None:
        for seed in d.glob("*.txt"):
            for gram in list(grams(seed.read_text(encoding="utf-8")).values())[:50]:
                assert gram not in text
    assert all(len(h) == 16 for hashes in load_fingerprint()["seeds"].values() for h in hashes)
