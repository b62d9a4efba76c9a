"""The start path stays light: no litellm, openai, questionary or numpy on the way to the first screen.

Each check runs in a fresh interpreter, so nothing imported by other tests
can hide an import (or fake one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

HEAVY = ("litellm", "openai", "questionary", "numpy", "prompt_toolkit", "plotext", "datasketch", "aiohttp")


def run_fresh(code: str, tmp_path) -> set[str]:
    """Run ``code`` in a new interpreter; return the heavy top-level packages it left in sys.modules."""
    code = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print("HEAVY=" + json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))
    """)
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    line = next(x for x in r.stdout.splitlines() if x.startswith("HEAVY="))
    return set(json.loads(line.removeprefix("HEAVY=")))


def test_importing_the_app_is_light(tmp_path):
    assert run_fresh("import advisor.tui.app\nimport advisor.commands.app\n", tmp_path) == set()


def test_first_screen_and_the_interview_are_light(tmp_path):
    found = run_fresh("""
        import asyncio
        from advisor.tui.app import create_app
        from advisor.tui.screens.home import HomeScreen

        async def main():
            app = create_app()
            async with app.run_test(size=(100, 30)) as pilot:
                assert isinstance(app.screen, HomeScreen)
                assert await app.knowledge() is not None   # the knowledge base, loaded in its worker
                await pilot.press("1")                     # the interview, with the decide engine
                for _ in range(50):
                    await pilot.pause()
                    if type(app.screen).__name__ == "InterviewScreen":
                        break
                assert type(app.screen).__name__ == "InterviewScreen", app.screen

        asyncio.run(main())
    """, tmp_path)
    assert found == set()


def test_the_cli_start_path_is_light(tmp_path):
    """`advisor` itself: the parser, then the app built and run headless to its first screen."""
    found = run_fresh("""
        from advisor.cli import build_parser
        from advisor.commands import app as app_command
        from advisor.tui.app import create_app

        build_parser().parse_args([])
        app = create_app(exit_after_first_screen=True)
        app.run(headless=True, size=(80, 24))
    """, tmp_path)
    assert found == set()
