"""The part of the hostile corpus that only a real process shows: encodings of the standard streams,
process substitution, special files handed over by the shell, environment variables.

Each runs ``python -m advisor`` as a user would, and keeps the corpus's promises (runner.check).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.hostile.corpus import GOOD_ANSWERS, SECRET, TRIAGE_LOG, Case
from tests.hostile.runner import ROOT, check, run_subprocess

NON_ASCII = GOOD_ANSWERS.replace("description:", 'description: "Zürich café → 東京, naïve résumé" #', 1)


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"},
                                 {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}], ids=["ascii", "latin1", "C"])
@pytest.mark.parametrize("fmt", ["md", "text", "json"])
def test_stdout_that_cannot_encode(tmp_path, env, fmt):
    case = Case(f"stdio/{fmt}", ["decide", "--answers", "{a}", "--format", fmt], {"a": NON_ASCII}, codes=(0,),
                json_out=fmt == "json")
    got = run_subprocess(case, tmp_path, env=env)
    assert not check(case, got, tmp_path)
    assert "UnicodeEncodeError" not in got.stderr


def test_error_message_that_cannot_encode(tmp_path):
    case = Case("stdio/error", ["decide", "--answers", "{a}"], {"a": "task:\n  type: 東京\n"},
                names="{a}:2", says=("task.type",))
    got = run_subprocess(case, tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert not check(case, got, tmp_path)


@pytest.mark.parametrize("stdin, says", [
    (b"task:\n  description: \xff\xfe\xfd\n", "not UTF-8"),
    (b"\x00\x01\x02binary", "malformed YAML"),
])
def test_bad_standard_input(tmp_path, stdin, says):
    case = Case("stdin", ["decide", "--answers", "-"], stdin=stdin, names="<stdin>", says=(says,))
    got = run_subprocess(case, tmp_path)
    assert not check(case, got, tmp_path)


def _bash(tmp_path, command: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": SECRET, "PYTHONPATH": str(ROOT), "CI": "1",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "ADVISOR_DATA_DIR": str(tmp_path / ".data")}
    return subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_process_substitution_works_for_answers_and_logs(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD_ANSWERS)
    (tmp_path / "state.json").write_text(TRIAGE_LOG)
    py = sys.executable
    r = _bash(tmp_path, f"'{py}' -m advisor decide --answers <(cat a.yaml) --format json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["primary"]
    r = _bash(tmp_path, f"'{py}' -m advisor triage --log <(cat state.json) --format json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["curves"]
    r = _bash(tmp_path, f"cat a.yaml | '{py}' -m advisor decide --answers /dev/stdin --format text")
    assert r.returncode == 0 and "primary:" in r.stdout, r.stderr


def test_endless_process_substitution_is_bounded(tmp_path):
    r = _bash(tmp_path, f"'{sys.executable}' -m advisor decide --answers <(yes 'a: b')")
    assert r.returncode == 2 and "larger than the 1 MiB limit for an answers file" in r.stderr, r.stderr


def test_a_real_fifo_given_as_answers_does_not_block(tmp_path):
    case = Case("fifo", ["decide", "--answers", "{f}"], {"f": ("", "fifo")}, names="{f}", says=("named pipe",),
                timeout=30)
    got = run_subprocess(case, tmp_path)
    assert not check(case, got, tmp_path)


@pytest.mark.parametrize("env", [{"COLUMNS": "abc"}, {"COLUMNS": "0"}, {"COLUMNS": "-5", "LINES": "-1"},
                                 {"TERM": "dumb", "NO_COLOR": "1"}, {"COLUMNS": "100000"}],
                         ids=["columns-word", "columns-0", "columns-negative", "dumb", "columns-huge"])
def test_odd_terminal_environment(tmp_path, env):
    case = Case("env", ["triage", "--log", "{f}"], {"f": TRIAGE_LOG}, codes=(0,))
    got = run_subprocess(case, tmp_path, env=env)
    assert not check(case, got, tmp_path)


@pytest.mark.parametrize("value, says", [("{dir}/plain.txt/under", "is a file, not a folder"),
                                         ("{dir}/" + "n" * 300, "file name too long")])
def test_data_dir_that_cannot_exist(tmp_path, value, says):
    # decide does not use the data folder; `rules list` neither: what must not happen is a crash at startup
    case = Case("env/data-dir", ["decide", "--answers", "{a}", "--format", "text"], {"a": GOOD_ANSWERS, "plain.txt": "x"},
                codes=(0,))
    got = run_subprocess(case, tmp_path, env={"ADVISOR_DATA_DIR": value.replace("{dir}", str(tmp_path))})
    assert not check(case, got, tmp_path), says
