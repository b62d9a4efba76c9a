"""``advisor triage``: placeholder until the triage issue lands."""

from __future__ import annotations

import argparse

from advisor.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("triage", help="triage a fine-tuned model that got worse (coming soon)")
    p.add_argument("rest", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    raise UserError("`advisor triage` is not available in this version yet")
