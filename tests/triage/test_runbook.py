"""The runbook YAML: valid, complete for the contract, broken files named exactly; cause ranking."""

from __future__ import annotations

import shutil

import pytest
import yaml

from advisor.core.triage.models import Finding
from advisor.core.triage.runbook import CAUSE_IDS, SYMPTOM_IDS, default_path, load_runbook, rank_causes
from advisor.errors import UserError
from tests.triage.conftest import BROKEN


def test_runbook_covers_every_contract_id_and_cites_seeds():
    rb = load_runbook()
    assert {c.id for c in rb.causes} == set(CAUSE_IDS)
    assert {s.id for s in rb.symptoms} == set(SYMPTOM_IDS)
    for item in list(rb.causes) + list(rb.symptoms):
        # cited by title (knowledge/sources.yaml), never by an internal file name
        assert "“" in item.source and ".txt" not in item.source
    for c in rb.causes:
        assert c.first_checks and c.fixes


def test_runbook_does_not_copy_seed_sentences():
    """Facts in our words: no run of 8 words from a seed appears in the runbook or the triage docs.

    Checked against the shipped fingerprint of the seeds (tests/seedcheck.py), so it runs
    wherever the tests run, with or without the seed documents.
    """
    from tests.seedcheck import ROOT, copied_runs, load_fingerprint

    files = [default_path()] + [p for p in [ROOT / "docs" / "triage.md"] if p.exists()]
    assert copied_runs(load_fingerprint(), files) == []


def test_unknown_key_in_runbook_names_file_line_and_allowed_keys():
    with pytest.raises(UserError) as e:
        load_runbook(BROKEN / "runbook_unknown_key.yaml")
    msg = str(e.value)
    assert msg.startswith(f"{BROKEN / 'runbook_unknown_key.yaml'}:10: key 'thresholds.max_epoch': unknown key; allowed keys here: ")
    assert "max_epochs" in msg


def test_link_to_unknown_cause(tmp_path):
    data = yaml.safe_load(default_path().read_text())
    data["symptoms"][0]["points_to"][0]["cause"] = "bad_luck"
    p = tmp_path / "runbook.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(UserError) as e:
        load_runbook(p)
    assert "key 'symptoms[0].points_to[0].cause': unknown cause 'bad_luck'; expected one of: " in str(e.value)


def test_missing_contract_cause(tmp_path):
    data = yaml.safe_load(default_path().read_text())
    data["causes"] = [c for c in data["causes"] if c["id"] != "overtraining"]
    p = tmp_path / "runbook.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(UserError) as e:
        load_runbook(p)
    assert "the runbook must define every contract cause id; missing: overtraining" in str(e.value)


def _f(fid, severity="warning", **ev):
    return Finding(id=fid, severity=severity, where="x", detail=fid, evidence=ev)


def test_without_evidence_causes_follow_frequency():
    rb = load_runbook()
    ranked = rank_causes(rb, [], symptom=None, given=set())
    ranks = [rb.cause(c.id).frequency_rank for c in ranked]
    assert ranks == sorted(ranks)
    assert [c.rank for c in ranked] == list(range(1, len(ranked) + 1))


def test_symptom_moves_its_cause_to_the_top():
    rb = load_runbook()
    for sym in rb.symptoms:
        top = rank_causes(rb, [], symptom=sym.id, given=set())[0]
        assert top.id == sym.points_to[0].cause
        assert any(sym.id in e for e in top.evidence)


def test_findings_support_and_absences_contradict():
    rb = load_runbook()
    ranked = {c.id: c for c in rank_causes(rb, [_f("loss_divergence", "error")], symptom=None, given={"log"})}
    assert ranked["learning_rate_too_high"].rank == 1
    assert ranked["overfitting"].evidence_against  # a diverged run explains the eval rise
    calm = {c.id: c for c in rank_causes(rb, [], symptom=None, given={"log"})}
    assert calm["learning_rate_too_high"].confidence < load_runbook().cause("learning_rate_too_high").prior
    assert "the training loss did not diverge" in calm["learning_rate_too_high"].evidence_against


def test_match_filters_on_evidence():
    rb = load_runbook()
    eval_still = {c.id: c for c in rank_causes(rb, [_f("still_improving", "info", kind="eval")], symptom=None, given=set())}
    train_still = {c.id: c for c in rank_causes(rb, [_f("still_improving", "info", kind="train")], symptom=None, given=set())}
    assert eval_still["overfitting"].evidence_against and not train_still["overfitting"].evidence_against


def test_copy_of_packaged_runbook_loads(tmp_path):
    p = tmp_path / "rb.yaml"
    shutil.copy(default_path(), p)
    assert load_runbook(p).version >= 1


def test_light_runbook_classes_have_the_validated_fields():
    """The dataclasses the ranking reads and the pydantic models that validate the YAML name the same fields."""
    import dataclasses

    from advisor.core.triage import runbook, runbook_model

    for name in ("Link", "SymptomLink", "Symptom", "CauseSpec", "Thresholds", "Runbook"):
        light = [f.name for f in dataclasses.fields(getattr(runbook, name))]
        assert light == list(getattr(runbook_model, name).model_fields), name
    defaults = runbook_model.Thresholds()
    assert dataclasses.asdict(runbook.Thresholds()) == defaults.model_dump()


def test_runbook_cache_is_used_and_rebuilt_when_the_file_changes(tmp_path, monkeypatch):
    """A validated runbook is cached by content: the same file reads back equal, an edit is validated again."""
    from advisor.core.triage import runbook

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "rb.yaml"
    shutil.copy(default_path(), p)
    first = runbook._load_cached.__wrapped__(str(p))
    files = list((tmp_path / "cache").glob("runbook-*.json"))
    assert len(files) == 1
    again = runbook._load_cached.__wrapped__(str(p))
    assert again == first and again.causes[0].source.startswith(first.causes[0].source[:1])
    # a cache file someone broke is read past, not trusted
    files[0].write_text("{not json", encoding="utf-8")
    assert runbook._load_cached.__wrapped__(str(p)) == first
    # an edited runbook is validated again: a bad weight is an error naming the file, cached or not
    p.write_text(p.read_text(encoding="utf-8").replace("weight: 0.", "weight: 7.", 1), encoding="utf-8")
    with pytest.raises(UserError) as e:
        runbook._load_cached.__wrapped__(str(p))
    assert str(p) in str(e.value) and "weight" in str(e.value)
