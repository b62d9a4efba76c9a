"""One module per ``advisor`` subcommand: ``add_parser(subparsers)`` and ``run(args)``."""

from __future__ import annotations

import sys
from typing import Optional


def emit(text: str, output: Optional[str]) -> None:
    """A command's result: written atomically to ``output`` (and said on stderr), or printed."""
    if output:
        from advisor.core.io import atomic_write

        atomic_write(output, text)
        print(f"advisor: wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
