"""Faults while running, made real: a full disk under the probe cache, a write limit, a model reply
holding a lone surrogate, two runs on one cache at once, an interview whose session cannot be saved.

The model server is the local OpenAI-compatible one (tests/probe/server.py), over real HTTP.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.probe.server import DATA, ModelServer, Oracle, ServerThread

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-faults-DO-NOT-LEAK-3b8e0a"
N_TASK = sum(1 for line in (DATA / "eval.jsonl").read_text().splitlines() if line.strip())


@pytest.fixture(scope="module")
def server():
    st = ServerThread(ModelServer(Oracle.load((DATA / "eval.jsonl",)))).start()
    yield st
    st.stop()


@pytest.fixture
def srv(server):
    server.server.reset()
    server.server.latency = 0.0
    return server


def config(folder: Path, api_base: str, *, cache: str, candidate: str = "tuned", extra: str = "") -> Path:
    (folder / "eval.jsonl").write_text((DATA / "eval.jsonl").read_text())
    path = folder / "probe.yaml"
    path.write_text(
        f"models: {{base: openai/base, candidate: openai/{candidate}}}\n"
        f"api_base: {api_base}\n"
        "eval_set: eval.jsonl\n"
        "scorer: {type: choice, choices: [billing, shipping, account, technical]}\n"
        "suites: [task]\n"
        "system_prompt: Route the ticket to one queue. Answer with the queue only.\n"
        "max_tokens: 32\nconcurrency: 4\ntimeout_s: 5\nbackoff_s: 0.01\nmax_retries: 1\n"
        f"cache: {cache}\n{extra}"
    )
    return path


def advisor(*args: str, cwd: Path, preexec=None, timeout: float = 240) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {**os.environ, "OPENAI_API_KEY": SECRET, "CI": "1", "PYTHONPATH": str(ROOT),
           "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    if preexec is not None:
        # A child under an injected write fault cannot write coverage's data file either, and
        # coverage's own traceback at exit is not advisor's: such children run without it.
        env = {k: v for k, v in env.items() if not k.startswith("COVERAGE_")}
    return subprocess.run([sys.executable, "-m", "advisor", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec)


def cached(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    finally:
        con.close()


def _can_mount() -> bool:
    return sys.platform.startswith("linux") and os.geteuid() == 0


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 160 KiB tmpfs, mounted for this test (root only)."""
    if not _can_mount():
        pytest.skip("mounting a tmpfs needs root on Linux; test_cache_write_fault_from_a_file_size_limit covers it")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _full_then_resume(folder: Path, srv, cache: Path, first: subprocess.CompletedProcess, grow) -> None:  # noqa: ANN001
    total = 2 * N_TASK
    assert first.returncode == 2, first.stderr
    assert "Traceback" not in first.stderr
    assert f"advisor: error: {cache}: cannot write the probe cache" in first.stderr
    assert "--resume" in first.stderr
    kept = cached(cache)
    assert 0 < kept < total, "some answers were cached before the disk filled, not all"
    sent_first = srv.server.total
    assert sent_first < total + 8, "requests stopped once the cache could not be written"
    grow()
    srv.server.reset()
    again = advisor("probe", "--config", "probe.yaml", "--resume", "--format", "json", cwd=folder)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    # what was cached is not paid for again; only the rest goes out
    assert report["run"]["cache_hits"] == kept
    assert report["run"]["requests_sent"] == total - kept == srv.server.total
    assert report["suites"][0]["n"] == N_TASK
    assert cached(cache) == total


def test_cache_on_a_full_tmpfs_stops_cleanly_and_resumes(tmp_path, srv, small_tmpfs):
    cache = small_tmpfs / "cache.sqlite"
    config(tmp_path, srv.api_base, cache=str(cache))
    first = advisor("probe", "--config", "probe.yaml", "--format", "json", cwd=tmp_path)

    def grow() -> None:
        subprocess.run(["mount", "-o", "remount,size=16m", str(small_tmpfs)], check=True)

    _full_then_resume(tmp_path, srv, cache, first, grow)


def test_cache_write_fault_from_a_file_size_limit(tmp_path, srv):
    """No root needed: RLIMIT_FSIZE makes the kernel refuse the cache's writes past 96 KiB (EFBIG)."""
    cache = tmp_path / "cache.sqlite"
    config(tmp_path, srv.api_base, cache=str(cache))

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (96 * 1024, 96 * 1024))

    first = advisor("probe", "--config", "probe.yaml", "--format", "json", cwd=tmp_path, preexec=limit)
    _full_then_resume(tmp_path, srv, cache, first, lambda: None)


