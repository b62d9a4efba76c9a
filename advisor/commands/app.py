"""``advisor`` with no command: the Textual app (placeholder until the interview issue lands)."""

from __future__ import annotations

import argparse

from advisor.errors import UserError


def run(args: argparse.Namespace) -> int:
    raise UserError("the interactive app is not available yet; try `advisor decide --answers FILE`")
