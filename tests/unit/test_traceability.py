"""docs/traceability.md maps the documents' claims to the knowledge base: both directions are checked."""

from __future__ import annotations

import re
from pathlib import Path

from advisor.core.knowledge import load_knowledge

DOC = Path(__file__).resolve().parents[2] / "docs" / "traceability.md"


def rows() -> list[tuple[str, str]]:
    out = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"T\d+", cells[0]):
            out.append((cells[0], cells[3]))
    return out


def test_every_rule_gate_and_blocker_is_traced_to_a_claim():
    kb = load_knowledge()
    named = {m for _, cell in rows() for m in re.findall(r"`((?:rule|gate|blocker|method):[a-z0-9_]+)`", cell)}
    wanted = ({f"rule:{r.id}" for r in kb.rules} | {f"gate:{g.id}" for g in kb.gates}
              | {f"blocker:{b.id}" for b in kb.blockers} | {f"method:{m.id}" for m in kb.methods})
    assert sorted(wanted - named) == []


def test_every_row_names_existing_ids_or_says_why_none():
    kb = load_knowledge()
    exists = ({f"rule:{r.id}" for r in kb.rules} | {f"gate:{g.id}" for g in kb.gates}
              | {f"blocker:{b.id}" for b in kb.blockers} | {f"method:{m.id}" for m in kb.methods})
    table = rows()
    assert len(table) >= 40
    for row, cell in table:
        ids = re.findall(r"`((?:rule|gate|blocker|method):[a-z0-9_]+)`", cell)
        if not ids:
            assert cell.startswith("none"), f"{row}: names no id and does not say why"
            assert len(cell) > len("none: "), f"{row}: says none without a reason"
        for i in ids:
            assert i in exists, f"{row}: {i} does not exist"
