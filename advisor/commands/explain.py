"""``advisor explain``: placeholder while the foundation is built."""

from __future__ import annotations

import argparse

from advisor.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("explain", help="(coming soon)")


def run(args: argparse.Namespace) -> int:
    raise UserError("not available yet")
