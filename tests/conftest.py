"""Shared fixtures: paths to the repo's data and a runner for the real CLI."""

from __future__ import annotations

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
    "tests/unit/test_cli.py", "tests/unit/test_import_hygiene.py",
)
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
