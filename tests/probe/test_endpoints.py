"""Models wherever they are served: per-model endpoints, the in-process Router, the cache key, fail-fast.

Every test talks HTTP to instances of the local test server (``tests/probe/server.py``);
a second instance on another port stands in for a second machine.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

import pytest

from advisor.core.probe.config import load_config
from advisor.core.probe.engine import run_probe
from tests.probe.conftest import write_config
from tests.probe.server import DATA, ModelServer, Oracle, ServerThread

N_TASK = 60


@pytest.fixture(scope="module")
def second():
    """Another server on its own port (the 'other machine')."""
    st = ServerThread(ModelServer(Oracle.load((DATA / "eval.jsonl", DATA / "kb.jsonl")))).start()
    yield st
    st.stop()


@pytest.fixture
def other(second):
    second.server.reset()
    return second


def closed_port() -> int:
    """A port with nothing listening on it (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def models_block(base: str, candidate: str) -> str:
    return f"models:\n  base: {base}\n  candidate: {candidate}\n"


def config(tmp_path, srv, models: str, extra: str = "", suites: str = "[task]", top_api_base: bool = True):
    path = write_config(tmp_path, srv.api_base, suites=suites, extra=extra)
    # drop the string-form models line; a generous timeout, so a loaded machine adds no retries
    lines = path.read_text().replace("timeout_s: 1\n", "timeout_s: 20\n").splitlines(keepends=True)[1:]
    if not top_api_base:
        lines = [x for x in lines if not x.startswith("api_base:")]
    path.write_text(models + "".join(lines))
    return path


def suite(report, sid):
    return next(s for s in report["suites"] if s["id"] == sid)


async def test_base_and_candidate_on_two_servers(tmp_path, srv, other):
    path = config(tmp_path, srv, models_block(
        f"{{model: openai/base, api_base: '{srv.api_base}'}}",
        f"{{model: openai/tuned, api_base: '{other.api_base}', revision: ckpt-1}}"), top_api_base=False)
    report = await run_probe(load_config(path))
    # each server saw only its own model
    assert dict(srv.server.requests) == {"base": N_TASK}
    assert dict(other.server.requests) == {"tuned": N_TASK}
    t = suite(report, "task")
    assert t["verdict"] == "improvement" and t["base"]["mean"] == 0.75 and t["candidate"]["mean"] == 1.0
    ep = report["endpoints"]
    assert ep["base"]["api_base"] == srv.api_base and ep["candidate"]["api_base"] == other.api_base
    assert ep["candidate"]["revision"] == "ckpt-1"
    assert report["provenance"]["candidate"]["served_by"] == {"tuned": N_TASK}


async def test_the_string_form_and_a_per_model_api_base_mix(tmp_path, srv, other):
    # base as a plain string takes the top-level api_base; the candidate names its own server
    path = config(tmp_path, srv, models_block("openai/base", f"{{model: openai/tuned, api_base: '{other.api_base}'}}"))
    await run_probe(load_config(path))
    assert dict(srv.server.requests) == {"base": N_TASK} and dict(other.server.requests) == {"tuned": N_TASK}


async def test_cache_is_keyed_on_the_endpoint_and_the_revision(tmp_path, srv, other):
    def write(api_base: str, revision: str) -> object:
        return load_config(config(tmp_path, srv, models_block(
            "openai/base", f"{{model: openai/tuned, api_base: '{api_base}', revision: {revision}}}")))

    await run_probe(write(other.api_base, "r1"))
    assert other.server.requests["tuned"] == N_TASK
    again = await run_probe(write(other.api_base, "r1"))
    assert other.server.requests["tuned"] == N_TASK and again["run"]["requests_sent"] == 0  # all cached
    assert again["provenance"]["candidate"]["cached"] == N_TASK
    assert all("candidate" in r["cached"] for r in suite(again, "task")["per_case"])
    # the same name and URL, retrained: a new revision is not answered from the old cache
    retrained = await run_probe(write(other.api_base, "r2"))
    assert other.server.requests["tuned"] == 2 * N_TASK
    assert retrained["provenance"]["candidate"]["sent"] == N_TASK
    assert retrained["provenance"]["base"]["cached"] == N_TASK  # the base did not change
    # the same name on another server is another model
    srv.server.reset()
    await run_probe(write(srv.api_base, "r2"))
    assert srv.server.requests["tuned"] == N_TASK


async def test_api_key_env_sends_that_variable_and_never_stores_it(tmp_path, srv, other, monkeypatch):
    monkeypatch.setenv("CANDIDATE_KEY", "local-key-0123456789")
    path = config(tmp_path, srv, models_block(
        "openai/base", f"{{model: openai/tuned, api_base: '{other.api_base}', api_key_env: CANDIDATE_KEY}}"))
    report = await run_probe(load_config(path))
    assert {h.get("Authorization") for h in other.server.headers_seen} == {"Bearer local-key-0123456789"}
    blob = json.dumps(report)
    assert "local-key-0123456789" not in blob and report["endpoints"]["candidate"]["api_key_env"] == "CANDIDATE_KEY"
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert b"local-key-0123456789" not in f.read_bytes(), f.name


def test_an_unset_key_variable_is_a_usage_error_before_anything_is_sent(tmp_path, srv):
    path = config(tmp_path, srv, models_block("openai/base", "{model: openai/tuned, api_key_env: NO_SUCH_KEY_VAR}"))
    env = {"PATH": "/usr/bin:/bin", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "CI": "1", "OPENAI_API_KEY": "x"}
    r = subprocess.run([sys.executable, "-m", "advisor", "probe", "--config", str(path)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "NO_SUCH_KEY_VAR" in r.stderr and "models.candidate.api_key_env" in r.stderr
    assert "Traceback" not in r.stderr and srv.server.total == 0


async def test_extra_body_reaches_the_server(tmp_path, srv, other):
    # the server echoes the model name it was sent; extra_body can override it, as with any OpenAI server
    path = config(tmp_path, srv, models_block(
        "openai/base", f"{{model: openai/tuned, api_base: '{other.api_base}', params: {{extra_body: {{model: brittle}}}}}}"),
        suites="[task]")
    report = await run_probe(load_config(path))
    assert dict(other.server.requests) == {"brittle": N_TASK}
    assert report["provenance"]["candidate"]["served_by"] == {"brittle": N_TASK}


# ----------------------------------------------------------------- the in-process Router


async def test_router_falls_back_and_says_so(tmp_path, srv):
    router = (
        "router:\n"
        "  model_list:\n"
        f"    - {{model_name: cand, litellm_params: {{model: openai/down+tuned, api_base: '{srv.api_base}'}}}}\n"
        f"    - {{model_name: cand-backup, litellm_params: {{model: openai/tuned, api_base: '{srv.api_base}'}}}}\n"
        "  fallbacks: [{cand: [cand-backup]}]\n"
    )
    path = config(tmp_path, srv, models_block("openai/base", "cand"), extra=router)
    report = await run_probe(load_config(path))
    t = suite(report, "task")
    assert t["candidate"]["errors"] == 0 and t["candidate"]["mean"] == 1.0  # every answer came, from the backup
    assert srv.server.requests["down+tuned"] >= 1 and srv.server.requests["tuned"] == N_TASK
    prov = report["provenance"]["candidate"]
    assert prov["fallbacks"] == N_TASK
    assert any("fallback" in w and "cand-backup" in w for w in report["warnings"])
    assert report["endpoints"]["candidate"]["via"] == "router"


async def test_router_spreads_one_model_over_two_servers(tmp_path, srv, other):
    router = (
        "router:\n"
        "  model_list:\n"
        f"    - {{model_name: cand, litellm_params: {{model: openai/tuned, api_base: '{srv.api_base}', rpm: 6000}}}}\n"
        f"    - {{model_name: cand, litellm_params: {{model: openai/tuned, api_base: '{other.api_base}', rpm: 6000}}}}\n"
    )
    path = config(tmp_path, srv, models_block("openai/base", "cand"), extra=router)
    report = await run_probe(load_config(path))
    assert suite(report, "task")["candidate"]["mean"] == 1.0
    a, b = srv.server.requests["tuned"], other.server.requests["tuned"]
    assert a + b == N_TASK and a > 0 and b > 0
    assert report["provenance"]["candidate"]["fallbacks"] == 0
    assert not any("fallback" in w for w in report["warnings"])


def test_a_key_in_the_router_config_is_refused(tmp_path, srv):
    from advisor.errors import UserError

    router = ("router:\n  model_list:\n"
              "    - {model_name: cand, litellm_params: {model: openai/tuned, api_key: sk-literal-key-123}}\n")
    path = config(tmp_path, srv, models_block("openai/base", "cand"), extra=router)
    with pytest.raises(UserError, match="api_key_env"):
        load_config(path)


def test_a_fallback_to_an_unknown_model_name_is_refused(tmp_path, srv):
    from advisor.errors import UserError

    router = ("router:\n  model_list:\n    - {model_name: cand, litellm_params: {model: openai/tuned}}\n"
              "  fallbacks: [{cand: [nope]}]\n")
    path = config(tmp_path, srv, models_block("openai/base", "cand"), extra=router)
    with pytest.raises(UserError, match="nope"):
        load_config(path)


# ----------------------------------------------------------------- refused connections


@pytest.mark.parametrize("transport", ["auto", "litellm"])
async def test_a_refused_connection_fails_fast(tmp_path, srv, transport):
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    path = config(tmp_path, srv, models_block("openai/base", f"{{model: openai/tuned, api_base: '{dead}'}}"),
                  extra=f"transport: {transport}\n")
    report = await run_probe(load_config(path))
    run = report["run"]
    t = suite(report, "task")
    assert t["candidate"]["errors"] == N_TASK and t["base"]["errors"] == 0
    # no retries against a port nobody listens on: at most the first wave went out, the rest were not sent
    assert run["retries"] == 0
    assert run["not_sent"] >= N_TASK - 16 and run["unreachable"] == [dead]
    first = t["per_case"][0]["errors"]["candidate"]
    assert dead in first and "refused" in first
    assert any("60 of 120 answers (50%) failed" in w for w in report["warnings"])


async def test_a_server_killed_mid_run_is_summed_up_in_one_line(tmp_path, srv):
    victim = ServerThread(ModelServer(Oracle.load((DATA / "eval.jsonl",)), latency=0.02)).start()
    path = config(tmp_path, srv, models_block("openai/base", f"{{model: openai/tuned, api_base: '{victim.api_base}'}}"))
    path.write_text(path.read_text().replace("concurrency: 16", "concurrency: 2"))

    async def kill_after(n: int) -> None:
        while victim.server.total < n:
            await asyncio.sleep(0.01)
        victim.stop()

    killer = asyncio.create_task(kill_after(20))
    report = await run_probe(load_config(path))
    await killer
    t = suite(report, "task")
    answered = t["candidate"]["n"]
    assert 20 <= answered < N_TASK and t["candidate"]["errors"] == N_TASK - answered
    failed = N_TASK - answered
    line = [w for w in report["warnings"] if "answers" in w and "failed" in w]
    assert len(line) == 1, report["warnings"]
    assert line[0].startswith(f"{failed} of {2 * N_TASK} answers ({100 * failed / (2 * N_TASK):.0f}%) failed")
    assert "stands" in line[0] or "could change" in line[0]
    assert report["run"]["unreachable"] == [victim.api_base]
