"""`advisor interview --plain` in a real terminal (tmux): questionary on a pty, files written at the end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from advisor.cli import main as cli_main
from advisor.core.answers import Answers
from advisor.core.decide import decide
from advisor.core.knowledge import cached_knowledge
from tests.tui.helpers import asked_keys, EXPECTED_VALUES, SCRIPT
from tests.tui.test_tmux import Tmux, advisor_command

@pytest.mark.tmux  # skipped without tmux, but a failure in CI (tests/conftest.py)
def test_plain_interview_in_a_terminal_writes_answers_and_record(tmp_path: Path, capsys):
    from questionary.prompts.common import InquirerControl

    kb = cached_knowledge()
    env = {"ADVISOR_DATA_DIR": str(tmp_path / "data"), "TERM": "xterm-256color",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    t = Tmux(tmp_path, env)
    try:
        t.start([*advisor_command(), "interview", "--plain", "--answers-out", "answers.yaml", "-o", "record.json"],
                size=(220, 50))
        asked = asked_keys(kb, SCRIPT)
        for q in kb.questions:
            if q.key not in asked:
                continue
            t.wait_for(f"] {q.prompt[:40]}")
            value = SCRIPT[q.key]
            if q.kind in ("choice", "bool"):
                values = [True, False] if q.kind == "bool" else [c.value for c in q.choices]
                t.keys(InquirerControl.SHORTCUT_KEYS[values.index(value)])
            else:
                t.keys(str(value), literal=True)
            t.keys("Enter")
        shown = t.wait_for("ADVISOR-EXITED-0")
    finally:
        t.kill()
    expected = decide(Answers.from_flat(EXPECTED_VALUES), kb)
    assert f"Recommendation: {kb.option(expected.primary).name}" in shown
    answers = tmp_path / "answers.yaml"
    assert yaml.safe_load(answers.read_text(encoding="utf-8")) == Answers.from_flat(EXPECTED_VALUES).to_yaml_dict()
    capsys.readouterr()
    assert cli_main(["decide", "--answers", str(answers), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((tmp_path / "record.json").read_text(encoding="utf-8"))


def test_plain_without_a_terminal_says_so(tmp_path: Path):
    import subprocess

    r = subprocess.run([sys.executable, "-m", "advisor", "interview", "--plain"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60, cwd=tmp_path,
                       env={"ADVISOR_DATA_DIR": str(tmp_path / "d"), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2
    assert "needs an interactive terminal" in r.stderr and "Traceback" not in r.stderr
