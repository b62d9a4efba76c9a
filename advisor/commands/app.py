"""``advisor`` with no command: the full-screen Textual app."""

from __future__ import annotations

import argparse
import os

# Set by bench/startup.py: exit as soon as the first screen is painted.
EXIT_AFTER_FIRST_SCREEN = "ADVISOR_EXIT_AFTER_FIRST_SCREEN"


def run(args: argparse.Namespace) -> int:
    """Open the home screen (``--resume``: the most recent saved session)."""
    from advisor.commands.term import require_app_terminal
    from advisor.tui.app import create_app

    if os.environ.get(EXIT_AFTER_FIRST_SCREEN) != "1":  # the benchmark runs on a pty anyway
        require_app_terminal()
    app = create_app(
        resume=bool(getattr(args, "resume", False)),
        exit_after_first_screen=os.environ.get(EXIT_AFTER_FIRST_SCREEN) == "1",
    )
    app.run()
    return app.return_code or 0
