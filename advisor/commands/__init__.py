"""One module per ``advisor`` subcommand: ``add_parser(subparsers)`` and ``run(args)``."""

from __future__ import annotations

import sys
from typing import Optional


def _number(text: str, *, minimum: float, inclusive: bool) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if value < minimum or (value == minimum and not inclusive):
        raise argparse.ArgumentTypeError(f"expected a number {'>=' if inclusive else '>'} {minimum:g}, got {text!r}")
    return value


def positive_number(text: str) -> float:
    """argparse type: a finite number > 0 (``--lr``, ``--epochs``); ``inf``/``nan`` refused."""
    return _number(text, minimum=0, inclusive=False)


def non_negative_number(text: str) -> float:
    """argparse type: a finite number >= 0 (``--budget-usd``)."""
    return _number(text, minimum=0, inclusive=True)


def emit(text: str, output: Optional[str]) -> None:
    """A command's result: written atomically to ``output`` (and said on stderr), or printed.

    Terminal control sequences are stripped either way (a value from an input
    file must not drive the terminal that shows or later ``cat``s the result);
    JSON output has none to strip (:func:`advisor.core.io.to_json` escapes them).
    """
    from advisor.core.io import clean_terminal

    text = clean_terminal(text)
    if output:
        from advisor.core.io import atomic_write

        atomic_write(output, text)
        print(f"advisor: wrote {clean_terminal(output)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
