"""``advisor completion bash|zsh|fish``: the shell code that completes advisor's commands and options.

Completion comes from the argparse parser itself through argcomplete: every
subcommand, option and choice (``--format``, ``--symptom``, ``--suites``...) and
file paths, with nothing to keep in step by hand.
"""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "fish")

HOW = {
    "bash": 'eval "$(advisor completion bash)"          # in ~/.bashrc',
    "zsh": 'eval "$(advisor completion zsh)"           # in ~/.zshrc (after compinit)',
    "fish": "advisor completion fish > ~/.config/fish/completions/advisor.fish",
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "completion",
        help="print shell completion code for bash, zsh or fish",
        description="Print the code that makes your shell complete advisor's commands, options and "
        "their values. Install it once:\n  " + "\n  ".join(HOW.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("shell", choices=SHELLS, help="your shell")


def run(args: argparse.Namespace) -> int:
    import sys

    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["advisor"], shell=args.shell))
    return 0
