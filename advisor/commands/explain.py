"""``advisor explain ID``: one rule, gate, blocker or option in full, with its source."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="explain one rule, gate, blocker or option by id")
    p.add_argument("id", metavar="RULE_ID", help="a rule id (see `advisor rules list`), a gate, blocker or option id")


def run(args: argparse.Namespace) -> int:
    import difflib

    from advisor.core.knowledge import load_knowledge
    from advisor.errors import UserError

    kb = load_knowledge()
    rule = kb.rule(args.id)
    lines: list[str] = []
    if rule is not None:
        src = kb.source(rule.source.seed)
        lines += [
            f"rule {rule.id}: {rule.title}",
            f"family:    {rule.family}",
            f"role:      {rule.role}" + (f" ({rule.concern})" if rule.concern else ""),
            f"when:      {rule.when.describe()}",
        ]
        if rule.effects:
            lines.append("effects:   " + ", ".join(f"{k} {v:+g}" for k, v in rule.effects.items()))
        if rule.method:
            lines.append("method:    " + ", ".join(f"{k} {v:+g}" for k, v in rule.method.items()))
        lines += [f"why:       {rule.rationale}", f"source:    {kb.cite(rule.source)}"]
        if src:
            lines.append(f"           {src.reference()}")
    elif (g := kb.gate(args.id)) is not None:
        lines += [
            f"gate {g.id}: {g.title}",
            f"holds:      {kb.option(g.lever).name} (it cannot be the primary lever)",
            f"holds when: {g.when.describe()}",
            f"why:        {g.text}",
            f"lifted by:  {g.lift}",
            f"source:     {kb.cite(g.source)}",
        ]
    elif (b := next((x for x in kb.blockers if x.id == args.id), None)) is not None:
        lines += [
            f"blocker {b.id}: {b.check}",
            f"fails when: {b.when.describe()}",
            f"meaning:    {b.text}",
            f"fix:        {b.fix}",
            f"source:     {kb.cite(b.source)}",
        ]
    elif (o := next((x for x in kb.options if x.id == args.id), None)) is not None:
        lines += [f"option {o.id}: {o.name}", o.summary.strip(), f"cost:   {o.cost}", f"upkeep: {o.upkeep}", "works when:"]
        lines += [f"  - {x}" for x in o.works_when]
        lines.append("fails when:")
        lines += [f"  - {x}" for x in o.fails_when]
        favour = [r.id for r in kb.rules if r.effects.get(o.id, 0) > 0]
        lines.append("rules in favour: " + ", ".join(favour))
    else:
        ids = [r.id for r in kb.rules] + [g.id for g in kb.gates] + [b.id for b in kb.blockers] + [o.id for o in kb.options]
        close = difflib.get_close_matches(args.id, ids, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `advisor rules list`"
        raise UserError(f"no rule, gate, blocker or option with id {args.id!r}{hint}")
    print("\n".join(lines))
    return 0
