"""``advisor probe``: placeholder until the probe issue lands."""

from __future__ import annotations

import argparse

from advisor.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probe", help="run probe evals against real models (coming soon)")
    p.add_argument("rest", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    raise UserError("`advisor probe` is not available in this version yet")
