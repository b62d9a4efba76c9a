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


def _imported_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_interview_package_is_front_end_neutral():
    """The shared interview state imports no front end: both the app and the prompts build on it."""
    import advisor.interview

    modules = sorted(m.name for m in pkgutil.walk_packages(advisor.interview.__path__, "advisor.interview."))
    assert {"advisor.interview.flow", "advisor.interview.session"} <= set(modules)
    loaded = _imported_after(modules)
    bad = sorted(n for n in loaded if n.split(".")[0] in FORBIDDEN or n.startswith(("advisor.tui", "advisor.prompt")))
    assert bad == [], f"advisor.interview imported {bad}"


def test_plain_prompts_do_not_import_the_textual_app():
    """Front ends are siblings: the plain interview runs where Textual is absent or broken."""
    import advisor.prompt

    modules = ["advisor.prompt"] + sorted(
        m.name for m in pkgutil.walk_packages(advisor.prompt.__path__, "advisor.prompt."))
    loaded = _imported_after(modules)
    bad = sorted(n for n in loaded if n.split(".")[0] == "textual" or n.startswith("advisor.tui"))
    assert bad == [], f"advisor.prompt imported {bad}"
    assert "advisor.interview.flow" in loaded  # it does drive the shared interview
