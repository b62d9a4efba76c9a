"""``advisor schema NAME``: the JSON Schema of the answers file or of a JSON output."""

from __future__ import annotations

import argparse

NAMES = ("answers", "decision", "triage", "probe")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of the answers file or of decide/triage/probe JSON",
        description="Print a JSON Schema (draft 2020-12) generated from advisor's own models: "
        "`answers` (the answers file), `decision` (decide --format json), `triage` (triage --format json), "
        "`probe` (probe --format json). docs/formats.md describes each.",
    )
    p.add_argument("name", choices=NAMES, help="which format")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def run(args: argparse.Namespace) -> int:
    import json

    from advisor.commands import emit
    from advisor.core.schemas import json_schema

    emit(json.dumps(json_schema(args.name), indent=2, ensure_ascii=False) + "\n", args.output)
    return 0
