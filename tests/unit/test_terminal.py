"""Terminal and CI conventions, as a user meets them: real processes, a real pseudo-terminal, real bash.

* NO_COLOR, TERM=dumb and a non-terminal stdout: no escape codes, no progress bars.
* --format github (workflow annotations) and --format markdown (step summary) for decide, triage, probe.
* Shell completion generated from the argparse parser.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys

import pytest

from tests.conftest import DATA, ROOT, run_cli

TRIAGE = DATA / "triage"
LOG = str(TRIAGE / "logs" / "hf_overfit" / "trainer_state.json")
TRAIN = str(TRIAGE / "datasets" / "train_chat.jsonl")
ANSWERS = str(DATA / "good" / "defi_apr_bot.yaml")
ESC = b"\x1b"


def _in_pty(args, env_extra):
    """Run advisor with stdout and stderr on a pseudo-terminal; return everything it wrote."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40", **env_extra})
    proc = subprocess.Popen([sys.executable, "-m", "advisor", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=env, cwd=ROOT)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out


def test_a_terminal_gets_colour_and_no_color_gets_none():
    args = ["triage", "--log", LOG, "--train", TRAIN]
    coloured = _in_pty(args, {})
    assert ESC in coloured, "on a colour terminal the report is styled (else this test proves nothing)"
    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        out = _in_pty(args, env)
        assert ESC not in out, f"escape codes with {env}: {out[:200]!r}"
        assert b"Best checkpoint" in out and b"step 300" in out


def test_piped_output_is_plain_text():
    r = run_cli("triage", "--log", LOG, "--train", TRAIN)
    assert r.returncode == 0 and "\x1b" not in r.stdout and "\x1b" not in r.stderr
    assert "Best checkpoint" in r.stdout


def test_decide_github_annotations():
    r = run_cli("decide", "-a", ANSWERS, "--format", "github")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"::notice file={ANSWERS},title=advisor decide::Recommendation: Retrieval (RAG).")
    assert all(ln.startswith("::warning ") for ln in lines[1:]) and len(lines) > 1
    # a message's % is encoded (GitHub would read %25 back as %); property colons too
    assert "40%25 of projects" in r.stdout and "title=Fine-tuning blocker%3A" in r.stdout
    assert all(ln.count("::") >= 2 for ln in lines)


def test_decide_markdown_summary_for_the_step_summary():
    import json

    data = json.loads(run_cli("decide", "-a", ANSWERS, "--format", "json").stdout)
    r = run_cli("decide", "-a", ANSWERS, "--format", "markdown")
    assert r.returncode == 0
    md = r.stdout
    assert md.startswith("## advisor decide: Retrieval (RAG)") and "\n---\n" not in md  # no front matter
    top = data["options"][0]
    assert f"| Retrieval (RAG) | {top['score']:+g} |" in md
    rows = [ln for ln in md.splitlines() if ln.startswith("| ") and not ln.startswith("| lever")]
    assert len(rows) == len(data["options"])  # every lever, in the JSON's order
    for o in data["options"]:
        if len(o["reasons"]) > 3:
            assert f"and {len(o['reasons']) - 3} more" in md
    if data["blockers"]:
        assert "### Blockers to fine-tuning" in md


def test_triage_github_annotations_point_at_file_and_line():
    r = run_cli("triage", "--log", "logs/hf_overfit/trainer_state.json", "--train", "datasets/train_chat.jsonl",
                "--format", "github", cwd=TRIAGE)
    assert r.returncode == 0
    assert r.stdout.startswith("::notice title=advisor triage::Most likely cause:")
    assert "::error file=datasets/train_chat.jsonl,line=313,title=triage%3A format_error::not valid JSON" in r.stdout
    assert "::error file=logs/hf_overfit/trainer_state.json,line=355,title=triage%3A eval_loss_rising::" in r.stdout
    r = run_cli("triage", "--log", "logs/hf_overfit/trainer_state.json", "--format", "markdown", cwd=TRIAGE)
    assert r.returncode == 0 and r.stdout.lstrip().startswith("#") and "\x1b" not in r.stdout


def test_completion_scripts_for_three_shells():
    for shell, marker in (("bash", "complete "), ("zsh", "#compdef advisor"), ("fish", "complete ")):
        r = run_cli("completion", shell)
        assert r.returncode == 0 and marker in r.stdout, shell


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_subcommands_and_choices_from_the_parser():
    bindir = os.path.dirname(shutil.which("advisor") or sys.executable)
    script = (
        'source <(advisor completion bash)\n'
        'complete_it() { COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<< "$1"; '
        '[[ "$1" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMPREPLY=(); '
        '_python_argcomplete advisor "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; printf "%s\\n" "${COMPREPLY[@]}"; echo ---; }\n'
        'complete_it "advisor de"\ncomplete_it "advisor decide --format "\ncomplete_it "advisor triage --symptom worse_"\n'
    )
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    first, formats, symptoms = (set(b.split()) for b in r.stdout.split("---")[:3])
    assert first == {"decide"}
    assert formats == {"md", "json", "text", "markdown", "github"}
    assert symptoms == {"worse_general_better_target", "worse_everything"}


def test_text_summary_says_how_many_rules_it_leaves_out():
    import json

    many = str(DATA / "good" / "invoice_extractor.yaml")  # its first lever rests on more than three rules
    data = json.loads(run_cli("decide", "-a", many, "--format", "json").stdout)
    text = run_cli("decide", "-a", many, "--format", "text").stdout
    for o in data["options"]:
        hidden = len(o["reasons"]) - 3
        if hidden > 0:
            block = text.split(f"  {o['id']}\n", 1)[1]
            assert block.splitlines()[3].strip() == f"... and {hidden} more rules (--format md lists them all)"
    assert text.count("more rules") == sum(1 for o in data["options"] if len(o["reasons"]) > 3) > 0


def test_a_long_log_read_shows_progress_in_a_terminal_and_none_when_plain(tmp_path):
    """A trainer_state.json that takes seconds to read draws a bar on a terminal's stderr; NO_COLOR,
    TERM=dumb and a pipe get none (the bar is escape codes redrawn in place).

    The bar waits for a read to take a second; a fast machine reads the file in less, so the test
    sets that wait to 0 (ADVISOR_PROGRESS_DELAY) and counts on what it controls, not the clock."""
    sys.path.insert(0, str(ROOT))
    from bench.triage_logs import write_trainer_state

    big = tmp_path / "trainer_state.json"
    write_trainer_state(big, 250_000)  # about 40 MB: streamed, and read for more than the bar's one-second delay
    args = ["triage", "--log", str(big), "--format", "json", "-o", str(tmp_path / "report.json")]
    now = {"ADVISOR_PROGRESS_DELAY": "0"}
    shown = _in_pty(args, now)
    assert b"reading trainer_state.json" in shown and b"%" in shown, shown[:300]
    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        out = _in_pty(args, {**now, **env})
        assert b"reading" not in out and ESC not in out, f"progress with {env}: {out[:200]!r}"
    r = run_cli(*args, env=now)
    assert r.returncode == 0 and "reading" not in r.stderr and "\x1b" not in r.stderr
