"""Scorers, perturbations and the built-in general set."""

from __future__ import annotations

from collections import Counter

import pytest

from advisor.core.probe import scorers
from advisor.core.probe.perturb import FUNCS, perturb
from advisor.core.probe.suites import load_general

SCHEMA = {"type": "object", "required": ["queue"], "properties": {"queue": {"enum": ["billing", "shipping"]}}}


@pytest.mark.parametrize("kind,output,expected,kw,want", [
    ("exact", " billing\n", "billing", {}, 1.0),
    ("exact", "Billing", "billing", {}, 0.0),
    ("normalized", "Billing.", "billing", {}, 1.0),
    ("normalized", "billing queue", "billing", {}, 0.0),
    ("contains", "The capital is Paris.", "paris", {}, 1.0),
    ("contains", "Lyon", "Paris", {}, 0.0),
    ("regex", "Order 123-45", r"\d{3}-\d{2}", {}, 1.0),
    ("regex", "Order 12345", r"\d{3}-\d{2}", {}, 0.0),
    ("regex", "waves crash", "", {"pattern": "^Waves"}, 1.0),
    ("choice", "I think Shipping.", "shipping", {"choices": ["billing", "shipping"]}, 1.0),
    ("choice", "billing or shipping", "shipping", {"choices": ["billing", "shipping"]}, 0.0),  # two named: no pick
    ("choice", "not urgent", "not urgent", {"choices": ["urgent", "not urgent"]}, 1.0),
    ("choice", "nothing", "billing", {"choices": ["billing"]}, 0.0),
    ("numeric", "The total is 1,234.5 dollars", "1234.5", {}, 1.0),
    ("numeric", "3.14", "3.1416", {"tolerance": 0.01}, 1.0),
    ("numeric", "3.2", "3.1416", {"tolerance": 0.01}, 0.0),
    ("numeric", "101", "100", {"rel_tolerance": 0.02}, 1.0),
    ("numeric", "no number", "100", {}, 0.0),
    ("json_valid", '```json\n{"a": 1}\n```', "", {}, 1.0),
    ("json_valid", "{'a': 1}", "", {}, 0.0),
    ("json_schema", '{"queue": "billing"}', "", {"schema": SCHEMA}, 1.0),
    ("json_schema", '{"queue": "refunds"}', "", {"schema": SCHEMA}, 0.0),
    ("json_schema", "queue: billing", "", {"schema": SCHEMA}, 0.0),
])
def test_scorers(kind, output, expected, kw, want):
    assert scorers.score(kind, output, expected, **kw) == want


def test_judge_parsing():
    assert scorers.parse_judge("PASS") == 1.0
    assert scorers.parse_judge("Verdict: fail.") == 0.0
    assert scorers.parse_judge("maybe") is None
    assert scorers.parse_judge("PASS or FAIL") is None
    msgs = scorers.judge_messages("be right", "q?", "a!", "ref")
    assert "Rubric:\nbe right" in msgs[1]["content"] and "Reference answer:\nref" in msgs[1]["content"]


def test_general_set_is_big_balanced_and_self_consistent():
    gs = load_general()
    assert len(gs.items) >= 60
    cats = Counter(i.category for i in gs.items)
    assert set(cats) == {"arithmetic", "instruction", "formatting", "reasoning", "knowledge"}
    assert min(cats.values()) >= 10
    for item in gs.items:
        assert item.scoring().score(item.reference) == 1.0, f"{item.id}: its reference answer fails its scorer"
        assert item.scoring().score("") == 0.0, f"{item.id}: an empty answer passes"


def test_general_set_rejects_unknown_keys(tmp_path):
    from advisor.errors import UserError

    bad = tmp_path / "g.yaml"
    bad.write_text("version: 1\nitems:\n  - {id: a, category: arithmetic, prompt: p, scorer: exact,\n"
                   "     expected: '1', reference: '1', hint: nope}\n")
    with pytest.raises(UserError) as e:
        load_general(bad)
    assert e.value.line == 4 and "hint" in (e.value.key or "") and "unknown key" in e.value.message


TEXT = "Please route this ticket: my parcel never arrived and tracking shows nothing since Monday."


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_perturbations_change_the_text_deterministically(name):
    out = perturb(TEXT, name, seed=0)
    assert out != TEXT
    assert perturb(TEXT, name, seed=0) == out


def test_perturbation_details():
    assert perturb(TEXT, "case") == TEXT.lower()
    assert perturb("all lower", "case") == "ALL LOWER"
    short = perturb(TEXT, "truncate")
    assert len(short.split()) < len(TEXT.split()) and "Please" not in short
    typo = perturb(TEXT, "typos")
    assert sorted(typo) == sorted(TEXT)  # letters swapped, none added or lost
    assert len(perturb(TEXT, "distractor")) > len(TEXT)
