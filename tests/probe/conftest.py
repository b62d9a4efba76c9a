"""Fixtures for probe tests: one local OpenAI-compatible server per session, configs, a dummy key.

litellm talks to the server over real HTTP; nothing is patched. The dummy key
is set in the environment so litellm sends it (the server records headers) and
the tests can prove it never lands in any file or output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.probe.server import DATA, ModelServer, Oracle, ServerThread

SECRET = "sk-probe-test-DO-NOT-LEAK-7f3a9c1e5b"
os.environ["OPENAI_API_KEY"] = SECRET
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
QUEUES = "[billing, shipping, account, technical]"


@pytest.fixture(scope="session")
def server():
    """The model server (latency 0; tests that need latency set ``server.server.latency``)."""
    st = ServerThread(ModelServer(Oracle.load((DATA / "eval.jsonl", DATA / "kb.jsonl")), hang_s=3.0)).start()
    yield st
    st.stop()


@pytest.fixture
def srv(server):
    """The server with counters reset and latency back to 0 for this test."""
    server.server.reset()
    server.server.latency = 0.0
    return server


def write_config(folder: Path, api_base: str, *, base: str = "base", candidate: str = "tuned",
                 suites: str = "[task]", eval_set: str = "eval.jsonl", scorer: str | None = None,
                 extra: str = "") -> Path:
    """Write a probe.yaml (and copy the eval data beside it, as a user would have it)."""
    for name in ("eval.jsonl", "kb.jsonl", "answer.schema.json"):
        (folder / name).write_text((DATA / name).read_text())
    scorer = scorer or f"{{type: choice, choices: {QUEUES}}}"
    text = (
        f"models: {{base: openai/{base}, candidate: openai/{candidate}}}\n"
        f"api_base: {api_base}\n"
        f"eval_set: {eval_set}\n"
        f"scorer: {scorer}\n"
        f"suites: {suites}\n"
        "system_prompt: Route the ticket to one queue. Answer with the queue only.\n"
        "temperature: 0\n"
        "max_tokens: 32\n"
        "concurrency: 16\n"
        "timeout_s: 1\n"
        "backoff_s: 0.01\n"
        "max_retries: 3\n"
        f"cache: cache.sqlite\n{extra}"
    )
    path = folder / "probe.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def make_config(tmp_path, srv):
    def make(**kw) -> Path:
        return write_config(tmp_path, srv.api_base, **kw)
    return make
