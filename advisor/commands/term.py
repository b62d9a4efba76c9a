"""Terminal conventions for the command line: when to colour, when to draw progress.

* ``NO_COLOR`` (any non-empty value, https://no-color.org), ``TERM=dumb`` or a
  stream that is not a terminal: no escape codes at all (no colour, no bold, no
  cursor movement), so logs and pipes get plain text.
* Progress bars and spinners only on an interactive standard error, and never
  under ``NO_COLOR``, ``TERM=dumb`` or ``CI``: a bar redraws with escape codes.

Results go to standard output; messages and progress to standard error.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional, TextIO


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or replaced streams
        return False


def plain(stream: Optional[TextIO] = None) -> bool:
    """True when output to ``stream`` (default stdout) must carry no escape codes."""
    if os.environ.get("NO_COLOR"):
        return True
    if os.environ.get("TERM", "") == "dumb":
        return True
    return not _isatty(stream if stream is not None else sys.stdout)


def require_app_terminal() -> None:
    """The full-screen app draws with escape codes: refuse a pipe or a dumb terminal, and say what works there.

    Raises:
        UserError: standard input or output is not a terminal, or ``TERM=dumb``.
    """
    from advisor.errors import UserError

    if not (_isatty(sys.stdin) and _isatty(sys.stdout)):
        raise UserError("the full-screen app needs an interactive terminal, and standard input or output is not one; "
                        "for scripts, write an answers file (`advisor init`) and run `advisor decide --answers FILE`")
    if os.environ.get("TERM", "") == "dumb":
        raise UserError("TERM=dumb: the full-screen app cannot draw on this terminal; "
                        "`advisor interview --plain` asks the same questions line by line")


def progress_allowed() -> bool:
    """True when a live progress display on standard error is welcome."""
    return not plain(sys.stderr) and not os.environ.get("CI")


def console(*, stderr: bool = False) -> Any:
    """A rich Console that follows these conventions (plain: no styles, 120 columns when not a terminal)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if plain(stream):
        width = None if _isatty(stream) else 120  # piped: rich's default 80 columns squeezes the tables
        return Console(file=stream, color_system=None, no_color=True, force_terminal=False,
                       force_interactive=False, highlight=False, emoji=False, width=width)
    return Console(file=stream)
