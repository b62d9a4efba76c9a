"""`advisor probe` as a user runs it: a real process, real HTTP, Ctrl-C and resume, no key leaks."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from tests.conftest import ROOT
from tests.probe.conftest import SECRET
from tests.probe.server import DATA, Oracle

N_TASK = sum(1 for line in (DATA / "eval.jsonl").read_text().splitlines() if line.strip())
N_GENERAL = len(Oracle.load().general)


def _env():
    return {**os.environ, "OPENAI_API_KEY": SECRET, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "CI": "1"}


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "advisor", "probe", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=120)


def _assert_no_secret(folder, *texts):
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the API key leaked into {path.name}"
    for t in texts:
        assert SECRET not in t


def _cached_rows(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    finally:
        con.close()


def _cached_rows_or_0(db):
    try:
        return _cached_rows(db)
    except sqlite3.Error:  # not created yet, or locked by the writer this instant
        return 0


def test_ctrl_c_then_resume_sends_only_the_unfinished_calls(make_config, srv, tmp_path):
    total = 2 * (N_TASK + N_GENERAL)
    path = make_config(base="base", candidate="forgetful", suites="[task, general]")
    # a timeout no load reaches: on a slow machine (or under coverage) a short one turns healthy
    # calls into retries, which the server counts but the cache never sees
    path.write_text(path.read_text().replace("concurrency: 16", "concurrency: 4").replace("timeout_s: 1", "timeout_s: 60"))
    # the server answers the first 30 requests and holds the rest unanswered, so the run is
    # still going, with some calls finished, when it is interrupted, however slow the machine
    srv.server.hold_after = 30
    # As from a terminal: a shell starts a background job (CI's, say) with Ctrl-C ignored, the
    # child inherits that and rightly keeps ignoring it; Ctrl-C is what this test sends
    proc = subprocess.Popen([sys.executable, "-m", "advisor", "probe", "--config", str(path), "--format", "json"],
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (tmp_path / "cache.sqlite").exists() and _cached_rows_or_0(tmp_path / "cache.sqlite") >= 20:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended although the server held its later requests"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        srv.server.hold_after = None
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    done = _cached_rows(tmp_path / "cache.sqlite")
    assert 20 <= done <= 30  # stopped part-way, finished calls kept, held ones never answered

    srv.server.reset()
    r = _cli("--config", str(path), "--format", "json", "--resume", "-o", "out.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert srv.server.total == total - done  # nothing finished was sent again
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["run"]["cache_hits"] == done
    general = next(s for s in report["suites"] if s["id"] == "general")
    assert general["verdict"] == "regression" and general["n"] == N_GENERAL
    _assert_no_secret(tmp_path, out, err, r.stdout, r.stderr)


def test_json_md_text_outputs_and_fail_on_gate(make_config, srv, tmp_path):
    path = make_config(base="base", candidate="forgetful", suites="[task, general]")
    r = _cli("--config", str(path), "--format", "json", "--fail-on", "regression", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "gate failed: regression in general" in r.stderr
    report = json.loads(r.stdout)
    assert [s["id"] for s in report["suites"]] == ["task", "general"]
    assert "no price" in r.stderr  # unknown cost for local models is said out loud
    # md and text from the same cache: no new requests
    sent = srv.server.total
    md = _cli("--config", str(path), "--format", "md", "-o", "report.md", "--suites", "general", cwd=tmp_path)
    assert md.returncode == 0, md.stderr
    assert "# Probe report" in (tmp_path / "report.md").read_text()
    txt = _cli("--config", str(path), "--format", "text", "--suites", "task", cwd=tmp_path)
    assert txt.returncode == 0 and "improvement" in txt.stdout
    assert srv.server.total == sent
    _assert_no_secret(tmp_path, r.stdout, r.stderr, md.stdout, md.stderr, txt.stdout, txt.stderr)
    assert (ROOT / "tests" / "data" / "probe" / ".advisor-probe-cache.sqlite").exists() is False


def test_a_key_echoed_in_a_provider_error_is_redacted_everywhere(make_config, srv, tmp_path):
    from advisor.core.probe import render_markdown, render_text

    path = make_config(base="base", candidate="keyecho+tuned", suites="[task]")
    r = _cli("--config", str(path), "--format", "json", "-o", "out.json", cwd=tmp_path)
    # every candidate call was refused: exit 2 with the (redacted) reason, the report still written
    assert r.returncode == 2, r.stderr
    assert "Incorrect API key provided: [redacted]" in r.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    task = report["suites"][0]
    assert task["candidate"]["errors"] == N_TASK  # a 401 is not retried and not scored as 0
    assert srv.server.requests["keyecho+tuned"] == N_TASK
    first = task["per_case"][0]["errors"]["candidate"]
    assert "Incorrect API key provided: [redacted]" in first, first
    # the md and text renderings read only the JSON, and print each case's error
    (tmp_path / "out.md").write_text(render_markdown(report))
    _assert_no_secret(tmp_path, r.stdout, r.stderr, render_text(report))


def test_a_model_that_never_answers_is_an_error_not_a_verdict(make_config, srv, tmp_path):
    path = make_config(base="base", candidate="down+tuned", suites="[task]")
    r = _cli("--config", str(path), "--format", "json", "-o", "out.json", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "every request to the candidate model failed" in r.stderr and "server down" in r.stderr
    assert "base" not in r.stderr.split("every request to the")[1].split("model failed")[0]
    # the report is still written, with every candidate case marked as an error
    report = json.loads((tmp_path / "out.json").read_text())
    rows = report["suites"][0]["per_case"]
    assert len(rows) == N_TASK and all(row["errors"].get("candidate") for row in rows)


def test_a_missing_api_key_fails_at_once_without_retries(make_config, srv, tmp_path):
    path = make_config(base="base", candidate="tuned", suites="[task]")
    env = {k: v for k, v in _env().items() if k != "OPENAI_API_KEY"}
    r = subprocess.run([sys.executable, "-m", "advisor", "probe", "--config", str(path), "--format", "json",
                        "-o", "out.json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Missing credentials" in r.stderr and "API key in the" in r.stderr
    run = json.loads((tmp_path / "out.json").read_text())["run"]
    assert run["retries"] == 0 and run["errors"] == 2 * N_TASK  # a retry cannot conjure a key
    assert srv.server.total == 0
