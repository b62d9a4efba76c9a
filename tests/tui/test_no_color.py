"""``NO_COLOR`` as a user meets it: the app and the plain prompts in a real terminal (tmux), escapes captured.

The command line is checked in tests/unit (no escape codes at all). A full-screen
app cannot do without cursor movement, so here the rule is the one of
no-color.org: no colour. Textual honours ``NO_COLOR`` itself (its monochrome
filter: every colour becomes a grey); prompt_toolkit, under questionary, drops to
one-bit colour (bold and reverse only). Each test also runs once without
``NO_COLOR`` and finds colour there, so it could fail.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.tui.test_tmux import Tmux, advisor_command

pytestmark = [pytest.mark.tmux]

SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def colours(captured: str) -> list[str]:
    """Every colour an SGR sequence sets, as text: 'fg 31', 'bg 38;5;202', 'fg rgb(200,10,10)'; greys left out."""
    found: list[str] = []
    for params in SGR.findall(captured):
        parts = [p for p in re.split("[;:]", params) if p != ""]
        i = 0
        while i < len(parts):
            n = int(parts[i])
            if n in (38, 48) and i + 1 < len(parts):
                where = "fg" if n == 38 else "bg"
                if parts[i + 1] == "2" and i + 4 < len(parts):
                    r, g, b = (int(x) for x in parts[i + 2:i + 5])
                    if not (r == g == b):
                        found.append(f"{where} rgb({r},{g},{b})")
                    i += 5
                    continue
                if parts[i + 1] == "5" and i + 2 < len(parts):
                    c = int(parts[i + 2])
                    if not (c in (0, 7, 8, 15) or c >= 232):  # the 256-colour greys
                        found.append(f"{where} 38;5;{c}")
                    i += 3
                    continue
            if 30 <= n <= 37 or 90 <= n <= 97:
                found.append(f"fg {n}")
            elif 40 <= n <= 47 or 100 <= n <= 107:
                found.append(f"bg {n}")
            i += 1
    return found


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"ADVISOR_DATA_DIR": str(tmp_path / "data"), "ADVISOR_CONFIG_DIR": str(tmp_path / "config"),
            "TERM": "xterm-256color", "COLORTERM": "truecolor", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **extra}


def _captured(t: Tmux) -> str:
    return t.tmux("capture-pane", "-p", "-e", "-t", "t").stdout


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR=1", "colour"])
def test_the_app_has_no_colour_under_no_color(tmp_path: Path, no_color: bool):
    t = Tmux(tmp_path, _env(tmp_path, **({"NO_COLOR": "1"} if no_color else {})))
    try:
        t.start(advisor_command(), size=(80, 24))
        t.wait_for("Open a saved session")
        t.keys("1")  # the interview: a focused input, choices, the leaning panel
        t.wait_for("In one sentence, what should the model do?")
        time.sleep(0.5)
        shown = _captured(t)
    finally:
        t.kill()
    if no_color:
        assert colours(shown) == []
        assert SGR.search(shown), "the capture carries escapes (bold, greys): the check above saw real output"
    else:
        assert colours(shown), "without NO_COLOR the app is in colour (else this test proves nothing)"


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR=1", "colour"])
def test_the_plain_prompts_have_no_colour_under_no_color(tmp_path: Path, no_color: bool):
    t = Tmux(tmp_path, _env(tmp_path, **({"NO_COLOR": "1"} if no_color else {})))
    try:
        t.start([*advisor_command(), "interview", "--plain"], size=(80, 24))
        t.wait_for("In one sentence, what should the model do?")
        t.keys("Route support tickets to the right team", literal=True)
        t.keys("Enter")
        t.wait_for("Which of these is closest to the job?")
        time.sleep(0.3)
        shown = _captured(t)
        plain = t.screen()
    finally:
        t.kill()
    if no_color:
        assert colours(shown) == []
    else:
        assert colours(shown), "without NO_COLOR questionary colours its prompts (else this test proves nothing)"
    # The topic's introduction is wrapped at a word, not cut by the terminal's edge.
    assert "clear measure of\nsuccess. First, what is the job?" in plain
    assert all(len(line) <= 80 for line in plain.splitlines())


def test_a_dumb_terminal_gets_the_plain_interview_with_no_escape_codes(tmp_path: Path):
    t = Tmux(tmp_path, _env(tmp_path, TERM="dumb"))
    try:
        t.start(advisor_command(), size=(80, 24))
        t.wait_for("ADVISOR-EXITED-2")  # the app cannot draw here and says what can
        assert "TERM=dumb: the full-screen app cannot draw" in t.screen()
        t.start([*advisor_command(), "interview", "--plain"], size=(80, 24))
        t.wait_for("In one sentence, what should the model do?")
        t.keys("Route support tickets", literal=True)
        t.keys("Enter")
        t.wait_for("0) I don't know")
        t.keys("1", "Enter")
        t.wait_for("Do you have a measurable definition of success")
        shown = _captured(t)
    finally:
        t.kill()
    assert "  1) Sort items into categories" in shown
    assert not SGR.search(shown), "no escape codes at all under TERM=dumb"
