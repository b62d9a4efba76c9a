"""Shared fixtures: paths to the repo's data, and runners for the CLI (a real process, or in this one)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

# litellm must never reach for the network in tests.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture
def data_dir() -> Path:
    return DATA


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m advisor ARGS`` in a subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "advisor", *args],
        cwd=cwd or ROOT,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_main(*args: str, cwd: Path | None = None, env: dict | None = None,
             input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``advisor ARGS`` in this process through ``advisor.cli.main``, as ``run_cli`` would in a child.

    The same exit status, stdout (a pipe, not a terminal) and stderr, without an interpreter
    start per call: the fast layer's way to test a command end to end, and one a mutant reaches.
    The process's folder and environment are set for the call and put back after it.
    """
    from advisor.cli import main

    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8")
    old_cwd, old_env = os.getcwd(), dict(os.environ)
    os.chdir(cwd or ROOT)
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            old_stdin, sys.stdin = sys.stdin, stdin
            try:
                code = main(list(args))
            except SystemExit as e:  # argparse: --help, a usage error
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            finally:
                sys.stdin = old_stdin
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
    return subprocess.CompletedProcess(["advisor", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


# -- markers set centrally (so test files need not carry them) ---------------------------------
#
# ``slow``: real processes, the real terminal, the Textual app or the model server. Everything
# else is the fast layer: ``pytest -m "not slow"`` (the core: decide, conditions, triage
# detectors and readers, probe statistics, io, redaction) runs in seconds.
SLOW_PATHS = (
    "tests/tui/", "tests/prompt/", "tests/hostile/",
    "tests/probe/test_cli_e2e.py", "tests/probe/test_runs.py", "tests/probe/test_feeds.py",
    "tests/probe/test_tui.py", "tests/probe/test_key_shapes.py",
    "tests/triage/test_tui.py", "tests/triage/test_cli.py",
    "tests/unit/test_cli.py", "tests/unit/test_import_hygiene.py", "tests/unit/test_terminal.py",
)
# Left in the fast layer on purpose, though they start a child: the atomic-write contract tests
# (tests/unit/test_io.py: a reader in another process, kill -9 mid-write) and the process
# substitution reads (tests/unit/test_hostile_io.py). What they test is what another process
# sees; each child imports only advisor.core.io (well under a second), and mutation testing
# (bench/mutation.py, which runs the fast layer) needs them to pin atomic_write and the readers.
# Tests of a command as a whole use run_main (in this process) here, run_cli in the slow layer.
#: Fixtures that start a process, a server or an app.
SLOW_FIXTURES = {"cli", "server", "srv", "make_config", "make_app"}
#: Tests that spawn processes on their own (named by a word in the test's name).
SLOW_NAMES = ("subprocess", "exits_2", "in_a_terminal", "console_script")


def _is_slow(item: pytest.Item) -> bool:
    path = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
    if path.startswith(SLOW_PATHS):
        return True
    if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    return any(word in item.name for word in SLOW_NAMES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_slow(item) and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests that need tmux: skipped where it is missing, but a failure in CI, which installs it."""
    if item.get_closest_marker("tmux") is not None and shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed: CI must install it (.ci/run does), not skip the terminal test",
                        pytrace=False)
        pytest.skip("tmux is not installed (.ci/run installs it)")


@pytest.fixture(autouse=True)
def _private_config_dir(tmp_path_factory, monkeypatch):
    """The app's remembered settings (the theme) and advisor's cache (the validated runbook) go to
    temporary folders, never the user's config and cache dirs."""
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
