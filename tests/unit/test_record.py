"""The decision record: MADR 4 structure, content tied to the answers, golden files.

Golden files pin the exact rendering; regenerate them after an intended change
with ``ADVISOR_UPDATE_GOLDEN=1 pytest tests/unit/test_record.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pytest

from advisor.core.answers import load_answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from advisor.core.record import answers_yaml, render_json, render_markdown
from advisor.core.answers import parse_answers
from tests.conftest import DATA, ROOT

GOLDEN = ROOT / "tests" / "golden"
DATE = dt.date(2026, 11, 25)
MADR_HEADINGS = [
    "## Context and Problem Statement",
    "## Decision Drivers",
    "## Considered Options",
    "## Decision Outcome",
    "### Consequences",
    "### Confirmation",
    "## Pros and Cons of the Options",
    "## More Information",
]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _render(kb, name):
    answers = load_answers(str(DATA / "good" / f"{name}.yaml"))
    a = decide(answers, kb)
    return answers, a, render_markdown(a, kb, date=DATE)


@pytest.mark.parametrize("name", ["invoice_extractor", "defi_apr_bot", "startup_noisy"])
def test_golden_markdown(kb, name):
    _, _, text = _render(kb, name)
    # The knowledge hash changes with every YAML edit; the golden file pins the rest.
    text = re.sub(r"0\.\d+\.\d+\+[0-9a-f]{10}", "VERSION", text)
    path = GOLDEN / f"{name}.md"
    if os.environ.get("ADVISOR_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}; create it with ADVISOR_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text()


def test_madr_structure_and_order(kb):
    _, _, text = _render(kb, "invoice_extractor")
    positions = [text.index(h) for h in MADR_HEADINGS]
    assert positions == sorted(positions)
    front = text.split("---")[1]
    assert "status: proposed" in front and f"date: {DATE.isoformat()}" in front


def test_record_content_follows_the_answers(kb):
    answers, a, text = _render(kb, "defi_apr_bot")
    title = next(line for line in text.splitlines() if line.startswith("# "))
    assert answers.task.description in title  # the title names the job
    assert 'Chosen option: "Retrieval (RAG)", because' in text
    # Every failing readiness check is marked as failing, with its fix.
    for b in kb.blockers:
        row = next(line for line in text.splitlines() if line.startswith(f"| {b.check} |"))
        if b.id in {x.id for x in a.blockers}:
            assert "**fails**" in row and b.fix.split(";")[0] in row
    # Each considered option has a pros-and-cons subsection.
    for o in kb.options:
        assert f"### {o.name}" in text
    # The answers table shows the user's own values.
    assert "| Roughly how many requests a day will this handle? (`volume.requests_per_day`) | 20000 |" in text


def test_unknowns_and_unverified_checks_appear_in_the_record(kb):
    answers = parse_answers("task:\n  description: Route tickets\n  type: classification\nfailure:\n  main_cause: task_mapping\n")
    a = decide(answers, kb)
    text = render_markdown(a, kb, date=DATE)
    assert "### Open questions" in text
    assert "(`data.examples`)" in text.split("### Open questions")[1]
    assert "unverified (answer `data.examples`)" in text


def test_json_matches_contract_and_markdown_agree(kb):
    _, a, text = _render(kb, "wallet_support_zendesk")
    data = json.loads(render_json(a))
    assert data["primary"] == a.primary == "fine_tune"
    assert data["verdict"] == "not_yet"
    assert f"**{data['verdict'].replace('_', ' ')}**" in text
    assert sorted(b["id"] for b in data["blockers"]) == ["data_unrepresentative", "single_source"]


def test_answers_yaml_round_trip(kb):
    answers = load_answers(str(DATA / "good" / "strict_json.yaml"))
    again = parse_answers(answers_yaml(answers))
    assert again == answers
