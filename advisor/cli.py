"""The ``advisor`` command line: argparse subcommands, no logic of its own.

Each subcommand lives in ``advisor/commands/<name>.py`` and exposes
``add_parser(subparsers)`` and ``run(args) -> int``. Command modules import
only argparse-level things at module level, so building the parser stays
cheap; heavy work (the TUI, litellm) is imported inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from advisor import __version__
from advisor.errors import EXIT_INTERRUPTED, EXIT_USAGE, GateFailed, UserError

# Order here is the order ``advisor --help`` lists them.
COMMANDS = ("interview", "decide", "init", "rules", "explain", "triage", "probe", "schema", "completion")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as :class:`UserError` (exit 2, no traceback)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{message}\n{self.format_usage().strip()}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the full parser (used by :func:`main` and by tests).

    ``only``: add just that command's subparser. Its options, help and error
    messages are the same as in the full parser (a subcommand's usage names only
    ``advisor COMMAND``); :func:`main` uses it when the command is the first
    argument, so ``advisor triage ...`` does not build the eight other parsers.
    """
    parser = _Parser(
        prog="advisor",
        description=(
            "Decide whether to fine-tune an LLM or fix retrieval, tools, validators or "
            "the prompt; triage a fine-tune that got worse; probe real models. "
            "With no command, opens the interactive app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="open the app on the most recent autosaved interview session",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"advisor.commands.{name}")
        module.add_parser(sub)
    return parser


def _harden_stdio() -> None:
    """Never fail on a character the terminal cannot show (``PYTHONIOENCODING=ascii``, a C locale).

    Output that cannot be encoded is replaced (``?``) instead of raising
    ``UnicodeEncodeError``; standard input that is not valid in its encoding
    reads as U+FFFD for the prompts (``decide --answers -`` reads bytes and
    names the bad byte instead).
    """
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):  # pragma: no cover - a closed or detached stream
            pass


def _error(text: str) -> None:
    from advisor.core.io import clean_terminal

    print(f"advisor: error: {clean_terminal(text)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``advisor`` console script; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    _harden_stdio()
    try:
        completing = "_ARGCOMPLETE" in os.environ
        parser = build_parser(args_list[0] if args_list and args_list[0] in COMMANDS and not completing else None)
        if completing:  # the shell asks for completions (advisor completion SHELL)
            import argcomplete

            argcomplete.autocomplete(parser)
        args = parser.parse_args(args_list)
        if args.command is None:
            from advisor.commands import app

            return app.run(args)
        module = importlib.import_module(f"advisor.commands.{args.command}")
        return int(module.run(args) or 0)
    except UserError as e:
        _error(str(e))
        return EXIT_USAGE
    except (RecursionError, OverflowError, MemoryError) as e:
        # A reader that let an extreme input through (core.io handles the known
        # ones, naming the line): still no traceback, and the file it was reading.
        from advisor.core import io

        where = f"{io.last_input}: " if io.last_input else ""
        kind = {"RecursionError": "nested too deeply", "OverflowError": "a number too large",
                "MemoryError": "too large to hold in memory"}[type(e).__name__]
        _error(f"{where}cannot process this input ({kind}); expected data of sensible size and depth")
        return EXIT_USAGE
    except GateFailed as e:
        from advisor.core.io import clean_terminal

        print(f"advisor: gate failed: {clean_terminal(str(e))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("advisor: interrupted; progress so far is kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `advisor rules list | head`
        return 0


def entry() -> None:
    """The ``advisor`` console script and ``python -m advisor``: :func:`main`, then exit.

    After a probe run, tearing down litellm's modules at interpreter exit costs
    about 1.2 s on a 2-core machine, on every run. By then everything advisor
    writes is on disk (atomic writes fsync; the probe cache commits each call and
    is closed), so when litellm is loaded the exit handlers run (litellm's own
    flushers included) and the process leaves without the module teardown.
    """
    code = main()
    if "litellm" in sys.modules:
        import atexit
        import os

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said
                pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