def test_a_reply_with_a_lone_surrogate_is_cached_and_reported(tmp_path, srv):
    config(tmp_path, srv.api_base, cache="cache.sqlite", candidate="surrogate+tuned")
    r = advisor("probe", "--config", "probe.yaml", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    t = report["suites"][0]
    # the reply is the right queue followed by U+FFFD: the choice scorer still finds the queue
    assert t["candidate"]["errors"] == 0 and t["candidate"]["mean"] == 1.0
    con = sqlite3.connect(tmp_path / "cache.sqlite")
    rows = [c for (c,) in con.execute("SELECT content FROM responses WHERE model LIKE '%surrogate%'")]
    con.close()
    assert len(rows) == N_TASK and all(c.endswith("\ufffd") for c in rows)
    again = advisor("probe", "--config", "probe.yaml", "--format", "json", cwd=tmp_path)
    t2 = json.loads(again.stdout)["suites"][0]
    assert {k: t2[k] for k in ("base", "candidate", "delta", "ci95", "verdict")} == \
        {k: t[k] for k in ("base", "candidate", "delta", "ci95", "verdict")}
    assert json.loads(again.stdout)["run"]["cache_hits"] == 2 * N_TASK


def test_two_runs_on_one_cache_do_not_pay_twice(tmp_path, srv):
    srv.server.latency = 0.05  # long enough that the runs overlap
    config(tmp_path, srv.api_base, cache="cache.sqlite")
    env = {**os.environ, "OPENAI_API_KEY": SECRET, "CI": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "advisor", "probe", "--config", "probe.yaml", "--format", "json"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    assert srv.server.total == 2 * N_TASK, "every distinct request went out once"
    reports = [json.loads(o) for o, _ in outs]
    keys = ("id", "n", "base", "candidate", "delta", "ci95", "verdict")
    assert [{k: s[k] for k in keys} for s in reports[0]["suites"]] == [{k: s[k] for k in keys} for s in reports[1]["suites"]]
    assert sorted(r["run"]["requests_sent"] for r in reports) == [0, 2 * N_TASK]
    waited = [e for _, e in outs if "waiting for another probe run" in e]
    assert len(waited) == 1


def test_plain_interview_carries_on_when_the_session_cannot_be_saved(tmp_path):
    from advisor.core.knowledge import cached_knowledge
    from advisor.interview.session import SessionStore
    from advisor.prompt.interview import run_plain
    from tests.prompt.test_plain_interview import TODAY, ScriptedPrompter
    from tests.tui.helpers import SCRIPT, asked_keys

    kb = cached_knowledge()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    prompter = ScriptedPrompter(kb, SCRIPT)
    record = tmp_path / "record.md"
    run_plain(kb, prompter, store=SessionStore(blocker / "data"), record_out=record, today=TODAY)
    # the same questions as a run whose session saves fine: the failure ends nothing early
    saving = ScriptedPrompter(kb, SCRIPT)
    run_plain(kb, saving, store=SessionStore(tmp_path / "ok"), record_out=tmp_path / "ok.md", today=TODAY)
    assert prompter.asked == saving.asked and len(saving.asked) > 20
    notices = [s for s in prompter.said if "cannot be saved" in s]
    assert len(notices) == 1, prompter.said
    assert str(blocker / "data") in notices[0]
    assert record.exists(), "the record is still written at the end"
    assert not any(s.startswith("Session saved") for s in prompter.said)
    # nothing typed is lost: the answers are shown as an answers file that decide reads back
    import yaml

    from advisor.core.answers import Answers
    from tests.tui.helpers import EXPECTED_VALUES

    [shown] = [s for s in prompter.said if "here are your answers" in s]
    assert Answers.model_validate(yaml.safe_load(shown.split("\n\n", 1)[1])) == Answers.from_flat(EXPECTED_VALUES)


@pytest.mark.parametrize("fmt", ["md", "text", "json"])
def test_a_server_whose_errors_hold_escape_sequences(tmp_path, srv, fmt):
    config(tmp_path, srv.api_base, cache="cache.sqlite", candidate="escape+tuned")
    r = advisor("probe", "--config", "probe.yaml", "--format", fmt, "-o", "out", cwd=tmp_path)
    # every candidate call failed: exit 2 naming the config, with the server's error quoted, cleaned
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert f"advisor: error: probe.yaml: every request to the candidate model failed" in r.stderr
    assert "request" in r.stderr
    written = (tmp_path / "out").read_text(encoding="utf-8")  # the report is written before the check
    for text in (r.stdout, r.stderr, written):
        assert not any(c in text for c in "\x1b\x07\x9b"), repr(text[-300:])
