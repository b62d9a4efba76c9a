"""The core stays headless: importing it pulls in no UI and no litellm (harlequin's check)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import advisor.core

FORBIDDEN = ("textual", "questionary", "rich", "litellm", "prompt_toolkit")


def test_core_imports_no_ui_and_no_litellm():
    modules = sorted(m.name for m in pkgutil.walk_packages(advisor.core.__path__, "advisor.core."))
    assert "advisor.core.decide" in modules and "advisor.core.record" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted({{n.split('.')[0] for n in sys.modules}} & set({FORBIDDEN!r}))\n"
        "print(','.join(bad))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"core imported {r.stdout.strip()}"


def test_cli_parser_build_is_light():
    """Building the parser (every `advisor` start) must not import litellm or the TUI."""
    code = (
        "import sys\n"
        "from advisor.cli import build_parser\n"
        "build_parser()\n"
        "print(','.join(sorted({n.split('.')[0] for n in sys.modules} & {'litellm', 'textual', 'openai', 'numpy'})))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""
