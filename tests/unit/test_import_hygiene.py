"""The core stays headless: importing it pulls in no UI and no litellm (harlequin's check)."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

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


def test_log_only_triage_imports_nothing_heavy(tmp_path):
    """`advisor triage --log F --format json` reads, checks and reports without numpy, pydantic, yaml or a UI.

    The first run validates the runbook (pydantic, yaml) and caches it; from the second on, the start
    path is the light one the speed target in docs/triage.md rests on. Both runs print the same report.
    """
    log = Path(__file__).resolve().parent.parent / "data" / "triage" / "logs" / "hf_overfit" / "trainer_state.json"
    heavy = {"numpy", "pydantic", "pydantic_core", "yaml", "rich", "plotext", "litellm", "textual", "openai"}
    code = (
        "import sys\n"
        "from advisor.cli import main\n"
        f"code = main(['triage', '--format', 'json', '--log', sys.argv[1], '-o', sys.argv[2]])\n"
        f"print(code, ','.join(sorted({{n.split('.')[0] for n in sys.modules}} & {heavy!r})))\n"
    )
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    outs, loaded = [], []
    for i in range(2):
        out = tmp_path / f"report{i}.json"
        r = subprocess.run([sys.executable, "-c", code, str(log), str(out)], capture_output=True, text=True,
                           timeout=120, env=env)
        assert r.returncode == 0, r.stderr
        status, _, mods = r.stdout.strip().partition(" ")
        assert status == "0"
        loaded.append(set(filter(None, mods.split(","))))
        outs.append(out.read_text(encoding="utf-8"))
    assert {"pydantic", "yaml"} <= loaded[0] and "numpy" not in loaded[0]  # the runbook validated once
    assert loaded[1] == set(), f"the log-only start path imported {sorted(loaded[1])}"
    assert outs[0] == outs[1] and '"best_checkpoint"' in outs[0]
