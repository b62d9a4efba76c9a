"""``advisor rules check|list``: lint and list the knowledge base."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="check or list the decision rules in knowledge/")
    p.add_argument("action", choices=("check", "list"), help="check: lint the knowledge base; list: print every rule")
    p.add_argument("--knowledge", metavar="DIR", help="knowledge folder to use (default: the built-in one)")
    p.add_argument("--family", help="list: only rules of this family")


def run(args: argparse.Namespace) -> int:
    from advisor.core.decide import EVIDENCE_KEYS
    from advisor.core.knowledge import lint, load_knowledge

    kb = load_knowledge(args.knowledge)
    if args.action == "check":
        problems = lint(kb, extra_keys=EVIDENCE_KEYS)
        if problems:
            for p in problems:
                print(f"advisor: rules check: {p}", file=sys.stderr)
            print(f"{len(problems)} problem(s) in the knowledge base", file=sys.stderr)
            return 1
        print(
            f"ok: {len(kb.rules)} rules, {len(kb.gates)} gates, {len(kb.blockers)} blockers, {len(kb.options)} options, "
            f"{len(kb.questions)} questions, {len(kb.sources)} sources (knowledge {kb.version})"
        )
        return 0
    families = sorted({r.family for r in kb.rules})
    if args.family and args.family not in families:
        from advisor.errors import UserError

        raise UserError(f"--family: no rule family {args.family!r}; expected one of: {', '.join(families)}")
    rules = [r for r in kb.rules if not args.family or r.family == args.family]
    width = max((len(r.id) for r in rules), default=10)
    for r in rules:
        effects = ", ".join(f"{k} {v:+g}" for k, v in r.effects.items())
        method = ", ".join(f"{k} {v:+g}" for k, v in r.method.items())
        role = r.role + (f": {r.concern}" if r.concern else "")
        print(f"{r.id:<{width}}  [{r.family}, {role}]  {effects or 'method: ' + method}")
        print(f"{'':<{width}}  when {r.when.describe()}  ({kb.cite(r.source)})")
    return 0
